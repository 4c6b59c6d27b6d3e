/* fetch.h: downloads with libcurl — HTTP and HTTPS (and file:// and plain paths, for depots on disk).
 *
 * A download goes to a temporary file next to the destination (DEST.part) and is renamed into place only
 * when complete; a DEST.part left by an interrupted download is resumed with a Range request when the server
 * allows it. Connect and low-speed timeouts stop a stalled transfer; a progress bar is drawn on stderr when
 * it is a terminal. Every failure names the URL and what went wrong (HTTP status, curl's error text). */
#ifndef RAMHOST_VIB_FETCH_H
#define RAMHOST_VIB_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct fetch_opts {
	long connect_timeout_s;  /* 0: 15 s */
	long stall_timeout_s;    /* no byte for this long ends the transfer; 0: 30 s */
	uint64_t max_size;       /* refuse a body larger than this (0: no limit) */
	int progress;            /* 1: progress bar on stderr if it is a terminal */
	int resume;              /* 1: resume DEST.part when present */
};

/* Downloads url to dest (see above). *ret_size (may be NULL): bytes of the finished file. */
int fetch_to_file(const char *url, const char *dest, const struct fetch_opts *opts, uint64_t *ret_size,
		  struct rh_err *err);

/* Downloads url into a malloc'd buffer of at most max bytes (*ret_buf, *ret_len; the caller frees it). */
int fetch_to_buf(const char *url, size_t max, void **ret_buf, size_t *ret_len, struct rh_err *err);

/* Joins a base URL or directory and a relative path ("http://h/depot" + "vibs/a.vib"). */
int fetch_join(char *buf, size_t cap, const char *base, const char *rel, struct rh_err *err);

#endif
