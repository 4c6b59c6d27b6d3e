/* p4_fallback.c: TEMPORARY stand-ins (helper H4's branch only), to be deleted at merge: the real definitions are
 * written by other helpers (host_state.c, tokens) and the lead (serve, config references, events). Trivial on
 * purpose, so that branch p4 links and its tests run. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "serve.h"
#include "server.h"

int pxe_serve(const struct pxe_serve_opts *o, struct rh_err *err)
{
	(void)o;
	return rh_errf(err, -ENOSYS, "pxe serve is not in this build yet (branch p4 stand-in)");
}
