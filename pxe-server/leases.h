/* leases.h: the address pool of the full-mode DHCP server (docs/pxe.md "DHCP"): one entry per pool address,
 * the static reservations by MAC, and the lease file that carries the bindings across restarts.
 *
 * Time is wall-clock seconds (time(NULL)), so that expiry times in the lease file mean the same after a restart.
 * Every call is pure memory work except pxe_leases_load and pxe_leases_save (the file); the fuzz target and the
 * unit tests drive the pool without files. Not thread-safe: the DHCP server uses it from the loop's thread.
 *
 * An entry is in one of these states (derived from its fields and now, so nothing needs a timer to be right):
 *   FREE      never bound, or its offer / decline hold ran out
 *   OFFERED   held for a MAC by an OFFER until offer_until (PXE_LEASE_OFFER_HOLD)
 *   BOUND     leased to a MAC until expires
 *   EXPIRED   the lease ran out or was released; the binding is remembered, so the same host gets it back
 *             unless the pool had to reuse it (oldest expiry first, after every FREE address)
 *   DECLINED  a client said the address is in use (DHCPDECLINE): set aside until expires
 *   EXCLUDED  the server's own address, the subnet's network or broadcast address, or reserved for a MAC
 *
 * Lease file (text, one entry per line, written whole and atomically, '#' comments and blank lines ignored):
 *   lease IP MAC EXPIRES        a binding; EXPIRES is Unix time (UTC seconds), in the past for an expired one
 *   declined IP UNTIL           an address set aside by a DHCPDECLINE until UNTIL
 * e.g. "lease 10.0.0.100 52:54:00:12:34:56 1765000000". A damaged line is reported (FILE:LINE: what) and
 * dropped; entries outside the current pool (the range changed) are dropped and counted. */
#ifndef RAMHOST_PXE_LEASES_H
#define RAMHOST_PXE_LEASES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

#define PXE_LEASE_POOL_MAX 65536          /* addresses in a range (a /16); a larger range is refused at start */
#define PXE_LEASE_OFFER_HOLD 60           /* seconds an OFFER keeps its address for the client */
#define PXE_LEASE_DECLINE_HOLD 600        /* seconds a declined address is set aside */
#define PXE_LEASE_FILE_MAX (16u << 20)    /* a longer lease file is refused at start */
#define PXE_LEASE_LINE_MAX 200            /* a longer line is damaged */

enum pxe_lease_state {
	PXE_LEASE_FREE = 0, PXE_LEASE_OFFERED, PXE_LEASE_BOUND, PXE_LEASE_EXPIRED, PXE_LEASE_DECLINED,
	PXE_LEASE_EXCLUDED,
};

struct pxe_lease {
	uint8_t mac[6];
	uint8_t used;         /* mac is meaningful (offered, bound or remembered); the entry is in the MAC index */
	uint8_t declined;     /* set aside until expires */
	uint8_t excluded;     /* never handed out from the pool */
	int64_t expires;      /* lease end (used; 0 = never bound) or end of the decline hold */
	int64_t offer_until;  /* an OFFER holds the address for mac until then */
	int64_t saved;        /* expires as the lease file has it (0: not in the file) */
	uint32_t next;        /* MAC index chain: index + 1 of the next entry, 0 at the end */
};

struct pxe_leases {
	uint32_t first, last;             /* the pool, host order */
	uint32_t n;                       /* last - first + 1 */
	struct pxe_lease *e;
	uint32_t *bucket;                 /* MAC index: index + 1 of a chain's first entry */
	uint32_t nbucket;                 /* a power of two */
	struct pxe_reservation *res_mac;  /* the reservations sorted by MAC (a copy) */
	uint32_t *res_ip;                 /* their addresses, sorted */
	size_t nres;
	int dirty;                        /* changed since the last save */
};

/* A pool first..last for a server at server_ip/netmask (its address and the subnet's network and broadcast
 * addresses are excluded), with the reservations copied. first > last, or more than PXE_LEASE_POOL_MAX
 * addresses: -EINVAL with err. first = last = 0: an empty pool (reservations only). */
int pxe_leases_new(uint32_t first, uint32_t last, uint32_t server_ip, uint32_t netmask,
		   const struct pxe_reservation *res, size_t nres, struct pxe_leases **ret, struct rh_err *err);
void pxe_leases_free(struct pxe_leases *l);

/* The reservation of mac, NULL when it has none. */
const struct pxe_reservation *pxe_leases_reservation(const struct pxe_leases *l, const uint8_t mac[6]);
/* The pool address whose entry belongs to mac (offered, bound or remembered), 0 when none. */
uint32_t pxe_leases_find(const struct pxe_leases *l, const uint8_t mac[6]);
enum pxe_lease_state pxe_leases_state(const struct pxe_leases *l, uint32_t ip, int64_t now);

/* The address for mac (RFC 2131 4.3.1): its reservation; else its current or remembered lease; else requested
 * (option 50, 0 none) when FREE; else the lowest FREE address; else the one EXPIRED longest ago. 0 or -ENOSPC. */
int pxe_leases_pick(const struct pxe_leases *l, const uint8_t mac[6], uint32_t requested, int64_t now,
		    uint32_t *ret_ip);
/* Whether mac may have ip (DHCPREQUEST): 0 yes; -EACCES with why ("reserved for another host", "leased to
 * another host", "not in the pool", "your address is 10.0.0.7"). */
int pxe_leases_check(const struct pxe_leases *l, const uint8_t mac[6], uint32_t ip, int64_t now,
		     const char **why);

/* Holds ip for mac until now + PXE_LEASE_OFFER_HOLD (nothing for an address outside the pool). */
void pxe_leases_offer(struct pxe_leases *l, const uint8_t mac[6], uint32_t ip, int64_t now);
/* Drops mac's offer (it chose another server); a remembered binding stays. */
void pxe_leases_unoffer(struct pxe_leases *l, const uint8_t mac[6], int64_t now);
/* Binds ip to mac until now + seconds. Marks the table dirty when the file must change: a new binding, or one
 * whose expiry in the file is less than half a lease away (a renewal that leaves the file's expiry beyond the
 * client's next renewal needs no write: after a crash the host still renews before the file's lease ends). */
void pxe_leases_bind(struct pxe_leases *l, const uint8_t mac[6], uint32_t ip, int64_t now, unsigned seconds);
/* DHCPRELEASE: mac's lease of ip ends now (remembered). 0, or -ENOENT when ip is not mac's. */
int pxe_leases_release(struct pxe_leases *l, const uint8_t mac[6], uint32_t ip, int64_t now);
/* DHCPDECLINE: ip (offered or leased to mac) is set aside until now + PXE_LEASE_DECLINE_HOLD. 0, -ENOENT when
 * ip is not mac's, -EPERM when it is mac's reservation (nothing to set aside: the configuration is wrong). */
int pxe_leases_decline(struct pxe_leases *l, const uint8_t mac[6], uint32_t ip, int64_t now);
/* Forgets run-out offers and decline holds. Returns how many entries changed. */
unsigned pxe_leases_expire(struct pxe_leases *l, int64_t now);
/* Copies the bindings and decline holds of from that fall in l's pool (a reload with a new range). */
void pxe_leases_copy(struct pxe_leases *l, const struct pxe_leases *from);
/* How many entries are BOUND at now. */
uint32_t pxe_leases_count_bound(const struct pxe_leases *l, int64_t now);

/* Warning callback for damaged lease-file lines: text is "FILE:LINE: what; line dropped". */
typedef void (*pxe_leases_warn_fn)(void *ctx, const char *text);

/* Reads the lease file text buf[0..len) (name for messages) into l. Damaged lines are reported through warn
 * and dropped; entries outside the pool are counted in *ret_outside. Returns the number of entries loaded. */
int pxe_leases_parse(struct pxe_leases *l, const char *name, const char *buf, size_t len, pxe_leases_warn_fn warn,
		     void *ctx, unsigned *ret_outside);
/* The lease file text of l (malloc'd, NUL-terminated; the caller frees it). */
int pxe_leases_format(const struct pxe_leases *l, int64_t now, char **ret, size_t *ret_len);
/* pxe_leases_parse of the file at path; a missing file is an empty table (0). */
int pxe_leases_load(struct pxe_leases *l, const char *path, pxe_leases_warn_fn warn, void *ctx,
		    unsigned *ret_outside, struct rh_err *err);
/* Writes the lease file atomically (a temporary beside it, fsync, rename, directory fsync) and clears dirty.
 * On failure the old file is untouched. */
int pxe_leases_save(struct pxe_leases *l, const char *path, int64_t now, struct rh_err *err);

#endif
