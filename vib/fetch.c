/* fetch.c: downloads (fetch.h). HTTP and HTTPS go through fetch_http.c (our client, vib/http_conn.c); file://
 * URLs and plain paths are copied here.
 *
 * A download to a file writes DEST.part and renames it into place after fsync. With resume, an existing
 * DEST.part is continued with "Range: bytes=N-": a 206 whose Content-Range starts at N is appended, a 200
 * restarts the file from zero, a 416 (the part is as long as the file, or longer) restarts once without a range.
 * Nothing checks that the file did not change on the server between the two requests: callers verify the SHA-256 they expect. */
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
#include <unistd.h>

#include "fetch.h"
#include "fetch_int.h"
#include "fileio.h"
#include "urlpath.h"


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
	rc = fetch_http_get(&x, err);
	if (rc == -EAGAIN) { /* 416: the part cannot be continued; once more from zero */
		rc = fetch_restart(&x) ? rh_errf(err, -x.write_errno, "%s: %s", part, strerror(x.write_errno)) : 0;
		x.got = 0;
		if (!rc)
			rc = fetch_http_get(&x, err);
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
		rc = fetch_http_get(&x, err);
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
