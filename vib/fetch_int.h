/* fetch_int.h: what vib/fetch.c, vib/fetch_http.c and vib/fetch_put.c share inside the fetch component (not for
 * other callers): one transfer's state, its limits and their error text, so a download and an upload follow the
 * same rules (deadline, minimum rate, connect and stall timeouts, messages). The HTTP client is vib/http_conn.c
 * over lib/http_resp.c. */
#ifndef RAMHOST_FETCH_INT_H
#define RAMHOST_FETCH_INT_H

#include <stdint.h>

#include "err.h"
#include "fetch.h"
#include "http_conn.h"

#define FETCH_MAX_REDIRECTS 5

struct xfer {
	const char *url;    /* as the caller named it (messages name it, also after redirects) */
	int fd;             /* destination file, or -1 for a buffer */
	int in_fd;          /* the file an upload (PUT) reads from */
	uint64_t offset;    /* bytes of DEST.part kept from before (resume) */
	uint64_t got;       /* body bytes received in this transfer */
	uint64_t max;       /* 0: no limit */
	uint64_t total;     /* the whole file's size when the server said it (progress), else 0 */
	int too_big, bad_range, write_errno, stalled, overtime, too_slow;
	long connect_s;      /* connect timeout */
	long stall_s;        /* no byte for this long ends the transfer */
	long deadline_s;     /* the whole download within this long (0: none) */
	long min_rate;       /* bytes/s on average over each window (0: none) */
	long window_s;
	double t0;           /* when the download began (both requests of a 416 restart count) */
	double last_byte;    /* when the byte count last grew */
	uint64_t last_now;
	double win_start;    /* the current rate window: its start and the byte count then */
	uint64_t win_bytes;
	uint64_t slow_bytes; /* bytes of the window that was too slow */
	char *buf; size_t len, cap; /* buffer mode */
	int progress;
	const char *label;
	double last_draw;
	int drawn;
};

/* The deadline, minimum rate and timeouts for x from o (NULL: the defaults) and the environment. */
int fetch_limits(struct xfer *x, const struct fetch_opts *o, struct rh_err *err);
/* Connects to u with x's connect timeout and x's limits checked while waiting (the stall clock and the rate
 * window start again); *ret_conn as http_conn_open. */
int fetch_connect(struct xfer *x, const struct http_url *u, struct http_conn **ret_conn, struct rh_err *err);
/* The request head "METHOD TARGET HTTP/1.1" with Host, User-Agent, Connection: close and the lines of extra
 * (each ending in CRLF; may be ""), into buf. -ENAMETOOLONG when it does not fit. */
int fetch_request_head(char *buf, size_t cap, const char *method, const struct http_url *u, const char *extra);
/* The next final (not 1xx) response head on c (*ret_head: its bytes, as http_conn_read_head). */
int fetch_read_final(struct http_conn *c, int is_head, struct http_resp *ret, const char **ret_head,
		     struct rh_err *err);
/* Stores body bytes into x (the file or the buffer), enforcing x->max. -1 (with x's flag set) on failure. */
int fetch_sink(struct xfer *x, const void *data, size_t len);
/* The error of a failed transfer, in words: which limit stopped it, or the client's reason (why). */
int fetch_failure(const struct xfer *x, int rc, const char *why, struct rh_err *err);
/* The error of an answered request whose status is not 2xx: -ENOENT 404/410, -EACCES 401/403, -EIO. */
int fetch_status_error(const struct xfer *x, int status, struct rh_err *err);
/* One HTTP(S) GET of x->url into x, redirects followed. Returns 0, -EAGAIN when a resume must restart from zero
 * (416), or the error. */
int fetch_http_get(struct xfer *x, struct rh_err *err);
/* Drops what DEST.part held (the server sent the whole file): 0, or -1 with x->write_errno. */
int fetch_restart(struct xfer *x);

#endif
