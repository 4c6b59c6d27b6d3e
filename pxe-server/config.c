/* config.c: the configuration file of `ramhost pxe serve` (docs/pxe-rules.md), parsed into one immutable
 * snapshot. Line oriented: `key = value` settings, `reserve`, `image` and `rule` lines at column 0, a rule's
 * `match`/`image`/`kernelopt`/`hostname`/`state`/`loader` lines indented below it. Every error is
 * "FILE:LINE: what"; nothing of a bad file is kept. The settings themselves are read by config_settings.c. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "mac.h"
#include "pxe_int.h"
#include "pxe_parse.h"

void pxe_parse_err(struct pxe_parser *p, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rh_errf(p->err, -EINVAL, "%s:%u: %s", p->path, p->line, msg);
}

int pxe_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Grows *arr (elements of size sz, *cap of them) to hold n + 1. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	void *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	q = realloc(*arr, c * sz);
	if (!q)
		return -ENOMEM;
	memset((char *)q + *cap * sz, 0, (c - *cap) * sz);
	*arr = q;
	*cap = c;
	return 0;
}

/* Rule names are unique: an open-addressed set of rule numbers + 1, grown at half full. */
static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int names_add(struct pxe_parser *p, size_t rule)
{
	const struct pxe_rule *rules = p->cfg->rules;
	size_t i;

	if (2 * (rule + 1) >= p->nset) {
		size_t n = p->nset ? p->nset * 2 : 64, k;
		uint32_t *q = calloc(n, sizeof(*q));

		if (!q)
			return -ENOMEM;
		free(p->set);
		p->set = q;
		p->nset = n;
		for (k = 0; k < rule; k++) {
			for (i = name_hash(rules[k].name) & (n - 1); q[i]; i = (i + 1) & (n - 1))
				;
			q[i] = (uint32_t)k + 1;
		}
	}
	for (i = name_hash(rules[rule].name) & (p->nset - 1); p->set[i]; i = (i + 1) & (p->nset - 1))
		if (!strcmp(rules[p->set[i] - 1].name, rules[rule].name)) {
			pxe_parse_err(p, "rule %s is defined twice (first on line %u)", rules[rule].name,
				      rules[p->set[i] - 1].line);
			return -EINVAL;
		}
	p->set[i] = (uint32_t)rule + 1;
	return 0;
}

/* ---- column 0: reserve, image, rule ---- */

static int reserve_opt(struct pxe_parser *p, struct pxe_reservation *r, const char *w)
{
	if (!strncmp(w, "hostname=", 9)) {
		if (!pxe_hostname_ok(w + 9) || strlen(w + 9) >= sizeof(r->hostname)) {
			pxe_parse_err(p, "reserve: hostname '%s' is not a host name (RFC 1123, at most 63)", w + 9);
			return -EINVAL;
		}
		pxe_copy(r->hostname, sizeof(r->hostname), w + 9);
		return 0;
	}
	if (!strncmp(w, "tags=", 5)) {
		size_t n = strlen(w + 5);

		if (!n || n >= sizeof(r->tags) || strspn(w + 5, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
							     "0123456789._-,") != n) {
			pxe_parse_err(p, "reserve: tags '%s': want names of letters, digits, '.', '_', '-' "
					 "separated by ',' (at most 255 characters)", w + 5);
			return -EINVAL;
		}
		memcpy(r->tags, w + 5, n + 1);
		return 0;
	}
	pxe_parse_err(p, "reserve: unknown option '%s' (hostname=NAME, tags=A,B)", w);
	return -EINVAL;
}

static int do_reserve(struct pxe_parser *p, char **w, size_t nw)
{
	struct pxe_settings *s = &p->cfg->set;
	struct pxe_reservation *r;
	size_t i;

	if (nw < 3) {
		pxe_parse_err(p, "reserve needs a MAC and an address: reserve MAC IP [hostname=H] [tags=A,B]");
		return -EINVAL;
	}
	if (s->nreservations >= PXE_MAX_RESERVATIONS) {
		pxe_parse_err(p, "more than %d reservations", PXE_MAX_RESERVATIONS);
		return -EINVAL;
	}
	if (grow((void **)&s->reservations, &p->rescap, s->nreservations, sizeof(*r)) < 0 ||
	    grow((void **)&p->res_line, &p->rlinecap, s->nreservations, sizeof(*p->res_line)) < 0)
		return -ENOMEM;
	p->res_line[s->nreservations] = p->line;
	r = &s->reservations[s->nreservations];
	memset(r, 0, sizeof(*r));
	if (mac_parse(w[1], r->mac) < 0) {
		pxe_parse_err(p, "reserve: '%s' is not a MAC address", w[1]);
		return -EINVAL;
	}
	if (pxe_parse_ip(p, "reserve", w[2], &r->ip) < 0)
		return -EINVAL;
	for (i = 3; i < nw; i++)
		if (reserve_opt(p, r, w[i]) < 0)
			return -EINVAL;
	s->nreservations++;
	return 0;
}

/* An `image NAME DIR` or `rule NAME` line: want words, the second a name. */
static int section_line(struct pxe_parser *p, char **w, size_t nw, size_t want, const char *form)
{
	if (nw != want) {
		pxe_parse_err(p, "want: %s", form);
		return -EINVAL;
	}
	if (!pxe_name_ok(w[1])) {
		pxe_parse_err(p, "%s name '%s': want 1-63 letters, digits, '.', '_', '-'", w[0], w[1]);
		return -EINVAL;
	}
	return 0;
}

static int do_image(struct pxe_parser *p, char **w, size_t nw)
{
	struct pxe_config *cfg = p->cfg;
	struct pxe_image *im;
	char dir[PATH_MAX];
	size_t i;
	int rc;

	if (section_line(p, w, nw, 3, "image NAME DIR") < 0)
		return -EINVAL;
	for (i = 0; i < cfg->nimages; i++)
		if (!strcmp(cfg->images[i].name, w[1])) {
			pxe_parse_err(p, "image %s is defined twice", w[1]);
			return -EINVAL;
		}
	if (pxe_parse_path(p, "image", w[2], dir, sizeof(dir)) < 0)
		return -EINVAL;
	if (grow((void **)&cfg->images, &p->imgcap, cfg->nimages, sizeof(*im)) < 0)
		return -ENOMEM;
	im = &cfg->images[cfg->nimages];
	memset(im, 0, sizeof(*im));
	if (!(p->flags & PXE_PARSE_NO_IO)) {
		rc = pxe_image_load(dir, im, p->err);
		if (rc < 0)
			return rh_err_prefix(p->err, rc, "%s:%u: image %s", p->path, p->line, w[1]);
	}
	pxe_copy(im->name, sizeof(im->name), w[1]);
	pxe_copy(im->dir, sizeof(im->dir), dir);
	cfg->nimages++;
	return 0;
}

static int do_rule(struct pxe_parser *p, char **w, size_t nw)
{
	struct pxe_config *cfg = p->cfg;
	struct pxe_rule *r;

	if (section_line(p, w, nw, 2, "rule NAME") < 0)
		return -EINVAL;
	if (grow((void **)&cfg->rules, &p->rulecap, cfg->nrules, sizeof(*r)) < 0 ||
	    grow((void **)&p->rule_img, &p->rimgcap, cfg->nrules, sizeof(*p->rule_img)) < 0)
		return -ENOMEM;
	r = &cfg->rules[cfg->nrules];
	memset(r, 0, sizeof(*r));
	pxe_copy(r->name, sizeof(r->name), w[1]);
	r->line = p->line;
	r->state = PXE_STATE_KEEP;
	r->loader = PXE_LOADER_DEFAULT;
	p->rule_img[cfg->nrules] = 0;
	if (names_add(p, cfg->nrules) < 0)
		return -EINVAL;
	cfg->nrules++;
	p->in_rule = 1;
	p->rule_seen = 0;
	return 0;
}

/* Splits s in place at blanks into w (at most cap words). Returns the count. */
size_t pxe_split(char *s, char **w, size_t cap)
{
	size_t n = 0;

	while (*s && n < cap) {
		s += strspn(s, " \t");
		if (!*s)
			break;
		w[n++] = s;
		s += strcspn(s, " \t");
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static int top_line(struct pxe_parser *p, char *s)
{
	char *w[16] = { NULL };
	size_t nw;
	char *eq = strchr(s, '=');
	size_t k = strcspn(s, " \t=");

	if (eq && s[k + strspn(s + k, " \t")] == '=')
		return pxe_setting(p, s, eq);
	nw = pxe_split(s, w, sizeof(w) / sizeof(w[0]));
	if (!strcmp(w[0], "reserve"))
		return do_reserve(p, w, nw);
	if (!strcmp(w[0], "image"))
		return do_image(p, w, nw);
	if (!strcmp(w[0], "rule"))
		return do_rule(p, w, nw);
	pxe_parse_err(p, "unknown line '%s' (want KEY = VALUE, reserve, image or rule)", w[0]);
	return -EINVAL;
}

/* ---- indented: the lines of a rule ---- */

enum { SEEN_IMAGE = 1, SEEN_KOPT = 2, SEEN_HOST = 4, SEEN_STATE = 8, SEEN_LOADER = 16 };

static int rule_match(struct pxe_parser *p, struct pxe_rule *r, char *rest)
{
	struct pxe_matcher *m;
	char why[512], *field = rest;
	size_t n = strcspn(rest, " \t");
	int rc;

	if (rest[n])
		rest[n++] = '\0';
	rest += n + strspn(rest + n, " \t");
	if (r->nmatchers >= 32) {
		pxe_parse_err(p, "rule %s: more than 32 match lines", r->name);
		return -EINVAL;
	}
	if (!r->matchers) {
		r->matchers = calloc(32, sizeof(struct pxe_matcher));
		if (!r->matchers)
			return -ENOMEM;
	}
	m = (struct pxe_matcher *)r->matchers + r->nmatchers;
	rc = pxe_matcher_parse(field, rest, m, why, sizeof(why));
	if (rc == -EINVAL)
		pxe_parse_err(p, "%s", why);
	if (!rc)
		r->nmatchers++;
	return rc;
}

static int rule_image(struct pxe_parser *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->cfg->nimages; i++)
		if (!strcmp(p->cfg->images[i].name, name)) {
			p->rule_img[p->cfg->nrules - 1] = i + 1;
			return 0;
		}
	pxe_parse_err(p, "image '%s' is not defined above (image NAME DIR)", name);
	return -EINVAL;
}

/* kernelopt words end up in an iPXE script and a boot.cfg line: one line, no iPXE ${...} expansion. */
static int rule_kopt(struct pxe_parser *p, struct pxe_rule *r, const char *v)
{
	const char *c;

	if (strlen(v) >= sizeof(r->kernelopt)) {
		pxe_parse_err(p, "kernelopt longer than %zu characters", sizeof(r->kernelopt) - 1);
		return -EINVAL;
	}
	for (c = v; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '$') {
			pxe_parse_err(p, "kernelopt has a %s", *c == '$' ? "'$' (iPXE would expand it)" :
				      "control character");
			return -EINVAL;
		}
	pxe_copy(r->kernelopt, sizeof(r->kernelopt), v);
	return 0;
}

static int rule_hostname(struct pxe_parser *p, struct pxe_rule *r, const char *v)
{
	size_t n = strlen(v);

	if (!n || n >= sizeof(r->hostname) ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-{}") != n) {
		pxe_parse_err(p, "hostname '%s': want a name or template of letters, digits, '.', '-' and {mac} "
				 "{mac-} {ip} {serial} {uuid} (at most 63)", v);
		return -EINVAL;
	}
	memcpy(r->hostname, v, n + 1);
	return 0;
}

static int rule_enum(struct pxe_parser *p, struct pxe_rule *r, int state, const char *v)
{
	if (state && (!strcmp(v, "keep") || !strcmp(v, "none"))) {
		r->state = strcmp(v, "keep") ? PXE_STATE_NONE : PXE_STATE_KEEP;
		return 0;
	}
	if (!state && (!strcmp(v, "ramhost.efi") || !strcmp(v, "ipxe.efi"))) {
		r->loader = strcmp(v, "ipxe.efi") ? PXE_LOADER_RAMHOST_EFI : PXE_LOADER_IPXE_EFI;
		return 0;
	}
	pxe_parse_err(p, state ? "state '%s': want keep or none" : "loader '%s': want ramhost.efi or ipxe.efi", v);
	return -EINVAL;
}

static int rule_line(struct pxe_parser *p, char *s)
{
	static const char *const keys[] = { "image", "kernelopt", "hostname", "state", "loader" };
	struct pxe_rule *r = &p->cfg->rules[p->cfg->nrules - 1];
	size_t n = strcspn(s, " \t"), k;
	char *v = s + n + strspn(s + n, " \t");

	if (s[n])
		s[n] = '\0';
	if (!strcmp(s, "match"))
		return rule_match(p, r, v);
	for (k = 0; k < 5 && strcmp(s, keys[k]); k++)
		;
	if (k == 5) {
		pxe_parse_err(p, "rule %s: unknown line '%s' (match image kernelopt hostname state loader)", r->name, s);
		return -EINVAL;
	}
	if (p->rule_seen & (1u << k)) {
		pxe_parse_err(p, "rule %s: %s given twice", r->name, s);
		return -EINVAL;
	}
	p->rule_seen |= 1u << k;
	if (!*v && k != 1) {
		pxe_parse_err(p, "rule %s: %s needs a value", r->name, s);
		return -EINVAL;
	}
	if (k == 0)
		return rule_image(p, v);
	if (k == 1)
		return rule_kopt(p, r, v);
	if (k == 2)
		return rule_hostname(p, r, v);
	return rule_enum(p, r, k == 3, v);
}

/* The rule being read ends: it must have picked an image. */
static int rule_end(struct pxe_parser *p)
{
	const struct pxe_rule *r;

	if (!p->in_rule)
		return 0;
	p->in_rule = 0;
	r = &p->cfg->rules[p->cfg->nrules - 1];
	if (!p->rule_img[p->cfg->nrules - 1]) {
		rh_errf(p->err, -EINVAL, "%s:%u: rule %s has no image line", p->path, r->line, r->name);
		return -EINVAL;
	}
	return 0;
}

/* ---- lines ---- */

/* Cuts a comment ('#' at the start or after a blank) and trailing blanks. */
static void strip(char *s)
{
	char *c, *e;

	for (c = s; *c; c++)
		if (*c == '#' && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
}

static int one_line(struct pxe_parser *p, char *s)
{
	int indented = *s == ' ' || *s == '\t';
	int rc;

	strip(s);
	s += strspn(s, " \t");
	if (!*s)
		return 0;
	if (indented) {
		if (p->in_rule)
			return rule_line(p, s);
		pxe_parse_err(p, "indented line outside a rule (a rule's lines follow its `rule NAME` line)");
		return -EINVAL;
	}
	rc = rule_end(p);
	return rc ? rc : top_line(p, s);
}

static int parse_lines(struct pxe_parser *p, const char *buf, size_t len)
{
	char line[8192];
	size_t off = 0;
	int rc = 0;

	while (off < len && !rc) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - buf - off) : len - off;

		p->line++;
		if (n >= sizeof(line) || memchr(buf + off, '\0', n)) {
			pxe_parse_err(p, n >= sizeof(line) ? "line longer than %zu bytes" : "NUL byte in the line",
				      sizeof(line) - 1);
			return -EINVAL;
		}
		memcpy(line, buf + off, n);
		line[n] = '\0';
		rc = one_line(p, line);
		off += n + 1;
	}
	return rc ? rc : rule_end(p);
}

/* The parsed file becomes a snapshot: image pointers, defaults that follow, the index, keys, image checks. */
static int finish(struct pxe_parser *p)
{
	struct pxe_config *cfg = p->cfg;
	size_t i;
	int rc;

	for (i = 0; i < cfg->nrules; i++)
		cfg->rules[i].image = &cfg->images[p->rule_img[i] - 1];
	rc = pxe_settings_finish(p);
	if (!rc)
		rc = pxe_reservations_check(p);
	if (!rc)
		rc = pxe_index_build(cfg);
	if (!rc && !(p->flags & PXE_PARSE_NO_IO))
		rc = pxe_config_load_keys(cfg, p->err);
	if (!rc && !(p->flags & PXE_PARSE_NO_IO))
		rc = pxe_config_check_images(cfg, p->err);
	return rc;
}

int pxe_config_parse_flags(const char *path, const char *buf, size_t len, unsigned flags, struct pxe_config **ret,
			   struct rh_err *err)
{
	struct pxe_parser p;
	char *slash;
	int rc;

	memset(&p, 0, sizeof(p));
	p.path = path;
	p.flags = flags;
	p.err = err;
	pxe_copy(p.dir, sizeof(p.dir), path);
	slash = strrchr(p.dir, '/');
	if (slash)
		slash[slash == p.dir] = '\0';
	else
		snprintf(p.dir, sizeof(p.dir), ".");
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (!p.cfg)
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	p.cfg->refs = 1;
	pxe_copy(p.cfg->path, sizeof(p.cfg->path), path);
	pxe_settings_default(&p.cfg->set);
	rc = parse_lines(&p, buf, len);
	if (!rc)
		rc = finish(&p);
	if (rc == -ENOMEM)
		rh_errf(err, rc, "%s: out of memory", path);
	free(p.rule_img);
	free(p.res_line);
	free(p.set);
	if (rc) {
		pxe_config_free(p.cfg);
		return rc;
	}
	*ret = p.cfg;
	return 0;
}

int pxe_config_parse(const char *path, const char *buf, size_t len, struct pxe_config **ret, struct rh_err *err)
{
	return pxe_config_parse_flags(path, buf, len, 0, ret, err);
}

int pxe_config_load(const char *path, struct pxe_config **ret, struct rh_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	rc = rh_read_file(path, PXE_CONFIG_MAX, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = pxe_config_parse(path, buf, len, ret, err);
	free(buf);
	return rc;
}

void pxe_config_free(struct pxe_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nrules; i++) {
		pxe_matchers_free(cfg->rules[i].matchers, cfg->rules[i].nmatchers);
		free(cfg->rules[i].matchers);
	}
	pxe_index_free(cfg);
	pxe_config_free_keys(cfg);
	free(cfg->rules);
	free(cfg->images);
	free(cfg->set.reservations);
	free(cfg);
}
