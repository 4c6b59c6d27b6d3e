/* leases_file.c: the lease file (leases.h has the format). Read once at start, written whole before every DHCPACK
 * that changed a binding: a temporary beside the file, fsync, rename, directory fsync, so that a crash at any
 * moment (kill -9 included) leaves either the old file or the new one. */
#include "leases.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "mac.h"

/* Strict dotted quad: four decimal numbers 0-255 without leading zeros beyond "0". */
static int parse_ip(const char *s, uint32_t *ret)
{
	uint32_t ip = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return -EINVAL;
		ip = ip << 8 | v;
		if (part < 3 && *s++ != '.')
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	*ret = ip;
	return 0;
}

static int parse_time(const char *s, int64_t *ret)
{
	int64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX / 4 - 9) / 10)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	*ret = v;
	return 0;
}

struct line_ctx {
	struct pxe_leases *l;
	const char *name;
	unsigned lineno;
	pxe_leases_warn_fn warn;
	void *ctx;
	unsigned outside;
	int loaded;
};

static void warn(struct line_ctx *c, const char *what)
{
	char text[PATH_MAX + 128];

	if (!c->warn)
		return;
	snprintf(text, sizeof(text), "%s:%u: %s; line dropped", c->name, c->lineno, what);
	c->warn(c->ctx, text);
}

static int split(char *s, char *tok[], int max)
{
	int n = 0;

	while (*s) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (!*s)
			break;
		if (n == max)
			return max + 1;
		tok[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

/* One line (NUL-terminated copy, no newline). */
static void parse_line(struct line_ctx *c, char *s)
{
	struct pxe_leases *l = c->l;
	char *tok[5];
	int n = split(s, tok, 4), lease;
	uint32_t ip;
	uint8_t mac[6];
	int64_t t;
	struct pxe_lease *e;

	if (n == 0 || tok[0][0] == '#')
		return;
	lease = !strcmp(tok[0], "lease");
	if (!lease && strcmp(tok[0], "declined"))
		return warn(c, "not a lease or declined line");
	if (n != (lease ? 4 : 3))
		return warn(c, lease ? "a lease line is: lease IP MAC EXPIRES" : "a declined line is: declined IP UNTIL");
	if (parse_ip(tok[1], &ip) < 0)
		return warn(c, "bad address");
	if (lease && mac_parse(tok[2], mac) < 0)
		return warn(c, "bad MAC address");
	if (parse_time(tok[lease ? 3 : 2], &t) < 0)
		return warn(c, "bad time");
	if (ip < l->first || ip > l->last || !l->n || l->e[ip - l->first].excluded) {
		c->outside++;
		return;
	}
	e = &l->e[ip - l->first];
	if (e->used || e->declined)
		return warn(c, "address listed twice");
	if (lease) {
		/* one entry per MAC: a second lease line for the same MAC is damage, not a move */
		if (pxe_leases_find(l, mac))
			return warn(c, "MAC listed twice");
		pxe_leases_bind(l, mac, ip, 0, 0);
		e->expires = t ? t : 1;
		e->saved = e->expires;
	} else {
		e->declined = 1;
		e->expires = t;
	}
	c->loaded++;
}

int pxe_leases_parse(struct pxe_leases *l, const char *name, const char *buf, size_t len, pxe_leases_warn_fn warnf,
		     void *ctx, unsigned *ret_outside)
{
	struct line_ctx c = { .l = l, .name = name, .warn = warnf, .ctx = ctx };
	char line[PXE_LEASE_LINE_MAX + 1];
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, n = end - pos;

		c.lineno++;
		if (n > PXE_LEASE_LINE_MAX)
			warn(&c, "line too long");
		else if (memchr(buf + pos, '\0', n))
			warn(&c, "NUL byte in line");
		else {
			memcpy(line, buf + pos, n);
			line[n] = '\0';
			if (n && line[n - 1] == '\r')
				line[n - 1] = '\0';
			parse_line(&c, line);
		}
		pos = end + 1;
	}
	l->dirty = 0;
	if (ret_outside)
		*ret_outside = c.outside;
	return c.loaded;
}

int pxe_leases_format(const struct pxe_leases *l, int64_t now, char **ret, size_t *ret_len)
{
	static const char head[] = "# ramhost pxe serve leases: lease IP MAC EXPIRES | declined IP UNTIL "
				   "(Unix seconds); rewritten whole, do not edit while the server runs\n";
	size_t cap = sizeof(head) + 1, len;
	uint32_t i, n = 0;
	char *out, mac[MAC_TEXT];

	for (i = 0; i < l->n; i++)
		n += (l->e[i].used && l->e[i].expires) || (l->e[i].declined && l->e[i].expires > now);
	cap += (size_t)n * 64;
	out = malloc(cap);
	if (!out)
		return -ENOMEM;
	memcpy(out, head, sizeof(head));
	len = sizeof(head) - 1;
	for (i = 0; i < l->n; i++) {
		const struct pxe_lease *e = &l->e[i];
		uint32_t ip = l->first + i;

		if (e->used && e->expires) {
			mac_format(e->mac, ':', mac);
			len += (size_t)snprintf(out + len, cap - len, "lease %u.%u.%u.%u %s %" PRId64 "\n", ip >> 24,
						ip >> 16 & 255, ip >> 8 & 255, ip & 255, mac, e->expires);
		} else if (e->declined && e->expires > now) {
			len += (size_t)snprintf(out + len, cap - len, "declined %u.%u.%u.%u %" PRId64 "\n", ip >> 24,
						ip >> 16 & 255, ip >> 8 & 255, ip & 255, e->expires);
		}
	}
	*ret = out;
	*ret_len = len;
	return 0;
}

int pxe_leases_load(struct pxe_leases *l, const char *path, pxe_leases_warn_fn warnf, void *ctx,
		    unsigned *ret_outside, struct rh_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (ret_outside)
		*ret_outside = 0;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	rc = rh_read_file(path, PXE_LEASE_FILE_MAX, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = pxe_leases_parse(l, path, buf, len, warnf, ctx, ret_outside);
	free(buf);
	return rc;
}

int pxe_leases_save(struct pxe_leases *l, const char *path, int64_t now, struct rh_err *err)
{
	char tmp[PATH_MAX + 16], *text = NULL;
	size_t len = 0;
	int fd = -1, rc;

	tmp[0] = '\0';
	rc = pxe_leases_format(l, now, &text, &len);
	if (rc < 0) {
		rh_errf(err, rc, "%s: out of memory", path);
		goto out;
	}
	rc = fs_tmp_beside(path, tmp, sizeof(tmp), &fd, err);
	if (rc < 0)
		goto out;
	rc = rh_write_all(fd, text, len);
	if (rc < 0) {
		rh_errf(err, rc, "%s: cannot write: %s", tmp, strerror(-rc));
		goto out;
	}
	close(fd);
	fd = -1;
	rc = fs_install_file(tmp, path, err);
	if (rc == 0) {
		uint32_t i;

		tmp[0] = '\0';
		l->dirty = 0;
		for (i = 0; i < l->n; i++)
			l->e[i].saved = l->e[i].used ? l->e[i].expires : 0;
	}
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		fs_rm_rf(tmp, NULL);
	free(text);
	return rc;
}
