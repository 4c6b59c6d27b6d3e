/* status.c: the hosts a server has seen and their last step (status.h). */
#include "status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileio.h"

#define STATUS_MAX_HOSTS 100000     /* beyond this, the oldest host is forgotten */
#define STATUS_FILE_MAX (64u << 20)

struct pxe_status {
	pthread_mutex_t lock;
	struct pxe_host_status *h;
	size_t n, cap;
	uint64_t seq;                   /* bumped on every change */
	uint64_t flushed_seq;
	int64_t flushed_at;
};

int pxe_status_new(struct pxe_status **ret)
{
	struct pxe_status *st = calloc(1, sizeof *st);

	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	*ret = st;
	return 0;
}

void pxe_status_free(struct pxe_status *st)
{
	if (!st)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st->h);
	free(st);
}

static void clean_copy(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < cap; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? ' ' : src[i];
	dst[i] = '\0';
}

/* The entry of mac, created at the end when absent; newest: moved to the end (a new step: the table is kept oldest
 * step first), else left where it is. NULL when out of memory. Under the lock. */
static struct pxe_host_status *entry(struct pxe_status *st, const char *mac, int newest)
{
	struct pxe_host_status e;
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->h[i].mac, mac) == 0)
			break;
	if (i < st->n && !newest)
		return &st->h[i];
	if (i < st->n) {
		e = st->h[i];
		memmove(st->h + i, st->h + i + 1, (st->n - i - 1) * sizeof *st->h);
		st->h[st->n - 1] = e;
		return &st->h[st->n - 1];
	}
	if (st->n == STATUS_MAX_HOSTS) {
		memmove(st->h, st->h + 1, (st->n - 1) * sizeof *st->h);
		st->n--;
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct pxe_host_status *h = realloc(st->h, cap * sizeof *h);

		if (!h)
			return NULL;
		st->h = h;
		st->cap = cap;
	}
	memset(&st->h[st->n], 0, sizeof *st->h);
	clean_copy(st->h[st->n].mac, sizeof st->h[st->n].mac, mac);
	return &st->h[st->n++];
}

/* The entry of mac (entry()) with the table locked (unlock_changed or unlocking releases it), or NULL (nothing
 * locked) when there is no table, no MAC or no memory. */
static struct pxe_host_status *lock_entry(struct pxe_status *st, const char *mac, int newest)
{
	struct pxe_host_status *e;

	if (!st || !mac || !*mac)
		return NULL;
	pthread_mutex_lock(&st->lock);
	e = entry(st, mac, newest);
	if (!e)
		pthread_mutex_unlock(&st->lock);
	return e;
}

static void unlock_changed(struct pxe_status *st)
{
	st->seq++;
	pthread_mutex_unlock(&st->lock);
}

void pxe_status_note(struct pxe_status *st, const char *mac, const char *step, const char *detail)
{
	struct pxe_host_status *e = lock_entry(st, mac, 1);

	if (!e)
		return;
	clean_copy(e->step, sizeof e->step, step);
	clean_copy(e->detail, sizeof e->detail, detail);
	e->when = (int64_t)time(NULL);
	unlock_changed(st);
}

void pxe_status_ip(struct pxe_status *st, const char *mac, uint32_t ip)
{
	struct in_addr a = { .s_addr = htonl(ip) };
	struct pxe_host_status *e = ip ? lock_entry(st, mac, 0) : NULL;
	char text[sizeof e->ip];

	if (!e)
		return;
	/* called for every request a host makes: the table changes (and is written again) only when the address does */
	if (!inet_ntop(AF_INET, &a, text, sizeof text) || strcmp(text, e->ip) == 0) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	memcpy(e->ip, text, sizeof text);
	unlock_changed(st);
}

void pxe_status_facts(struct pxe_status *st, const char *mac, int arch, const char *uuid)
{
	struct pxe_host_status *e = lock_entry(st, mac, 0);

	if (!e)
		return;
	e->has_facts = 1;
	e->arch = arch;
	clean_copy(e->uuid, sizeof e->uuid, uuid ? uuid : "");
	unlock_changed(st);
}

int pxe_status_facts_of(struct pxe_status *st, const char *mac, int *arch, char *uuid)
{
	size_t i;
	int rc = -ENOENT;

	if (!st)
		return -ENOENT;
	pthread_mutex_lock(&st->lock);
	for (i = 0; i < st->n; i++)
		if (strcmp(st->h[i].mac, mac) == 0 && st->h[i].has_facts) {
			*arch = st->h[i].arch;
			memcpy(uuid, st->h[i].uuid, sizeof st->h[i].uuid);
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int pxe_status_mac_of(struct pxe_status *st, uint32_t ip, char mac[MAC_TEXT])
{
	struct in_addr a = { .s_addr = htonl(ip) };
	char text[16];
	size_t i;
	int rc = -ENOENT;

	if (!st || !ip || !inet_ntop(AF_INET, &a, text, sizeof text))
		return -ENOENT;
	pthread_mutex_lock(&st->lock);
	for (i = st->n; i-- > 0;)
		if (strcmp(st->h[i].ip, text) == 0) {
			memcpy(mac, st->h[i].mac, MAC_TEXT);
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* The text of the table (malloc'd). Under the lock. */
static char *format_table(const struct pxe_status *st, size_t *ret_len)
{
	size_t cap = st->n * (sizeof(struct pxe_host_status) + 32) + 1, len = 0, i;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	for (i = 0; i < st->n; i++) {
		const struct pxe_host_status *e = &st->h[i];
		int w = snprintf(buf + len, cap - len, "%lld\t%s\t%s\t%s\t%s\n", (long long)e->when, e->mac,
				 *e->ip ? e->ip : "-", e->step, e->detail);

		if (w < 0 || (size_t)w >= cap - len) {
			free(buf);
			return NULL;
		}
		len += (size_t)w;
	}
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

int pxe_status_flush(struct pxe_status *st, const char *path, int force, struct rh_err *err)
{
	char dir[4096], *slash, *buf;
	int64_t now = (int64_t)time(NULL);
	uint64_t seq;
	size_t len = 0;
	int rc;

	pthread_mutex_lock(&st->lock);
	seq = st->seq;
	if ((!force && now == st->flushed_at) || (st->flushed_at && seq == st->flushed_seq)) {
		pthread_mutex_unlock(&st->lock);
		return 0;
	}
	buf = format_table(st, &len);
	pthread_mutex_unlock(&st->lock);
	if (!buf)
		return rh_errf(err, -ENOMEM, "%s: out of memory writing the host table", path);
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (!slash) {
		free(buf);
		return rh_errf(err, -EINVAL, "%s: the status file needs a directory", path);
	}
	*slash = '\0';
	rc = rh_replace_file(dir, slash + 1, buf, len, dir, err);
	free(buf);
	if (rc == 0) {
		pthread_mutex_lock(&st->lock);
		st->flushed_seq = seq;
		st->flushed_at = now;
		pthread_mutex_unlock(&st->lock);
	}
	return rc;
}

/* Copies the field [s, e) into dst (cap bytes); -1 when it does not fit. */
static int field(char *dst, size_t cap, const char *s, const char *e)
{
	if ((size_t)(e - s) >= cap)
		return -1;
	memcpy(dst, s, (size_t)(e - s));
	dst[e - s] = '\0';
	return 0;
}

static int parse_line(const char *s, const char *end, struct pxe_host_status *h)
{
	const char *f[6];
	unsigned nf = 1;
	char num[24], *ep;
	const char *p;

	f[0] = s;
	for (p = s; p < end && nf < 5; p++)
		if (*p == '\t')
			f[nf++] = p + 1;
	if (nf != 5)
		return -1;
	f[5] = end + 1;
	memset(h, 0, sizeof *h);
	if (field(num, sizeof num, f[0], f[1] - 1) || field(h->mac, sizeof h->mac, f[1], f[2] - 1) ||
	    field(h->ip, sizeof h->ip, f[2], f[3] - 1) || field(h->step, sizeof h->step, f[3], f[4] - 1) ||
	    field(h->detail, sizeof h->detail, f[4], end))
		return -1;
	errno = 0;
	h->when = strtoll(num, &ep, 10);
	if (errno || ep == num || *ep || strlen(h->mac) != 17)
		return -1;
	if (strcmp(h->ip, "-") == 0)
		h->ip[0] = '\0';
	return 0;
}

int pxe_status_parse(const char *buf, size_t len, const char *name, struct pxe_host_status **ret, size_t *ret_n,
		     struct rh_err *err)
{
	struct pxe_host_status *h = NULL, *nh;
	size_t n = 0, cap = 0, line = 0, off = 0;

	while (off < len) {
		const char *s = buf + off, *nl = memchr(s, '\n', len - off);

		line++;
		if (!nl) {
			free(h);
			return rh_errf(err, -EBADMSG, "%s:%zu: the last line has no end (cut off)", name, line);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nh = realloc(h, cap * sizeof *h);
			if (!nh) {
				free(h);
				return rh_errf(err, -ENOMEM, "%s: out of memory", name);
			}
			h = nh;
		}
		if (parse_line(s, nl, &h[n]) < 0) {
			free(h);
			return rh_errf(err, -EBADMSG, "%s:%zu: not a host status line", name, line);
		}
		n++;
		off = (size_t)(nl - buf) + 1;
	}
	*ret = h;
	*ret_n = n;
	return 0;
}

int pxe_status_read(const char *path, struct pxe_host_status **ret, size_t *ret_n, struct rh_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = rh_read_file(path, STATUS_FILE_MAX, &buf, &len, err);

	if (rc < 0)
		return rc;
	rc = pxe_status_parse(buf, len, path, ret, ret_n, err);
	free(buf);
	return rc;
}
