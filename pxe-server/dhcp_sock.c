/* dhcp_sock.c: the DHCP server's sockets and their glue to the loop (dhcp_sock.h). Each wakeup reads up to
 * PXE_DHCP_BATCH packets, asks the core for each answer, writes the lease file once when any answer changed a
 * binding, and only then sends: a DHCPACK is never on the wire before the lease it promises is on disk. */
#include "dhcp_sock.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"

struct pxe_dhcp {
	struct pxe_dhcp_core *core;
	struct pxe_loop *loop;
	struct pxe_dhcp_ops ops;
	int fd[2];                       /* DHCP port, proxy port (-1 when not open) */
	char lease_file[PATH_MAX];       /* "" = leases in memory only */
	struct pxe_dhcp_out out[PXE_DHCP_BATCH];
	int ifindex[PXE_DHCP_BATCH];
	int out_fd[PXE_DHCP_BATCH];
	uint8_t rx[PXE_DHCP_PKT_MAX + 1];
};

static void emit(struct pxe_dhcp *d, const uint8_t *mac, const char *step, const char *text)
{
	if (d->ops.event)
		d->ops.event(d->ops.ctx, mac, step, text);
}

static void warn_lease(void *ctx, const char *text)
{
	emit(ctx, NULL, "dhcp-leases", text);
}

static int open_udp(unsigned port, const char *ifname, int *ret, struct rh_err *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, rcvbuf = 4 << 20, rc;

	if (fd < 0)
		return rh_errf(err, -errno, "dhcp: cannot open a UDP socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		rc = rh_errf(err, -errno, "dhcp: cannot set socket options: %s", strerror(errno));
		goto fail;
	}
	/* a fleet powered on at once: 1,000 DISCOVERs arrive together while a batch's lease file is written; the
	 * default buffer (~200 KB) drops most of them and each host waits out its ROM's 4 s, 8 s ... retry.
	 * Best effort: without CAP_NET_ADMIN the kernel caps it at net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (ifname[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0) {
		rc = rh_errf(err, -errno, "dhcp: cannot bind to interface %s: %s", ifname, strerror(errno));
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = rh_errf(err, -errno, "dhcp: cannot bind UDP port %u: %s", port, strerror(errno));
		goto fail;
	}
	*ret = fd;
	return 0;
fail:
	close(fd);
	return rc;
}

/* Reads one packet; 1 with its length, source and interface, 0 when none is waiting. */
static int receive(int fd, uint8_t *buf, size_t cap, size_t *ret_len, struct sockaddr_in *src, int *ifindex)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = { .msg_name = src, .msg_namelen = sizeof(*src), .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0)
		return 0;
	*ifindex = 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
			*ifindex = ((struct in_pktinfo *)(void *)CMSG_DATA(cm))->ipi_ifindex;
	*ret_len = (size_t)n; /* with MSG_TRUNC: the real length, so an oversized packet is seen as such */
	return 1;
}

/* Sends out; a broadcast leaves by the interface the request came in on (IP_PKTINFO). Errors are dropped: the
 * client retransmits, as it does for any lost datagram. */
static void transmit(int fd, const struct pxe_dhcp_out *o, int ifindex)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->dst_port),
				   .sin_addr.s_addr = htonl(o->dst_ip) };
	struct iovec iov = { .iov_base = (void *)o->buf, .iov_len = o->len };
	struct msghdr mh = { .msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (o->dst_ip == 0xffffffffu && ifindex > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		((struct in_pktinfo *)(void *)CMSG_DATA(cm))->ipi_ifindex = ifindex;
	}
	(void)sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Writes the lease file when a batch changed it. 0, or -errno after one "dhcp-lease-error" event. */
static int save_leases(struct pxe_dhcp *d)
{
	struct pxe_leases *l = pxe_dhcp_core_leases(d->core);
	struct rh_err err = { 0 };

	if (!l || !l->dirty || !d->lease_file[0])
		return 0;
	if (pxe_leases_save(l, d->lease_file, (int64_t)time(NULL), &err) == 0)
		return 0;
	emit(d, NULL, "dhcp-lease-error", err.msg);
	return err.rc ? err.rc : -EIO;
}

static void finish(struct pxe_dhcp *d, struct pxe_dhcp_out *o, int fd, int ifindex, int send_it)
{
	unsigned i;

	if (o->len && send_it)
		transmit(fd, o, ifindex);
	if (!send_it && o->len) { /* the lease is not on disk: no ACK; the client asks again */
		emit(d, o->has_mac ? o->mac : NULL, "dhcp-refused", "reply held back: the lease file cannot be written");
		return;
	}
	for (i = 0; i < o->nev; i++)
		emit(d, o->has_mac ? o->mac : NULL, o->ev[i].step, o->ev[i].text);
	if (o->leased_ip && d->ops.leased)
		d->ops.leased(d->ops.ctx, o->mac, o->leased_ip);
}

static void on_packet(void *ctx, int fd, short revents)
{
	struct pxe_dhcp *d = ctx;
	struct pxe_dhcp_peer peer;
	struct sockaddr_in src;
	size_t len;
	int n = 0, i, need_save = 0, saved;
	int64_t now = (int64_t)time(NULL);

	(void)revents;
	peer.local_port = fd == d->fd[0] ? pxe_dhcp_core_settings(d->core)->dhcp_port :
		pxe_dhcp_core_settings(d->core)->proxy_port;
	while (n < PXE_DHCP_BATCH && receive(fd, d->rx, sizeof(d->rx), &len, &src, &d->ifindex[n])) {
		peer.ip = ntohl(src.sin_addr.s_addr);
		peer.port = ntohs(src.sin_port);
		pxe_dhcp_handle(d->core, d->rx, len, &peer, now, &d->out[n]);
		need_save |= d->out[n].save;
		n++;
	}
	saved = need_save ? save_leases(d) == 0 : 1;
	for (i = 0; i < n; i++)
		finish(d, &d->out[i], fd, d->ifindex[i], saved || !d->out[i].save);
}

static int64_t on_tick(void *ctx, uint64_t now_ms)
{
	struct pxe_dhcp *d = ctx;
	struct pxe_leases *l = pxe_dhcp_core_leases(d->core);

	if (l)
		pxe_leases_expire(l, (int64_t)time(NULL));
	return (int64_t)(now_ms + PXE_DHCP_TICK_MS);
}

static int load_leases(struct pxe_dhcp *d, struct rh_err *err)
{
	struct pxe_leases *l = pxe_dhcp_core_leases(d->core);
	unsigned outside = 0;
	char text[PATH_MAX + 96];
	int rc;

	if (!l || !d->lease_file[0])
		return 0;
	rc = pxe_leases_load(l, d->lease_file, warn_lease, d, &outside, err);
	if (rc < 0)
		return rc;
	if (outside) {
		snprintf(text, sizeof(text), "%s: %u entries outside the range %s dropped", d->lease_file, outside,
			 "(the range changed)");
		emit(d, NULL, "dhcp-leases", text);
	}
	return 0;
}

static int lease_dir(const char *path, struct rh_err *err)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return rh_mkdir_p(dir, 0755, err);
}

static int open_all(struct pxe_dhcp *d, const struct pxe_settings *set, struct rh_err *err)
{
	const struct pxe_settings *s = pxe_dhcp_core_settings(d->core);
	int rc = open_udp(s->dhcp_port, set->interface, &d->fd[0], err);

	if (rc < 0)
		return rc;
	if (set->mode == PXE_DHCP_PROXY) {
		rc = open_udp(s->proxy_port, set->interface, &d->fd[1], err);
		if (rc < 0)
			return rc;
	}
	rc = pxe_loop_add_fd(d->loop, d->fd[0], POLLIN, on_packet, d);
	if (rc == 0 && d->fd[1] >= 0)
		rc = pxe_loop_add_fd(d->loop, d->fd[1], POLLIN, on_packet, d);
	if (rc == 0)
		rc = pxe_loop_add_tick(d->loop, on_tick, d);
	if (rc < 0)
		return rh_errf(err, rc, "dhcp: cannot register on the loop: %s", strerror(-rc));
	return 0;
}

int pxe_dhcp_start(const struct pxe_settings *set, uint32_t server_ip, uint32_t netmask, unsigned http_port,
		   const struct pxe_dhcp_ops *ops, struct pxe_loop *loop, struct pxe_dhcp **ret, struct rh_err *err)
{
	struct pxe_dhcp *d;
	int rc;

	*ret = NULL;
	if (set->mode == PXE_DHCP_OFF)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return rh_errf(err, -ENOMEM, "dhcp: out of memory");
	d->fd[0] = d->fd[1] = -1;
	d->loop = loop;
	if (ops)
		d->ops = *ops;
	rc = pxe_dhcp_core_new(set, server_ip, netmask, http_port, ops, &d->core, err);
	if (rc < 0)
		goto fail;
	if (set->mode == PXE_DHCP_FULL && set->lease_file[0]) {
		snprintf(d->lease_file, sizeof(d->lease_file), "%s", set->lease_file);
		rc = lease_dir(d->lease_file, err);
		if (rc == 0)
			rc = load_leases(d, err);
		if (rc < 0)
			goto fail;
	}
	rc = open_all(d, set, err);
	if (rc < 0)
		goto fail;
	*ret = d;
	return 0;
fail:
	pxe_dhcp_stop(d);
	return rc;
}

int pxe_dhcp_update(struct pxe_dhcp *d, const struct pxe_settings *set, struct rh_err *err)
{
	int rc;

	if (!d)
		return set->mode == PXE_DHCP_OFF ? 0 : rh_errf(err, -EBUSY, "dhcp: a new mode needs a restart");
	rc = pxe_dhcp_core_update(d->core, set, err);
	if (rc < 0)
		return rc;
	if (strcmp(set->lease_file, d->lease_file)) {
		snprintf(d->lease_file, sizeof(d->lease_file), "%s", set->lease_file);
		if (d->lease_file[0] && lease_dir(d->lease_file, err) < 0)
			return err ? err->rc : -EIO;
	}
	return save_leases(d) < 0 ? rh_errf(err, -EIO, "dhcp: %s: the lease file cannot be written", d->lease_file)
				  : 0;
}

void pxe_dhcp_stop(struct pxe_dhcp *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < 2; i++)
		if (d->fd[i] >= 0) {
			if (d->loop)
				pxe_loop_del_fd(d->loop, d->fd[i]);
			close(d->fd[i]);
		}
	pxe_dhcp_core_free(d->core);
	free(d);
}

struct pxe_dhcp_core *pxe_dhcp_get_core(struct pxe_dhcp *d)
{
	return d->core;
}
