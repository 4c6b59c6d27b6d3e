/* http_int.h: what http_server.c (daemon, GET/HEAD) and http_put.c (state uploads) share. Internal. */
#ifndef RAMHOST_PXE_HTTP_INT_H
#define RAMHOST_PXE_HTTP_INT_H

#include <limits.h>
#include <microhttpd.h>
#include <stdint.h>

#include "http_server.h"

struct pxe_http {
	struct MHD_Daemon *d;
	struct pxe_http_ops ops;
	char state_dir[PATH_MAX];    /* "" none */
	uint64_t state_max;
	unsigned state_keep;
	unsigned port;
	char *tls_key, *tls_cert;    /* PEM text (MHD keeps pointers to them) */
};

/* One request: made by the URI log callback (so the raw URI with its query is kept), freed when MHD says the
 * request is complete. */
struct http_req {
	char *uri;                   /* raw request target */
	int stage;                   /* PUT: 0 headers not seen yet, 1 receiving, 2 answered */
	int fd;                      /* PUT: the upload temporary, -1 none */
	char tmp[PATH_MAX];
	uint64_t got;
	int too_big, io_error;
	uint8_t mac[6];
};

/* Queues a plain-text answer (one line, "\n" added) with Cache-Control: no-store. */
enum MHD_Result http_text(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An event through ops (text formatted here). */
void http_event(struct pxe_http *h, const uint8_t *mac, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* PUT (http_put.c): called for every call of the access handler with a PUT method; path without '/'. */
enum MHD_Result http_put(struct pxe_http *h, struct MHD_Connection *c, struct http_req *r, const char *path,
			 const char *upload_data, size_t *upload_size);
/* Releases what a PUT left (connection cut off mid-upload): the temporary is removed. */
void http_put_done(struct http_req *r);

/* 1 and mac set when path is "host/MAC/..." with a valid MAC. */
int http_path_mac(const char *path, uint8_t mac[6]);

#endif
