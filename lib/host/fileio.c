/* fileio.c: see fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "directory";
	if (S_ISFIFO(mode))
		return "fifo";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISBLK(mode))
		return "block device";
	if (S_ISSOCK(mode))
		return "socket";
	return "unknown file type";
}

int rh_open_input_as(const char *path, const char *what, int *ret_fd, struct rh_err *err)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), flags, rc;
	struct stat st;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot open%s%s: %s", path, what ? " " : "", what ? what : "",
			       strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = rh_errf(err, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL, "%s: not a regular file (%s)", path,
			     file_kind(st.st_mode));
		goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return rc;
}

int rh_open_input(const char *path, int *ret_fd, struct rh_err *err)
{
	return rh_open_input_as(path, NULL, ret_fd, err);
}

int rh_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len, struct rh_err *err)
{
	int fd, rc = rh_open_input(path, &fd, err);
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;

	if (rc < 0)
		return rc;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			/* one byte past max is read, so a file of exactly max bytes is accepted and a larger one seen */
			cap = cap ? cap * 2 : 16384;
			if (cap > max + 2)
				cap = max + 2;
			if (len + 1 >= cap) {
				rc = rh_errf(err, -EFBIG, "%s: larger than %zu bytes", path, max);
				goto out;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				rc = rh_errf(err, -ENOMEM, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rh_errf(err, -errno, "%s: read failed: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			rc = rh_errf(err, -EFBIG, "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int rh_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int rh_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int rh_pread_fd(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	return rh_pread_all(*(const int *)ctx, buf, len, off);
}

int rh_mkdir_p(const char *path, unsigned mode, struct rh_err *err)
{
	char buf[4096];
	size_t len = strlen(path), i;

	if (len == 0 || len >= sizeof(buf))
		return rh_errf(err, -ENAMETOOLONG, "bad directory path '%s'", path);
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return rh_errf(err, -errno, "%s: cannot create directory: %s", buf, strerror(errno));
		buf[i] = path[i];
	}
	return 0;
}

int rh_replace_file(const char *dir, const char *name, const void *buf, size_t len, const char *label,
		    struct rh_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX], parent[PATH_MAX], *slash;
	int fd, dfd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	*slash = '\0';
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot create /%s.tmp: %s", label, name, strerror(errno));
	rc = rh_write_all(fd, buf, len);
	if (rc < 0)
		rh_errf(err, rc, "%s: cannot write /%s.tmp: %s", label, name, strerror(-rc));
	if (!rc && fsync(fd) < 0)
		rc = rh_errf(err, -errno, "%s: fsync /%s.tmp: %s", label, name, strerror(errno));
	if (close(fd) < 0 && !rc)
		rc = rh_errf(err, -errno, "%s: close /%s.tmp: %s", label, name, strerror(errno));
	if (!rc && rename(tmp, path) < 0)
		rc = rh_errf(err, -errno, "%s: cannot rename /%s.tmp over /%s: %s", label, name, name, strerror(errno));
	if (rc) {
		unlink(tmp);
		return rc;
	}
	dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return rh_errf(err, -errno, "%s: /%s written, but its directory cannot be opened to sync: %s", label,
			       name, strerror(errno));
	/* some file systems refuse fsync on a directory; the syncfs before unmounting covers those */
	if (fsync(dfd) < 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP)
		rc = rh_errf(err, -errno, "%s: /%s written, but fsync of its directory failed: %s", label, name,
			     strerror(errno));
	close(dfd);
	return rc;
}
