/* tftp_server.c: the TFTP server on the poll loop (tftp_server.h). Requests arrive on the listening socket and are
 * checked (tftp_request.c) in the order the cost grows: the packet (lib/tftp's parser), a write request, the options, the
 * client limit, the name (tftp_path_check), then what it means (ops->open) and the negotiation. Each accepted
 * request becomes a transfer with its own socket bound to the address the request came to; its window is sent
 * with sendmmsg straight from the shared mapping, and ACKs drive lib/tftp's session. One tick retransmits what
 * is due and gives up on transfers whose retries are spent. */
#include "tftp_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "filecache.h"
#include "textesc.h"
#include "tftp.h"

#define TFTP_BATCH 64                /* DATA packets per sendmmsg */
#define TFTP_RECV_BURST 64           /* requests read per wakeup, so a flood cannot starve the transfers */
#define TFTP_ACK_BATCH 16            /* packets a transfer's socket reads per wakeup (recvmmsg) */
#define TFTP_ACK_SLOT 1024
#define TFTP_NAME_ESC (TFTP_PATH_MAX * TEXTESC_MAX_GROWTH + 1)

struct xfer {
	struct xfer *next, *prev;
	struct pxe_tftp *t;
	int fd;                          /* the transfer's socket: its port is our TID */
	struct sockaddr_in peer;         /* the client's TID */
	struct tftp_session s;
	struct pxe_fmap *map;            /* FILE: the shared mapping */
	uint8_t *bytes;                  /* BYTES: owned */
	const uint8_t *data;
	uint64_t size;
	uint64_t t0;
	int blocked;                     /* a send would block: waiting for POLLOUT */
	uint8_t oack[512];
	int oack_len;
	char name[TFTP_NAME_ESC];        /* escaped, for events */
	char mac[PXE_MAC_TEXT];
};

struct pxe_tftp {
	struct pxe_tftp_ops ops;
	struct pxe_loop *loop;
	int fd;
	unsigned port;
	uint32_t bind_ip;
	struct tftp_limits lim;
	unsigned max_clients, nxfers;
	struct xfer *xfers;
	struct pxe_filecache *cache;
	uint8_t buf[65536];
};

_Static_assert(TFTP_ACK_BATCH * TFTP_ACK_SLOT <= sizeof(((struct pxe_tftp *)0)->buf), "ACK slots fit the buffer");

static void event(struct pxe_tftp *t, const struct sockaddr_in *peer, const char *mac, const char *step,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void event(struct pxe_tftp *t, const struct sockaddr_in *peer, const char *mac, const char *step,
		  const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	if (!t->ops.event)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	t->ops.event(t->ops.ctx, peer, mac, step, text);
}

static void send_error(int fd, const struct sockaddr_in *to, int code, const char *msg)
{
	uint8_t pkt[516];
	int n = tftp_build_error(pkt, sizeof pkt, (uint16_t)code, msg);

	if (n > 0)
		(void)sendto(fd, pkt, (size_t)n, 0, (const struct sockaddr *)to, sizeof *to);
}

/* Reports a refused request with the escaped name and reason, and answers it with ERROR code and text wire. */
static void refuse_as(struct pxe_tftp *t, const struct sockaddr_in *peer, const char *mac, const char *name,
		      int code, const char *reason, const char *wire)
{
	char esc[1024 * TEXTESC_MAX_GROWTH + 1];

	textesc(esc, sizeof esc, reason, strnlen(reason, 1024));
	event(t, peer, mac, "tftp-refused", "file=%s error %d: %s", name, code, esc);
	send_error(t->fd, peer, code, wire);
}

/* refuse_as with the reason sent as it is (a fixed phrase: the client's own name is not echoed). */
static void refuse(struct pxe_tftp *t, const struct sockaddr_in *peer, const char *mac, const char *name,
		   int code, const char *reason)
{
	refuse_as(t, peer, mac, name, code, reason, reason);
}

/* The ERROR text for a refusal by the resolver, whose own message (with server paths) goes to the log only. */
static const char *wire_text(int code)
{
	if (code == TFTP_ERR_NOT_FOUND)
		return "file not found";
	if (code == TFTP_ERR_ACCESS)
		return "access violation";
	return "cannot serve this file";
}

/* ---- transfers ---- */

static void xfer_free(struct xfer *x)
{
	struct pxe_tftp *t = x->t;

	if (x->fd >= 0) {
		pxe_loop_del_fd(t->loop, x->fd);
		close(x->fd);
	}
	if (x->prev)
		x->prev->next = x->next;
	else if (t->xfers == x)
		t->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	if (x->map)
		pxe_filecache_put(t->cache, x->map);
	free(x->bytes);
	t->nxfers--;
	free(x);
}

static double seconds_since(uint64_t t0)
{
	return (double)(pxe_now_ms() - t0) / 1000.0;
}

/* Ends x with one event; the event comes after x is freed (its mapping put back), so whoever sees it sees the
 * transfer gone. */
static void xfer_end(struct xfer *x, const char *step, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void xfer_end(struct xfer *x, const char *step, const char *fmt, ...)
{
	struct pxe_tftp *t = x->t;
	struct sockaddr_in peer = x->peer;
	char mac[PXE_MAC_TEXT], text[2048];
	va_list ap;

	memcpy(mac, x->mac, sizeof mac);
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	xfer_free(x);
	event(t, &peer, mac, step, "%s", text);
}

static void xfer_done(struct xfer *x)
{
	xfer_end(x, "tftp", "file=%s bytes=%llu blksize=%u window=%u seconds=%.3f", x->name,
		 (unsigned long long)x->size, x->s.blksize, x->s.windowsize, seconds_since(x->t0));
}

static void xfer_timeout(struct xfer *x)
{
	uint64_t acked = x->s.una > 1 ? (x->s.una - 1) * x->s.blksize : 0;

	if (acked > x->size)
		acked = x->size;
	send_error(x->fd, &x->peer, TFTP_ERR_UNDEF, "timed out");
	xfer_end(x, "tftp-timeout", "file=%s no ACK after %u retries, %llu of %llu bytes acknowledged", x->name,
		 x->s.retries, (unsigned long long)acked, (unsigned long long)x->size);
}

/* Sends what the session says is due now, in batches. A send that would block rewinds the session to the first
 * packet not sent and waits for POLLOUT. Returns 0, or -ETIMEDOUT when the retries are spent. */
static int pump(struct xfer *x, uint64_t now)
{
	struct mmsghdr msg[TFTP_BATCH];
	struct iovec iov[TFTP_BATCH][2];
	uint8_t hdr[TFTP_BATCH][TFTP_HDR];
	uint64_t block[TFTP_BATCH];
	struct tftp_send p;
	int n, sent, rc = 0;

	while (!x->blocked) {
		for (n = 0; n < TFTP_BATCH && (rc = tftp_session_next(&x->s, now, &p)) == 1; n++) {
			block[n] = p.block;
			memset(&msg[n], 0, sizeof msg[n]);
			msg[n].msg_hdr.msg_name = &x->peer;
			msg[n].msg_hdr.msg_namelen = sizeof x->peer;
			msg[n].msg_hdr.msg_iov = iov[n];
			if (p.block == 0) {
				iov[n][0] = (struct iovec){ x->oack, (size_t)x->oack_len };
				msg[n].msg_hdr.msg_iovlen = 1;
				continue;
			}
			tftp_build_data(hdr[n], sizeof hdr[n], p.wire, NULL, 0);
			iov[n][0] = (struct iovec){ hdr[n], TFTP_HDR };
			iov[n][1] = (struct iovec){ hdr[n], 0 };   /* the last block may be empty (and data NULL) */
			if (p.len)
				iov[n][1] = (struct iovec){ (void *)(x->data + p.offset), p.len };
			msg[n].msg_hdr.msg_iovlen = 2;
		}
		if (n == 0)
			break;
		sent = sendmmsg(x->fd, msg, (unsigned)n, 0);
		if (sent < 0)
			sent = (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR) ? 0 : n;
		if (sent < n) {   /* the rest goes when the socket drains: never counted as lost */
			x->s.nxt = block[sent];
			x->blocked = 1;
			pxe_loop_mod_fd(x->t->loop, x->fd, POLLIN | POLLOUT);
		}
		if (rc < 0)
			break;
	}
	return rc < 0 ? rc : 0;
}

/* One packet on a transfer's socket: 1 when the transfer ended (x is freed). */
static int xfer_packet(struct xfer *x, const uint8_t *buf, size_t len, const struct sockaddr_in *from, uint64_t now)
{
	uint16_t b, code;
	const char *msg;
	size_t mlen;
	char esc[512 * TEXTESC_MAX_GROWTH + 1];
	int op = tftp_opcode(buf, len);

	if (from->sin_addr.s_addr != x->peer.sin_addr.s_addr || from->sin_port != x->peer.sin_port) {
		if (op != TFTP_ERROR)   /* never answer an ERROR: two confused peers would loop */
			send_error(x->fd, from, TFTP_ERR_UNKNOWN_TID, "unknown transfer ID");
		return 0;
	}
	if (op == TFTP_ACK && tftp_parse_ack(buf, len, &b) == 0) {
		tftp_session_ack(&x->s, b, now);
		return 0;
	}
	if (op == TFTP_ERROR && tftp_parse_error(buf, len, &code, &msg, &mlen) == 0) {
		/* A PXE client asks for the size (tsize 0) and ends the transfer with ERROR 8 after the OACK, then
		 * asks again for the data (EDK2, and the PXE spec's MTFTP "get file size"): not a failed step. */
		if (code == 8 && x->oack_len > 0 && x->s.una <= 1) {
			xfer_free(x);
			return 0;
		}
		textesc(esc, sizeof esc, msg, mlen > 512 ? 512 : mlen);
		xfer_end(x, "tftp-abort", "file=%s client sent error %u: %s", x->name, code, esc);
		return 1;
	}
	return 0;   /* anything else from the client (a repeated request, garbage) is ignored: the timer recovers */
}

static void xfer_input(void *ctx, int fd, short revents)
{
	struct xfer *x = ctx;
	struct pxe_tftp *t = x->t;
	struct sockaddr_in from[TFTP_ACK_BATCH];
	struct mmsghdr msg[TFTP_ACK_BATCH];
	struct iovec iov[TFTP_ACK_BATCH];
	uint64_t now = pxe_now_ms();
	int i, n;

	if ((revents & POLLOUT) && x->blocked) {
		x->blocked = 0;
		pxe_loop_mod_fd(t->loop, fd, POLLIN);
	}
	/* a client sends ACKs and perhaps an ERROR: small packets, a batch of them in one call (a longer packet is
	 * cut to its slot, which an ERROR survives) */
	for (i = 0; i < TFTP_ACK_BATCH; i++) {
		iov[i] = (struct iovec){ t->buf + i * TFTP_ACK_SLOT, TFTP_ACK_SLOT };
		msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &from[i], .msg_namelen = sizeof from[i],
							.msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	n = recvmmsg(fd, msg, TFTP_ACK_BATCH, MSG_DONTWAIT, NULL);
	for (i = 0; i < n; i++) {
		if (msg[i].msg_hdr.msg_namelen < sizeof from[i] || from[i].sin_family != AF_INET)
			continue;
		if (xfer_packet(x, iov[i].iov_base, msg[i].msg_len, &from[i], now))
			return;
	}
	if (tftp_session_done(&x->s)) {
		xfer_done(x);
		return;
	}
	if (pump(x, now) < 0)
		xfer_timeout(x);
}

/* Retransmits what is due and ends transfers whose retries are spent; returns when it next needs to run. */
static int64_t tftp_tick(void *ctx, uint64_t now)
{
	struct pxe_tftp *t = ctx;
	struct xfer *x, *next;
	int64_t due = -1, d;

	for (x = t->xfers; x; x = next) {
		next = x->next;
		if (!x->blocked && now >= x->s.deadline_ms && pump(x, now) < 0) {
			xfer_timeout(x);
			continue;
		}
		d = (int64_t)x->s.deadline_ms;
		if (x->blocked || d <= (int64_t)now)
			d = (int64_t)now + 50;   /* POLLOUT resumes it; keep ticking meanwhile */
		if (due < 0 || d < due)
			due = d;
	}
	return due;
}

/* A socket for a new transfer, bound to the address the request came to (so the reply comes from where the
 * client sent it) and an ephemeral port. */
static int xfer_socket(const struct in_addr *local, struct rh_err *err)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr = *local };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return rh_errf(err, -errno, "transfer socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		int rc = -errno;

		close(fd);
		return rh_errf(err, rc, "transfer socket: bind: %s", strerror(-rc));
	}
	return fd;
}

/* The data of obj for x: the shared mapping of a FILE, or the BYTES taken over. */
static int xfer_data(struct pxe_tftp *t, struct xfer *x, struct pxe_obj *obj, struct rh_err *err)
{
	int rc;

	if (obj->kind == PXE_OBJ_BYTES) {
		x->bytes = obj->bytes;
		obj->bytes = NULL;
		x->data = x->bytes;
		x->size = obj->size;
		return 0;
	}
	if (obj->kind != PXE_OBJ_FILE)
		return rh_errf(err, -EINVAL, "the resolver gave no file");
	rc = pxe_filecache_open(t->cache, obj->path, &x->map, err);
	if (rc < 0)
		return rc;
	x->data = pxe_fmap_data(x->map);
	x->size = pxe_fmap_size(x->map);
	return 0;
}

/* Starts the transfer of obj to peer: its data, the negotiation, its socket. Refuses (ERROR and event) itself. */
static void xfer_start(struct pxe_tftp *t, const struct tftp_request *rq, struct pxe_obj *obj,
		       const struct sockaddr_in *peer, const struct in_addr *local, const char *name)
{
	struct rh_err err = { 0 };
	const char *why = NULL;
	struct xfer *x = calloc(1, sizeof *x);
	uint64_t now = pxe_now_ms();
	int rc;

	if (!x) {
		refuse(t, peer, obj->mac, name, TFTP_ERR_UNDEF, "server out of memory");
		return;
	}
	x->t = t;
	x->fd = -1;
	x->peer = *peer;
	snprintf(x->name, sizeof x->name, "%s", name);
	snprintf(x->mac, sizeof x->mac, "%s", obj->mac);
	x->next = t->xfers;
	if (t->xfers)
		t->xfers->prev = x;
	t->xfers = x;
	t->nxfers++;
	rc = xfer_data(t, x, obj, &err);
	if (rc < 0) {
		refuse_as(t, peer, x->mac, name, tftp_error_code(rc), err.msg, wire_text(tftp_error_code(rc)));
		goto fail;
	}
	rc = tftp_negotiate(rq, &t->lim, x->size, &x->s, &why);
	if (rc < 0) {
		refuse(t, peer, x->mac, name, tftp_error_code(rc), why);
		goto fail;
	}
	x->oack_len = x->s.oack ? tftp_build_oack(&x->s, x->oack, sizeof x->oack) : 0;
	if (x->oack_len < 0) {   /* four numbers: cannot happen with a 512-byte buffer */
		refuse(t, peer, x->mac, name, TFTP_ERR_UNDEF, "the OACK does not fit");
		goto fail;
	}
	x->fd = xfer_socket(local, &err);
	if (x->fd < 0 || pxe_loop_add_fd(t->loop, x->fd, POLLIN, xfer_input, x) < 0) {
		refuse(t, peer, x->mac, name, TFTP_ERR_UNDEF, "server busy");
		goto fail;
	}
	x->t0 = now;
	tftp_session_start(&x->s, now);
	pump(x, now);
	pxe_loop_wake_ticks(t->loop);
	return;
fail:
	xfer_free(x);
}

/* ---- requests (checked by tftp_request.c) ---- */

/* Checks a request packet and what its name means; starts the transfer or refuses. */
static void handle_request(struct pxe_tftp *t, const uint8_t *buf, size_t len, const struct sockaddr_in *peer,
			   const struct in_addr *local)
{
	char name[TFTP_NAME_ESC];
	struct tftp_request rq;
	struct pxe_obj *obj = NULL;
	struct rh_err err = { 0 };
	const char *why = NULL, *rel = NULL;
	int rc, code = 0;

	rc = pxe_tftp_check_request(buf, len, &rq, &rel, name, sizeof name, &code, &why);
	if (rc > 0)
		return;
	if (rc < 0) {
		refuse(t, peer, "", name, code, why);
		return;
	}
	if (t->nxfers >= t->max_clients) {
		refuse(t, peer, "", name, TFTP_ERR_UNDEF, "server busy");
		return;
	}
	obj = calloc(1, sizeof *obj);   /* PATH_MAX inside: not on the stack */
	if (!obj) {
		refuse(t, peer, "", name, TFTP_ERR_UNDEF, "server out of memory");
		return;
	}
	rc = t->ops.open(t->ops.ctx, rel, peer, obj, &err);
	if (rc < 0)
		refuse_as(t, peer, obj->mac, name, tftp_error_code(rc), err.msg[0] ? err.msg : "refused",
			  wire_text(tftp_error_code(rc)));
	else
		xfer_start(t, &rq, obj, peer, local, name);
	free(obj->bytes);
	free(obj);
}

/* Reads requests from the listening socket, with the local address each came to (IP_PKTINFO). */
static void listen_input(void *ctx, int fd, short revents)
{
	struct pxe_tftp *t = ctx;
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct sockaddr_in from;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct in_addr local;
	ssize_t n;
	int i;

	(void)revents;
	for (i = 0; i < TFTP_RECV_BURST; i++) {
		iov = (struct iovec){ t->buf, sizeof t->buf };
		mh = (struct msghdr){ .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf.buf, .msg_controllen = sizeof cbuf.buf };
		n = recvmsg(fd, &mh, 0);
		if (n < 0)
			break;
		if (mh.msg_namelen < sizeof from || from.sin_family != AF_INET)
			continue;
		local.s_addr = htonl(t->bind_ip);
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
				local = ((const struct in_pktinfo *)(const void *)CMSG_DATA(cm))->ipi_spec_dst;
		handle_request(t, t->buf, (size_t)n, &from, &local);
	}
}

/* ---- start and stop ---- */

/* The largest blksize the interface carries: its MTU - 32 (IP 20, UDP 8, TFTP 4), 1468 without an interface. */
static int mtu_blksize(const char *ifname, unsigned *ret, struct rh_err *err)
{
	struct ifreq ifr;
	int fd, rc = 0;

	*ret = 1468;
	if (!ifname || !*ifname)
		return 0;
	if (strlen(ifname) >= sizeof ifr.ifr_name)
		return rh_errf(err, -EINVAL, "interface name too long: %s", ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return rh_errf(err, -errno, "socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		rc = rh_errf(err, -errno, "interface %s: cannot read its MTU: %s", ifname, strerror(errno));
	else if (ifr.ifr_mtu < 32 + TFTP_BLKSIZE_MIN)
		rc = rh_errf(err, -EINVAL, "interface %s: MTU %d is too small for TFTP", ifname, ifr.ifr_mtu);
	else
		*ret = ifr.ifr_mtu - 32 > TFTP_BLKSIZE_MAX ? TFTP_BLKSIZE_MAX : (unsigned)ifr.ifr_mtu - 32;
	close(fd);
	return rc;
}

static int limits(struct pxe_tftp *t, const struct pxe_tftp_conf *c, struct rh_err *err)
{
	unsigned mtu_blk;
	int rc = mtu_blksize(c->ifname, &mtu_blk, err);

	if (rc < 0)
		return rc;
	tftp_limits_default(&t->lim);
	t->lim.max_blksize = mtu_blk;
	if (c->max_blksize && c->max_blksize < mtu_blk)
		t->lim.max_blksize = c->max_blksize;
	if (t->lim.max_blksize < TFTP_BLKSIZE_MIN)
		return rh_errf(err, -EINVAL, "tftp-max-blksize %u is below %u", c->max_blksize, TFTP_BLKSIZE_MIN);
	if (c->max_window > 65535)
		return rh_errf(err, -EINVAL, "tftp-max-window %u is over 65535", c->max_window);
	if (c->max_window)
		t->lim.max_window = c->max_window;
	t->max_clients = c->max_clients ? c->max_clients : 256;
	return 0;
}

static int listen_socket(struct pxe_tftp *t, const struct pxe_tftp_conf *c, struct rh_err *err)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)c->port),
				 .sin_addr.s_addr = htonl(c->bind_ip) };
	socklen_t al = sizeof a;
	int one = 1;

	if (c->port > 65535)
		return rh_errf(err, -EINVAL, "tftp-port %u is over 65535", c->port);
	t->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return rh_errf(err, -errno, "TFTP socket: %s", strerror(errno));
	if (setsockopt(t->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0)
		return rh_errf(err, -errno, "TFTP socket: IP_PKTINFO: %s", strerror(errno));
	if (bind(t->fd, (struct sockaddr *)&a, sizeof a) < 0)
		return rh_errf(err, -errno, "TFTP port %s:%u: %s", inet_ntoa(a.sin_addr), c->port, strerror(errno));
	if (getsockname(t->fd, (struct sockaddr *)&a, &al) < 0)
		return rh_errf(err, -errno, "TFTP socket: %s", strerror(errno));
	t->port = ntohs(a.sin_port);
	return 0;
}

int pxe_tftp_start(const struct pxe_tftp_conf *c, const struct pxe_tftp_ops *ops, struct pxe_loop *loop,
		   struct pxe_tftp **ret, struct rh_err *err)
{
	struct pxe_tftp *t;
	int rc;

	if (!ops || !ops->open)
		return rh_errf(err, -EINVAL, "TFTP server: no open callback");
	t = calloc(1, sizeof *t);
	if (!t)
		return rh_errf(err, -ENOMEM, "TFTP server: out of memory");
	t->fd = -1;
	t->ops = *ops;
	t->loop = loop;
	t->bind_ip = c->bind_ip;
	rc = limits(t, c, err);
	if (rc == 0)
		rc = pxe_filecache_new(&t->cache);
	if (rc == 0)
		rc = listen_socket(t, c, err);
	if (rc == 0 && (rc = pxe_loop_add_fd(loop, t->fd, POLLIN, listen_input, t)) < 0)
		rh_errf(err, rc, "TFTP server: cannot watch its socket");
	if (rc == 0 && (rc = pxe_loop_add_tick(loop, tftp_tick, t)) < 0)
		rh_errf(err, rc, "TFTP server: cannot add its timer");
	if (rc < 0) {
		pxe_tftp_stop(t);
		return rc;
	}
	*ret = t;
	return 0;
}

unsigned pxe_tftp_port(const struct pxe_tftp *t)
{
	return t->port;
}

unsigned pxe_tftp_active(const struct pxe_tftp *t)
{
	return t->nxfers;
}

unsigned pxe_tftp_max_blksize(const struct pxe_tftp *t)
{
	return t->lim.max_blksize;
}

struct pxe_filecache *pxe_tftp_filecache(struct pxe_tftp *t)
{
	return t->cache;
}

void pxe_tftp_stop(struct pxe_tftp *t)
{
	if (!t)
		return;
	while (t->xfers)
		xfer_free(t->xfers);
	pxe_loop_del_tick(t->loop, tftp_tick, t);
	if (t->fd >= 0) {
		pxe_loop_del_fd(t->loop, t->fd);
		close(t->fd);
	}
	pxe_filecache_free(t->cache);
	free(t);
}
