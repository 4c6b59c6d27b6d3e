/* answer.c: the answer file and the installer's kernel options (see answer.h). */
#include "answer.h"
#include "cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Copies s[0..n) into out (cap bytes) when it fits, NUL-terminated. */
static int put(char *out, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* A disk name: "/dev/" followed by [A-Za-z0-9/_.-], no "..". */
static int disk_ok(const char *s)
{
	const char *p;

	if (strncmp(s, "/dev/", 5) || !s[5] || strstr(s, ".."))
		return 0;
	for (p = s + 5; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '/' || *p == '_' || *p == '.' || *p == '-'))
			return 0;
	return 1;
}

int answer_check_path(const char *path, const char *what, struct rh_err *err)
{
	static const char *const refused[] = { "/usr", "/opt", "/tmp", "/run", "/proc", "/sys", "/dev" };
	const char *p = path;
	unsigned i;

	if (path[0] != '/' || !path[1])
		return rh_errf(err, -EINVAL, "%s: '%s' is not an absolute file path", what, path);
	while (*p) {
		const char *e;
		size_t n;
		while (*p == '/')
			p++;
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') || (n == 0 && e))
			return rh_errf(err, -EINVAL, "%s: '%s': no '.', '..' or empty components", what, path);
		p += n;
	}
	if (path[strlen(path) - 1] == '/')
		return rh_errf(err, -EINVAL, "%s: '%s' names a directory, not a file", what, path);
	for (p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return rh_errf(err, -EINVAL, "%s: '%s': control character in the path", what, path);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		size_t n = strlen(refused[i]);
		if (!strncmp(path, refused[i], n) && (path[n] == '/' || !path[n]))
			return rh_errf(err, -EINVAL, "%s: '%s' is under %s, which is not kept in the state (read-only "
					"or volatile)", what, path, refused[i]);
	}
	return 0;
}

/* RFC 1123 host name: labels of 1-63 letters, digits and '-', not starting or ending with '-', '.'-separated. */
static int hostname_ok(const char *s)
{
	size_t label = 0, n = strlen(s);
	const char *p;

	if (!n || n > 63)
		return 0;
	for (p = s; *p; p++) {
		if (*p == '.') {
			if (!label || p[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
		if (*p == '-' && !label)
			return 0;
		label++;
	}
	return label && p[-1] != '-';
}

/* A crypt(3) hash "$id$...$..." of printable characters without ':' (the shadow field separator), or "!" / "*". */
static int rootpw_ok(const char *s)
{
	const char *p;
	unsigned dollars = 0;

	if (!strcmp(s, "!") || !strcmp(s, "*"))
		return 1;
	if (s[0] != '$')
		return 0;
	for (p = s; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == ':')
			return 0;
		dollars += *p == '$';
	}
	return dollars >= 3 && p[-1] != '$';
}

/* Unescapes an inline text (\n \t \\) into st->text with a final newline. */
static int unescape(const char *s, size_t n, struct answer_sticky *st)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\') {
			if (++i == n)
				return -1;
			c = s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' : s[i] == '\\' ? '\\' : 0;
			if (!c)
				return -1;
		}
		if (o + 2 > sizeof(st->text))
			return -2;
		st->text[o++] = c;
	}
	st->text[o++] = '\n';
	st->len = o;
	return 0;
}

/* sticky = /path < /source   or   sticky = /path << text */
static int parse_sticky(const char *v, size_t vn, const char *what, unsigned line, struct answer *a,
			struct rh_err *err)
{
	struct answer_sticky *st;
	const char *lt = memchr(v, '<', vn), *src;
	size_t pn, sn;
	char w[64];
	int rc;

	snprintf(w, sizeof(w), "%s:%u", what, line);
	if (a->nsticky == ANSWER_MAX_STICKY)
		return rh_errf(err, -E2BIG, "%s: more than %u sticky files", w, ANSWER_MAX_STICKY);
	if (!lt)
		return rh_errf(err, -EINVAL, "%s: sticky needs '/path < /file/on/medium' or '/path << text'", w);
	st = &a->sticky[a->nsticky];
	memset(st, 0, sizeof(*st));
	pn = (size_t)(lt - v);
	while (pn && is_blank(v[pn - 1]))
		pn--;
	if (!pn || put(st->path, sizeof(st->path), v, pn))
		return rh_errf(err, -EINVAL, "%s: sticky: the path in the host is %s", w, pn ? "too long" : "missing");
	rc = answer_check_path(st->path, w, err);
	if (rc)
		return rc;
	if (lt + 1 < v + vn && lt[1] == '<') { /* inline */
		src = lt + 2;
		sn = (size_t)(v + vn - src);
		if (sn && src[0] == ' ')
			src++, sn--;
		rc = unescape(src, sn, st);
		if (rc == -1)
			return rh_errf(err, -EINVAL, "%s: sticky %s: bad escape (only \\n, \\t and \\\\)", w, st->path);
		if (rc)
			return rh_errf(err, -E2BIG, "%s: sticky %s: inline text longer than %u bytes", w, st->path,
				       ANSWER_MAX_TEXT - 1);
	} else {
		src = lt + 1;
		sn = (size_t)(v + vn - src);
		while (sn && is_blank(*src))
			src++, sn--;
		if (!sn || put(st->source, sizeof(st->source), src, sn))
			return rh_errf(err, -EINVAL, "%s: sticky %s: the file on the medium is %s", w, st->path,
				       sn ? "too long" : "missing");
		if (st->source[0] != '/' || strstr(st->source, ".."))
			return rh_errf(err, -EINVAL, "%s: sticky %s: '%s' is not an absolute path on the medium "
				       "(without ..)", w, st->path, st->source);
	}
	a->nsticky++;
	return 0;
}

static int parse_line(const char *k, size_t kn, const char *v, size_t vn, const char *what, unsigned line,
		      struct answer *a, struct rh_err *err)
{
	char val[ANSWER_MAX_PATH];

#define KEY(s) (kn == sizeof(s) - 1 && !memcmp(k, s, kn))
	if (KEY("sticky"))
		return parse_sticky(v, vn, what, line, a, err);
	if (put(val, sizeof(val), v, vn) || memchr(v, '\0', vn))
		return rh_errf(err, -EINVAL, "%s:%u: %.*s: value too long or not text", what, line, (int)kn, k);
	if (KEY("disk")) {
		if (strcmp(val, "auto") && !disk_ok(val))
			return rh_errf(err, -EINVAL, "%s:%u: disk '%s': expected auto or /dev/NAME", what, line, val);
		memcpy(a->disk, val, sizeof(val));
		a->has_disk = 1;
	} else if (KEY("hostname")) {
		if (!hostname_ok(val))
			return rh_errf(err, -EINVAL, "%s:%u: hostname '%s': expected letters, digits, '-' and '.' "
				       "(at most 63)", what, line, val);
		memcpy(a->hostname, val, strlen(val) + 1);
	} else if (KEY("rootpw")) {
		if (!rootpw_ok(val))
			return rh_errf(err, -EINVAL, "%s:%u: rootpw: expected a crypt hash such as $6$SALT$HASH (make "
				       "one with 'openssl passwd -6'), or ! to lock", what, line);
		memcpy(a->rootpw, val, strlen(val) + 1);
	} else if (KEY("after")) {
		if (!strcmp(val, "poweroff"))
			a->after = ANSWER_POWEROFF;
		else if (!strcmp(val, "reboot"))
			a->after = ANSWER_REBOOT;
		else
			return rh_errf(err, -EINVAL, "%s:%u: after '%s': expected poweroff or reboot", what, line, val);
	} else {
		return rh_errf(err, -EINVAL, "%s:%u: unknown key '%.*s' (disk, hostname, rootpw, sticky, after)", what,
			       line, (int)kn, k);
	}
#undef KEY
	return 0;
}

int answer_parse(const char *buf, size_t len, const char *what, struct answer *ret, struct rh_err *err)
{
	static struct answer zero;
	struct answer *a = ret;
	const char *p = buf, *end = buf + len;
	unsigned line = 0;
	int rc;

	if (len > ANSWER_MAX_FILE)
		return rh_errf(err, -EFBIG, "%s: larger than %u bytes", what, ANSWER_MAX_FILE);
	*a = zero; /* large: parsed in place, and cleared again on failure */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *k, *eq, *v, *ve;
		size_t kn;

		line++;
		k = p;
		p = nl ? nl + 1 : end;
		while (k < e && is_blank(*k))
			k++;
		ve = e;
		while (ve > k && is_blank(ve[-1]))
			ve--;
		if (k == ve || *k == '#')
			continue;
		eq = memchr(k, '=', (size_t)(ve - k));
		if (!eq) {
			rc = rh_errf(err, -EINVAL, "%s:%u: expected 'key = value'", what, line);
			goto fail;
		}
		kn = (size_t)(eq - k);
		while (kn && is_blank(k[kn - 1]))
			kn--;
		v = eq + 1;
		while (v < ve && is_blank(*v))
			v++;
		if (!kn || v == ve) {
			rc = rh_errf(err, -EINVAL, "%s:%u: expected 'key = value'", what, line);
			goto fail;
		}
		rc = parse_line(k, kn, v, (size_t)(ve - v), what, line, a, err);
		if (rc)
			goto fail;
	}
	return 0;
fail:
	*a = zero;
	return rc;
}

/* One word of the command line. */
static int cmdline_word(struct install_cmdline *c, const char *w, size_t n, struct rh_err *err)
{
	static const char inst[] = "ramhost.install=", ks[] = "ramhost.ks=";
	char val[ANSWER_MAX_PATH];

	if (n >= sizeof(inst) - 1 && !memcmp(w, inst, sizeof(inst) - 1)) {
		if (put(val, sizeof(val), w + sizeof(inst) - 1, n - (sizeof(inst) - 1)) ||
		    (strcmp(val, "auto") && !disk_ok(val)))
			return rh_errf(err, -EINVAL, "kernel option '%.*s': expected ramhost.install=auto or "
				       "ramhost.install=/dev/NAME", (int)(n > 300 ? 300 : n), w);
		c->install = 1;
		memcpy(c->disk, val, sizeof(val));
	} else if (n >= sizeof(ks) - 1 && !memcmp(w, ks, sizeof(ks) - 1)) {
		if (put(val, sizeof(val), w + sizeof(ks) - 1, n - (sizeof(ks) - 1)) || val[0] != '/' ||
		    strstr(val, ".."))
			return rh_errf(err, -EINVAL, "kernel option '%.*s': expected ramhost.ks=/path/on/the/medium",
				       (int)(n > 300 ? 300 : n), w);
		memcpy(c->ks, val, sizeof(val));
	}
	return 0;
}

int install_cmdline_parse(const char *buf, size_t len, struct install_cmdline *ret, struct rh_err *err)
{
	struct install_cmdline c;
	char word[1024];
	const char *w;
	size_t pos = 0, wlen, i, n;
	int rc;

	memset(&c, 0, sizeof(c));
	while (cmdline_next_word(buf, len, &pos, &w, &wlen)) {
		for (i = 0, n = 0; i < wlen; i++)   /* the value without its quotes, as the kernel passes it */
			if (w[i] != '"' && n < sizeof(word) - 1)
				word[n++] = w[i];
		rc = cmdline_word(&c, word, n, err);
		if (rc)
			return rc;
	}
	*ret = c;
	return 0;
}
