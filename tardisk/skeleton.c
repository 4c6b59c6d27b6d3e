/* skeleton.c: tardisk_skeleton(), an image's tree without its file data (tardisk.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "ovl.h"
#include "tardisk.h"

struct skel {
	struct tardisk *td;
	const char *dir;
	const char *const *with_data;
	struct rh_err *err;
};

static int wanted(const struct skel *s, const char *path)
{
	for (const char *const *w = s->with_data; w && *w; w++)
		if (!strcmp(*w, path))
			return 1;
	return 0;
}

static int opaque(const struct tardisk_entry *e)
{
	for (size_t k = 0; k < e->n_xattrs; k++)
		if (!strcmp(e->xattrs[k].key, OVL_OPAQUE_XATTR))
			return ovl_is_opaque_value(e->xattrs[k].value, e->xattrs[k].value_len);
	return 0;
}

/* Makes room for e at path over what a lower image left there, as overlayfs shows it: *have is 1 when a
 * directory stays for a directory entry (emptied when e is opaque). */
static int over_lower(struct skel *s, const struct tardisk_entry *e, const char *path, int *have)
{
	struct stat st;
	int rc = 0;

	*have = lstat(path, &st) == 0;
	if (!*have)
		return 0;
	if (ovl_is_whiteout(e->mode, e->rdev_major, e->rdev_minor) || !S_ISDIR(e->mode) || !S_ISDIR(st.st_mode)) {
		*have = 0;
		return fs_rm_rf_at(AT_FDCWD, path, path, s->err);
	}
	if (opaque(e))
		rc = fs_rm_children_at(AT_FDCWD, path, path, s->err);
	return rc;
}

static int put_entry(void *ctx, const struct tardisk_entry *e)
{
	struct skel *s = ctx;
	char path[PATH_MAX];
	int fd, have, rc = fs_join(path, sizeof(path), s->dir, e->path, s->err);

	if (!rc)
		rc = over_lower(s, e, path, &have);
	if (rc || ovl_is_whiteout(e->mode, e->rdev_major, e->rdev_minor))
		return rc;
	if (S_ISDIR(e->mode))
		return !have && mkdir(path, 0755) < 0 ? rh_errf(s->err, -errno, "%s: %s", path, strerror(errno)) : 0;
	if (S_ISLNK(e->mode))
		return symlink(e->link_target, path) < 0 ? rh_errf(s->err, -errno, "%s: %s", path, strerror(errno)) : 0;
	/* a regular file keeps its permission bits (an init must be executable); anything else is an empty file */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, S_ISREG(e->mode) ? (e->mode & 0755) | 0600 : 0600);
	if (fd < 0)
		return rh_errf(s->err, -errno, "%s: %s", path, strerror(errno));
	if (S_ISREG(e->mode) && wanted(s, e->path))
		rc = tardisk_cat(s->td, e->path, fd, s->err);
	close(fd);
	return rc;
}

int tardisk_skeleton(const char *img, const char *dir, const char *const *with_data, struct rh_err *err)
{
	struct skel s = { NULL, dir, with_data, err };
	int rc = tardisk_open(img, &s.td, err);

	if (rc)
		return rc;
	rc = tardisk_walk(s.td, put_entry, &s, err);
	tardisk_close(s.td);
	return rc;
}
