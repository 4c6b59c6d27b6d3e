/* fetch_int.h: what vib/fetch.c and vib/fetch_put.c share inside the fetch component (not for other callers):
 * one transfer's state and the curl setup, limits and error text, so a download and an upload follow the same
 * rules (deadline, minimum rate, connect and stall timeouts, messages). */
#ifndef RAMHOST_FETCH_INT_H
#define RAMHOST_FETCH_INT_H

#include <stdint.h>

#include <curl/curl.h>

#include "err.h"
#include "fetch.h"

struct xfer {
	CURL *curl;
	const char *url;
	int fd;             /* destination file, or -1 for a buffer */
	int in_fd;          /* the file an upload (PUT) reads from */
	uint64_t offset;    /* bytes of DEST.part kept from before (resume) */
	uint64_t got;       /* body bytes received in this transfer */
	uint64_t max;       /* 0: no limit */
	int64_t range_start;/* Content-Range start of the current response, -1 when none */
	int started;        /* the first body byte was seen and the status checked */
	int responded;      /* a response header arrived */
	int too_big, bad_range, write_errno, stalled, overtime, too_slow;
	long connect_s;      /* connect timeout */
	long stall_s;        /* no byte for this long ends the transfer */
	long deadline_s;     /* the whole download within this long (0: none) */
	long min_rate;       /* bytes/s on average over each window (0: none) */
	long window_s;
	double t0;           /* when the download began (both requests of a 416 restart count) */
	double last_byte;    /* when the byte count last grew */
	curl_off_t last_now;
	double win_start;    /* the current rate window: its start and the byte count then */
	curl_off_t win_bytes;
	curl_off_t slow_bytes; /* bytes of the window that was too slow */
	char *buf; size_t len, cap; /* buffer mode */
	int progress;
	const char *label;
	double last_draw;
	int drawn;
};

/* The deadline, minimum rate and timeouts for x from o (NULL: the defaults) and the environment. */
int fetch_limits(struct xfer *x, const struct fetch_opts *o, struct rh_err *err);
/* A curl handle set up for x (callbacks, timeouts, progress); NULL when out of memory. */
CURL *fetch_curl_start(struct xfer *x, char *errbuf);
/* The error of a failed transfer, in words (which limit stopped it, or curl's reason). */
int fetch_curl_failure(CURL *c, CURLcode cc, const struct xfer *x, const char *errbuf, struct rh_err *err);

#endif
