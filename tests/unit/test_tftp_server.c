/* test_tftp_server.c: pxe-server/tftp_server.c on 127.0.0.1, port 0, its loop in a thread, with test ops serving
 * a temporary directory, against a small client in this file: a plain RFC 1350 transfer, OACK negotiation
 * (blksize clamp, tsize, timeout, windowsize 1/16/64), rollover past 65,535 blocks, a DATA the client loses, 20
 * clients at once, every refusal, a packet from a wrong TID, the shared mapping of two concurrent transfers, the
 * busy limit and the timeout. Waits are for conditions (a packet, an event), bounded; no sleeps. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pxe-server/filecache.h"
#include "pxe-server/loop.h"
#include "pxe-server/tftp_server.h"
#include "unit.h"

static char g_dir[PATH_MAX];
static struct pxe_loop *g_loop;
static struct pxe_tftp *g_srv;
static volatile sig_atomic_t g_stop;
static pthread_t g_thread;

/* ---- the events, recorded for the checks ---- */

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cond = PTHREAD_COND_INITIALIZER;
static char ev_log[1 << 16];
static size_t ev_len;

static void test_event(void *ctx, const struct sockaddr_in *peer, const char *mac, const char *step,
		       const char *text)
{
	(void)ctx;
	pthread_mutex_lock(&ev_lock);
	if (ev_len > sizeof ev_log - 2048)
		ev_len = 0;   /* the checks look at recent lines */
	ev_len += (size_t)snprintf(ev_log + ev_len, sizeof ev_log - ev_len, "%s:%u [%s] %s %s\n",
				   inet_ntoa(peer->sin_addr), ntohs(peer->sin_port), mac, step, text);
	pthread_cond_broadcast(&ev_cond);
	pthread_mutex_unlock(&ev_lock);
}

/* Waits (at most ms) for an event line holding every one of the substrings a and b (b may be NULL). */
static int wait_event(const char *a, const char *b, int ms)
{
	struct timespec until;
	int found = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ev_lock);
	for (;;) {
		char *line = ev_log;

		ev_log[ev_len] = 0;
		while (line && *line && !found) {
			char *nl = strchr(line, '\n');

			if (nl)
				*nl = 0;
			found = strstr(line, a) && (!b || strstr(line, b));
			if (nl)
				*nl = '\n';
			line = nl ? nl + 1 : NULL;
		}
		if (found || pthread_cond_timedwait(&ev_cond, &ev_lock, &until) == ETIMEDOUT)
			break;
	}
	if (!found)
		fprintf(stderr, "  no event with '%s' '%s' in:\n%s", a, b ? b : "", ev_log);
	pthread_mutex_unlock(&ev_lock);
	return found;
}

static void ev_clear(void)
{
	pthread_mutex_lock(&ev_lock);
	ev_len = 0;
	pthread_mutex_unlock(&ev_lock);
}

/* ---- the test ops: files below g_dir, symlinks out of it refused, "host/bytes" made in memory ---- */

static int test_open(void *ctx, const char *path, const struct sockaddr_in *peer, struct pxe_obj *out,
		     struct rh_err *err)
{
	char full[PATH_MAX + 300], real[PATH_MAX];
	struct stat st;

	(void)ctx;
	(void)peer;
	if (!strcmp(path, "host/bytes")) {
		out->kind = PXE_OBJ_BYTES;
		out->bytes = (uint8_t *)strdup("bytes made for one host\n");
		out->size = strlen((char *)out->bytes);
		snprintf(out->mac, sizeof out->mac, "52-54-00-00-00-01");
		return 0;
	}
	snprintf(full, sizeof full, "%s/%s", g_dir, path);
	if (!realpath(full, real))
		return rh_errf(err, -ENOENT, "%s: not found", path);
	if (strncmp(real, g_dir, strlen(g_dir)) || real[strlen(g_dir)] != '/')
		return rh_errf(err, -EACCES, "%s: a symlink that leaves the served tree", path);
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode))
		return rh_errf(err, -EACCES, "%s: not a regular file", path);
	out->kind = PXE_OBJ_FILE;
	snprintf(out->path, sizeof out->path, "%s", real);
	out->size = (uint64_t)st.st_size;
	return 0;
}

static void *loop_thread(void *arg)
{
	(void)arg;
	pxe_loop_run(g_loop, &g_stop);
	return NULL;
}

/* ---- files ---- */

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

static void make_file(const char *name, uint64_t size)
{
	char path[PATH_MAX + 300];
	uint8_t buf[65536];
	uint64_t i, off;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", g_dir, name);
	f = fopen(path, "wb");
	for (off = 0; off < size; off += sizeof buf) {
		size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;

		for (i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		fwrite(buf, 1, n, f);
	}
	fclose(f);
}

static int check_pattern(const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i] != pattern(i))
			return 0;
	return 1;
}

/* ---- the client ---- */

struct get {
	const char *name;
	unsigned blksize, window, timeout;   /* 0: not asked */
	int tsize;                           /* ask tsize 0 */
	uint64_t drop;                       /* ignore the first arrival of this DATA block (1-based), 0 none */
	int stop_after;                      /* return after this many DATA blocks without ACKing them, 0 never */
	/* results */
	int fd;
	struct sockaddr_in tid;
	uint8_t *data;
	size_t len;
	int oack;
	unsigned o_blksize, o_window, o_timeout;
	uint64_t o_tsize;
	int err_code;
	char err_msg[600];
};

static int client_socket(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	bind(fd, (struct sockaddr *)&a, sizeof a);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static void send_to_port(int fd, unsigned port, const void *pkt, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	sendto(fd, pkt, len, 0, (struct sockaddr *)&a, sizeof a);
}

static size_t put_opt(uint8_t *p, size_t pos, const char *name, unsigned v)
{
	pos += (size_t)sprintf((char *)p + pos, "%s", name) + 1;
	pos += (size_t)sprintf((char *)p + pos, "%u", v) + 1;
	return pos;
}

static void send_ack(struct get *g, uint16_t b)
{
	uint8_t a[4] = { 0, 4, (uint8_t)(b >> 8), (uint8_t)b };

	sendto(g->fd, a, 4, 0, (struct sockaddr *)&g->tid, sizeof g->tid);
}

static void parse_oack(struct get *g, const uint8_t *p, size_t n)
{
	size_t pos = 2;

	g->oack = 1;
	while (pos < n) {
		const char *name = (const char *)p + pos, *val;

		pos += strnlen(name, n - pos) + 1;
		if (pos >= n)
			break;
		val = (const char *)p + pos;
		pos += strnlen(val, n - pos) + 1;
		if (!strcmp(name, "blksize"))
			g->o_blksize = (unsigned)atoi(val);
		else if (!strcmp(name, "windowsize"))
			g->o_window = (unsigned)atoi(val);
		else if (!strcmp(name, "timeout"))
			g->o_timeout = (unsigned)atoi(val);
		else if (!strcmp(name, "tsize"))
			g->o_tsize = strtoull(val, NULL, 10);
	}
}

static void send_rrq(struct get *g)
{
	uint8_t p[1024];
	size_t pos = 2;

	p[0] = 0;
	p[1] = 1;
	pos += (size_t)sprintf((char *)p + pos, "%s", g->name) + 1;
	pos += (size_t)sprintf((char *)p + pos, "octet") + 1;
	if (g->blksize)
		pos = put_opt(p, pos, "blksize", g->blksize);
	if (g->tsize)
		pos = put_opt(p, pos, "tsize", 0);
	if (g->timeout)
		pos = put_opt(p, pos, "timeout", g->timeout);
	if (g->window)
		pos = put_opt(p, pos, "windowsize", g->window);
	send_to_port(g->fd, pxe_tftp_port(g_srv), p, pos);
}

/* One DATA packet: 1 when the transfer is complete. An RFC 7440 receiver: ACK at the end of each window, and
 * once (the last block in order) when a block is missing. */
static int take_data(struct get *g, const uint8_t *p, size_t n, uint64_t *next, unsigned *inwin, int *gap,
		     size_t *cap)
{
	unsigned blk = g->o_blksize ? g->o_blksize : 512, win = g->o_window ? g->o_window : 1;
	uint16_t w = (uint16_t)(p[2] << 8 | p[3]);

	if (w != (uint16_t)*next) {
		if (!*gap)
			send_ack(g, (uint16_t)(*next - 1));
		*gap = 1;
		*inwin = 0;
		return 0;
	}
	if (g->drop == *next) {
		g->drop = 0;   /* lost once */
		return 0;
	}
	*gap = 0;
	if (g->len + n - 4 > *cap) {
		*cap = (*cap + n) * 2;
		g->data = realloc(g->data, *cap);
	}
	if (n > 4)
		memcpy(g->data + g->len, p + 4, n - 4);
	g->len += n - 4;
	(*next)++;
	if (g->stop_after && *next > (uint64_t)g->stop_after)
		return 1;
	if (n - 4 < blk || ++*inwin == win) {
		send_ack(g, (uint16_t)(*next - 1));
		*inwin = 0;
	}
	return n - 4 < blk;
}

/* Runs one download; 0 when it completed (or stop_after was reached), -1 on an ERROR (err_code) or silence. */
static int tget(struct get *g)
{
	static __thread uint8_t p[65536 + 4];
	uint64_t next = 1;
	unsigned inwin = 0;
	int gap = 0, have_tid = 0;
	size_t cap = 0;

	g->fd = client_socket();
	send_rrq(g);
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(g->fd, p, sizeof p, 0, (struct sockaddr *)&from, &fl);

		if (n < 4)
			return -1;
		if (have_tid && from.sin_port != g->tid.sin_port)
			continue;
		g->tid = from;
		have_tid = 1;
		if (p[1] == 5) {
			g->err_code = p[3];
			snprintf(g->err_msg, sizeof g->err_msg, "%.*s", (int)(n - 4), (char *)p + 4);
			return -1;
		}
		if (p[1] == 6) {
			parse_oack(g, p, (size_t)n);
			send_ack(g, 0);
		} else if (p[1] == 3 && take_data(g, p, (size_t)n, &next, &inwin, &gap, &cap)) {
			return 0;
		}
	}
}

static void get_free(struct get *g)
{
	if (g->fd > 0)
		close(g->fd);
	free(g->data);
	g->data = NULL;
}

/* ---- the tests ---- */

static void test_plain_rfc1350(void)
{
	struct get g = { .name = "small.bin" };

	CHECK(tget(&g) == 0);
	CHECK(!g.oack);
	CHECK(g.len == 3000 && check_pattern(g.data, g.len));
	CHECK(wait_event("tftp file=small.bin bytes=3000 blksize=512 window=1", NULL, 3000));
	get_free(&g);
	/* a leading '/' means the top of the tree; an exact multiple of 512 ends with an empty block */
	g = (struct get){ .name = "/exact.bin" };
	CHECK(tget(&g) == 0);
	CHECK(g.len == 1024 && check_pattern(g.data, g.len));
	get_free(&g);
	g = (struct get){ .name = "empty.bin" };
	CHECK(tget(&g) == 0);
	CHECK(g.len == 0);
	get_free(&g);
	g = (struct get){ .name = "host/bytes", .tsize = 1 };
	CHECK(tget(&g) == 0);
	CHECK(g.len == 24 && g.o_tsize == 24 && !memcmp(g.data, "bytes made for one host\n", 24));
	CHECK(wait_event("[52-54-00-00-00-01] tftp file=host/bytes bytes=24", NULL, 3000));
	get_free(&g);
}

static void test_oack_windows(void)
{
	static const unsigned windows[] = { 1, 16, 64 };
	size_t i;

	for (i = 0; i < sizeof windows / sizeof windows[0]; i++) {
		struct get g = { .name = "big.bin", .blksize = 65464, .tsize = 1, .timeout = 3, .window = windows[i] };

		CHECK(tget(&g) == 0);
		CHECK(g.oack && g.o_blksize == 1468 && g.o_tsize == 1000000 && g.o_timeout == 3);
		CHECK(g.o_window == windows[i]);
		CHECK(g.len == 1000000 && check_pattern(g.data, g.len));
		get_free(&g);
	}
	CHECK(wait_event("tftp file=big.bin bytes=1000000 blksize=1468 window=64", NULL, 3000));
	{	/* windowsize above the server's limit is clamped */
		struct get g = { .name = "small.bin", .window = 1000 };

		CHECK(tget(&g) == 0 && g.o_window == 64 && g.len == 3000);
		get_free(&g);
	}
}

static void test_rollover(void)
{
	/* 70,001 blocks of 8 bytes: the block number wraps 65535 -> 0 */
	struct get g = { .name = "roll.bin", .blksize = 8, .window = 64 };

	CHECK(tget(&g) == 0);
	CHECK(g.o_blksize == 8);
	CHECK(g.len == 560000 && check_pattern(g.data, g.len));
	get_free(&g);
}

static void test_lost_data(void)
{
	/* window 1: the client ignores DATA 3; the server's timer (timeout 1 s) sends it again */
	struct get g = { .name = "small.bin", .timeout = 1, .drop = 3 };

	CHECK(tget(&g) == 0);
	CHECK(g.len == 3000 && check_pattern(g.data, g.len));
	get_free(&g);
	/* window 16: block 20 lost mid-window; the ACK of 19 makes the server go back at once */
	g = (struct get){ .name = "big.bin", .window = 16, .blksize = 1024, .drop = 20 };
	CHECK(tget(&g) == 0);
	CHECK(g.len == 1000000 && check_pattern(g.data, g.len));
	get_free(&g);
}

#define NCLIENTS 20
static void *client_thread(void *arg)
{
	struct get *g = arg;

	tget(g);
	return NULL;
}

static void test_many_clients(void)
{
	struct get g[NCLIENTS];
	pthread_t th[NCLIENTS];
	int i;

	for (i = 0; i < NCLIENTS; i++) {
		g[i] = (struct get){ .name = i % 2 ? "big.bin" : "roll.bin", .blksize = 1468, .window = (unsigned)(i % 3) * 8 + 1 };
		pthread_create(&th[i], NULL, client_thread, &g[i]);
	}
	for (i = 0; i < NCLIENTS; i++) {
		pthread_join(th[i], NULL);
		CHECK(g[i].len == (i % 2 ? 1000000u : 560000u) && check_pattern(g[i].data, g[i].len));
		get_free(&g[i]);
	}
}

/* Sends pkt to the server and returns the ERROR code of its answer (-1: none), with the message in msg. */
static int request_error(const void *pkt, size_t len, char *msg, size_t cap)
{
	uint8_t p[1024];
	int fd = client_socket(), code = -1;
	ssize_t n;

	send_to_port(fd, pxe_tftp_port(g_srv), pkt, len);
	n = recv(fd, p, sizeof p, 0);
	if (n >= 4 && p[1] == 5) {
		code = p[3];
		snprintf(msg, cap, "%.*s", (int)(n - 4), (char *)p + 4);
	}
	close(fd);
	return code;
}

static void test_refusals(void)
{
	static char long_opt[400];
	static const struct {
		const char *pkt;
		size_t len;
		int code;
		const char *event;   /* in the tftp-refused line */
	} t[] = {
#define R(s) s, sizeof(s) - 1
		{ R("\0\1../etc/passwd\0octet\0"), 2, "file=../etc/passwd error 2: the file name has an empty, '.' or '..'" },
		{ R("\0\1a/../../x\0octet\0"), 2, "'..' component" },
		{ R("\0\1//etc/passwd\0octet\0"), 2, "file=//etc/passwd error 2" },
		{ R("\0\1/etc/passwd\0octet\0"), 1, "file=/etc/passwd error 1: etc/passwd: not found" },
		{ R("\0\1escape\0octet\0"), 2, "file=escape error 2: escape: a symlink that leaves the served tree" },
		{ R("\0\1sub\0octet\0"), 2, "file=sub error 2: sub: not a regular file" },
		{ R("\0\1a\\b\0octet\0"), 2, "backslash" },
		{ R("\0\1a\033]0;x\0octet\0"), 2, "file=a\\x1b]0;x error 2: the file name has a control character" },
		{ R("\0\2small.bin\0octet\0"), 2, "file=small.bin error 2: write requests are refused" },
		{ R("\0\1small.bin"), 4, "file=small.bin error 4: the file name has no NUL" },
		{ R("\0\1small.bin\0octet"), 4, "the mode has no NUL" },
		{ R("\0\1small.bin\0mail\0"), 4, "not octet or netascii" },
		{ R("\0\1small.bin\0octet\0blksize\000512\0BLKSIZE\000512\0"), 4, "an option is given twice" },
		{ R("\0\1small.bin\0octet\0blksize\00099999\0"), 8, "blksize is not a number" },
		{ R("\0\1small.bin\0octet\0windowsize\0-1\0"), 8, "windowsize is not a number" },
		{ R("\0\1small.bin\0octet\0x-vendor\0a\tb\0"), 8, "an option value has a control character" },
		{ R("\0\4\0\1"), 4, "not a read or write request" },
		{ R("\7"), 4, "not a read or write request" },
#undef R
	};
	uint8_t pkt[600];
	char msg[600];
	size_t i, n;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		int code = request_error(t[i].pkt, t[i].len, msg, sizeof msg);

		if (code != t[i].code)
			fprintf(stderr, "  row %zu: code %d (%s)\n", i, code, msg);
		CHECK(code == t[i].code);
		CHECK(wait_event("tftp-refused", t[i].event, 3000));
	}
	/* an unknown option with an absurd value */
	memset(long_opt, 'x', sizeof long_opt - 1);
	n = (size_t)sprintf((char *)pkt, "%c%csmall.bin%coctet%cx-vendor%c%s", 0, 1, 0, 0, 0, long_opt) + 1;
	CHECK(request_error(pkt, n, msg, sizeof msg) == 8);
	CHECK(wait_event("tftp-refused", "longer than 255 bytes", 3000));
	/* the resolver's message (server paths) stays in the log; the client gets a plain phrase */
	CHECK(request_error("\0\1nothere\0octet\0", 17, msg, sizeof msg) == 1);
	CHECK_STR(msg, "file not found");
	/* and after all that, the server still serves */
	{
		struct get g = { .name = "small.bin" };

		CHECK(tget(&g) == 0 && g.len == 3000);
		get_free(&g);
	}
}

static void test_wrong_tid(void)
{
	uint8_t p[600], ack1[4] = { 0, 4, 0, 1 };
	struct get g = { .name = "small.bin", .stop_after = 1 };
	int other = client_socket();
	ssize_t n;

	/* the client holds DATA 1; a stranger ACKs it from another port and gets ERROR 5 */
	CHECK(tget(&g) == 0 && g.len == 512);
	sendto(other, ack1, 4, 0, (struct sockaddr *)&g.tid, sizeof g.tid);
	n = recv(other, p, sizeof p, 0);
	CHECK(n >= 5 && p[1] == 5 && p[3] == 5);
	/* the transfer goes on for its own client: its ACK 1 brings DATA 2 */
	send_ack(&g, 1);
	n = recv(g.fd, p, sizeof p, 0);
	CHECK(n == 516 && p[1] == 3 && p[3] == 2);
	memcpy(p, "\0\5\0\0bye", 8);   /* an ERROR from the client ends the transfer */
	sendto(g.fd, p, 8, 0, (struct sockaddr *)&g.tid, sizeof g.tid);
	CHECK(wait_event("tftp-abort", "client sent error 0: bye", 3000));
	close(other);
	get_free(&g);
}

static void test_filecache_shared(void)
{
	struct pxe_filecache_stats st;
	struct get a = { .name = "big.bin", .stop_after = 1 }, b = { .name = "big.bin", .stop_after = 1 };
	uint8_t err[8] = { 0, 5, 0, 0, 'x', 0 };

	CHECK(tget(&a) == 0 && tget(&b) == 0);   /* both hold their first block, unacknowledged */
	pxe_filecache_get_stats(pxe_tftp_filecache(g_srv), &st);
	CHECK(st.maps == 1 && st.refs == 2);
	CHECK(st.shared >= 1);
	sendto(a.fd, err, 6, 0, (struct sockaddr *)&a.tid, sizeof a.tid);
	sendto(b.fd, err, 6, 0, (struct sockaddr *)&b.tid, sizeof b.tid);
	CHECK(wait_event("tftp-abort", "file=big.bin", 3000));
	get_free(&a);
	get_free(&b);
	{	/* every transfer ended: nothing stays mapped (the abort events come before the unmapping) */
		struct get g = { .name = "small.bin" };

		ev_clear();
		CHECK(tget(&g) == 0);
		get_free(&g);
		CHECK(wait_event("tftp file=small.bin", NULL, 3000));
	}
	pxe_filecache_get_stats(pxe_tftp_filecache(g_srv), &st);
	if (st.maps || st.refs)
		fprintf(stderr, "  maps %u refs %u\n%s", st.maps, st.refs, ev_log);
	CHECK(st.maps == 0 && st.refs == 0);
}

/* A second server on the same loop with room for one client: the second is told "server busy"; the first, which
 * never acknowledges (timeout 1 s, no backoff), is given up after the retries with one event; then the second is
 * served. */
static void test_busy_and_timeout(void)
{
	struct pxe_tftp_conf conf = { .port = 0, .max_clients = 1 };
	struct pxe_tftp_ops ops = { .open = test_open, .event = test_event };
	struct pxe_tftp *main_srv = g_srv, *busy = NULL;
	struct rh_err err = { 0 };
	struct get a = { .name = "small.bin", .timeout = 1, .tsize = 1, .stop_after = 1 }, b = { .name = "small.bin" };
	uint8_t p[600];

	/* the loop thread is stopped while a server is added: the loop is not thread-safe */
	g_stop = 1;
	pthread_join(g_thread, NULL);
	CHECK(pxe_tftp_start(&conf, &ops, g_loop, &busy, &err) == 0);
	g_stop = 0;
	pthread_create(&g_thread, NULL, loop_thread, NULL);
	if (!busy)
		return;
	g_srv = busy;
	a.fd = client_socket();
	send_rrq(&a);
	CHECK(recvfrom(a.fd, p, sizeof p, 0, NULL, NULL) > 0 && p[1] == 6);   /* the OACK, never acknowledged */
	CHECK(tget(&b) == -1 && b.err_code == 0);
	CHECK_STR(b.err_msg, "server busy");
	get_free(&b);
	CHECK(wait_event("tftp-timeout", "file=small.bin no ACK after 5 retries", 10000));
	b = (struct get){ .name = "small.bin" };
	CHECK(tget(&b) == 0 && b.len == 3000);
	get_free(&b);
	get_free(&a);
	g_stop = 1;
	pthread_join(g_thread, NULL);
	pxe_tftp_stop(busy);
	g_srv = main_srv;
	g_stop = 0;
	pthread_create(&g_thread, NULL, loop_thread, NULL);
}

static void test_start_errors(void)
{
	struct pxe_tftp_conf conf = { .port = 0, .ifname = "lo" };
	struct pxe_tftp_ops ops = { .open = test_open };
	struct pxe_loop *l;
	struct pxe_tftp *t = NULL;
	struct rh_err err = { 0 };

	CHECK(pxe_loop_new(&l) == 0);
	/* lo's MTU of 65536 allows the largest blksize */
	CHECK(pxe_tftp_start(&conf, &ops, l, &t, &err) == 0);
	CHECK(t && pxe_tftp_max_blksize(t) == 65464);
	pxe_tftp_stop(t);
	conf.ifname = "nosuchif0";
	CHECK(pxe_tftp_start(&conf, &ops, l, &t, &err) < 0);
	CHECK(strstr(err.msg, "interface nosuchif0: cannot read its MTU") != NULL);
	rh_err_clear(&err);
	conf = (struct pxe_tftp_conf){ .port = 0, .max_blksize = 1024, .max_window = 70000 };
	CHECK(pxe_tftp_start(&conf, &ops, l, &t, &err) == -EINVAL);
	CHECK(strstr(err.msg, "tftp-max-window 70000") != NULL);
	pxe_loop_free(l);
}

static void setup(void)
{
	struct pxe_tftp_conf conf = { .port = 0 };
	struct pxe_tftp_ops ops = { .open = test_open, .event = test_event };
	struct rh_err err = { 0 };
	char tmpl[] = "/tmp/test_tftp_server.XXXXXX", path[PATH_MAX + 16];

	if (!mkdtemp(tmpl) || !realpath(tmpl, g_dir))
		abort();
	make_file("small.bin", 3000);
	make_file("exact.bin", 1024);
	make_file("empty.bin", 0);
	make_file("big.bin", 1000000);
	make_file("roll.bin", 560000);
	snprintf(path, sizeof path, "%s/sub", g_dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/escape", g_dir);
	if (symlink("/etc/passwd", path) < 0 || pxe_loop_new(&g_loop) < 0 ||
	    pxe_tftp_start(&conf, &ops, g_loop, &g_srv, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		abort();
	}
	pthread_create(&g_thread, NULL, loop_thread, NULL);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	g_stop = 1;
	pthread_join(g_thread, NULL);
	pxe_tftp_stop(g_srv);
	pxe_loop_free(g_loop);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", g_dir);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	setup();
	ev_clear();
	RUN(test_plain_rfc1350);
	ev_clear();
	RUN(test_oack_windows);
	ev_clear();
	RUN(test_rollover);
	ev_clear();
	RUN(test_lost_data);
	ev_clear();
	RUN(test_many_clients);
	ev_clear();
	RUN(test_refusals);
	ev_clear();
	RUN(test_wrong_tid);
	ev_clear();
	RUN(test_filecache_shared);
	ev_clear();
	RUN(test_busy_and_timeout);
	ev_clear();
	RUN(test_start_errors);
	teardown();
	UNIT_EXIT();
}
