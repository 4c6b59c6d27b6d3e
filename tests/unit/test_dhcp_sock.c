/* test_dhcp_sock.c: the DHCP server on real sockets and the real loop (pxe-server/dhcp_sock.c), over loopback
 * only: moved ports (the server on P, replies to P + 1), interface "lo", requests with ciaddr set so that the
 * replies are unicast. A DISCOVER and a REQUEST get their OFFER and ACK, the lease is in the lease file when the
 * ACK arrives, and a restarted server (a new one on the same file) gives the host the same address. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp.h"
#include "fileio.h"
#include "fs.h"
#include "pxe-server/dhcp_sock.h"
#include "pxe-server/loop.h"
#include "unit.h"

#define LO 0x7f000001u

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

struct rig {
	struct pxe_loop *loop;
	struct pxe_dhcp *dhcp;
	pthread_t th;
	volatile sig_atomic_t stop;
	pthread_mutex_t lock;
	char events[4096];
	int client;
	unsigned port;
	unsigned range_n;                /* addresses in the pool (0: 11) */
	int hold;                        /* start() leaves the loop stopped; the test starts its thread */
};

static void on_event(void *ctx, const uint8_t mac[6], const char *step, const char *text)
{
	struct rig *r = ctx;
	size_t n;

	(void)mac;
	pthread_mutex_lock(&r->lock);
	n = strlen(r->events);
	snprintf(r->events + n, sizeof(r->events) - n, "%s %s\n", step, text);
	pthread_mutex_unlock(&r->lock);
}

static int choose(void *ctx, const struct pxe_facts *f, struct pxe_choice *out)
{
	(void)ctx;
	(void)f;
	memset(out, 0, sizeof(*out));
	return 0;
}

static void *run(void *arg)
{
	struct rig *r = arg;

	pxe_loop_run(r->loop, &r->stop);
	return NULL;
}

/* A client socket on 127.0.0.1:P+1 for a free P. */
static int client_socket(unsigned *ret_port)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(LO) };
		socklen_t sl = sizeof(sa);
		int probe = socket(AF_INET, SOCK_DGRAM, 0), fd;
		unsigned p;

		if (probe < 0 || bind(probe, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    getsockname(probe, (struct sockaddr *)&sa, &sl) < 0)
			return -1;
		p = ntohs(sa.sin_port);
		close(probe);
		if (p >= 65535)
			continue;
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		sa.sin_port = htons((uint16_t)(p + 1));
		if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			*ret_port = p;
			return fd;
		}
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

static int start(struct rig *r, const char *lease_file)
{
	struct pxe_settings set;
	struct pxe_dhcp_ops ops = { .ctx = r, .choose = choose, .event = on_event };
	struct rh_err err = { 0 };

	memset(&set, 0, sizeof(set));
	set.mode = PXE_DHCP_FULL;
	snprintf(set.interface, sizeof(set.interface), "lo");
	set.range_first = LO + 99;
	set.range_last = LO + 99 + (r->range_n ? r->range_n : 11) - 1;
	set.lease_seconds = 600;
	set.dhcp_port = r->port;
	set.proxy_port = r->port + 2;
	snprintf(set.lease_file, sizeof(set.lease_file), "%s", lease_file);
	r->stop = 0;
	if (pxe_loop_new(&r->loop) < 0)
		return -1;
	if (pxe_dhcp_start(&set, LO, 0xff000000u, 8080, &ops, r->loop, &r->dhcp, &err) < 0) {
		fprintf(stderr, "  %s\n", err.msg);
		return -1;
	}
	if (r->hold)
		return 0;
	return pthread_create(&r->th, NULL, run, r) == 0 ? 0 : -1;
}

static void finish(struct rig *r)
{
	r->stop = 1;
	pthread_join(r->th, NULL);
	pxe_dhcp_stop(r->dhcp);
	pxe_loop_free(r->loop);
}

/* A request of type from host number i (MAC and xid differ per i; i = 0 is MAC and xid 0x42000000), with
 * ciaddr 127.0.0.1 and, when requested is set, options 50 and 54. */
static void make_request(uint8_t pkt[300], uint8_t type, uint32_t requested, unsigned i)
{
	size_t n = 240;
	static const uint8_t vc[] = "PXEClient:Arch:00000";

	memset(pkt, 0, 300);
	pkt[0] = 1, pkt[1] = 1, pkt[2] = 6;
	pkt[4] = 0x42, pkt[6] = (uint8_t)(i >> 8), pkt[7] = (uint8_t)i;
	pkt[12] = 127; /* ciaddr 127.0.0.1: the reply is unicast */
	pkt[15] = 1;
	memcpy(pkt + 28, MAC, 6);
	pkt[32] ^= (uint8_t)(i >> 8), pkt[33] ^= (uint8_t)i;
	memcpy(pkt + 236, "\x63\x82\x53\x63", 4);
	pkt[n++] = 53, pkt[n++] = 1, pkt[n++] = type;
	pkt[n++] = 60, pkt[n++] = sizeof(vc) - 1;
	memcpy(pkt + n, vc, sizeof(vc) - 1);
	n += sizeof(vc) - 1;
	if (requested) {
		uint32_t be = htonl(requested), sid = htonl(LO);

		pkt[n++] = 50, pkt[n++] = 4;
		memcpy(pkt + n, &be, 4), n += 4;
		pkt[n++] = 54, pkt[n++] = 4;
		memcpy(pkt + n, &sid, 4), n += 4;
	}
	pkt[n++] = 255;
}

/* Sends a request of type with ciaddr 127.0.0.1 (and 50/54 when requested is set) and waits up to 5 s for the
 * reply; returns its yiaddr, 0 when none came. */
static uint32_t exchange(struct rig *r, uint8_t type, uint32_t requested, uint8_t want)
{
	uint8_t pkt[300], buf[1600];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)r->port),
				  .sin_addr.s_addr = htonl(LO) };
	struct pollfd pfd = { .fd = r->client, .events = POLLIN };
	struct dhcp_msg m;
	ssize_t got;

	make_request(pkt, type, requested, 0);
	if (sendto(r->client, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)sizeof(pkt))
		return 0;
	if (poll(&pfd, 1, 5000) != 1)
		return 0;
	got = recv(r->client, buf, sizeof(buf), 0);
	if (got <= 0 || dhcp_parse(buf, (size_t)got, &m, NULL) < 0 || m.msg_type != want || m.xid != 0x42000000u)
		return 0;
	return m.yiaddr;
}

static void test_dora_over_loopback(void)
{
	struct rig r;
	char dir[] = "/tmp/test_dhcp_sock.XXXXXX", lease[128], *text = NULL;
	size_t len = 0;
	uint32_t ip, ip2;

	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.lock, NULL);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(lease, sizeof(lease), "%s/state/leases", dir);
	r.client = client_socket(&r.port);
	CHECK(r.client >= 0);
	if (r.client < 0 || start(&r, lease) < 0) {
		CHECK(0);
		return;
	}
	ip = exchange(&r, DHCP_DISCOVER, 0, DHCP_OFFER);
	CHECK(ip == LO + 99);
	CHECK(exchange(&r, DHCP_REQUEST, ip, DHCP_ACK) == ip);
	/* the ACK came after the lease file was written */
	CHECK(rh_read_file(lease, 1 << 20, &text, &len, NULL) == 0 && text &&
	      strstr(text, "lease 127.0.0.100 52:54:00:ab:cd:ef ") != NULL);
	free(text);
	/* a bad packet is refused with one event, and the server keeps serving */
	{
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)r.port),
					  .sin_addr.s_addr = htonl(LO) };

		CHECK(sendto(r.client, "junk", 4, 0, (struct sockaddr *)&to, sizeof(to)) == 4);
	}
	CHECK(exchange(&r, DHCP_DISCOVER, 0, DHCP_OFFER) == ip);
	finish(&r);
	pthread_mutex_lock(&r.lock);
	CHECK(strstr(r.events, "dhcp-offer 127.0.0.100") != NULL);
	CHECK(strstr(r.events, "dhcp-ack 127.0.0.100") != NULL);
	CHECK(strstr(r.events, "dhcp-refused from 127.0.0.1:") != NULL);
	if (unit_failed_now)
		fprintf(stderr, "%s", r.events);
	pthread_mutex_unlock(&r.lock);

	/* a restart on the same lease file: the host asks for nothing and still gets its address */
	r.events[0] = '\0';
	CHECK(start(&r, lease) == 0);
	ip2 = exchange(&r, DHCP_DISCOVER, 0, DHCP_OFFER);
	CHECK(ip2 == ip);
	finish(&r);
	close(r.client);
	fs_rm_rf(dir, NULL);
	pthread_mutex_destroy(&r.lock);
}

/* A fleet powered on at once: BURST DISCOVERs wait in the socket before the server reads any (its loop not yet
 * running), and every one gets its OFFER. The default receive buffer (~200 KB) held about a hundred of them. */
#define BURST 500

static void test_burst(void)
{
	struct rig r;
	char dir[] = "/tmp/test_dhcp_sock.XXXXXX", lease[128];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(LO) };
	struct pollfd pfd;
	uint8_t pkt[300], buf[1600];
	unsigned i, offers = 0;
	int big = 16 << 20;

	memset(&r, 0, sizeof(r));
	memset(&pfd, 0, sizeof(pfd));
	pthread_mutex_init(&r.lock, NULL);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(lease, sizeof(lease), "%s/leases", dir);
	r.client = client_socket(&r.port);
	r.range_n = BURST;
	r.hold = 1;
	if (r.client < 0 || setsockopt(r.client, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0 ||
	    start(&r, lease) < 0) {
		CHECK(0);
		return;
	}
	to.sin_port = htons((uint16_t)r.port);
	for (i = 0; i < BURST; i++) {
		make_request(pkt, DHCP_DISCOVER, 0, i);
		CHECK(sendto(r.client, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(pkt));
	}
	CHECK(pthread_create(&r.th, NULL, run, &r) == 0);
	pfd.fd = r.client;
	pfd.events = POLLIN;
	while (offers < BURST && poll(&pfd, 1, 5000) == 1) {
		ssize_t got = recv(r.client, buf, sizeof(buf), 0);
		struct dhcp_msg m;

		if (got > 0 && dhcp_parse(buf, (size_t)got, &m, NULL) == 0 && m.msg_type == DHCP_OFFER)
			offers++;
	}
	CHECK(offers == BURST);
	if (offers != BURST)
		fprintf(stderr, "  %u of %u DISCOVERs answered\n", offers, BURST);
	finish(&r);
	close(r.client);
	fs_rm_rf(dir, NULL);
	pthread_mutex_destroy(&r.lock);
}

int main(void)
{
	RUN(test_dora_over_loopback);
	RUN(test_burst);
	UNIT_EXIT();
}
