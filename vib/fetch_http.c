/* fetch_http.c: the HTTP(S) side of downloads (fetch_int.h): the limits (connect, stall, deadline, minimum
 * rate) checked while vib/http_conn.c waits, the progress line, the error messages, and one GET with its
 * redirects.
 *
 * Redirects: 301, 302, 303, 307 and 308 with a Location are followed, at most FETCH_MAX_REDIRECTS times, to
 * http or https only (as the libcurl setup this replaced did: FOLLOWLOCATION, MAXREDIRS 5, REDIR_PROTOCOLS);
 * the request stays a GET with the same Range. Any other status of 300 or more fails the download. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetch_int.h"
#include "env.h"
#include "fileio.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int fetch_restart(struct xfer *x)
{
	x->offset = 0;
	if (x->fd >= 0 && (ftruncate(x->fd, 0) || lseek(x->fd, 0, SEEK_SET) < 0)) {
		x->write_errno = errno;
		return -1;
	}
	return 0;
}

int fetch_sink(struct xfer *x, const void *data, size_t len)
{
	if (x->max && x->offset + x->got + len > x->max) {
		x->too_big = 1;
		return -1;
	}
	if (x->fd >= 0) {
		int rc = rh_write_all(x->fd, data, len);

		if (rc) {
			x->write_errno = -rc;
			return -1;
		}
	} else {
		if (x->len + len + 1 > x->cap) {
			size_t cap = x->cap ? x->cap : 65536;
			char *nb;

			while (cap < x->len + len + 1)
				cap *= 2;
			nb = realloc(x->buf, cap);
			if (!nb) {
				x->write_errno = ENOMEM;
				return -1;
			}
			x->buf = nb;
			x->cap = cap;
		}
		memcpy(x->buf + x->len, data, len);
		x->len += len;
		x->buf[x->len] = '\0';
	}
	x->got += len;
	return 0;
}

/* 1 when the transfer must end: no byte for stall_s seconds, past the deadline, or fewer than min_rate bytes/s
 * over the last window (a server trickling a byte every few seconds). The stall clock and the rate window start
 * once the connection is up (until then the connect timeout applies); the deadline counts from the start. */
static int out_of_time(struct xfer *x, double t, int connected, uint64_t moved)
{
	if (x->deadline_s > 0 && t - x->t0 >= (double)x->deadline_s)
		return x->overtime = 1;
	if (!connected) {
		x->last_now = moved;
		x->last_byte = x->win_start = t;
		x->win_bytes = moved;
		return 0;
	}
	if (moved != x->last_now) {
		x->last_now = moved;
		x->last_byte = t;
	} else if (t - x->last_byte >= (double)x->stall_s) {
		return x->stalled = 1;
	}
	if (x->min_rate > 0 && t - x->win_start >= (double)x->window_s) {
		if ((double)(moved - x->win_bytes) < (double)x->min_rate * (t - x->win_start)) {
			x->slow_bytes = moved - x->win_bytes;
			return x->too_slow = 1;
		}
		x->win_start = t;
		x->win_bytes = moved;
	}
	return 0;
}

/* http_conn's tick: ends the transfer when out_of_time says so, and draws one line on stderr, at most ten
 * times a second. */
static int on_tick(void *ctx, int connected, uint64_t moved)
{
	struct xfer *x = ctx;
	double t = now_s(), done = (double)(x->offset + x->got);

	if (out_of_time(x, t, connected, moved))
		return 1;
	if (!x->progress || t - x->last_draw < 0.1)
		return 0;
	x->last_draw = t;
	x->drawn = 1;
	if (x->total > 0)
		fprintf(stderr, "\r%s: %3d%% %.1f/%.1f MiB ", x->label, (int)(100.0 * done / (double)x->total),
			done / 1048576.0, (double)x->total / 1048576.0);
	else
		fprintf(stderr, "\r%s: %.1f MiB ", x->label, done / 1048576.0);
	return 0;
}

int fetch_failure(const struct xfer *x, int rc, const char *why, struct rh_err *err)
{
	if (x->too_big)
		return rh_errf(err, -EFBIG, "%s: larger than the limit of %" PRIu64 " bytes", x->url, x->max);
	if (x->bad_range)
		return rh_errf(err, -EPROTO, "%s: the server answered a range request at %" PRIu64 " from another offset",
			       x->url, x->offset);
	if (x->write_errno)
		return rh_errf(err, -x->write_errno, "%s: cannot store the download: %s", x->url, strerror(x->write_errno));
	if (x->stalled)
		return rh_errf(err, -ETIMEDOUT, "%s: timed out: no data for %ld s after %" PRIu64 " bytes", x->url,
			       x->stall_s, x->offset + x->got);
	if (x->overtime)
		return rh_errf(err, -ETIMEDOUT, "%s: transfer took longer than %ld s (%" PRIu64 " bytes received; "
					       "the limit is " FETCH_ENV_DEADLINE ")", x->url, x->deadline_s,
			       x->offset + x->got);
	if (x->too_slow)
		return rh_errf(err, -ETIMEDOUT, "%s: transfer too slow: %" PRIu64 " bytes in the last %ld s, less than %ld "
					       "bytes/s (the limit is " FETCH_ENV_MIN_RATE ")", x->url,
			       x->slow_bytes, x->window_s, x->min_rate);
	switch (rc) {
	case -ETIMEDOUT:
		return rh_errf(err, rc, "%s: timed out after %" PRIu64 " bytes: %s", x->url, x->offset + x->got, why);
	case -ECONNREFUSED:
	case -EHOSTUNREACH:
	case -EKEYREJECTED:
	case -EPROTONOSUPPORT:
	case -EBADMSG:
	case -EMSGSIZE:
	case -ENOTSUP:
	case -EINVAL:
	case -ENAMETOOLONG:
	case -ENOMEM:
		return rh_errf(err, rc, "%s: %s", x->url, why);
	default:
		return rh_errf(err, -EIO, "%s: transfer failed after %" PRIu64 " bytes: %s", x->url, x->offset + x->got,
			       why);
	}
}

int fetch_status_error(const struct xfer *x, int status, struct rh_err *err)
{
	return rh_errf(err, status == 404 || status == 410 ? -ENOENT : status == 401 || status == 403 ? -EACCES : -EIO,
		       "%s: HTTP status %d", x->url, status);
}

int fetch_limits(struct xfer *x, const struct fetch_opts *o, struct rh_err *err)
{
	uint64_t deadline, rate, window;
	int rc;

	x->connect_s = o && o->connect_timeout_s > 0 ? o->connect_timeout_s : FETCH_CONNECT_TIMEOUT_S;
	x->stall_s = o && o->stall_timeout_s > 0 ? o->stall_timeout_s : FETCH_STALL_TIMEOUT_S;
	rc = env_number(FETCH_ENV_DEADLINE, FETCH_DEADLINE_S, 100000000, 0, &deadline, err);
	if (rc == 0)
		rc = env_number(FETCH_ENV_MIN_RATE, FETCH_MIN_RATE, 1u << 30, 1, &rate, err);
	if (rc == 0)
		rc = env_number(FETCH_ENV_RATE_WINDOW, FETCH_RATE_WINDOW_S, 86400, 0, &window, err);
	if (rc)
		return rc;
	if (window == 0)
		return rh_errf(err, -EINVAL, FETCH_ENV_RATE_WINDOW "=0: the window is at least 1 s");
	x->deadline_s = (long)deadline;
	x->min_rate = (long)rate;
	x->window_s = (long)window;
	x->t0 = now_s();
	return 0;
}

int fetch_connect(struct xfer *x, const struct http_url *u, struct http_conn **ret_conn, struct rh_err *err)
{
	struct http_conn_opts o = { .connect_s = x->connect_s, .tick = on_tick, .tick_ctx = x };

	x->stalled = 0;
	x->last_now = x->win_bytes = 0;
	x->last_byte = x->win_start = now_s();
	return http_conn_open(u, &o, ret_conn, err);
}

int fetch_request_head(char *buf, size_t cap, const char *method, const struct http_url *u, const char *extra)
{
	char port[16] = "";
	int n;

	if (u->port != (u->https ? 443u : 80u))
		snprintf(port, sizeof(port), ":%u", u->port);
	n = snprintf(buf, cap, "%s %s HTTP/1.1\r\nHost: %s%s%s%s\r\nUser-Agent: ramhost\r\nAccept: */*\r\n"
		     "Connection: close\r\n%s\r\n", method, u->target, u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "",
		     port, extra);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int fetch_read_final(struct http_conn *c, int is_head, struct http_resp *ret, const char **ret_head,
		     struct rh_err *err)
{
	int i, rc;

	for (i = 0; i < 8; i++) { /* 100 Continue and other interim answers come before the final one */
		rc = http_conn_read_head(c, is_head, ret, ret_head, err);
		if (rc < 0 || ret->status >= 200)
			return rc;
		if (ret->status == 101)
			return rh_errf(err, -EIO, "HTTP status 101: the server switched protocols");
	}
	return rh_errf(err, -EIO, "more than 8 interim (1xx) answers");
}

/* The body of an answered GET into x: a 206 at x's offset is appended, a 200 restarts the file. */
static int take_body(struct xfer *x, struct http_conn *c, const struct http_resp *r, struct rh_err *err)
{
	char buf[32768];
	struct rh_err e = { 0, "" };
	size_t n;
	int rc;

	if (x->offset && r->status == 206 && (r->has_range != 1 || r->range_first != x->offset)) {
		x->bad_range = 1;
		return fetch_failure(x, -EPROTO, "", err);
	}
	if (x->offset && r->status != 206 && fetch_restart(x))
		return rh_errf(err, -x->write_errno, "%s: cannot truncate the partial download: %s", x->url,
			       strerror(x->write_errno));
	x->total = r->content_length >= 0 ? x->offset + (uint64_t)r->content_length : 0;
	if (x->max && x->total > x->max) { /* refused before the first byte, as far as the server tells the truth */
		x->too_big = 1;
		return fetch_failure(x, -EFBIG, "", err);
	}
	for (;;) {
		rc = http_conn_read_body(c, buf, sizeof(buf), &n, &e);
		if (rc < 0)
			return fetch_failure(x, rc, e.msg, err);
		if (!n)
			return 0;
		if (fetch_sink(x, buf, n))
			return fetch_failure(x, -EIO, "", err);
	}
}

/* One request of a GET: 0 done, 1 redirected (the next URL in next), -EAGAIN for a 416 to a resume, or the
 * error. */
static int get_once(struct xfer *x, const char *cur, const struct http_url *u, char *next, size_t cap,
		    struct rh_err *err)
{
	struct rh_err e = { 0, "" };
	struct http_conn *c = NULL;
	struct http_resp r;
	const char *head = NULL;
	char req[8192], range[48] = "";
	int rc;

	if (x->offset)
		snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-\r\n", x->offset);
	if (fetch_request_head(req, sizeof(req), "GET", u, range))
		return rh_errf(err, -ENAMETOOLONG, "%s: URL too long", cur);
	rc = fetch_connect(x, u, &c, &e);
	if (rc == 0)
		rc = http_conn_write(c, req, strlen(req), &e);
	if (rc == 0)
		rc = fetch_read_final(c, 0, &r, &head, &e);
	if (rc < 0) {
		rc = fetch_failure(x, rc, e.msg, err);
		goto out;
	}
	if ((r.status == 301 || r.status == 302 || r.status == 303 || r.status == 307 || r.status == 308) &&
	    r.location_len) {
		/* the Location lies in the connection's buffer: resolve it before the connection goes */
		rc = http_url_resolve(cur, head + r.location_off, r.location_len, next, cap, &e);
		rc = rc < 0 ? rh_errf(err, rc, "%s: %s", x->url, e.msg) : 1;
		goto out;
	}
	if (r.status == 416 && x->offset)
		rc = -EAGAIN;
	else if (r.status < 200 || r.status >= 300)
		rc = fetch_status_error(x, r.status, err);
	else
		rc = take_body(x, c, &r, err);
out:
	http_conn_close(c);
	return rc;
}

int fetch_http_get(struct xfer *x, struct rh_err *err)
{
	char cur[2][4096];
	struct http_url u;
	struct rh_err e = { 0, "" };
	int hops, rc;

	snprintf(cur[0], sizeof(cur[0]), "%s", x->url);
	for (hops = 0;; hops++) {
		rc = http_url_parse(cur[hops & 1], &u, &e);
		if (rc < 0) {
			rc = hops ? rh_errf(err, rc, "%s: redirect: %s", x->url, e.msg) : rh_errf(err, rc, "%s", e.msg);
			break;
		}
		rc = get_once(x, cur[hops & 1], &u, cur[(hops + 1) & 1], sizeof(cur[0]), err);
		if (rc != 1)
			break;
		if (hops == FETCH_MAX_REDIRECTS) {
			rc = rh_errf(err, -EIO, "%s: more than %d redirects", x->url, FETCH_MAX_REDIRECTS);
			break;
		}
	}
	if (x->drawn) /* the last frame may predate the last bytes: finish the line with the total */
		fprintf(stderr, "\r%s: %s %.1f MiB\n", x->label, rc == 0 ? "done," : "stopped at",
			(double)(x->offset + x->got) / 1048576.0);
	return rc;
}
