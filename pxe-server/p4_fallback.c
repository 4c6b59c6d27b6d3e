/* p4_fallback.c: TEMPORARY stand-ins (helper H4's branch only), to be deleted at merge: the real definitions are
 * written by other helpers (host_state.c, tokens) and the lead (serve, config references, events). Trivial on
 * purpose, so that branch p4 links and its tests run. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host_state.h"
#include "serve.h"
#include "server.h"

int pxe_host_state_newest(const char *state_dir, const uint8_t mac[6], uint64_t *gen, char path[PATH_MAX],
			  struct rh_err *err)
{
	(void)state_dir, (void)mac, (void)gen, (void)path, (void)err;
	return -ENOENT;
}

int pxe_token_make(const struct pxe_server *srv, const uint8_t mac[6], char out[PXE_TOKEN_LEN + 1])
{
	(void)srv, (void)mac;
	memset(out, 'a', PXE_TOKEN_LEN);
	out[PXE_TOKEN_LEN] = '\0';
	return 0;
}

int pxe_serve(const struct pxe_serve_opts *o, struct rh_err *err)
{
	(void)o;
	return rh_errf(err, -ENOSYS, "pxe serve is not in this build yet (branch p4 stand-in)");
}
