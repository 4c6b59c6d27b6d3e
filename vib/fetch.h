/* fetch.h: downloads over HTTP and HTTPS with our own HTTP/1.1 client (vib/http_conn.c, lib/http_resp.c; TLS by
 * OpenSSL), and file:// and plain paths, for depots on disk.
 *
 * A download goes to a temporary file next to the destination (DEST.part) and is renamed into place only
 * when complete; a DEST.part left by an interrupted download is resumed with a Range request when the server
 * allows it. Connect and low-speed timeouts stop a stalled transfer; a progress bar is drawn on stderr when
 * it is a terminal; an overall deadline and a minimum average rate stop a server that trickles bytes (one byte
 * every few seconds never trips the stall timeout). Redirects (301, 302, 303, 307, 308) are followed up to 5
 * times, to http and https only. Proxies are not used. Every failure names the URL and what went wrong (HTTP
 * status, the client's reason):
 *   -ENOENT 404/410 or a missing local file, -EACCES 401/403, -ETIMEDOUT connect or stall timeout, deadline
 *   or rate,
 *   -ECONNREFUSED, -EHOSTUNREACH unknown host, -EFBIG over max_size, -EPROTONOSUPPORT another scheme,
 *   -EKEYREJECTED an untrusted TLS certificate (the system's trust store; SSL_CERT_FILE and SSL_CERT_DIR
 *   apply), -EBADMSG/-EMSGSIZE/-ENOTSUP a malformed or oversized response head or an unknown transfer coding,
 *   -EIO anything else (other statuses, a connection cut short: a body shorter than its Content-Length or
 *   closed inside a chunk is never taken as complete).
 * A transfer cut short keeps DEST.part when opts->resume is set; every other failure removes it. file:// URLs
 * and plain paths are copied (no resume needed). See docs/vib-signing.md ("Downloads"). */
#ifndef RAMHOST_VIB_FETCH_H
#define RAMHOST_VIB_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Defaults of the limits, and the environment variables that change them (read at every download; a value
 * that is not a number fails the download, naming the variable). docs/vib-signing.md ("Downloads"). */
#define FETCH_CONNECT_TIMEOUT_S 15
#define FETCH_STALL_TIMEOUT_S 30
#define FETCH_DEADLINE_S 3600        /* the whole transfer; RAMHOST_FETCH_TIMEOUT (seconds, 0: none) */
#define FETCH_MIN_RATE 1024          /* bytes/s on average over each window; RAMHOST_FETCH_MIN_RATE (0: none) */
#define FETCH_RATE_WINDOW_S 30       /* RAMHOST_FETCH_RATE_WINDOW (seconds) */
#define FETCH_ENV_DEADLINE "RAMHOST_FETCH_TIMEOUT"
#define FETCH_ENV_MIN_RATE "RAMHOST_FETCH_MIN_RATE"
#define FETCH_ENV_RATE_WINDOW "RAMHOST_FETCH_RATE_WINDOW"

struct fetch_opts {
	long connect_timeout_s;  /* 0: 15 s */
	long stall_timeout_s;    /* no byte for this long ends the transfer; 0: 30 s */
	uint64_t max_size;       /* refuse a body larger than this (0: no limit) */
	int progress;            /* 1: progress bar on stderr if it is a terminal */
	int resume;              /* 1: resume DEST.part when present */
	/* the deadline and the minimum rate come from the environment (above), for every caller alike */
};

/* Downloads url to dest (see above). *ret_size (may be NULL): bytes of the finished file. */
int fetch_to_file(const char *url, const char *dest, const struct fetch_opts *opts, uint64_t *ret_size,
		  struct rh_err *err);

/* Downloads url into a malloc'd buffer of at most max bytes (*ret_buf, *ret_len; the caller frees it). The
 * buffer is NUL-terminated (not counted in *ret_len), for text such as a depot's index.xml. */
int fetch_to_buf(const char *url, size_t max, void **ret_buf, size_t *ret_len, struct rh_err *err);

/* Joins a base URL or directory and a relative path ("http://h/depot" + "vibs/a.vib"). rel is a path as the
 * file is named on disk: for a URL base it is percent-encoded (urlpath_encode: "hello#1.vib" becomes
 * "hello%231.vib"), for a directory it is joined as it is. rel may be an http(s) URL (returned as is);
 * absolute paths, other schemes and ".." segments are refused (-EINVAL), so an index cannot name files outside
 * its depot. */
int fetch_join(char *buf, size_t cap, const char *base, const char *rel, struct rh_err *err);

/* The largest answer body fetch_put_file reads (a longer one fails the upload as -EFBIG). */
#define FETCH_ANSWER_MAX 65536

/* Uploads the regular file path with HTTP PUT to url (http or https; redirects are not followed), with the extra
 * request headers (a NULL-terminated list of "Name: value" lines; may be NULL). A body over 1 MiB is announced
 * with "Expect: 100-continue" first. Shares the downloads' client and limits: connect timeout, stall timeout, the deadline and the minimum rate count the bytes moved in
 * either direction. Returns 0 when the server answers 2xx; another status is -EACCES (401, 403), -ENOENT (404,
 * 410), -EFBIG (413) or -EIO, with err naming the URL, the status and the first line of the server's answer;
 * transfer failures as for downloads. Whenever the server answered, *ret_status (may be NULL) gets its status
 * and answer (cap bytes, may be NULL) the first line of its body, also when the call fails. */
int fetch_put_file(const char *url, const char *path, const char *const *headers, long *ret_status,
		   char *answer, size_t cap, struct rh_err *err);

#endif
