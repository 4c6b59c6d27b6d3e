/* rules.c: the host rules of `ramhost pxe serve` (docs/pxe-rules.md): the values of `match` lines, their
 * evaluation against what is known about a host (pxe_choose), and the exact-MAC index that keeps 10,000 host
 * rules as fast as one: a host is checked only against the rules naming its own MAC and the rules that name no
 * exact MAC, in file order. Pure: no I/O. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "mac.h"
#include "pxe_int.h"

/* ---- values ---- */

static const struct {
	const char *name;
	int type;
} arch_names[] = {
	{ "bios", 0 }, { "efi-ia32", 6 }, { "efi-x64", -2 }, { "efi-arm32", 10 }, { "efi-arm64", 11 },
	{ "efi-http", -3 },
};

int pxe_arch_parse(const char *s)
{
	char *end;
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++)
		if (!strcasecmp(s, arch_names[i].name))
			return arch_names[i].type;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -1;
	return (int)v;
}

/* "52:54:00:*" (a prefix of whole bytes), "*" (any), or an exact MAC in any form mac_parse reads. */
static int parse_mac_value(const char *s, struct pxe_mval *v)
{
	size_t len = strlen(s), i;

	if (len < 1 || s[len - 1] != '*')
		return mac_parse(s, v->mac) < 0 ? -EINVAL : (v->mac_len = 6, 0);
	v->mac_len = 0;
	for (i = 0; i + 1 < len; i += 3) {
		int hi = hex_value(s[i]), lo = i + 1 < len ? hex_value(s[i + 1]) : -1;

		if (hi < 0 || lo < 0 || v->mac_len >= 5 || i + 2 >= len || (s[i + 2] != ':' && s[i + 2] != '-'))
			return -EINVAL;
		v->mac[v->mac_len++] = (uint8_t)(hi << 4 | lo);
	}
	return i == len - 1 ? 0 : -EINVAL;
}

static int parse_subnet(const char *s, struct pxe_mval *v)
{
	char addr[16], *end;
	const char *slash = strchr(s, '/');
	struct in_addr a;
	unsigned long bits;

	if (!slash || (size_t)(slash - s) >= sizeof(addr) || !isdigit((unsigned char)slash[1]))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	bits = strtoul(slash + 1, &end, 10);
	if (*end || bits > 32 || inet_pton(AF_INET, addr, &a) != 1)
		return -EINVAL;
	v->mask = bits ? 0xffffffffu << (32 - bits) : 0;
	v->net = ntohl(a.s_addr) & v->mask;
	return 0;
}

static int parse_hex(const char *s, struct pxe_mval *v)
{
	size_t len = strlen(s), i;

	if (!len || len % 2)
		return -EINVAL;
	v->bytes = malloc(len / 2);
	if (!v->bytes)
		return -ENOMEM;
	for (i = 0; i < len; i += 2) {
		int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		v->bytes[v->nbytes++] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static const struct {
	const char *name;
	enum pxe_match_field field;
} fields[] = {
	{ "mac", PXE_M_MAC }, { "uuid", PXE_M_UUID }, { "serial", PXE_M_SERIAL }, { "asset", PXE_M_ASSET },
	{ "manufacturer", PXE_M_MANUFACTURER }, { "product", PXE_M_PRODUCT }, { "arch", PXE_M_ARCH },
	{ "subnet", PXE_M_SUBNET }, { "option82", PXE_M_OPT82 }, { "tag", PXE_M_TAG },
};

static const char *field_name(enum pxe_match_field f)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].field == f)
			return fields[i].name;
	return "?";
}

static int parse_value(enum pxe_match_field f, const char *s, struct pxe_mval *v)
{
	v->text = strdup(s);
	if (!v->text)
		return -ENOMEM;
	switch (f) {
	case PXE_M_MAC:
		return parse_mac_value(s, v);
	case PXE_M_ARCH:
		v->arch = pxe_arch_parse(s);
		return v->arch == -1 ? -EINVAL : 0;
	case PXE_M_SUBNET:
		return parse_subnet(s, v);
	case PXE_M_OPT82:
		return parse_hex(s, v);
	default:
		return strlen(s) < 128 ? 0 : -EINVAL;
	}
}

static const char *value_hint(enum pxe_match_field f)
{
	switch (f) {
	case PXE_M_MAC:
		return "a MAC (52:54:00:12:34:56) or a prefix of whole bytes (52:54:00:*)";
	case PXE_M_ARCH:
		return "bios, efi-ia32, efi-x64, efi-arm32, efi-arm64, efi-http or a number 0-65535";
	case PXE_M_SUBNET:
		return "an IPv4 network A.B.C.D/BITS";
	case PXE_M_OPT82:
		return "hex digits, two per byte";
	default:
		return "at most 127 characters";
	}
}

int pxe_matcher_parse(const char *field, const char *values, struct pxe_matcher *ret, char *whybuf, size_t cap)
{
	char word[256];
	size_t i, n;
	int rc = 0;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(field, fields[i].name))
			ret->field = fields[i].field;
	if (!ret->field) {
		snprintf(whybuf, cap, "unknown match field '%s' (mac uuid serial asset manufacturer product arch "
				      "subnet option82 tag)", field);
		return -EINVAL;
	}
	ret->vals = calloc(PXE_MATCH_MAX_VALUES, sizeof(*ret->vals));
	if (!ret->vals)
		return -ENOMEM;
	while (*values && !rc) {
		n = strcspn(values, " \t");
		if (n >= sizeof(word) || ret->nvals == PXE_MATCH_MAX_VALUES) {
			snprintf(whybuf, cap, "match %s: %s", field, n >= sizeof(word) ? "value too long" :
				 "more than 64 values on one line");
			rc = -EINVAL;
			break;
		}
		memcpy(word, values, n);
		word[n] = '\0';
		rc = parse_value(ret->field, word, &ret->vals[ret->nvals++]);
		if (rc == -EINVAL)
			snprintf(whybuf, cap, "match %s: bad value '%s': want %s", field, word, value_hint(ret->field));
		values += n;
		values += strspn(values, " \t");
	}
	if (!rc && !ret->nvals) {
		snprintf(whybuf, cap, "match %s needs at least one value", field);
		rc = -EINVAL;
	}
	if (rc) {
		pxe_matchers_free(ret, 1);
		memset(ret, 0, sizeof(*ret));
	}
	return rc;
}

void pxe_matchers_free(struct pxe_matcher *m, size_t n)
{
	size_t i, k;

	for (i = 0; m && i < n; i++) {
		for (k = 0; k < m[i].nvals; k++) {
			free(m[i].vals[k].text);
			free(m[i].vals[k].bytes);
		}
		free(m[i].vals);
	}
}

/* ---- evaluation ---- */

/* '*' and '?' globs, ASCII case-insensitive; the backtracking keeps it linear in practice. */
static int glob_ci(const char *p, const char *s)
{
	const char *star = NULL, *mark = s;

	while (*s) {
		if (*p == '*') {
			star = p++;
			mark = s;
		} else if (*p && (*p == '?' || tolower((unsigned char)*p) == tolower((unsigned char)*s))) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++mark;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

static int has_tag(const char *tags, const char *tag)
{
	size_t n = strlen(tag);

	while (*tags) {
		size_t k = strcspn(tags, ",");

		if (k == n && !strncasecmp(tags, tag, n))
			return 1;
		tags += k;
		tags += *tags == ',';
	}
	return 0;
}

static int arch_holds(int want, int arch)
{
	if (arch < 0)
		return 0;
	if (want == -2)
		return arch == 7 || arch == 9;
	if (want == -3)
		return arch >= 15 && arch <= 19;
	return arch == want;
}

static const char *text_fact(const struct pxe_facts *f, enum pxe_match_field fld)
{
	switch (fld) {
	case PXE_M_UUID: return f->uuid;
	case PXE_M_SERIAL: return f->serial;
	case PXE_M_ASSET: return f->asset;
	case PXE_M_MANUFACTURER: return f->manufacturer;
	default: return f->product;
	}
}

static int value_holds(enum pxe_match_field fld, const struct pxe_mval *v, const struct pxe_facts *f,
		       const struct pxe_reservation *res)
{
	switch (fld) {
	case PXE_M_MAC:
		return f->has_mac && !memcmp(f->mac, v->mac, v->mac_len);
	case PXE_M_ARCH:
		return arch_holds(v->arch, f->arch);
	case PXE_M_SUBNET:
		return (f->ip && (f->ip & v->mask) == v->net) || (f->giaddr && (f->giaddr & v->mask) == v->net);
	case PXE_M_OPT82:
		return f->opt82 && f->opt82_len >= v->nbytes && !memcmp(f->opt82, v->bytes, v->nbytes);
	case PXE_M_TAG:
		return res && has_tag(res->tags, v->text);
	default:
		return text_fact(f, fld)[0] && glob_ci(v->text, text_fact(f, fld));
	}
}

struct why {
	char *buf;
	size_t cap, len;
};

static void why_add(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why_add(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->len >= w->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n < w->cap - w->len ? (size_t)n : w->cap - w->len - 1;
}

/* Whether every match line of r holds; w (may be NULL) gets "mac X matched; arch Y matched". */
static int rule_holds(const struct pxe_rule *r, const struct pxe_facts *f, const struct pxe_reservation *res,
		      struct why *w)
{
	const struct pxe_matcher *m = r->matchers;
	size_t i, k;

	for (i = 0; i < r->nmatchers; i++) {
		for (k = 0; k < m[i].nvals; k++)
			if (value_holds(m[i].field, &m[i].vals[k], f, res))
				break;
		if (k == m[i].nvals)
			return 0;
		if (w)
			why_add(w, "%s%s %s matched", i ? "; " : ": ", field_name(m[i].field), m[i].vals[k].text);
	}
	if (w && !r->nmatchers)
		why_add(w, ": no match lines (every host)");
	return 1;
}

void pxe_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- host names ---- */

/* RFC 1123: dot-separated labels of 1-63 letters, digits and '-', not starting or ending with '-'. */
int pxe_hostname_ok(const char *h)
{
	size_t label = 0;
	const char *p;

	if (!*h)
		return 0;
	for (p = h; *p; p++) {
		if (*p == '.') {
			if (!label || p[-1] == '-')
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*p) || (*p == '-' && label)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label && p[-1] != '-';
}

/* The text a {name} of a hostname template stands for; NULL when unknown or not a variable. */
static const char *template_var(const char *name, size_t n, const struct pxe_facts *f, char *tmp, size_t cap)
{
	if (n == 3 && !memcmp(name, "mac", 3) && f->has_mac) {
		snprintf(tmp, cap, "%02x%02x%02x%02x%02x%02x", f->mac[0], f->mac[1], f->mac[2], f->mac[3], f->mac[4],
			 f->mac[5]);
		return tmp;
	}
	if (n == 4 && !memcmp(name, "mac-", 4) && f->has_mac) {
		mac_format(f->mac, '-', tmp);
		return tmp;
	}
	if (n == 2 && !memcmp(name, "ip", 2) && f->ip) {
		/* dashes, not dots: the address becomes part of one label (web-10-0-0-5) */
		snprintf(tmp, cap, "%u-%u-%u-%u", f->ip >> 24, (f->ip >> 16) & 255, (f->ip >> 8) & 255, f->ip & 255);
		return tmp;
	}
	if (n == 6 && !memcmp(name, "serial", 6) && f->serial[0])
		return f->serial;
	if (n == 4 && !memcmp(name, "uuid", 4) && f->uuid[0])
		return f->uuid;
	return NULL;
}

/* Expands tpl for f into out (lower case). Returns 0, or -EINVAL with *what saying why there is no name. */
static int hostname_expand(const char *tpl, const struct pxe_facts *f, char *out, size_t cap, const char **what)
{
	char tmp[PXE_MAC_TEXT + 16];
	size_t len = 0;

	while (*tpl) {
		const char *val = tpl, *close;
		size_t n = 1;

		if (*tpl == '{') {
			close = strchr(tpl, '}');
			val = close ? template_var(tpl + 1, (size_t)(close - tpl - 1), f, tmp, sizeof(tmp)) : NULL;
			if (!val) {
				*what = "a {variable} that is unknown for this host";
				return -EINVAL;
			}
			n = strlen(val);
			tpl = close + 1;
		} else {
			tpl++;
		}
		if (len + n >= cap) {
			*what = "more than 63 characters";
			return -EINVAL;
		}
		while (n--)
			out[len++] = (char)tolower((unsigned char)*val++);
	}
	out[len] = '\0';
	if (!pxe_hostname_ok(out)) {
		*what = "not a valid host name (RFC 1123: letters, digits, '-', labels of 1-63)";
		return -EINVAL;
	}
	return 0;
}

/* ---- choosing ---- */

static void fill_choice(const struct pxe_rule *r, const struct pxe_facts *f, const struct pxe_reservation *res,
			struct pxe_choice *out, struct why *w)
{
	const char *what = NULL;

	out->rule = r;
	out->image = r->image;
	pxe_copy(out->rule_name, sizeof(out->rule_name), r->name);
	pxe_copy(out->image_name, sizeof(out->image_name), r->image ? r->image->name : "");
	pxe_copy(out->kernelopt, sizeof(out->kernelopt), r->kernelopt);
	out->state = r->state;
	out->loader = r->loader;
	if (r->hostname[0]) {
		if (hostname_expand(r->hostname, f, out->hostname, sizeof(out->hostname), &what) < 0) {
			out->hostname[0] = '\0';
			why_add(w, "; hostname %s gives no name: %s", r->hostname, what);
		}
	} else if (res && res->hostname[0]) {
		pxe_copy(out->hostname, sizeof(out->hostname), res->hostname);
	}
}

int pxe_choose(const struct pxe_config *cfg, const struct pxe_facts *f, struct pxe_choice *out)
{
	const struct pxe_reservation *res = f->has_mac ? pxe_reservation_find(cfg, f->mac) : NULL;
	struct why w = { out->why, sizeof(out->why), 0 };
	struct pxe_cands c;
	size_t i = 0, j = 0;
	int indexed;

	memset(out, 0, sizeof(*out));
	indexed = pxe_index_candidates(cfg, f, &c) == 0;
	while (indexed ? (i < c.nown || j < c.ngeneral) : i < cfg->nrules) {
		size_t r;

		if (!indexed)
			r = i++;
		else if (j >= c.ngeneral || (i < c.nown && c.own[i] < c.general[j]))
			r = c.own[i++];
		else
			r = c.general[j++];
		if (!rule_holds(&cfg->rules[r], f, res, NULL))
			continue;
		why_add(&w, "rule %s", cfg->rules[r].name);
		rule_holds(&cfg->rules[r], f, res, &w);
		fill_choice(&cfg->rules[r], f, res, out, &w);
		return 0;
	}
	why_add(&w, "no rule matches (%zu rule%s)", cfg->nrules, cfg->nrules == 1 ? "" : "s");
	return 0;
}
