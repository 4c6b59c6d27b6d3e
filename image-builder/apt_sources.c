/* apt_sources.c: the build machine's Debian mirror from its apt sources (see apt_sources.h). */
#include "apt_sources.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fileio.h"

#define LINE_MAX_LEN 8192
#define BLANKS " \t\r"

/* The mirror URIs debootstrap can use; apt's method prefixes (mirror+, tor+, cdrom:) are left out. */
static int uri_usable(const char *w, size_t n)
{
	return (n > 7 && !strncmp(w, "http://", 7)) || (n > 8 && !strncmp(w, "https://", 8)) ||
	       (n > 6 && !strncmp(w, "file:/", 6));
}

/* 1 when the blank-separated list s[0..n) holds the word w. */
static int has_word(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w), i = 0;

	while (i < n) {
		size_t j;
		while (i < n && strchr(BLANKS, s[i]))
			i++;
		for (j = i; j < n && !strchr(BLANKS, s[j]); j++)
			;
		if (j - i == wl && !memcmp(s + i, w, wl))
			return 1;
		i = j;
	}
	return 0;
}

/* Copies the first usable URI word of s[0..n) into ret. 1 when one was copied, 0 when none, -E2BIG. */
static int first_uri(const char *s, size_t n, char *ret, size_t cap)
{
	size_t i = 0;

	while (i < n) {
		size_t j;
		while (i < n && strchr(BLANKS, s[i]))
			i++;
		for (j = i; j < n && !strchr(BLANKS, s[j]); j++)
			;
		if (j > i && uri_usable(s + i, j - i)) {
			if (j - i >= cap)
				return -E2BIG;
			memcpy(ret, s + i, j - i);
			ret[j - i] = '\0';
			return 1;
		}
		i = j;
	}
	return 0;
}

/* The next line of buf (without its '\n'); 0 at the end. */
static int next_line(const char *buf, size_t len, size_t *pos, const char **ret, size_t *ret_len)
{
	const char *nl;
	size_t n;

	if (*pos >= len)
		return 0;
	nl = memchr(buf + *pos, '\n', len - *pos);
	n = nl ? (size_t)(nl - (buf + *pos)) : len - *pos;
	*ret = buf + *pos;
	*ret_len = n;
	*pos += n + (nl ? 1 : 0);
	return 1;
}

struct stanza {
	int types_deb, suite_ok, disabled, have_uri;
	char uri[APT_URI_MAX];
};

int apt_sources_deb822_find(const char *buf, size_t len, const char *file, const char *suite, char *ret,
			    size_t cap, struct rh_err *err)
{
	struct stanza st;
	const char *line;
	size_t pos = 0, n;
	unsigned lineno = 0;
	int in_uris = 0, more = 1;

	memset(&st, 0, sizeof(st));
	while (more) {
		const char *colon, *v;
		size_t klen, vlen;

		more = next_line(buf, len, &pos, &line, &n);
		if (more) {
			lineno++;
			if (n >= LINE_MAX_LEN)
				return rh_errf(err, -E2BIG, "%s:%u: line longer than %d characters", file, lineno,
					       LINE_MAX_LEN - 1);
			if (memchr(line, '\0', n))
				return rh_errf(err, -EINVAL, "%s:%u: NUL byte in line", file, lineno);
			while (n && strchr(BLANKS, line[n - 1]))
				n--;
			if (n && line[0] == '#')
				continue;
		}
		if (!more || n == 0) { /* end of a stanza */
			if (st.types_deb && st.suite_ok && !st.disabled && st.have_uri) {
				if (strlen(st.uri) >= cap)
					return rh_errf(err, -E2BIG, "%s:%u: URI too long: %.80s", file, lineno, st.uri);
				strcpy(ret, st.uri);
				return 0;
			}
			memset(&st, 0, sizeof(st));
			in_uris = 0;
			continue;
		}
		if (line[0] == ' ' || line[0] == '\t') { /* continuation of the field before */
			if (in_uris && !st.have_uri) {
				int r = first_uri(line, n, st.uri, sizeof(st.uri));
				if (r < 0)
					return rh_errf(err, r, "%s:%u: URI too long", file, lineno);
				st.have_uri = r;
			}
			continue;
		}
		colon = memchr(line, ':', n);
		if (!colon)
			return rh_errf(err, -EINVAL, "%s:%u: expected 'Field: value', got '%.*s'", file, lineno,
				       (int)(n > 60 ? 60 : n), line);
		klen = (size_t)(colon - line);
		v = colon + 1;
		vlen = n - klen - 1;
		in_uris = 0;
		if (klen == 5 && !strncasecmp(line, "Types", 5)) {
			st.types_deb = has_word(v, vlen, "deb");
		} else if (klen == 6 && !strncasecmp(line, "Suites", 6)) {
			st.suite_ok = has_word(v, vlen, suite);
		} else if (klen == 7 && !strncasecmp(line, "Enabled", 7)) {
			st.disabled = has_word(v, vlen, "no") || has_word(v, vlen, "false");
		} else if (klen == 4 && !strncasecmp(line, "URIs", 4)) {
			int r = first_uri(v, vlen, st.uri, sizeof(st.uri));
			if (r < 0)
				return rh_errf(err, r, "%s:%u: URI too long", file, lineno);
			st.have_uri = r;
			in_uris = 1;
		}
	}
	return -ENOENT;
}

int apt_sources_list_find(const char *buf, size_t len, const char *file, const char *suite, char *ret, size_t cap,
			  struct rh_err *err)
{
	const char *line;
	size_t pos = 0, n;
	unsigned lineno = 0;

	while (next_line(buf, len, &pos, &line, &n)) {
		const char *w[3];
		size_t wl[3], i = 0, k = 0;

		lineno++;
		if (n >= LINE_MAX_LEN)
			return rh_errf(err, -E2BIG, "%s:%u: line longer than %d characters", file, lineno,
				       LINE_MAX_LEN - 1);
		if (memchr(line, '\0', n))
			return rh_errf(err, -EINVAL, "%s:%u: NUL byte in line", file, lineno);
		/* words: "deb", then an optional [ options ] group, then URI and SUITE */
		while (k < 3 && i < n) {
			size_t j;
			while (i < n && strchr(BLANKS, line[i]))
				i++;
			if (i == n || line[i] == '#')
				break;
			if (k == 1 && line[i] == '[') {
				const char *close = memchr(line + i, ']', n - i);
				if (!close)
					break;
				i = (size_t)(close - line) + 1;
				continue;
			}
			for (j = i; j < n && !strchr(BLANKS, line[j]); j++)
				;
			w[k] = line + i;
			wl[k++] = j - i;
			i = j;
		}
		if (k < 3 || wl[0] != 3 || memcmp(w[0], "deb", 3) || !uri_usable(w[1], wl[1]) ||
		    wl[2] != strlen(suite) || memcmp(w[2], suite, wl[2]))
			continue;
		if (wl[1] >= cap)
			return rh_errf(err, -E2BIG, "%s:%u: URI too long", file, lineno);
		memcpy(ret, w[1], wl[1]);
		ret[wl[1]] = '\0';
		return 0;
	}
	return -ENOENT;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir ending in ext, sorted, in a malloc'd array of malloc'd strings. */
static int list_dir(const char *dir, const char *ext, char ***ret, size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, el = strlen(ext);

	*ret = NULL;
	*ret_n = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **nv;
		if (l <= el || strcmp(de->d_name + l - el, ext) || de->d_name[0] == '.')
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			v = nv ? nv : v;
			while (n)
				free(v[--n]);
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Tries one file: 0 found, -ENOENT not there or no match, other errors with err set. */
static int try_file(const char *path, int deb822, const char *suite, char *ret, size_t cap, struct rh_err *err)
{
	char *buf = NULL;
	size_t len;
	int rc;

	rc = rh_read_file(path, 4u << 20, &buf, &len, err);
	if (rc == -ENOENT) {
		rh_err_clear(err);
		return -ENOENT;
	}
	if (rc)
		return rc;
	rc = deb822 ? apt_sources_deb822_find(buf, len, path, suite, ret, cap, err)
		    : apt_sources_list_find(buf, len, path, suite, ret, cap, err);
	free(buf);
	return rc;
}

int apt_sources_mirror(const char *root, const char *suite, char *ret, size_t cap, struct rh_err *err)
{
	char dir[2048], path[4096];
	char **names = NULL;
	size_t n = 0, i;
	int pass, rc = -ENOENT;

	if (!root || !*root)
		root = "/";
	snprintf(dir, sizeof(dir), "%s%setc/apt/sources.list.d", root, root[strlen(root) - 1] == '/' ? "" : "/");
	for (pass = 0; pass < 3 && rc == -ENOENT; pass++) {
		if (pass == 1) {
			snprintf(path, sizeof(path), "%.2000s/../sources.list", dir);
			rc = try_file(path, 0, suite, ret, cap, err);
			continue;
		}
		if (list_dir(dir, pass == 0 ? ".sources" : ".list", &names, &n) < 0)
			return rh_errf(err, -ENOMEM, "%s: out of memory", dir);
		for (i = 0; i < n && rc == -ENOENT; i++) {
			snprintf(path, sizeof(path), "%.2000s/%.1000s", dir, names[i]);
			rc = try_file(path, pass == 0, suite, ret, cap, err);
		}
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
		names = NULL;
	}
	if (rc == -ENOENT)
		return rh_errf(err, -ENOENT, "no apt source for suite '%s' in %s/*.sources, %s/../sources.list or "
					     "%s/*.list (debootstrap takes its mirror from them; add one)", suite, dir,
			       dir, dir);
	return rc;
}
