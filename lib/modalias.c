/* modalias.c: module alias lines and device modalias matching (see modalias.h). */
#include "modalias.h"

#include <fnmatch.h>
#include <string.h>

#define MODALIAS_MAX_PAT 512 /* longer patterns are skipped as malformed */

/* The next space-separated word of line[*i..n) into *w, *wl; 0 when there is none. */
static int word(const char *line, size_t n, size_t *i, const char **w, size_t *wl)
{
	while (*i < n && (line[*i] == ' ' || line[*i] == '\t'))
		(*i)++;
	if (*i == n)
		return 0;
	*w = line + *i;
	while (*i < n && line[*i] != ' ' && line[*i] != '\t')
		(*i)++;
	*wl = (size_t)(line + *i - *w);
	return 1;
}

int modalias_next(const char *buf, size_t len, size_t *pos, const char **ret_pat, size_t *ret_patlen,
		  const char **ret_mod, size_t *ret_modlen)
{
	while (*pos < len) {
		const char *line = buf + *pos, *nl = memchr(line, '\n', len - *pos), *kw, *pat, *mod, *extra;
		size_t n = nl ? (size_t)(nl - line) : len - *pos, i = 0, kwl, patl, modl, extral;

		*pos += n + (nl ? 1 : 0);
		if (memchr(line, '\0', n))
			continue;
		if (!word(line, n, &i, &kw, &kwl) || kwl != 5 || memcmp(kw, "alias", 5) ||
		    !word(line, n, &i, &pat, &patl) || !word(line, n, &i, &mod, &modl) || word(line, n, &i, &extra, &extral) ||
		    patl > MODALIAS_MAX_PAT)
			continue;
		*ret_pat = pat;
		*ret_patlen = patl;
		*ret_mod = mod;
		*ret_modlen = modl;
		return 1;
	}
	return 0;
}

int modalias_match(const char *pat, size_t patlen, const char *dev)
{
	char p[MODALIAS_MAX_PAT + 1];

	if (patlen > MODALIAS_MAX_PAT)
		return 0;
	memcpy(p, pat, patlen);
	p[patlen] = '\0';
	return fnmatch(p, dev, 0) == 0;
}

int modalias_wanted(const char *buf, size_t len, const char *module, const char *const *devs, size_t ndevs)
{
	const char *pat, *mod;
	size_t pos = 0, patl, modl, ml = strlen(module), i;
	int listed = 0;

	while (modalias_next(buf, len, &pos, &pat, &patl, &mod, &modl)) {
		if (modl != ml || memcmp(mod, module, ml))
			continue;
		listed = 1;
		for (i = 0; i < ndevs; i++)
			if (modalias_match(pat, patl, devs[i]))
				return 1;
	}
	return !listed;
}
