/* tftp_server.h: the TFTP server of `ramhost pxe serve` (docs/pxe.md "TFTP"): read-only, RFC 1350 with RFC 2347
 * options, 2348 blksize (clamped to the interface MTU), 2349 tsize and timeout, 7440 windowsize, block-number
 * rollover, retransmission with backoff. Every decision about bytes is lib/tftp's; this file owns the sockets
 * (one listening socket, one ephemeral socket per transfer: its TID), the data (one shared read-only mapping per
 * file, filecache.h; bytes made for a host are served from memory), the clock and the events.
 *
 * It runs on the caller's poll loop (loop.h), one thread, many clients at once. What a file name means is not
 * its business: ops->open answers it (the lead wires it to pxe_resolve); ops->event gets one line per transfer
 * ("tftp" when it ends, "tftp-refused", "tftp-timeout", "tftp-abort" when the client sends an ERROR). */
#ifndef RAMHOST_PXE_TFTP_SERVER_H
#define RAMHOST_PXE_TFTP_SERVER_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "loop.h"
#include "server.h"

struct pxe_tftp;
struct pxe_filecache;

struct pxe_tftp_ops {
	void *ctx;
	/* What the (already syntax-checked: tftp_path_check, leading '/' stripped) file name means: a pxe_obj FILE
	 * (a path, opened here through the file cache) or BYTES (made for this host; the server takes out->bytes
	 * and frees it with free()). 0, or -ENOENT / -EACCES / ... with err saying why (sent as the ERROR text). */
	int (*open)(void *ctx, const char *path, const struct sockaddr_in *peer, struct pxe_obj *out,
		    struct rh_err *err);
	/* One event: step "tftp" (text: file= bytes= blksize= window= seconds=), "tftp-refused" (file= and the
	 * reason), "tftp-timeout", "tftp-abort". Untrusted text in it is escaped (textesc). mac is the object's, "" when
	 * unknown. May be NULL. */
	void (*event)(void *ctx, const struct sockaddr_in *peer, const char *mac, const char *step, const char *text);
};

struct pxe_tftp_conf {
	uint32_t bind_ip;          /* host order, 0 = any */
	unsigned port;             /* 69; 0 = ephemeral (tests): pxe_tftp_port() tells */
	const char *ifname;        /* for the MTU clamp; NULL/"" = 1500 */
	unsigned max_blksize;      /* 0 = MTU - 32; a larger value is clamped to MTU - 32 */
	unsigned max_window;       /* default 64 */
	unsigned max_clients;      /* default 256; beyond: ERROR "server busy" */
};

/* Opens the listening socket, registers it and the retransmission tick on loop, and returns the server in *ret.
 * 0, or a negative errno with err (port in use, unknown interface, limits out of range). */
int pxe_tftp_start(const struct pxe_tftp_conf *c, const struct pxe_tftp_ops *ops, struct pxe_loop *loop,
		   struct pxe_tftp **ret, struct rh_err *err);
unsigned pxe_tftp_port(const struct pxe_tftp *t);
/* Ends every transfer (no events), closes the sockets, removes them and the tick from the loop, frees t. Call it
 * from the loop's thread or after the loop stopped. NULL is a no-op. */
void pxe_tftp_stop(struct pxe_tftp *t);

/* The checks of a request packet buf[0..len) before its name is resolved, pure (no sockets, no state): the parse
 * (lib/tftp), a write request, an unknown option with an absurd value (name or value over 255 bytes, a control
 * byte), the path rule. Always writes the escaped requested name (the bytes up to the first NUL, or all of them)
 * into name. Returns 0 with *ret_rq (strings into buf) and *ret_rel (the name without its leading '/'); 1 for an
 * ERROR packet (never answered); or a negative errno with *ret_code (the ERROR code to send) and *ret_why (a fixed
 * phrase). name_cap of TFTP_PATH_MAX * 4 + 1 holds any name. */
struct tftp_request;
int pxe_tftp_check_request(const uint8_t *buf, size_t len, struct tftp_request *ret_rq, const char **ret_rel,
			   char *name, size_t name_cap, int *ret_code, const char **ret_why);

/* For tests and status: transfers in flight, the largest blksize allowed, the file cache. */
unsigned pxe_tftp_active(const struct pxe_tftp *t);
unsigned pxe_tftp_max_blksize(const struct pxe_tftp *t);
struct pxe_filecache *pxe_tftp_filecache(struct pxe_tftp *t);

#endif
