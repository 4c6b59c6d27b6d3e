/* fetch_put.c: uploads (fetch_put_file in fetch.h): an HTTP PUT of a file with the same client, limits and
 * messages as the downloads (fetch_int.h). Used by a diskless host's `ramhost state save`.
 *
 * A body over FETCH_EXPECT_MIN bytes is announced with "Expect: 100-continue" and sent after the server's 100,
 * or after a second without an answer (servers that do not know Expect); a server that answers at once with a
 * final status (413: too large) never gets the body. A server that answers and closes while the body is still
 * being sent is heard too: its answer, not the broken pipe, is the result. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "fetch_int.h"
#include "fileio.h"

#define FETCH_EXPECT_MIN (1024 * 1024)
#define FETCH_EXPECT_WAIT_MS 1000

/* The status of a PUT the server answered: 2xx is 0, anything else an error naming the status and the first
 * line of the server's answer (at most 200 bytes of it). */
static int put_status(const struct xfer *x, long status, struct rh_err *err)
{
	size_t n = x->buf ? strcspn(x->buf, "\r\n") : 0;
	int rc = status == 401 || status == 403 ? -EACCES : status == 404 || status == 410 ? -ENOENT :
		 status == 413 ? -EFBIG : -EIO;

	if (status >= 200 && status < 300)
		return 0;
	if (n > 200)
		n = 200;
	return rh_errf(err, rc, "%s: HTTP status %ld%s%.*s", x->url, status, n ? ": " : "", (int)n,
		       n ? x->buf : "");
}

/* The request head: the caller's header lines (no CR or LF inside one), the length, Expect for a large body. */
static int put_head(char *req, size_t cap, const struct http_url *u, const char *const *headers, uint64_t size,
		    const char *url, struct rh_err *err)
{
	char extra[4096];
	size_t n = 0;
	int k;

	for (; headers && *headers; headers++) {
		if (strpbrk(*headers, "\r\n"))
			return rh_errf(err, -EINVAL, "%s: a request header holds a line break", url);
		k = snprintf(extra + n, sizeof(extra) - n, "%s\r\n", *headers);
		if (k < 0 || (size_t)k >= sizeof(extra) - n)
			return rh_errf(err, -ENAMETOOLONG, "%s: request headers too long", url);
		n += (size_t)k;
	}
	k = snprintf(extra + n, sizeof(extra) - n, "Content-Length: %llu\r\n%s", (unsigned long long)size,
		     size > FETCH_EXPECT_MIN ? "Expect: 100-continue\r\n" : "");
	if (k < 0 || (size_t)k >= sizeof(extra) - n || fetch_request_head(req, cap, "PUT", u, extra))
		return rh_errf(err, -ENAMETOOLONG, "%s: request headers too long", url);
	return 0;
}

/* Sends the file's bytes. A peer that closed (-EPIPE) may have answered: the caller reads that answer. */
static int put_body(struct xfer *x, struct http_conn *c, struct rh_err *err)
{
	char buf[32768];
	ssize_t r;
	int rc;

	for (;;) {
		r = read(x->in_fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			x->write_errno = errno;
			return -1;
		}
		if (r == 0)
			return 0;
		rc = http_conn_write(c, buf, (size_t)r, err);
		if (rc < 0)
			return rc;
	}
}

/* Sends the request (head, then the body unless the server answered first) and reads the final answer into
 * *r and its body into x (at most FETCH_ANSWER_MAX bytes). */
static int put_exchange(struct xfer *x, struct http_conn *c, const char *req, int expect, struct http_resp *r,
			struct rh_err *err)
{
	struct rh_err send_err = { 0, "" };
	const char *head;
	char buf[4096];
	size_t n;
	int rc, sent = 0;

	rc = http_conn_write(c, req, strlen(req), err);
	if (rc < 0)
		return rc;
	if (expect && http_conn_wait_answer(c, FETCH_EXPECT_WAIT_MS)) {
		rc = http_conn_read_head(c, 0, r, &head, err);
		if (rc < 0)
			return rc;
		if (r->status >= 200)
			sent = -1; /* answered without the body */
	}
	if (!sent) {
		rc = put_body(x, c, &send_err);
		if (x->write_errno)
			return -1;
		if (rc < 0 && rc != -EPIPE)
			return rh_errf(err, rc, "%s", send_err.msg);
		rc = fetch_read_final(c, 0, r, &head, err);
		if (rc < 0)
			return send_err.rc ? rh_errf(err, send_err.rc, "%s", send_err.msg) : rc;
	}
	for (;;) {
		rc = http_conn_read_body(c, buf, sizeof(buf), &n, err);
		if (rc < 0 || !n)
			return rc;
		if (fetch_sink(x, buf, n))
			return -1;
	}
}

int fetch_put_file(const char *url, const char *path, const char *const *headers, long *ret_status,
		   char *answer, size_t cap, struct rh_err *err)
{
	struct xfer x = { .url = url, .fd = -1, .in_fd = -1, .max = FETCH_ANSWER_MAX };
	struct rh_err e = { 0, "" };
	struct http_conn *c = NULL;
	struct http_resp r = { .status = 0 };
	struct http_url u;
	char req[12288];
	struct stat st;
	int rc;

	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
		return rh_errf(err, -EPROTONOSUPPORT, "%s: uploads go to http or https URLs only", url);
	rc = fetch_limits(&x, NULL, err);
	if (rc == 0)
		rc = http_url_parse(url, &u, err);
	if (rc == 0)
		rc = rh_open_input(path, &x.in_fd, err);
	if (rc)
		return rc;
	if (fstat(x.in_fd, &st) || !S_ISREG(st.st_mode)) {
		rc = rh_errf(err, -EINVAL, "%s: not a regular file", path);
		goto out;
	}
	rc = put_head(req, sizeof(req), &u, headers, (uint64_t)st.st_size, url, err);
	if (rc < 0)
		goto out;
	/* no redirects: a PUT is sent once, to the URL the caller named */
	rc = fetch_connect(&x, &u, &c, &e);
	if (rc == 0)
		rc = put_exchange(&x, c, req, st.st_size > FETCH_EXPECT_MIN, &r, &e);
	if (rc < 0 && x.write_errno && !x.too_big)
		rc = rh_errf(err, -x.write_errno, "%s: cannot read the upload %s: %s", url, path, strerror(x.write_errno));
	else if (rc < 0)
		rc = fetch_failure(&x, rc, e.msg, err);
	else
		rc = put_status(&x, r.status, err);
	if (ret_status)
		*ret_status = r.status;
	if (answer && cap)
		snprintf(answer, cap, "%.*s", x.buf ? (int)strcspn(x.buf, "\r\n") : 0, x.buf ? x.buf : "");
out:
	http_conn_close(c);
	close(x.in_fd);
	free(x.buf);
	return rc;
}
