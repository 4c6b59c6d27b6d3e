/* state_net.h: the state of a diskless host, whose store is on the `ramhost pxe serve` server (docs/state.md
 * "Diskless hosts").
 *
 * The server passes, on the kernel command line,
 *   ramhost.state.url=http://SERVER:PORT/host/MAC/state   where new generations are uploaded (HTTP PUT)
 *   ramhost.state.token=TOKEN                              sent as "X-Ramhost-Token: TOKEN"
 *   ramhost.ready.url=http://SERVER:PORT/host/MAC/ready   fetched by `ramhost ready` (the server logs the step)
 * and hands the host's newest generation to init as a boot module, which init moves to ROOT/run/ramhost/state-net
 * (the "net store"). `state boot` restores from the net store exactly as from a state partition. `state save`
 * writes the next generation into the net store as a temporary file, uploads it, and only on "201 Created" renames
 * it into place and deletes the older one: the net store always holds the newest generation this host knows the
 * server has (booted from, or saved since), which numbers the next save and is what --if-changed compares with.
 * A failed upload removes the temporary file and leaves the net store as it was. */
#ifndef RAMHOST_STATE_NET_H
#define RAMHOST_STATE_NET_H

#include <stddef.h>

#include "err.h"
#include "state_store.h"

#define STATE_NET_DIR "/run/ramhost/state-net"
#define STATE_NET_URL_MAX 1024
#define STATE_NET_TOKEN_MAX 256
#define STATE_NET_TOKEN_HEADER "X-Ramhost-Token"

struct state_net {
	int on;                              /* ramhost.state.url= is on the command line */
	char url[STATE_NET_URL_MAX];
	char token[STATE_NET_TOKEN_MAX];
	char server[STATE_NET_URL_MAX];      /* HOST:PORT of the URL, for messages */
	char ready_url[STATE_NET_URL_MAX];   /* ramhost.ready.url=: `ramhost ready` tells the server, "" none */
};

/* Reads ramhost.state.url=, ramhost.state.token= and ramhost.ready.url= from the kernel command line buf[0..len) into *ret (set only
 * on success; on = 0 without a URL). The URL must be http:// or https:// with a host, of printable characters
 * without blanks, quotes or backslashes; the token 1-255 characters of [A-Za-z0-9._~+/=-] (it becomes a request
 * header: never a CR or LF). A URL without a token, or a malformed one: -EINVAL naming the word. Pure: fuzzed. */
int state_net_parse(const char *buf, size_t len, struct state_net *ret, struct rh_err *err);

/* state_net_parse of the running kernel's command line (RAMHOST_PROC_CMDLINE redirects it, sysroot.h). An
 * unreadable command line counts as one without a URL. */
int state_net_read(struct state_net *ret, struct rh_err *err);

/* The net store of root: ROOT/run/ramhost/state-net ("/run/ramhost/state-net" for root "/"). */
void state_net_store(const char *root, char *buf, size_t cap);

/* Saves the live sticky set of o->root as the next generation and uploads it to n (see above); o->store and
 * o->keep are ignored (the net store of o->root, keep 1 there). On success ret->path is the URL. */
int state_net_save(const struct state_save_opts *o, const struct state_net *n, struct state_save_result *ret,
		   struct rh_err *err);

#endif
