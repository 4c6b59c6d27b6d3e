/* copy.c: tree copy with metadata, for init (see copy.h). */
#include "copy_tree.h"

#include "fs.h"
#include "ovl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define COPY_MAX_DEPTH 128


/* Owner, mode and times of st onto dst; fd when open, else (dirfd, name) without following symlinks. */
static int set_meta(int fd, int dirfd, const char *name, const struct stat *st, const char *path,
		    struct rh_err *err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int rc;

	/* chown first: it clears setuid/setgid bits that chmod then restores */
	rc = fd >= 0 ? fchown(fd, st->st_uid, st->st_gid) :
		       fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	if (rc < 0)
		return rh_errf(err, -errno, "%s: chown %u:%u: %s", path, (unsigned)st->st_uid, (unsigned)st->st_gid,
			       strerror(errno));
	if (!S_ISLNK(st->st_mode)) {
		rc = fd >= 0 ? fchmod(fd, st->st_mode & 07777) : fchmodat(dirfd, name, st->st_mode & 07777, 0);
		if (rc < 0)
			return rh_errf(err, -errno, "%s: chmod %o: %s", path, (unsigned)(st->st_mode & 07777),
				       strerror(errno));
	}
	rc = fd >= 0 ? futimens(fd, ts) : utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
	if (rc < 0)
		return rh_errf(err, -errno, "%s: set times: %s", path, strerror(errno));
	return 0;
}

static int copy_data(int in, int out, const char *src, const char *dst, struct rh_err *err)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf)), off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rh_errf(err, -errno, "%s: read: %s", src, strerror(errno));
		if (n == 0) {
			/* the copy holds the data now: the source's pages (a tardisk's, decompressed squashfs
			 * pages) would hold it twice. Advice only: a no-op on tmpfs; mapped pages stay. */
			(void)posix_fadvise(in, 0, 0, POSIX_FADV_DONTNEED);
			return 0;
		}
		while (off < n) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return rh_errf(err, -errno, "%s: write: %s", dst, strerror(errno));
			off += w;
		}
	}
}

/* One copy: layer set for copy_tree_layer (overlayfs's whiteouts and opaque directories obeyed). */
struct copy_walk {
	int layer;
	struct rh_err *err;
};

static int copy_at(int sdir, const char *sname, int ddir, const char *dname, const char *spath, const char *dpath,
		   int depth, struct copy_walk *w);

/* Copies the entries of directory sfd into dfd (both owned: closed here). */
static int copy_dir_entries(int sfd, int dfd, const char *spath, const char *dpath, int depth, struct copy_walk *w)
{
	struct rh_err *err = w->err;
	DIR *d = fdopendir(sfd);
	struct dirent *de;
	char s[4096], t[4096];
	int rc = 0;

	if (!d) {
		rc = rh_errf(err, -errno, "%s: %s", spath, strerror(errno));
		close(sfd);
		close(dfd);
		return rc;
	}
	while (!rc && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(s, sizeof(s), "%s/%s", spath, de->d_name) >= sizeof(s) ||
		    (size_t)snprintf(t, sizeof(t), "%s/%s", dpath, de->d_name) >= sizeof(t)) {
			rc = rh_errf(err, -ENAMETOOLONG, "%s/%s: path too long", spath, de->d_name);
			break;
		}
		rc = copy_at(dirfd(d), de->d_name, dfd, de->d_name, s, t, depth + 1, w);
	}
	closedir(d);
	close(dfd);
	return rc;
}

int copy_layer_dir_opaque(const char *path)
{
	char v[8];
	ssize_t n = lgetxattr(path, OVL_OPAQUE_XATTR, v, sizeof(v));

	return n > 0 && ovl_is_opaque_value(v, (size_t)n);
}

static int copy_at(int sdir, const char *sname, int ddir, const char *dname, const char *spath, const char *dpath,
		   int depth, struct copy_walk *w)
{
	struct rh_err *err = w->err;
	struct stat st, dst;
	int have_dst, sfd = -1, dfd = -1, rc = 0;
	char target[4096];
	ssize_t n;

	if (depth > COPY_MAX_DEPTH)
		return rh_errf(err, -ELOOP, "%s: nested deeper than %d directories", spath, COPY_MAX_DEPTH);
	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return rh_errf(err, -errno, "%s: %s", spath, strerror(errno));
	have_dst = fstatat(ddir, dname, &dst, AT_SYMLINK_NOFOLLOW) == 0;
	if (w->layer && ovl_is_whiteout(st.st_mode, major(st.st_rdev), minor(st.st_rdev)))
		return have_dst ? fs_rm_rf_at(ddir, dname, dpath, err) : 0;
	if (have_dst && !(S_ISDIR(st.st_mode) && S_ISDIR(dst.st_mode))) {
		rc = fs_rm_rf_at(ddir, dname, dpath, err);
		if (rc < 0)
			return rc;
		have_dst = 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!have_dst && mkdirat(ddir, dname, 0700) < 0)
			return rh_errf(err, -errno, "%s: mkdir: %s", dpath, strerror(errno));
		sfd = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0)
			return rh_errf(err, -errno, "%s: %s", spath, strerror(errno));
		dfd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0) {
			rc = rh_errf(err, -errno, "%s: %s", dpath, strerror(errno));
			close(sfd);
			return rc;
		}
		if (w->layer && have_dst && copy_layer_dir_opaque(spath))   /* what the layers below left goes first */
			rc = fs_rm_children_at(dfd, ".", dpath, err);
		if (!rc)
			rc = copy_dir_entries(sfd, dup(dfd), spath, dpath, depth, w);
		else
			close(sfd);
		if (!rc)
			rc = set_meta(dfd, -1, NULL, &st, dpath, err);
		close(dfd);
		return rc;
	}
	if (S_ISREG(st.st_mode)) {
		sfd = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0)
			return rh_errf(err, -errno, "%s: %s", spath, strerror(errno));
		dfd = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (dfd < 0) {
			rc = rh_errf(err, -errno, "%s: create: %s", dpath, strerror(errno));
			goto out;
		}
		rc = copy_data(sfd, dfd, spath, dpath, err);
		if (!rc)
			rc = set_meta(dfd, -1, NULL, &st, dpath, err);
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(sdir, sname, target, sizeof(target));
		if (n < 0 || (size_t)n >= sizeof(target))
			return rh_errf(err, n < 0 ? -errno : -ENAMETOOLONG, "%s: readlink: %s", spath,
				       n < 0 ? strerror(errno) : "target too long");
		target[n] = '\0';
		if (symlinkat(target, ddir, dname) < 0)
			return rh_errf(err, -errno, "%s: symlink: %s", dpath, strerror(errno));
	} else if (mknodat(ddir, dname, st.st_mode & (S_IFMT | 0600), st.st_rdev) < 0) {
		return rh_errf(err, -errno, "%s: mknod: %s", dpath, strerror(errno));
	}
	return set_meta(-1, ddir, dname, &st, dpath, err);
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int copy_tree(const char *src, const char *dst, struct rh_err *err)
{
	struct copy_walk w = { 0, err };

	return copy_at(AT_FDCWD, src, AT_FDCWD, dst, src, dst, 0, &w);
}

int copy_tree_layer(const char *src, const char *dst, struct rh_err *err)
{
	struct copy_walk w = { 1, err };

	return copy_at(AT_FDCWD, src, AT_FDCWD, dst, src, dst, 0, &w);
}

/* In layer top: 1 when rel itself or a directory on its way hides the layers below (a whiteout or a non-directory
 * there, or an opaque directory above rel), with *found set when rel itself is there. */
static int layer_hides(const char *top, const char *rel, int *found)
{
	char p[PATH_MAX];
	struct stat st;
	size_t tl = strlen(top);

	*found = 0;
	if ((size_t)snprintf(p, sizeof(p), "%s/%s", top, rel) >= sizeof(p))
		return 1;
	for (char *s = strchr(p + tl + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (lstat(p, &st) < 0)
			return 0;   /* this layer has nothing on the way: the ones below may */
		if (!S_ISDIR(st.st_mode))
			return 1;
		if (copy_layer_dir_opaque(p)) {
			*s = '/';
			*found = lstat(p, &st) == 0;
			return 1;
		}
		*s = '/';
	}
	*found = lstat(p, &st) == 0;
	return *found;
}

void copy_layers_file(const char *const *lowers, const char *rel, char *ret, size_t cap)
{
	size_t n = 0;
	struct stat st;

	ret[0] = '\0';
	while (lowers && lowers[n])
		n++;
	while (n-- > 0) {
		int found;

		if (!layer_hides(lowers[n], rel, &found))
			continue;
		if (found && (size_t)snprintf(ret, cap, "%s/%s", lowers[n], rel) < cap && lstat(ret, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return;
		ret[0] = '\0';
		return;
	}
}
