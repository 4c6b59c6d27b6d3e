/* dhcp_server.h: the decisions of the DHCP server of `ramhost pxe serve` (docs/pxe.md "DHCP"), pure: a packet in,
 * the reply bytes, where they go and the log line out. No sockets, no files, no clock (now is passed in): the
 * unit tests and the fuzz target drive it with packets. dhcp_sock.c owns the sockets, the lease file and the time.
 *
 * full mode: DISCOVER -> OFFER, REQUEST -> ACK or NAK, RELEASE, DECLINE, INFORM -> ACK without an address, from
 * the pool and the reservations of leases.h. proxy mode: boot information only (never an address, never a NAK)
 * to PXEClient/HTTPClient clients: DISCOVER and REQUEST on the DHCP port, REQUEST and INFORM on the proxy port
 * (4011). Both modes pick the boot file from the client's architecture and class through ops->choose (the rules). */
#ifndef RAMHOST_PXE_DHCP_SERVER_H
#define RAMHOST_PXE_DHCP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dhcp.h"
#include "err.h"
#include "leases.h"
#include "server.h"

#define PXE_DHCP_PKT_MAX 1500        /* a longer packet is refused (one MTU; PXE ROMs never send more) */
#define PXE_DHCP_REPLY_MAX 1472      /* 1500 - IP and UDP headers: the cap whatever option 57 says */
#define PXE_DHCP_REFUSED_PER_SEC 20  /* "dhcp-refused" lines per second; more are counted and summed up */
#define PXE_DHCP_QUIET_SECONDS 60    /* "dhcp-no-loader" / "dhcp-pool-full": once a minute per host, not per retry */
#define PXE_DHCP_QUIET_SLOTS 64      /* hosts remembered for that */

/* The glue between the DHCP server and the rest of the server (serve.c wires it to the rules and the log). */
struct pxe_dhcp_ops {
	void *ctx;
	int (*choose)(void *ctx, const struct pxe_facts *f, struct pxe_choice *out);   /* the rules */
	void (*event)(void *ctx, const uint8_t mac[6], const char *step, const char *text); /* one log line */
	void (*leased)(void *ctx, const uint8_t mac[6], uint32_t ip);                  /* may be NULL */
};

/* Where a packet came from. */
struct pxe_dhcp_peer {
	uint32_t ip;        /* source address, host order */
	unsigned port;      /* source port */
	unsigned local_port;/* the port it reached: settings.dhcp_port or settings.proxy_port */
};

struct pxe_dhcp_event {
	char step[24];      /* "dhcp-offer", ...; "" none */
	char text[480];
};

/* What to do with one packet. len 0: nothing to send. */
struct pxe_dhcp_out {
	uint8_t buf[PXE_DHCP_REPLY_MAX];
	size_t len;
	uint32_t dst_ip;    /* host order; 0xffffffff: broadcast on the interface the request came in on */
	unsigned dst_port;
	int save;           /* the lease table changed: write the lease file BEFORE sending */
	uint8_t mac[6];     /* the client, for the events and ops->leased */
	int has_mac;
	uint32_t leased_ip; /* call ops->leased after sending; 0 none */
	struct pxe_dhcp_event ev[2]; /* the log lines of this packet, to emit once it is sent */
	unsigned nev;
};

struct pxe_dhcp_core;

/* A core for set (copied, reservations included) with the server's address and netmask (host order) and the
 * HTTP port for URLs. Full mode builds the pool (leases.h; a bad range is -EINVAL with err). ops is copied. */
int pxe_dhcp_core_new(const struct pxe_settings *set, uint32_t server_ip, uint32_t netmask, unsigned http_port,
		      const struct pxe_dhcp_ops *ops, struct pxe_dhcp_core **ret, struct rh_err *err);
/* Takes new settings (a reload): range, reservations, router, dns, domain, lease time and lease file; bindings
 * in the new range are kept. mode, interface, ports and the server address need a restart: -EBUSY with err,
 * nothing changed. */
int pxe_dhcp_core_update(struct pxe_dhcp_core *c, const struct pxe_settings *set, struct rh_err *err);
void pxe_dhcp_core_free(struct pxe_dhcp_core *c);
/* The pool (full mode), NULL in proxy mode. */
struct pxe_leases *pxe_dhcp_core_leases(struct pxe_dhcp_core *c);
const struct pxe_settings *pxe_dhcp_core_settings(const struct pxe_dhcp_core *c);

/* Decides the answer to pkt[0..len) from peer at now (wall-clock seconds). Always fills out (len 0 when nothing
 * is sent: ignored, refused, released ...). Returns 1 when there is a reply, 0 when not. Never fails: bad input
 * is an event in out ("dhcp-refused"). */
int pxe_dhcp_handle(struct pxe_dhcp_core *c, const uint8_t *pkt, size_t len, const struct pxe_dhcp_peer *peer,
		    int64_t now, struct pxe_dhcp_out *out);

/* Facts of a parsed request (MAC, arch, UUID, giaddr, option 82), as ops->choose gets them. */
void pxe_dhcp_facts(const struct dhcp_msg *m, struct pxe_facts *f);
/* The client architecture: option 93, else ":Arch:NNNNN" of option 60, else 0 (BIOS) for a PXEClient, else -1. */
int pxe_dhcp_client_arch(const struct dhcp_msg *m);

#endif
