/* pagecache.c: page cache advice for trees read once (see pagecache.h). */
#include "pagecache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DROP_MAX_DEPTH 64

void pagecache_drop_fd(int fd)
{
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

static void drop_dir(int dfd, dev_t dev, unsigned depth, unsigned *n)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;

	if (!d) {
		close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		int fd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode) && depth < DROP_MAX_DEPTH) {
			fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				drop_dir(fd, dev, depth + 1, n);
		} else if (S_ISREG(st.st_mode)) {
			fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0)
				continue;
			pagecache_drop_fd(fd);
			close(fd);
			(*n)++;
		}
	}
	closedir(d);
}

int pagecache_drop_tree(const char *dir, unsigned *ret_files, struct rh_err *err)
{
	unsigned n = 0;
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return rh_errf(err, -errno, "%s: %s", dir, strerror(errno));
	if (fstat(fd, &st) < 0) {
		int rc = rh_errf(err, -errno, "%s: %s", dir, strerror(errno));
		close(fd);
		return rc;
	}
	drop_dir(fd, st.st_dev, 0, &n);
	if (ret_files)
		*ret_files = n;
	return 0;
}
