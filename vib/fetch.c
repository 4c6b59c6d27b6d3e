/* fetch.c: downloads (fetch.h). HTTP and HTTPS go through libcurl; file:// URLs and plain paths are copied
 * here, so a depot on disk needs no curl at all.
 *
 * A download to a file writes DEST.part and renames it into place after fsync. With resume, an existing
 * DEST.part is continued with "Range: bytes=N-" (set by hand rather than CURLOPT_RESUME_FROM, which fails when
 * the server ignores ranges): a 206 whose Content-Range starts at N is appended, a 200 restarts the file from
 * zero, a 416 (the part is as long as the file, or longer) restarts once without a range. Nothing checks that
 * the file did not change on the server between the two requests: callers verify the SHA-256 they expect. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch.h"
#include "fetch_int.h"
#include "env.h"
#include "fileio.h"
#include "size.h"
#include "urlpath.h"


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Header callback: remembers where a 206's Content-Range starts (reset by every status line: redirects). */
static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	size_t len = size * n;
	unsigned long long a;

	x->responded = 1;
	if (len >= 5 && !strncmp(line, "HTTP/", 5))
		x->range_start = -1;
	else if (len > 14 && !strncasecmp(line, "Content-Range:", 14) &&
		 sscanf(line + 14, " bytes %llu-", &a) == 1)
		x->range_start = (int64_t)a;
	return len;
}

/* The server sent the whole file instead of the range: drop what DEST.part held and start over. */
static int restart(struct xfer *x)
{
	x->offset = 0;
	if (x->fd >= 0 && (ftruncate(x->fd, 0) || lseek(x->fd, 0, SEEK_SET) < 0)) {
		x->write_errno = errno;
		return -1;
	}
	return 0;
}

/* Body callback: on the first bytes decides append (206 at our offset) or restart (200); enforces max. */
static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	size_t len = size * n;
	long status = 0;

	if (!x->started) {
		x->started = 1;
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
		if (x->offset && status == 206 && x->range_start != (int64_t)x->offset) {
			x->bad_range = 1;
			return 0;
		}
		if (x->offset && status != 206 && restart(x))
			return 0;
	}
	if (x->max && x->offset + x->got + len > x->max) {
		x->too_big = 1;
		return 0;
	}
	if (x->fd >= 0) {
		int rc = rh_write_all(x->fd, data, len);

		if (rc) {
			x->write_errno = -rc;
			return 0;
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
				return 0;
			}
			x->buf = nb;
			x->cap = cap;
		}
		memcpy(x->buf + x->len, data, len);
		x->len += len;
		x->buf[x->len] = '\0';
	}
	x->got += len;
	return len;
}

/* 1 when the transfer must end: no byte for stall_s seconds (exact, where CURLOPT_LOW_SPEED_TIME averages
 * over a window and reacts seconds late), past the deadline, or fewer than min_rate bytes/s over the last
 * window (a server trickling a byte every few seconds). The stall clock and the rate window start once the
 * connection is up (until then the connect timeout applies); the deadline counts from the start. */
static int out_of_time(struct xfer *x, double t, curl_off_t dlnow)
{
	curl_off_t connected = 0;

	if (x->deadline_s > 0 && t - x->t0 >= (double)x->deadline_s)
		return x->overtime = 1;
	curl_easy_getinfo(x->curl, CURLINFO_CONNECT_TIME_T, &connected);
	if (!connected && !x->responded) {
		x->last_now = dlnow;
		x->last_byte = x->win_start = t;
		x->win_bytes = dlnow;
		return 0;
	}
	if (dlnow != x->last_now) {
		x->last_now = dlnow;
		x->last_byte = t;
	} else if (t - x->last_byte >= (double)x->stall_s) {
		return x->stalled = 1;
	}
	if (x->min_rate > 0 && t - x->win_start >= (double)x->window_s) {
		if ((double)(dlnow - x->win_bytes) < (double)x->min_rate * (t - x->win_start)) {
			x->slow_bytes = dlnow - x->win_bytes;
			return x->too_slow = 1;
		}
		x->win_start = t;
		x->win_bytes = dlnow;
	}
	return 0;
}

/* Progress callback (curl calls it at least once a second): ends the transfer when out_of_time says so, and
 * draws one line on stderr, at most ten times a second. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = ctx;
	double t = now_s(), total = (double)(x->offset + (uint64_t)dltotal), done = (double)(x->offset + (uint64_t)dlnow);

	(void)ultotal;
	if (out_of_time(x, t, dlnow + ulnow)) /* bytes moved either way: an upload is held to the same rules */
		return 1;
	if (!x->progress || t - x->last_draw < 0.1)
		return 0;
	x->last_draw = t;
	x->drawn = 1;
	if (dltotal > 0)
		fprintf(stderr, "\r%s: %3d%% %.1f/%.1f MiB ", x->label, (int)(100.0 * done / total), done / 1048576.0,
			total / 1048576.0);
	else
		fprintf(stderr, "\r%s: %.1f MiB ", x->label, done / 1048576.0);
	return 0;
}

/* The negative errno and message for a failed transfer. */
int fetch_curl_failure(CURL *c, CURLcode cc, const struct xfer *x, const char *errbuf, struct rh_err *err)
{
	long status = 0;
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
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
		return rh_errf(err, -ETIMEDOUT, "%s: transfer too slow: %lld bytes in the last %ld s, less than %ld "
					       "bytes/s (the limit is " FETCH_ENV_MIN_RATE ")", x->url,
			       (long long)x->slow_bytes, x->window_s, x->min_rate);
	switch (cc) {
	case CURLE_HTTP_RETURNED_ERROR:
		return rh_errf(err, status == 404 || status == 410 ? -ENOENT : status == 401 || status == 403 ? -EACCES : -EIO,
			       "%s: HTTP status %ld", x->url, status);
	case CURLE_OPERATION_TIMEDOUT:
		return rh_errf(err, -ETIMEDOUT, "%s: timed out after %" PRIu64 " bytes: %s", x->url, x->offset + x->got, why);
	case CURLE_COULDNT_CONNECT:
		return rh_errf(err, -ECONNREFUSED, "%s: cannot connect: %s", x->url, why);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return rh_errf(err, -EHOSTUNREACH, "%s: unknown host: %s", x->url, why);
	case CURLE_FILESIZE_EXCEEDED:
		return rh_errf(err, -EFBIG, "%s: larger than the limit of %" PRIu64 " bytes", x->url, x->max);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return rh_errf(err, -EPROTONOSUPPORT, "%s: protocol not supported: %s", x->url, why);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return rh_errf(err, -EKEYREJECTED, "%s: TLS certificate not trusted: %s", x->url, why);
	default:
		return rh_errf(err, -EIO, "%s: transfer failed after %" PRIu64 " bytes: %s", x->url, x->offset + x->got,
			       why);
	}
}

/* A libcurl handle with what every transfer shares: http(s) only, no signals, the error buffer, the connect
 * timeout, the header and body callbacks into x, and the progress callback that enforces the stall timeout, the
 * deadline and the minimum rate (out_of_time). Resets x's stall clock. NULL when libcurl cannot start. */
CURL *fetch_curl_start(struct xfer *x, char *errbuf)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, x->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ramhost");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, x->connect_s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	x->stalled = 0;
	x->last_now = x->win_bytes = 0;
	x->last_byte = x->win_start = now_s();
	return c;
}

/* One HTTP(S) transfer into x (a file or a buffer). Returns 0, -EAGAIN when a resume must restart from zero
 * (416), or the error. */
static int http_get(struct xfer *x, struct rh_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "", range[32];
	long status = 0;
	CURLcode cc;
	CURL *c;
	int rc = 0;

	c = fetch_curl_start(x, errbuf);
	if (!c)
		return rh_errf(err, -ENOMEM, "%s: cannot start libcurl", x->url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	if (x->max)
		curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max); /* on_body checks it exactly */
	if (x->offset) {
		snprintf(range, sizeof(range), "%" PRIu64 "-", x->offset);
		curl_easy_setopt(c, CURLOPT_RANGE, range);
	}
	x->curl = c;
	x->range_start = -1;
	x->started = 0;
	x->responded = 0;
	cc = curl_easy_perform(c);
	if (x->drawn) /* the last frame may predate the last bytes: finish the line with the total */
		fprintf(stderr, "\r%s: %s %.1f MiB\n", x->label, cc == CURLE_OK ? "done," : "stopped at",
			(double)(x->offset + x->got) / 1048576.0);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_HTTP_RETURNED_ERROR && status == 416 && x->offset)
		rc = -EAGAIN;
	else if (cc != CURLE_OK)
		rc = fetch_curl_failure(c, cc, x, errbuf, err);
	else if (!x->started && x->offset && status != 206 && restart(x)) /* an empty 200 body */
		rc = rh_errf(err, -x->write_errno, "%s: cannot truncate the partial download: %s", x->url,
			     strerror(x->write_errno));
	x->curl = NULL;
	curl_easy_cleanup(c);
	return rc;
}

/* The timeouts and rate limit of a download: connect and stall from opts, the deadline and the minimum rate
 * from the environment; the defaults in fetch.h. */
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

enum src_kind { SRC_HTTP, SRC_LOCAL };

/* Classifies url: http(s) (kept), file:// (decoded into path) or a plain path (copied into path). */
static int classify(const char *url, enum src_kind *kind, char *path, size_t cap, struct rh_err *err)
{
	const char *p, *sep = strstr(url, "://");
	size_t n;
	int rc;

	if (!*url)
		return rh_errf(err, -EINVAL, "empty URL");
	if (!strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8)) {
		*kind = SRC_HTTP;
		return 0;
	}
	*kind = SRC_LOCAL;
	if (!sep || strchr(url, '/') < sep) { /* a plain path (a "://" after a slash is part of a file name) */
		if (strlen(url) >= cap)
			return rh_errf(err, -ENAMETOOLONG, "%s: path too long", url);
		strcpy(path, url);
		return 0;
	}
	if (strncasecmp(url, "file://", 7))
		return rh_errf(err, -EPROTONOSUPPORT, "%s: unsupported URL scheme (http, https, file or a path)", url);
	p = url + 7;
	if (!strncasecmp(p, "localhost/", 10))
		p += 9;
	if (*p != '/')
		return rh_errf(err, -EINVAL, "%s: a file:// URL names a local absolute path (file:///dir/file)", url);
	n = strcspn(p, "?#");
	rc = urlpath_decode(p, n, path, cap);
	if (rc == -ENAMETOOLONG)
		return rh_errf(err, rc, "%s: path too long", url);
	if (rc < 0)
		return rh_errf(err, rc, "%s: bad %%-escape (a '%%' not followed by two hex digits, or %%00)", url);
	return 0;
}

/* Copies the local file src into fd (truncated), refusing more than max bytes (0: no limit). */
static int copy_local(const char *src, int fd, uint64_t max, uint64_t *ret_size, struct rh_err *err)
{
	char buf[65536];
	uint64_t total = 0;
	struct stat st;
	ssize_t r;
	int in, rc = 0;

	rc = rh_open_input(src, &in, err);
	if (rc < 0)
		return rc;
	if (fstat(in, &st) || !S_ISREG(st.st_mode)) {
		rc = rh_errf(err, -EINVAL, "%s: not a regular file", src);
		goto out;
	}
	if (max && (uint64_t)st.st_size > max) {
		rc = rh_errf(err, -EFBIG, "%s: %lld bytes, larger than the limit of %" PRIu64, src, (long long)st.st_size,
			     max);
		goto out;
	}
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET) < 0) {
		rc = rh_errf(err, -errno, "%s: cannot truncate the destination: %s", src, strerror(errno));
		goto out;
	}
	while ((r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = rh_errf(err, -errno, "%s: read: %s", src, strerror(errno));
			goto out;
		}
		total += (uint64_t)r;
		if (max && total > max) {
			rc = rh_errf(err, -EFBIG, "%s: larger than the limit of %" PRIu64 " bytes", src, max);
			goto out;
		}
		rc = rh_write_all(fd, buf, (size_t)r);
		if (rc) {
			rh_errf(err, rc, "%s: cannot store the copy: %s", src, strerror(-rc));
			goto out;
		}
	}
	*ret_size = total;
out:
	close(in);
	return rc;
}

/* fsyncs the directory that holds path, so a rename into it is durable. */
static void sync_parent(const char *path)
{
	char dir[4096];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int fetch_to_file(const char *url, const char *dest, const struct fetch_opts *opts, uint64_t *ret_size,
		  struct rh_err *err)
{
	struct xfer x = { .url = url, .fd = -1 };
	enum src_kind kind;
	char path[4096], part[4096];
	const char *base;
	uint64_t size = 0;
	struct stat st;
	int rc, resume = opts && opts->resume, keep_part = 0;

	rc = classify(url, &kind, path, sizeof(path), err);
	if (rc == 0 && kind == SRC_HTTP)
		rc = fetch_limits(&x, opts, err);
	if (rc)
		return rc;
	if (snprintf(part, sizeof(part), "%s.part", dest) >= (int)sizeof(part))
		return rh_errf(err, -ENAMETOOLONG, "%s: destination path too long", dest);
	x.max = opts ? opts->max_size : 0;
	x.fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC | (resume && kind == SRC_HTTP ? 0 : O_TRUNC), 0644);
	if (x.fd < 0)
		return rh_errf(err, -errno, "%s: %s", part, strerror(errno));
	if (kind == SRC_LOCAL) {
		rc = copy_local(path, x.fd, x.max, &size, err);
		goto done;
	}
	if (fstat(x.fd, &st)) {
		rc = rh_errf(err, -errno, "%s: %s", part, strerror(errno));
		goto done;
	}
	x.offset = (uint64_t)st.st_size;
	if (lseek(x.fd, 0, SEEK_END) < 0) {
		rc = rh_errf(err, -errno, "%s: %s", part, strerror(errno));
		goto done;
	}
	base = strrchr(dest, '/');
	x.label = base ? base + 1 : dest;
	x.progress = opts && opts->progress && isatty(STDERR_FILENO);
	rc = http_get(&x, err);
	if (rc == -EAGAIN) { /* 416: the part cannot be continued; once more from zero */
		rc = restart(&x) ? rh_errf(err, -x.write_errno, "%s: %s", part, strerror(x.write_errno)) : 0;
		x.got = 0;
		if (!rc)
			rc = http_get(&x, err);
		if (rc == -EAGAIN)
			rc = rh_errf(err, -EPROTO, "%s: the server refused the whole file (HTTP 416)", url);
	}
	/* A transfer cut short keeps what it got for the next resume; a refusal (status, size) does not. */
	keep_part = rc && resume && x.offset + x.got > 0 && !x.too_big && !x.bad_range &&
		    (rc == -EIO || rc == -ETIMEDOUT);
	size = x.offset + x.got;
done:
	if (!rc && fsync(x.fd))
		rc = rh_errf(err, -errno, "%s: fsync: %s", part, strerror(errno));
	if (close(x.fd) && !rc)
		rc = rh_errf(err, -errno, "%s: close: %s", part, strerror(errno));
	if (!rc && rename(part, dest))
		rc = rh_errf(err, -errno, "%s: cannot rename into place: %s", dest, strerror(errno));
	if (rc) {
		if (!keep_part)
			unlink(part);
		return rc;
	}
	sync_parent(dest);
	if (ret_size)
		*ret_size = size;
	return 0;
}

int fetch_to_buf(const char *url, size_t max, void **ret_buf, size_t *ret_len, struct rh_err *err)
{
	struct xfer x = { .url = url, .fd = -1, .max = max };
	enum src_kind kind;
	char path[4096], *buf;
	size_t len;
	int rc;

	rc = classify(url, &kind, path, sizeof(path), err);
	if (rc)
		return rc;
	if (kind == SRC_LOCAL) {
		rc = rh_read_file(path, max ? max : SIZE_MAX / 2, &buf, &len, NULL);
		if (rc == -EFBIG)
			return rh_errf(err, rc, "%s: larger than the limit of %zu bytes", path, max);
		if (rc)
			return rh_errf(err, rc, "%s: %s", path, strerror(-rc));
		*ret_buf = buf;
		*ret_len = len;
		return 0;
	}
	rc = fetch_limits(&x, NULL, err);
	if (rc == 0)
		rc = http_get(&x, err);
	if (rc) {
		free(x.buf);
		return rc;
	}
	if (!x.buf && !(x.buf = calloc(1, 1)))
		return rh_errf(err, -ENOMEM, "out of memory");
	*ret_buf = x.buf;
	*ret_len = x.len;
	return 0;
}

int fetch_join(char *buf, size_t cap, const char *base, const char *rel, struct rh_err *err)
{
	const char *p = rel;
	size_t blen;
	int n;

	if (!rel || !*rel)
		return rh_errf(err, -EINVAL, "empty relative path");
	if (!strncasecmp(rel, "http://", 7) || !strncasecmp(rel, "https://", 8)) {
		if (strlen(rel) >= cap)
			return rh_errf(err, -ENAMETOOLONG, "%s: URL too long", rel);
		strcpy(buf, rel);
		return 0;
	}
	if (rel[0] == '/' || strstr(rel, "://"))
		return rh_errf(err, -EINVAL, "%s: not a relative path (absolute paths and other URLs are refused)", rel);
	/* No ".." segment: a depot index must not name files outside the depot. */
	while (*p) {
		size_t seg = strcspn(p, "/");

		if (seg == 2 && p[0] == '.' && p[1] == '.')
			return rh_errf(err, -EINVAL, "%s: \"..\" in a relative path", rel);
		p += seg;
		p += *p == '/';
	}
	blen = strlen(base);
	while (blen > 1 && base[blen - 1] == '/')
		blen--;
	n = snprintf(buf, cap, "%.*s%s", (int)blen, base, !blen || base[blen - 1] == '/' ? "" : "/");
	if (n < 0 || (size_t)n >= cap)
		return rh_errf(err, -ENAMETOOLONG, "%s + %s: too long", base, rel);
	/* in a URL, the path as the file is named, percent-encoded */
	if (strstr(base, "://"))
		n = urlpath_encode(rel, strlen(rel), buf + n, cap - (size_t)n);
	else
		n = snprintf(buf + n, cap - (size_t)n, "%s", rel) >= (int)(cap - (size_t)n) ? -ENAMETOOLONG : 0;
	if (n < 0)
		return rh_errf(err, -ENAMETOOLONG, "%s + %s: too long", base, rel);
	return 0;
}
