/* loop.c: the poll loop DHCP and TFTP share (loop.h). A flat array of descriptors: a server has a handful of
 * listening sockets and one socket per TFTP transfer in flight (capped by tftp-max-clients), so poll over an
 * array is simpler than epoll and fast enough. Callbacks may add and remove descriptors while the loop runs:
 * removal marks the slot, and slots are compacted between polls. */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOOP_MAX_FDS 1024
#define LOOP_MAX_TICKS 16
#define LOOP_IDLE_MS 200

struct watch {
	pxe_fd_fn fn;
	void *ctx;
	int dead;
};

struct tick {
	pxe_tick_fn fn;
	void *ctx;
	int64_t due;
};

struct pxe_loop {
	struct pollfd pfd[LOOP_MAX_FDS];
	struct watch w[LOOP_MAX_FDS];
	unsigned n;
	struct tick t[LOOP_MAX_TICKS];
	unsigned nt;
};

uint64_t pxe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int pxe_loop_new(struct pxe_loop **ret)
{
	*ret = calloc(1, sizeof **ret);
	return *ret ? 0 : -ENOMEM;
}

void pxe_loop_free(struct pxe_loop *l)
{
	free(l);
}

static int find(const struct pxe_loop *l, int fd)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (l->pfd[i].fd == fd && !l->w[i].dead)
			return (int)i;
	return -1;
}

int pxe_loop_add_fd(struct pxe_loop *l, int fd, short events, pxe_fd_fn fn, void *ctx)
{
	if (fd < 0 || !fn)
		return -EINVAL;
	if (find(l, fd) >= 0)
		return -EEXIST;
	if (l->n == LOOP_MAX_FDS)
		return -ENOSPC;
	l->pfd[l->n] = (struct pollfd){ .fd = fd, .events = events };
	l->w[l->n] = (struct watch){ .fn = fn, .ctx = ctx };
	l->n++;
	return 0;
}

int pxe_loop_mod_fd(struct pxe_loop *l, int fd, short events)
{
	int i = find(l, fd);

	if (i < 0)
		return -ENOENT;
	l->pfd[i].events = events;
	return 0;
}

void pxe_loop_del_fd(struct pxe_loop *l, int fd)
{
	int i = find(l, fd);

	if (i >= 0) {
		l->w[i].dead = 1;
		l->pfd[i].fd = -1; /* poll ignores negative descriptors */
	}
}

int pxe_loop_add_tick(struct pxe_loop *l, pxe_tick_fn fn, void *ctx)
{
	if (!fn)
		return -EINVAL;
	if (l->nt == LOOP_MAX_TICKS)
		return -ENOSPC;
	l->t[l->nt++] = (struct tick){ .fn = fn, .ctx = ctx, .due = 0 };
	return 0;
}

void pxe_loop_del_tick(struct pxe_loop *l, pxe_tick_fn fn, void *ctx)
{
	unsigned i;

	for (i = 0; i < l->nt; i++)
		if (l->t[i].fn == fn && l->t[i].ctx == ctx) {
			memmove(&l->t[i], &l->t[i + 1], (l->nt - i - 1) * sizeof l->t[0]);
			l->nt--;
			return;
		}
}

static void compact(struct pxe_loop *l)
{
	unsigned i, j = 0;

	for (i = 0; i < l->n; i++) {
		if (l->w[i].dead)
			continue;
		l->pfd[j] = l->pfd[i];
		l->w[j] = l->w[i];
		j++;
	}
	l->n = j;
}

/* Runs the ticks that are due and returns the poll timeout until the next one (at most LOOP_IDLE_MS). */
static int run_ticks(struct pxe_loop *l)
{
	uint64_t now = pxe_now_ms();
	int64_t next = (int64_t)(now + LOOP_IDLE_MS);
	unsigned i;

	for (i = 0; i < l->nt; i++) {
		if (l->t[i].due >= 0 && (uint64_t)l->t[i].due <= now)
			l->t[i].due = l->t[i].fn(l->t[i].ctx, now);
		if (l->t[i].due >= 0 && l->t[i].due < next)
			next = l->t[i].due;
	}
	now = pxe_now_ms();
	return next <= (int64_t)now ? 0 : (int)(next - (int64_t)now);
}

int pxe_loop_run(struct pxe_loop *l, volatile sig_atomic_t *stop)
{
	while (!*stop) {
		unsigned i, n;
		int timeout = run_ticks(l), r;

		compact(l);
		r = poll(l->pfd, l->n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = l->n; /* descriptors added by callbacks wait for the next round */
		for (i = 0; i < n && r > 0 && !*stop; i++) {
			short re = l->pfd[i].revents;

			if (!re || l->w[i].dead)
				continue;
			r--;
			l->pfd[i].revents = 0;
			l->w[i].fn(l->w[i].ctx, l->pfd[i].fd, re);
		}
	}
	return 0;
}

/* A tick that was given due -1 ("nothing to do") is asked again when pxe_loop_wake_ticks is called: a component
 * that starts new work (a new transfer) calls it so its tick runs at once. */
void pxe_loop_wake_ticks(struct pxe_loop *l)
{
	unsigned i;

	for (i = 0; i < l->nt; i++)
		l->t[i].due = 0;
}
