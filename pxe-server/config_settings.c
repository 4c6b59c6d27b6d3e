/* config_settings.c: the `key = value` settings of the configuration file (struct pxe_settings, names with '-'
 * for '_'), their defaults and the checks that need all of them (config.c reads the rest of the file). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pxe_int.h"
#include "pxe_parse.h"
#include "size.h"

enum kind { K_STR, K_PATH, K_IP, K_PORT, K_UINT, K_MODE, K_RANGE, K_DNS, K_TIME, K_SIZE, K_URL };

static const struct setting {
	const char *key;
	enum kind kind;
	size_t off, size;
	unsigned long lo, hi;       /* K_UINT */
} settings[] = {
#define F(k, kind, field, lo, hi) { k, kind, offsetof(struct pxe_settings, field), \
				    sizeof(((struct pxe_settings *)0)->field), lo, hi }
	F("mode", K_MODE, mode, 0, 0),
	F("interface", K_STR, interface, 0, 0),
	F("server-ip", K_IP, server_ip, 0, 0),
	F("netmask", K_IP, netmask, 0, 0),
	F("range", K_RANGE, range_first, 0, 0),
	F("router", K_IP, router, 0, 0),
	F("dns", K_DNS, dns, 0, 0),
	F("domain", K_STR, domain, 0, 0),
	F("lease-time", K_TIME, lease_seconds, 60, 365u * 86400),
	F("lease-file", K_PATH, lease_file, 0, 0),
	F("state-dir", K_PATH, state_dir, 0, 0),
	F("dhcp-port", K_PORT, dhcp_port, 1, 65535),
	F("proxy-port", K_PORT, proxy_port, 1, 65535),
	F("tftp-port", K_PORT, tftp_port, 1, 65535),
	F("http-port", K_PORT, http_port, 1, 65535),
	F("tftp-max-blksize", K_UINT, tftp_max_blksize, 512, 65464),
	F("tftp-max-window", K_UINT, tftp_max_window, 1, 64),
	F("tftp-max-clients", K_UINT, tftp_max_clients, 1, 65536),
	F("tls-cert", K_PATH, http_tls_cert, 0, 0),
	F("http-tls-cert", K_PATH, http_tls_cert, 0, 0),
	F("tls-key", K_PATH, http_tls_key, 0, 0),
	F("http-tls-key", K_PATH, http_tls_key, 0, 0),
	F("artifact-url", K_URL, artifact_url, 0, 0),
	F("state-max-size", K_SIZE, state_max_bytes, 0, 0),
	F("state-keep", K_UINT, state_keep, 1, 100),
	F("ipxe-dir", K_PATH, ipxe_dir, 0, 0),
	F("sign-key", K_PATH, sign_key, 0, 0),
	F("sign-cert", K_PATH, sign_cert, 0, 0),
#undef F
};

void pxe_settings_default(struct pxe_settings *s)
{
	s->mode = PXE_DHCP_FULL;
	s->lease_seconds = 3600;
	s->dhcp_port = 67;
	s->proxy_port = 4011;
	s->tftp_port = 69;
	s->http_port = 8080;
	s->tftp_max_window = 64;
	s->tftp_max_clients = 256;
	s->state_max_bytes = 256ull << 20;
	s->state_keep = 3;
	snprintf(s->state_dir, sizeof(s->state_dir), "/var/lib/ramhost-pxe");
	snprintf(s->ipxe_dir, sizeof(s->ipxe_dir), "/usr/lib/ipxe");
}

int pxe_parse_ip(struct pxe_parser *p, const char *what, const char *s, uint32_t *ret)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		pxe_parse_err(p, "%s: '%s' is not an IPv4 address", what, s);
		return -EINVAL;
	}
	*ret = ntohl(a.s_addr);
	return 0;
}

int pxe_parse_path(struct pxe_parser *p, const char *what, const char *s, char *out, size_t cap)
{
	int n = s[0] == '/' ? snprintf(out, cap, "%s", s) : snprintf(out, cap, "%s/%s", p->dir, s);

	if (n < 0 || (size_t)n >= cap) {
		pxe_parse_err(p, "%s: path too long", what);
		return -EINVAL;
	}
	return 0;
}

/* "90", "30s", "15m", "1h", "7d". */
static int parse_time(const char *s, unsigned long *ret)
{
	unsigned long v, mul = 1;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end == 's' || *end == 'm' || *end == 'h' || *end == 'd') {
		mul = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 86400;
		end++;
	}
	if (errno || *end || v > 0xffffffffu / mul)
		return -EINVAL;
	*ret = v * mul;
	return 0;
}

static int set_range(struct pxe_parser *p, const char *v, void *field)
{
	char a[32];
	const char *dash = strchr(v, '-');
	uint32_t *r = field;

	if (!dash || (size_t)(dash - v) >= sizeof(a)) {
		pxe_parse_err(p, "range '%s': want FIRST-LAST", v);
		return -EINVAL;
	}
	memcpy(a, v, (size_t)(dash - v));
	a[dash - v] = '\0';
	if (pxe_parse_ip(p, "range", a, &r[0]) < 0 || pxe_parse_ip(p, "range", dash + 1, &r[1]) < 0)
		return -EINVAL;
	if (r[0] > r[1] || r[1] - r[0] > 65535) {
		pxe_parse_err(p, "range '%s': the first address must not be above the last, at most 65,536 addresses",
			      v);
		return -EINVAL;
	}
	p->range_given = 1;
	return 0;
}

static int set_dns(struct pxe_parser *p, char *v, struct pxe_settings *s)
{
	char *w[8];
	size_t n = pxe_split(v, w, 8), i;

	if (n > 4) {
		pxe_parse_err(p, "dns: at most 4 servers");
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		if (pxe_parse_ip(p, "dns", w[i], &s->dns[i]) < 0)
			return -EINVAL;
	s->ndns = (unsigned)n;
	return 0;
}

static int set_value(struct pxe_parser *p, const struct setting *st, char *v, void *field)
{
	unsigned long u = 0;
	uint64_t sz;
	int bad;

	switch (st->kind) {
	case K_STR:
	case K_URL:
		if (strlen(v) >= st->size || strpbrk(v, " \t") || (st->kind == K_URL && strncmp(v, "http://", 7) &&
								   strncmp(v, "https://", 8))) {
			pxe_parse_err(p, "%s '%s': %s", st->key, v, st->kind == K_URL ?
				      "want an http:// or https:// URL without blanks" : "too long or has blanks");
			return -EINVAL;
		}
		pxe_copy(field, st->size, v);
		return 0;
	case K_PATH:
		return pxe_parse_path(p, st->key, v, field, st->size);
	case K_IP:
		return pxe_parse_ip(p, st->key, v, field);
	case K_MODE:
		if (strcmp(v, "full") && strcmp(v, "proxy") && strcmp(v, "off")) {
			pxe_parse_err(p, "mode '%s': want full, proxy or off", v);
			return -EINVAL;
		}
		*(enum pxe_dhcp_mode *)field = !strcmp(v, "full") ? PXE_DHCP_FULL : !strcmp(v, "proxy") ?
					      PXE_DHCP_PROXY : PXE_DHCP_OFF;
		return 0;
	case K_RANGE:
		return set_range(p, v, field);
	case K_DNS:
		return set_dns(p, v, &p->cfg->set);
	case K_SIZE:
		if (size_parse(v, &sz) < 0 || !sz) {
			pxe_parse_err(p, "%s '%s': want a size above 0 (256M, 1G)", st->key, v);
			return -EINVAL;
		}
		*(uint64_t *)field = sz;
		return 0;
	default:
		break;
	}
	bad = parse_time(v, &u) < 0 || (st->kind != K_TIME && strspn(v, "0123456789") != strlen(v));
	if (bad || u < st->lo || u > st->hi) {
		pxe_parse_err(p, "%s '%s': want %s%lu to %lu", st->key, v, st->kind == K_TIME ? "a time (90, 30s, "
			      "15m, 1h, 7d) of " : "a number from ", st->lo, st->hi);
		return -EINVAL;
	}
	*(unsigned *)field = (unsigned)u;
	return 0;
}

int pxe_setting(struct pxe_parser *p, char *s, char *eq)
{
	char *key = s, *v = eq + 1, *e = eq;
	size_t i;

	while (e > key && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	v += strspn(v, " \t");
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (!strcmp(key, settings[i].key))
			break;
	if (i == sizeof(settings) / sizeof(settings[0])) {
		pxe_parse_err(p, "unknown setting '%s'", key);
		return -EINVAL;
	}
	if (!*v) {
		pxe_parse_err(p, "%s needs a value", key);
		return -EINVAL;
	}
	return set_value(p, &settings[i], v, (char *)&p->cfg->set + settings[i].off);
}

int pxe_settings_finish(struct pxe_parser *p)
{
	struct pxe_settings *s = &p->cfg->set;
	size_t n = strlen(s->artifact_url);

	if (s->mode == PXE_DHCP_FULL && !p->range_given) {
		pxe_parse_err(p, "mode full needs a range (range = FIRST-LAST), or use mode = proxy or off");
		return -EINVAL;
	}
	if (n && s->artifact_url[n - 1] != '/') {
		if (n + 1 >= sizeof(s->artifact_url)) {
			pxe_parse_err(p, "artifact-url too long");
			return -EINVAL;
		}
		s->artifact_url[n] = '/';
		s->artifact_url[n + 1] = '\0';
	}
	if (!s->lease_file[0] && (size_t)snprintf(s->lease_file, sizeof(s->lease_file), "%s/leases", s->state_dir)
				   >= sizeof(s->lease_file)) {
		pxe_parse_err(p, "state-dir too long");
		return -EINVAL;
	}
	if (!s->http_tls_cert[0] != !s->http_tls_key[0]) {
		pxe_parse_err(p, "tls-cert and tls-key go together");
		return -EINVAL;
	}
	return 0;
}

/* ---- reservations ---- */

struct res_key {
	uint64_t key;
	unsigned line;
};

static int key_cmp(const void *a, const void *b)
{
	const struct res_key *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorts the reservations by MAC (by_ip 0) or by address and reports the first pair that shares one. */
static int check_unique(struct pxe_parser *p, struct res_key *k, int by_ip)
{
	const struct pxe_settings *s = &p->cfg->set;
	size_t i;

	for (i = 0; i < s->nreservations; i++) {
		const uint8_t *m = s->reservations[i].mac;

		k[i].key = by_ip ? s->reservations[i].ip : (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 |
			   (uint64_t)m[2] << 24 | (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
		k[i].line = p->res_line[i];
	}
	qsort(k, s->nreservations, sizeof(*k), key_cmp);
	for (i = 1; i < s->nreservations; i++)
		if (k[i].key == k[i - 1].key) {
			rh_errf(p->err, -EINVAL, "%s:%u: reserve: this %s is reserved already on line %u", p->path,
				k[i].line, by_ip ? "address" : "MAC", k[i - 1].line);
			return -EINVAL;
		}
	return 0;
}

int pxe_reservations_check(struct pxe_parser *p)
{
	size_t n = p->cfg->set.nreservations;
	struct res_key *k;
	int rc;

	if (n < 2)
		return 0;
	k = malloc(n * sizeof(*k));
	if (!k)
		return -ENOMEM;
	rc = check_unique(p, k, 0);
	if (!rc)
		rc = check_unique(p, k, 1);
	free(k);
	return rc;
}
