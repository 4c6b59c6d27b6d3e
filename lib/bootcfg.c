/* bootcfg.c: boot.cfg parser and writer (see bootcfg.h). Freestanding: no libc. */
#include "bootcfg.h"

#define RH_EINVAL 22
#define RH_E2BIG 7

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static int str_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++)
		if (!b[i] || a[i] != b[i])
			return 0;
	return b[alen] == '\0';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Copies s[0..len) into dst (cap bytes with the NUL) and zeroes the rest, so that a value overwritten by a
 * shorter one leaves no stale bytes (two parses of equal text give byte-equal structs); -E2BIG when too long. */
static int copy_text(char *dst, size_t cap, const char *s, size_t len)
{
	size_t i;

	if (len >= cap)
		return -RH_E2BIG;
	for (i = 0; i < len; i++)
		dst[i] = s[i];
	for (; i < cap; i++)
		dst[i] = '\0';
	return 0;
}

static int parse_u64(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 19)
		return -RH_EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -RH_EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

static void zero(void *p, size_t n)
{
	volatile unsigned char *c = p;

	while (n--)
		*c++ = 0;
}

void bootcfg_init(struct bootcfg *cfg)
{
	zero(cfg, sizeof(*cfg));
	cfg->timeout = -1;
	cfg->bootstate = -1;
}

/* A valid file name: non-empty, no whitespace or control characters (the loader passes them to firmware). */
static int valid_name(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* modules=a --- b --- c: names separated by whitespace-surrounded "---". */
static int parse_modules(struct bootcfg *cfg, const char *v, size_t len, const char **what)
{
	size_t i = 0;
	unsigned m;

	/* a repeated modules= replaces the list whole: clear every slot, not just the count */
	zero(cfg->modules, sizeof(cfg->modules));
	cfg->nmodules = 0;
	while (i < len) {
		size_t start, end;

		while (i < len && is_space(v[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_space(v[i]))
			i++;
		end = i;
		if (end - start == 3 && v[start] == '-' && v[start + 1] == '-' && v[start + 2] == '-') {
			if (cfg->nmodules == 0) {
				*what = "modules= starts with '---'";
				return -RH_EINVAL;
			}
			/* the separator must be followed by a name */
			while (i < len && is_space(v[i]))
				i++;
			if (i == len || (len - i >= 3 && v[i] == '-' && v[i + 1] == '-' && v[i + 2] == '-' &&
					 (len - i == 3 || is_space(v[i + 3])))) {
				*what = "modules= has an empty entry between '---' separators";
				return -RH_EINVAL;
			}
			continue;
		}
		if (cfg->nmodules > 0) {
			/* two names without a separator: the previous token was not '---' */
			size_t j = start;
			while (j > 0 && is_space(v[j - 1]))
				j--;
			if (!(j >= 3 && v[j - 1] == '-' && v[j - 2] == '-' && v[j - 3] == '-')) {
				*what = "modules= entries must be separated by ' --- '";
				return -RH_EINVAL;
			}
		}
		if (cfg->nmodules == BOOTCFG_MAX_MODULES) {
			*what = "modules= lists more than 64 modules";
			return -RH_E2BIG;
		}
		if (copy_text(cfg->modules[cfg->nmodules].name, BOOTCFG_MAX_NAME, v + start, end - start) < 0) {
			*what = "module name longer than 127 bytes";
			return -RH_E2BIG;
		}
		for (m = 0; m < cfg->nmodules; m++)
			if (str_eq(v + start, end - start, cfg->modules[m].name)) {
				*what = "modules= lists the same file twice";
				return -RH_EINVAL;
			}
		cfg->nmodules++;
	}
	return 0;
}

/* Hashes are collected first and matched to names at the end, since hash.X may come before modules=. */
struct pending_hash {
	char name[BOOTCFG_MAX_NAME];
	uint8_t sha256[SHA256_DIGEST_LEN];
	unsigned line;
};

static int apply_line(struct bootcfg *cfg, const char *k, size_t klen, const char *v, size_t vlen,
		      struct pending_hash *hashes, unsigned *nhashes, unsigned line, const char **what)
{
	uint64_t n;

	if (str_eq(k, klen, "kernel")) {
		if (!valid_name(v, vlen)) {
			*what = "kernel= is empty or has spaces";
			return -RH_EINVAL;
		}
		if (copy_text(cfg->kernel.name, BOOTCFG_MAX_NAME, v, vlen) < 0) {
			*what = "kernel name longer than 127 bytes";
			return -RH_E2BIG;
		}
		return 0;
	}
	if (str_eq(k, klen, "kernelopt"))
		return copy_text(cfg->kernelopt, BOOTCFG_MAX_TEXT, v, vlen) < 0 ?
			       (*what = "kernelopt= longer than 1023 bytes", -RH_E2BIG) : 0;
	if (str_eq(k, klen, "installopt"))
		return copy_text(cfg->installopt, BOOTCFG_MAX_TEXT, v, vlen) < 0 ?
			       (*what = "installopt= longer than 1023 bytes", -RH_E2BIG) : 0;
	if (str_eq(k, klen, "title"))
		return copy_text(cfg->title, BOOTCFG_MAX_TEXT, v, vlen) < 0 ?
			       (*what = "title= longer than 1023 bytes", -RH_E2BIG) : 0;
	if (str_eq(k, klen, "prefix"))
		return copy_text(cfg->prefix, BOOTCFG_MAX_TEXT, v, vlen) < 0 ?
			       (*what = "prefix= longer than 1023 bytes", -RH_E2BIG) : 0;
	if (str_eq(k, klen, "build"))
		return copy_text(cfg->build, BOOTCFG_MAX_TEXT, v, vlen) < 0 ?
			       (*what = "build= longer than 1023 bytes", -RH_E2BIG) : 0;
	if (str_eq(k, klen, "modules"))
		return parse_modules(cfg, v, vlen, what);
	if (str_eq(k, klen, "timeout")) {
		if (parse_u64(v, vlen, &n) < 0 || n > 86400) {
			*what = "timeout= is not a number of seconds (0-86400)";
			return -RH_EINVAL;
		}
		cfg->timeout = (long)n;
		return 0;
	}
	if (str_eq(k, klen, "updated")) {
		if (parse_u64(v, vlen, &n) < 0) {
			*what = "updated= is not a non-negative number";
			return -RH_EINVAL;
		}
		cfg->updated = n;
		return 0;
	}
	if (str_eq(k, klen, "bootstate")) {
		if (parse_u64(v, vlen, &n) < 0 || n > BOOTSTATE_INVALID) {
			*what = "bootstate= is not 0 (valid), 1 (upgrading), 2 (dirty) or 3 (invalid)";
			return -RH_EINVAL;
		}
		cfg->bootstate = (int)n;
		return 0;
	}
	if (klen > 5 && k[0] == 'h' && k[1] == 'a' && k[2] == 's' && k[3] == 'h' && k[4] == '.') {
		struct pending_hash *h;

		if (*nhashes == BOOTCFG_MAX_MODULES + 1) {
			*what = "more hash. lines than the kernel and 64 modules";
			return -RH_E2BIG;
		}
		h = &hashes[(*nhashes)++];
		if (copy_text(h->name, BOOTCFG_MAX_NAME, k + 5, klen - 5) < 0) {
			*what = "hash. name longer than 127 bytes";
			return -RH_E2BIG;
		}
		if (vlen < 7 || !str_eq(v, 7, "sha256:") || sha256_from_hex(v + 7, vlen - 7, h->sha256) < 0) {
			*what = "hash. value is not sha256: followed by 64 hex digits";
			return -RH_EINVAL;
		}
		h->line = line;
		return 0;
	}
	return 0; /* unknown keys are ignored, as ESXi's loader does */
}

static void copy_digest(uint8_t *dst, const uint8_t *src)
{
	unsigned i;

	for (i = 0; i < SHA256_DIGEST_LEN; i++)
		dst[i] = src[i];
}

static int attach_hashes(struct bootcfg *cfg, const struct pending_hash *hashes, unsigned nhashes,
			 struct bootcfg_error *err)
{
	unsigned i, m;

	for (i = 0; i < nhashes; i++) {
		struct bootcfg_file *f = 0;
		size_t nlen = str_len(hashes[i].name);

		if (cfg->kernel.name[0] && str_eq(hashes[i].name, nlen, cfg->kernel.name))
			f = &cfg->kernel;
		for (m = 0; !f && m < cfg->nmodules; m++)
			if (str_eq(hashes[i].name, nlen, cfg->modules[m].name))
				f = &cfg->modules[m];
		if (!f) {
			if (err) {
				err->line = hashes[i].line;
				err->what = "hash. line names a file that is neither kernel= nor in modules=";
			}
			return -RH_EINVAL;
		}
		f->has_sha256 = 1;
		copy_digest(f->sha256, hashes[i].sha256);
	}
	return 0;
}

int bootcfg_parse(const char *buf, size_t len, struct bootcfg *ret, struct bootcfg_error *err)
{
	/* static: 64 KiB of state is too much for an EFI or init stack; the parser is not reentrant */
	static struct bootcfg cfg;
	static struct pending_hash hashes[BOOTCFG_MAX_MODULES + 1];
	unsigned nhashes = 0, line = 0;
	const char *what = 0;
	size_t pos = 0;
	int rc;

	bootcfg_init(&cfg);
	while (pos < len) {
		size_t start = pos, end, k0, k1, v0, v1, eq;

		line++;
		while (pos < len && buf[pos] != '\n')
			pos++;
		end = pos;
		if (pos < len)
			pos++; /* the newline */
		if (end - start > BOOTCFG_MAX_LINE) {
			what = "line longer than 4096 bytes";
			rc = -RH_E2BIG;
			goto fail;
		}
		k0 = start;
		while (k0 < end && is_space(buf[k0]))
			k0++;
		if (k0 == end || buf[k0] == '#')
			continue;
		for (eq = k0; eq < end && buf[eq] != '='; eq++)
			if (buf[eq] == '\0') {
				what = "NUL byte in the file";
				rc = -RH_EINVAL;
				goto fail;
			}
		if (eq == end) {
			what = "line is not key=value";
			rc = -RH_EINVAL;
			goto fail;
		}
		k1 = eq;
		while (k1 > k0 && is_space(buf[k1 - 1]))
			k1--;
		if (k1 == k0) {
			what = "empty key before '='";
			rc = -RH_EINVAL;
			goto fail;
		}
		v0 = eq + 1;
		v1 = end;
		while (v0 < v1 && is_space(buf[v0]))
			v0++;
		while (v1 > v0 && is_space(buf[v1 - 1]))
			v1--;
		for (eq = v0; eq < v1; eq++)
			if (buf[eq] == '\0') {
				what = "NUL byte in the file";
				rc = -RH_EINVAL;
				goto fail;
			}
		rc = apply_line(&cfg, buf + k0, k1 - k0, buf + v0, v1 - v0, hashes, &nhashes, line, &what);
		if (rc < 0)
			goto fail;
	}
	rc = attach_hashes(&cfg, hashes, nhashes, err);
	if (rc < 0)
		return rc;
	*ret = cfg;
	return 0;
fail:
	if (err) {
		err->line = line;
		err->what = what ? what : "invalid value";
	}
	return rc;
}

/* Appends s to buf at *pos; -E2BIG when the text and a final NUL would not fit. */
/* The formatter's output: appends do nothing once one has failed (the buffer was too small), so
 * bootcfg_format checks once, at the end. */
struct cfg_writer {
	char *buf;
	size_t cap;
	size_t pos;
	int rc;
};

static void put(struct cfg_writer *w, const char *s)
{
	size_t n = str_len(s);

	if (w->rc)
		return;
	if (w->pos + n + 1 > w->cap) {
		w->rc = -RH_E2BIG;
		return;
	}
	for (size_t i = 0; i < n; i++)
		w->buf[w->pos + i] = s[i];
	w->pos += n;
	w->buf[w->pos] = '\0';
}

/* One "KEYVALUE\n" line; key carries its '='. */
static void put_line(struct cfg_writer *w, const char *key, const char *value)
{
	put(w, key);
	put(w, value);
	put(w, "\n");
}

static void u64_to_str(uint64_t v, char out[24])
{
	char tmp[24];
	int n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

static void put_num_line(struct cfg_writer *w, const char *key, uint64_t v)
{
	char num[24];

	u64_to_str(v, num);
	put_line(w, key, num);
}

static void put_hash(struct cfg_writer *w, const struct bootcfg_file *f)
{
	char hex[SHA256_HEX_LEN + 1];

	if (!f->has_sha256)
		return;
	sha256_to_hex(f->sha256, hex);
	put(w, "hash.");
	put(w, f->name);
	put_line(w, "=sha256:", hex);
}

long bootcfg_format(const struct bootcfg *cfg, char *buf, size_t cap)
{
	struct cfg_writer w = { .buf = buf, .cap = cap };
	unsigned i;

	if (!cap)
		return -RH_E2BIG;
	buf[0] = '\0';
	if (cfg->bootstate >= 0)
		put_num_line(&w, "bootstate=", (uint64_t)cfg->bootstate);
	if (cfg->title[0])
		put_line(&w, "title=", cfg->title);
	if (cfg->timeout >= 0)
		put_num_line(&w, "timeout=", (uint64_t)cfg->timeout);
	put_line(&w, "prefix=", cfg->prefix);
	if (cfg->kernel.name[0]) /* an empty kernel= is not valid input, so it is not written either */
		put_line(&w, "kernel=", cfg->kernel.name);
	put_line(&w, "kernelopt=", cfg->kernelopt);
	if (cfg->installopt[0]) /* only an installable ISO's boot.cfg has it */
		put_line(&w, "installopt=", cfg->installopt);
	put(&w, "modules=");
	for (i = 0; i < cfg->nmodules; i++) {
		if (i)
			put(&w, " --- ");
		put(&w, cfg->modules[i].name);
	}
	put(&w, "\n");
	if (cfg->build[0])
		put_line(&w, "build=", cfg->build);
	put_num_line(&w, "updated=", cfg->updated);
	put_hash(&w, &cfg->kernel);
	for (i = 0; i < cfg->nmodules; i++)
		put_hash(&w, &cfg->modules[i]);
	if (w.rc < 0)
		return w.rc;
	return (long)w.pos;
}

const struct bootcfg_file *bootcfg_find_module(const struct bootcfg *cfg, const char *name)
{
	size_t nlen = str_len(name);
	unsigned i;
	int has_slash = 0;

	for (i = 0; i < nlen; i++)
		if (name[i] == '/')
			has_slash = 1;
	for (i = 0; i < cfg->nmodules; i++) {
		const char *m = cfg->modules[i].name, *base = m;
		const char *p;

		if (!has_slash)
			for (p = m; *p; p++)
				if (*p == '/')
					base = p + 1;
		if (str_eq(name, nlen, base))
			return &cfg->modules[i];
	}
	return 0;
}
