/* live_depot.h: live installs from a depot (`vib install --depot URL NAME[=VER]`, `vib update --depot URL`).
 *
 * The request (or, for update, every installed VIB by name) is resolved against the depot's index and the
 * installed set (resolve.h, at the host's acceptance level); each VIB of the result that is missing or newer
 * than the installed one is fetched (checked against the index's size and SHA-256) and installed with
 * live_install() in dependency order. An update removes the old version first (live_remove) and then installs
 * the new one; a VIB is never downgraded. Each VIB is all-or-nothing; a run of several is not: those done
 * before a failure stay done. */
#ifndef RAMHOST_VIB_LIVE_DEPOT_H
#define RAMHOST_VIB_LIVE_DEPOT_H

#include "err.h"
#include "live_install.h"

/* Called after each VIB: what ("installed", "removed", or "up-to-date" with r NULL) and its result. */
typedef void (*live_depot_cb)(void *ctx, const char *what, const struct live_result *r);

/* request: "NAME", "NAME=VER", "NAME>=VER"...; NULL for an update of everything installed. */
int live_depot_run(const char *url, const char *request, const struct live_opts *o, live_depot_cb cb, void *ctx,
		   struct rh_err *err);

#endif
