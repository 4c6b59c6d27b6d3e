/* fetch.h: downloads with libcurl — HTTP and HTTPS (and file:// and plain paths, for depots on disk).
 *
 * A download goes to a temporary file next to the destination (DEST.part) and is renamed into place only
 * when complete; a DEST.part left by an interrupted download is resumed with a Range request when the server
 * allows it. Connect and low-speed timeouts stop a stalled transfer; a progress bar is drawn on stderr when
 * it is a terminal. Every failure names the URL and what went wrong (HTTP status, curl's error text):
 *   -ENOENT 404/410 or a missing local file, -EACCES 401/403, -ETIMEDOUT connect or stall timeout,
 *   -ECONNREFUSED, -EHOSTUNREACH unknown host, -EFBIG over max_size, -EPROTONOSUPPORT another scheme,
 *   -EKEYREJECTED an untrusted TLS certificate, -EIO anything else (other statuses, a connection cut short).
 * A transfer cut short keeps DEST.part when opts->resume is set; every other failure removes it. file:// URLs
 * and plain paths are copied without libcurl (no resume needed). See docs/vib-signing.md ("Downloads"). */
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

/* Downloads url into a malloc'd buffer of at most max bytes (*ret_buf, *ret_len; the caller frees it). The
 * buffer is NUL-terminated (not counted in *ret_len), for text such as a depot's index.xml. */
int fetch_to_buf(const char *url, size_t max, void **ret_buf, size_t *ret_len, struct rh_err *err);

/* Joins a base URL or directory and a relative path ("http://h/depot" + "vibs/a.vib"). rel may be an
 * http(s) URL (returned as is); absolute paths, other schemes and ".." segments are refused (-EINVAL), so an
 * index cannot name files outside its depot. */
int fetch_join(char *buf, size_t cap, const char *base, const char *rel, struct rh_err *err);

#endif
