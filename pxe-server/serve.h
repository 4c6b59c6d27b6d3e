/* serve.h: `ramhost pxe serve`: opens the sockets, runs DHCP and TFTP on one poll loop and HTTP in
 * libmicrohttpd's thread, reloads the configuration on SIGHUP, stops cleanly on SIGTERM/SIGINT. */
#ifndef RAMHOST_PXE_SERVE_H
#define RAMHOST_PXE_SERVE_H

#include "config.h"
#include "err.h"
#include "server.h"

struct pxe_serve_opts {
	const char *config_path;        /* NULL: the quick start from quick */
	struct pxe_quick quick;
	pxe_log_fn log;                 /* every log line (the front end prints it) */
	void *log_ctx;
};

/* Runs until SIGTERM or SIGINT. Returns 0 after a clean stop, or a negative errno with err (startup failure:
 * bad configuration, port in use, missing image ...). */
int pxe_serve(const struct pxe_serve_opts *o, struct rh_err *err);

#endif
