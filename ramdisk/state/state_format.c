/* state_format.c: footer, MANIFEST, generation names, pruning plan, state.env (see state_format.h). */
#include "state_format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt.h"
#include "sticky_rule.h"

/* ---- little-endian helpers ---- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ---- footer ---- */

void state_footer_format(const struct state_footer *f, uint8_t out[STATE_FOOTER_SIZE])
{
	memset(out, 0, STATE_FOOTER_SIZE);
	memcpy(out, STATE_FOOTER_MAGIC, 8);
	put32(out + 8, STATE_FORMAT_VERSION);
	put32(out + 12, STATE_FOOTER_SIZE);
	put64(out + 16, f->generation);
	put64(out + 24, f->payload_len);
	memcpy(out + 32, f->sha256, SHA256_DIGEST_LEN);
	put64(out + 64, (uint64_t)f->created);
	put32(out + 76, gpt_crc32(0, out, 76));
}

int state_footer_parse(const uint8_t *buf, size_t len, const char *name, struct state_footer *ret,
		       struct rh_err *err)
{
	const uint8_t *p;
	struct state_footer f;
	uint32_t v;

	if (len < STATE_FOOTER_SIZE)
		return rh_errf(err, -EINVAL, "%s: truncated: %zu bytes, shorter than the %u-byte footer", name, len,
			       STATE_FOOTER_SIZE);
	p = buf + len - STATE_FOOTER_SIZE;
	if (memcmp(p, STATE_FOOTER_MAGIC, 8))
		return rh_errf(err, -EINVAL, "%s: footer: no RHSTFOOT magic at the end (truncated or not a generation)",
			       name);
	if (gpt_crc32(0, p, 76) != get32(p + 76))
		return rh_errf(err, -EINVAL, "%s: footer: CRC32 mismatch", name);
	v = get32(p + 8);
	if (v != STATE_FORMAT_VERSION)
		return rh_errf(err, -EINVAL, "%s: footer: format version %u, this ramhost reads %u", name, v,
			       STATE_FORMAT_VERSION);
	v = get32(p + 12);
	if (v != STATE_FOOTER_SIZE)
		return rh_errf(err, -EINVAL, "%s: footer: size field %u, expected %u", name, v, STATE_FOOTER_SIZE);
	f.generation = get64(p + 16);
	f.payload_len = get64(p + 24);
	memcpy(f.sha256, p + 32, SHA256_DIGEST_LEN);
	f.created = (int64_t)get64(p + 64);
	if (f.generation == 0 || f.generation > STATE_GEN_MAX)
		return rh_errf(err, -EINVAL, "%s: footer: generation %" PRIu64 " out of range", name, f.generation);
	if (f.payload_len != len - STATE_FOOTER_SIZE)
		return rh_errf(err, -EINVAL, "%s: truncated: footer says %" PRIu64 " payload bytes, file has %zu", name,
			       f.payload_len, len - STATE_FOOTER_SIZE);
	*ret = f;
	return 0;
}

int state_footer_check(const uint8_t *buf, size_t len, const char *name, struct state_footer *ret,
		       struct rh_err *err)
{
	struct state_footer f;
	uint8_t d[SHA256_DIGEST_LEN];
	int rc = state_footer_parse(buf, len, name, &f, err);

	if (rc < 0)
		return rc;
	sha256_buf(buf, (size_t)f.payload_len, d);
	if (memcmp(d, f.sha256, sizeof(d)))
		return rh_errf(err, -EINVAL, "%s: SHA-256 mismatch: the content does not match its footer", name);
	*ret = f;
	return 0;
}

/* ---- paths ---- */

int state_path_valid(const char *s, size_t len)
{
	size_t i = 0;

	if (len < 2 || len >= STATE_PATH_MAX || s[0] != '/' || s[len - 1] == '/')
		return 0;
	while (i < len) {
		size_t start = ++i;   /* skip the '/' */

		while (i < len && s[i] != '/') {
			if (!s[i])
				return 0;
			i++;
		}
		if (i == start)
			return 0;
		if ((i - start == 1 && s[start] == '.') || (i - start == 2 && s[start] == '.' && s[start + 1] == '.'))
			return 0;
	}
	return 1;
}

static int needs_escape(unsigned char c)
{
	return c < 0x21 || c == 0x7f || c == '\\';
}

/* ---- manifest ---- */

void state_manifest_free(struct state_manifest *m)
{
	size_t i, j;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->e[i].path);
		for (j = 0; j < m->e[i].nxattrs; j++) {
			free(m->e[i].xattrs[j].name);
			free(m->e[i].xattrs[j].value);
		}
		free(m->e[i].xattrs);
	}
	free(m->e);
	memset(m, 0, sizeof(*m));
}

int state_manifest_add(struct state_manifest *m, const struct state_entry *e)
{
	struct state_entry c = *e;
	size_t j;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct state_entry *ne = realloc(m->e, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		m->e = ne;
		m->cap = cap;
	}
	c.path = strdup(e->path);
	c.xattrs = NULL;
	c.nxattrs = 0;
	if (!c.path)
		return -ENOMEM;
	if (e->nxattrs) {
		c.xattrs = calloc(e->nxattrs, sizeof(*c.xattrs));
		if (!c.xattrs)
			goto nomem;
		for (j = 0; j < e->nxattrs; j++) {
			c.nxattrs = j + 1;
			c.xattrs[j].name = strdup(e->xattrs[j].name);
			c.xattrs[j].value = malloc(e->xattrs[j].len ? e->xattrs[j].len : 1);
			c.xattrs[j].len = e->xattrs[j].len;
			if (!c.xattrs[j].name || !c.xattrs[j].value)
				goto nomem;
			memcpy(c.xattrs[j].value, e->xattrs[j].value, e->xattrs[j].len);
		}
	}
	m->e[m->n++] = c;
	return 0;
nomem:
	for (j = 0; j < c.nxattrs; j++) {
		free(c.xattrs[j].name);
		free(c.xattrs[j].value);
	}
	free(c.xattrs);
	free(c.path);
	return -ENOMEM;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct state_entry *)a)->path, ((const struct state_entry *)b)->path);
}

/* Checks that the sorted entries are unique and that none lies below a link or file entry. The entries that can
 * be parents of e come before it in sorted order, but not necessarily right before it ("/a", "/a-b", "/a/c"), so
 * each path's ancestors are looked up. */
static int check_sorted(const struct state_manifest *m, struct rh_err *err)
{
	char buf[STATE_PATH_MAX];
	size_t i;

	for (i = 0; i < m->n; i++) {
		const char *p = m->e[i].path;
		char *slash;

		if (i && strcmp(m->e[i - 1].path, p) >= 0)
			return rh_errf(err, -EINVAL, "MANIFEST: path '%s' is listed twice", p);
		if (m->e[i].type == STATE_DELETED)
			continue;   /* a deletion below anything is harmless: restoring never deletes through a link */
		snprintf(buf, sizeof(buf), "%s", p);
		while ((slash = strrchr(buf, '/')) && slash != buf) {
			const struct state_entry *up;

			*slash = '\0';
			up = state_manifest_find(m, buf);
			if (up && up->type != STATE_DELETED)
				return rh_errf(err, -EINVAL, "MANIFEST: '%s' lies below '%s', which is a %s in the same set",
					       p, buf, up->type == STATE_LINK ? "symlink" : "file");
		}
	}
	return 0;
}

int state_manifest_sort_check(struct state_manifest *m, struct rh_err *err)
{
	if (m->n > 1)
		qsort(m->e, m->n, sizeof(*m->e), cmp_entry);
	return check_sorted(m, err);
}

const struct state_entry *state_manifest_find(const struct state_manifest *m, const char *path)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->e[mid].path, path);

		if (!c)
			return &m->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int state_entry_same(const struct state_entry *a, const struct state_entry *b)
{
	if (a->type != b->type || strcmp(a->path, b->path))
		return 0;
	if (a->type == STATE_DELETED)
		return 1;
	return a->mode == b->mode && a->uid == b->uid && a->gid == b->gid && a->mtime == b->mtime &&
	       a->mtime_ns == b->mtime_ns && a->size == b->size && !memcmp(a->sha256, b->sha256, SHA256_DIGEST_LEN) &&
	       a->has_xattrs == b->has_xattrs &&
	       (!a->has_xattrs || !memcmp(a->xattr_sha256, b->xattr_sha256, SHA256_DIGEST_LEN));
}

void state_xattr_digest(const struct state_xattr *x, size_t n, uint8_t out[SHA256_DIGEST_LEN])
{
	const struct state_xattr *prev = NULL;
	struct sha256_ctx c;
	uint8_t len[8];
	size_t i, j;

	/* selection by name, without allocating: xattr lists are short, and names on one file are unique */
	sha256_init(&c);
	for (i = 0; i < n; i++) {
		const struct state_xattr *pick = NULL;

		for (j = 0; j < n; j++)
			if ((!prev || strcmp(x[j].name, prev->name) > 0) && (!pick || strcmp(x[j].name, pick->name) < 0))
				pick = &x[j];
		if (!pick)
			break;
		sha256_update(&c, pick->name, strlen(pick->name) + 1);
		put64(len, pick->len);
		sha256_update(&c, len, 8);
		sha256_update(&c, pick->value, pick->len);
		prev = pick;
	}
	sha256_final(&c, out);
}

/* A growing output buffer. */
struct outbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void out_add(struct outbuf *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *np;

		while (cap < o->len + n + 1)
			cap *= 2;
		np = realloc(o->p, cap);
		if (!np) {
			o->oom = 1;
			return;
		}
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_fmt(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_fmt(struct outbuf *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_add(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void out_path(struct outbuf *o, const char *p)
{
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (needs_escape(c))
			out_fmt(o, "\\%03o", c);
		else
			out_add(o, p, 1);
	}
}

int state_manifest_format(const struct state_manifest *m, char **ret_buf, size_t *ret_len)
{
	struct outbuf o = { NULL, 0, 0, 0 };
	char hex[SHA256_HEX_LEN + 1], xhex[SHA256_HEX_LEN + 1];
	size_t i;

	out_fmt(&o, "ramhost-state %u\ngeneration %" PRIu64 "\ncreated %" PRId64 "\nhostname ", STATE_FORMAT_VERSION,
		m->generation, m->created);
	out_path(&o, m->hostname[0] ? m->hostname : "-");
	out_add(&o, "\n", 1);
	for (i = 0; i < m->n; i++) {
		const struct state_entry *e = &m->e[i];

		if (e->type == STATE_DELETED) {
			out_add(&o, "d ", 2);
		} else {
			sha256_to_hex(e->sha256, hex);
			if (e->has_xattrs)
				sha256_to_hex(e->xattr_sha256, xhex);
			out_fmt(&o, "%c %04o %u %u %" PRId64 ".%09u %" PRIu64 " %s %s ", e->type, e->mode & 07777, e->uid,
				e->gid, e->mtime, e->mtime_ns, e->size, hex, e->has_xattrs ? xhex : "-");
		}
		out_path(&o, e->path);
		out_add(&o, "\n", 1);
	}
	out_fmt(&o, "end %zu\n", m->n);
	if (o.oom) {
		free(o.p);
		return -ENOMEM;
	}
	*ret_buf = o.p;
	*ret_len = o.len;
	return 0;
}

/* Decodes an escaped path s[0..len) into out (cap). Returns the decoded length or -1. */
static long unescape_path(const char *s, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\') {
			unsigned v = 0;

			if (i + 4 > len)
				return -1;
			for (int k = 1; k <= 3; k++) {
				if (s[i + k] < '0' || s[i + k] > '7')
					return -1;
				v = v * 8 + (unsigned)(s[i + k] - '0');
			}
			if (v == 0 || v > 255)
				return -1;
			c = (unsigned char)v;
			i += 4;
		} else {
			if (needs_escape(c))
				return -1;   /* must have been escaped */
			i++;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

/* Parses an unsigned decimal of at most max into *v. */
static int parse_uint(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!len || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > max)
		return -1;
	*v = x;
	return 0;
}

static int parse_octal(const char *s, size_t len, uint32_t *v)
{
	uint32_t x = 0;
	size_t i;

	if (len != 4)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		x = x * 8 + (uint32_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Splits the next space-separated field off [*p, end); returns its length (the field starts at *ret). */
static size_t field(const char **p, const char *end, const char **ret)
{
	const char *s = *p, *q = s;

	while (q < end && *q != ' ')
		q++;
	*ret = s;
	*p = q < end ? q + 1 : q;
	return (size_t)(q - s);
}

/* Parses one entry line [s, end) (without the newline) into e (path malloc'd). */
static int parse_entry(const char *s, const char *end, unsigned line, struct state_entry *e, struct rh_err *err)
{
	const char *f, *p = s;
	char *path = NULL;
	size_t n;
	uint64_t v;
	long plen;
	int rc;

	memset(e, 0, sizeof(*e));
	if (end - s < 2 || s[1] != ' ' || (s[0] != 'f' && s[0] != 'l' && s[0] != 'd'))
		return rh_errf(err, -EINVAL, "MANIFEST: line %u: not an entry (f, l or d)", line);
	e->type = s[0];
	p = s + 2;
	if (e->type != STATE_DELETED) {
		n = field(&p, end, &f);
		if (parse_octal(f, n, &e->mode) < 0)
			return rh_errf(err, -EINVAL, "MANIFEST: line %u: mode '%.*s' is not 4 octal digits", line,
				       (int)(n > 20 ? 20 : n), f);
		n = field(&p, end, &f);
		if (parse_uint(f, n, UINT32_MAX, &v) < 0)
			return rh_errf(err, -EINVAL, "MANIFEST: line %u: bad uid", line);
		e->uid = (uint32_t)v;
		n = field(&p, end, &f);
		if (parse_uint(f, n, UINT32_MAX, &v) < 0)
			return rh_errf(err, -EINVAL, "MANIFEST: line %u: bad gid", line);
		e->gid = (uint32_t)v;
		n = field(&p, end, &f);
		{
			const char *dot = memchr(f, '.', n);
			uint64_t ns;

			if (!dot || parse_uint(f, (size_t)(dot - f), INT64_MAX, &v) < 0 ||
			    (size_t)(f + n - dot - 1) != 9 || parse_uint(dot + 1, 9, 999999999, &ns) < 0)
				return rh_errf(err, -EINVAL, "MANIFEST: line %u: mtime is not SECONDS.NANOSECONDS", line);
			e->mtime = (int64_t)v;
			e->mtime_ns = (uint32_t)ns;
		}
		n = field(&p, end, &f);
		if (parse_uint(f, n, INT64_MAX, &e->size) < 0)
			return rh_errf(err, -EINVAL, "MANIFEST: line %u: bad size", line);
		if (e->type == STATE_LINK && (e->size == 0 || e->size >= STATE_PATH_MAX))
			return rh_errf(err, -EINVAL, "MANIFEST: line %u: symlink target length %" PRIu64 " out of range",
				       line, e->size);
		n = field(&p, end, &f);
		if (sha256_from_hex(f, n, e->sha256) < 0)
			return rh_errf(err, -EINVAL, "MANIFEST: line %u: bad sha256", line);
		n = field(&p, end, &f);
		if (n == 1 && f[0] == '-') {
			e->has_xattrs = 0;
		} else {
			if (sha256_from_hex(f, n, e->xattr_sha256) < 0)
				return rh_errf(err, -EINVAL, "MANIFEST: line %u: bad xattr sha256", line);
			e->has_xattrs = 1;
		}
	}
	path = malloc(STATE_PATH_MAX);
	if (!path)
		return rh_errf(err, -ENOMEM, "out of memory");
	plen = unescape_path(p, (size_t)(end - p), path, STATE_PATH_MAX);
	if (plen < 0 || !state_path_valid(path, (size_t)plen)) {
		free(path);
		return rh_errf(err, -EINVAL, "MANIFEST: line %u: path is not a clean absolute path", line);
	}
	if (sticky_path_never_saved(path, (size_t)plen)) {
		rc = rh_errf(err, -EINVAL, "MANIFEST: line %u: %.*s: below a directory that state save never writes "
			     "(/proc /sys /dev /run /tmp /usr /opt)", line, (int)plen, path);
		free(path);
		return rc;
	}
	e->path = path;
	return 0;
}

/* One of the four header lines (line 1..4: key f of n bytes, its value from q to nl) into m. */
static int parse_header_line(struct state_manifest *m, unsigned line, const char *f, size_t n, const char *q,
			     const char *nl, struct rh_err *err)
{
	static const char *const keys[] = { "ramhost-state", "generation", "created", "hostname" };
	uint64_t v;

	if (n != strlen(keys[line - 1]) || memcmp(f, keys[line - 1], n))
		return rh_errf(err, -EINVAL, "MANIFEST: line %u: expected '%s'", line, keys[line - 1]);
	if (line == 4) {
		long hl = unescape_path(q, (size_t)(nl - q), m->hostname, sizeof(m->hostname));

		if (hl <= 0)
			return rh_errf(err, -EINVAL, "MANIFEST: line 4: bad hostname");
		return 0;
	}
	if (parse_uint(q, (size_t)(nl - q), line == 3 ? INT64_MAX : STATE_GEN_MAX, &v) < 0 || (line == 2 && v == 0))
		return rh_errf(err, -EINVAL, "MANIFEST: line %u: bad %s value", line, keys[line - 1]);
	if (line == 1) {
		if (v != STATE_FORMAT_VERSION)
			return rh_errf(err, -EINVAL, "MANIFEST: version %" PRIu64 ", this ramhost reads %u", v,
				       STATE_FORMAT_VERSION);
		m->version = (unsigned)v;
	} else if (line == 2) {
		m->generation = v;
	} else {
		m->created = (int64_t)v;
	}
	return 0;
}

/* An entry line (p to nl) appended to m, which must stay sorted by path without repeats. */
static int parse_entry_line(struct state_manifest *m, const char *p, const char *nl, unsigned line,
			    struct rh_err *err)
{
	struct state_entry e;
	int rc;

	rc = parse_entry(p, nl, line, &e, err);
	if (rc < 0)
		return rc;
	if (m->n && strcmp(m->e[m->n - 1].path, e.path) >= 0) {
		rc = rh_errf(err, -EINVAL, "MANIFEST: line %u: '%s' is out of order or repeated", line, e.path);
		free(e.path);
		return rc;
	}
	rc = state_manifest_add(m, &e);
	free(e.path);
	if (rc < 0)
		return rh_errf(err, rc, "out of memory");
	return 0;
}

int state_manifest_parse(const char *buf, size_t len, struct state_manifest *ret, struct rh_err *err)
{
	struct state_manifest m;
	const char *p = buf, *end = buf + len;
	unsigned line = 0;
	int rc = 0, ended = 0;
	uint64_t v;

	memset(&m, 0, sizeof(m));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *f, *q;
		size_t n;

		line++;
		if (!nl) {
			rc = rh_errf(err, -EINVAL, "MANIFEST: line %u: no newline at the end (truncated)", line);
			goto fail;
		}
		if (memchr(p, '\0', (size_t)(nl - p))) {
			rc = rh_errf(err, -EINVAL, "MANIFEST: line %u: NUL byte", line);
			goto fail;
		}
		if (ended) {
			rc = rh_errf(err, -EINVAL, "MANIFEST: line %u: text after the end line", line);
			goto fail;
		}
		q = p;
		n = field(&q, nl, &f);
		if (line <= 4) {
			rc = parse_header_line(&m, line, f, n, q, nl, err);
		} else if (n == 3 && !memcmp(f, "end", 3)) {
			if (parse_uint(q, (size_t)(nl - q), SIZE_MAX, &v) < 0 || v != m.n)
				rc = rh_errf(err, -EINVAL, "MANIFEST: line %u: end count does not match the %zu entries",
					     line, m.n);
			ended = 1;
		} else {
			rc = parse_entry_line(&m, p, nl, line, err);
		}
		if (rc < 0)
			goto fail;
		p = nl + 1;
	}
	if (!ended) {
		rc = rh_errf(err, -EINVAL, "MANIFEST: no end line (truncated)");
		goto fail;
	}
	rc = check_sorted(&m, err);
	if (rc < 0)
		goto fail;
	*ret = m;
	return 0;
fail:
	state_manifest_free(&m);
	return rc;
}

/* ---- names and pruning ---- */

void state_gen_name(uint64_t gen, char *out, size_t cap)
{
	snprintf(out, cap, "state-%08" PRIu64 ".rhs", gen);
}

uint64_t state_gen_from_name(const char *name)
{
	uint64_t v = 0;
	int i;

	if (strncmp(name, "state-", 6) || strlen(name) != 18 || strcmp(name + 14, ".rhs"))
		return 0;
	for (i = 6; i < 14; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	return v;
}

int state_is_temp_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' && n > 5 && !strcmp(name + n - 4, ".tmp") && !strncmp(name, ".state-", 7);
}

size_t state_prune_plan(const uint64_t *gens, size_t n, uint64_t just_written, unsigned keep, int *ret_drop)
{
	size_t i, j, dropped = 0;

	if (!keep)
		keep = 1;
	for (i = 0; i < n; i++) {
		size_t newer = 0;

		/* a generation stays when fewer than keep generations are newer than it */
		for (j = 0; j < n; j++)
			if (gens[j] > gens[i])
				newer++;
		ret_drop[i] = newer >= keep && gens[i] != just_written;
		dropped += (size_t)ret_drop[i];
	}
	return dropped;
}

/* ---- state.env ---- */

int state_env_parse(const char *buf, size_t len, struct state_env *ret, struct rh_err *err)
{
	struct state_env e;
	const char *p = buf, *end = buf + len;
	unsigned line = 0;
	int seen = 0;

	memset(&e, 0, sizeof(e));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;
		size_t n;

		if (!nl)
			nl = end;
		line++;
		n = (size_t)(nl - p);
		if (n && p[0] != '#') {
			eq = memchr(p, '=', n);
			if (!eq || memchr(p, '\0', n))
				return rh_errf(err, -EINVAL, "state.env: line %u: not key=value", line);
			if (eq - p == 10 && !memcmp(p, "generation", 10)) {
				uint64_t v;
				size_t vl = (size_t)(nl - eq - 1);

				if (vl == 4 && !memcmp(eq + 1, "none", 4)) {
					e.has_generation = 0;
				} else if (parse_uint(eq + 1, vl, STATE_GEN_MAX, &v) == 0 && v) {
					e.has_generation = 1;
					e.generation = v;
				} else {
					return rh_errf(err, -EINVAL, "state.env: line %u: generation= is not a number or none",
						       line);
				}
				seen = 1;
			} else if ((eq - p == 5 && !memcmp(p, "store", 5)) || (eq - p == 6 && !memcmp(p, "device", 6))) {
				char *dst = p[0] == 's' ? e.store : e.device;
				size_t vl = (size_t)(nl - eq - 1);

				if (vl >= STATE_PATH_MAX)
					return rh_errf(err, -EINVAL, "state.env: line %u: value too long", line);
				memcpy(dst, eq + 1, vl);
				dst[vl] = '\0';
			} else if (eq - p == 6 && !memcmp(p, "source", 6)) {
				e.net = nl - eq - 1 == 3 && !memcmp(eq + 1, "net", 3);
			}
		}
		p = nl < end ? nl + 1 : end;
	}
	if (!seen)
		return rh_errf(err, -EINVAL, "state.env: no generation= line");
	*ret = e;
	return 0;
}

long state_env_format(const struct state_env *env, char *out, size_t cap)
{
	char g[24];
	int n;

	if (env->has_generation)
		snprintf(g, sizeof(g), "%" PRIu64, env->generation);
	else
		snprintf(g, sizeof(g), "none");
	n = snprintf(out, cap, "generation=%s\nstore=%s\ndevice=%s\n%s", g, env->store, env->device,
		     env->net ? "source=net\n" : "");
	if (n < 0 || (size_t)n >= cap)
		return -E2BIG;
	return n;
}
