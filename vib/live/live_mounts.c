/* live_mounts.c: the mounts of a live install: payload tardisks, and the read-only overlays of the running view
 * pushed and popped (live.h).
 * Owns nothing past a call: every descriptor and staging mount is released before it returns. */
#include "live.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "mount.h"

#define STAGE LIVE_DIR "/.stage"
#define MAX_LOWERS 64

int live_tardisk_mount(const char *file, const char *mnt, char *ret_dev, struct rh_err *err)
{
	struct loop_info64 info;
	char dev[32];
	int rc, fd;

	rc = rh_mkdir_p(mnt, 0755, err);
	if (rc < 0)
		return rc;
	rc = loop_attach_ro(file, dev, sizeof(dev), err);
	if (rc < 0)
		goto fail_dir;
	rc = mount_squashfs_ro(dev, mnt, err);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !ioctl(fd, LOOP_GET_STATUS64, &info)) {
		/* from now on the device goes with its mount (or right away, when the mount failed) */
		info.lo_flags |= LO_FLAGS_AUTOCLEAR;
		ioctl(fd, LOOP_SET_STATUS64, &info);
		if (rc < 0)
			ioctl(fd, LOOP_CLR_FD, 0);
	}
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		goto fail_dir;
	snprintf(ret_dev, 32, "%s", dev);
	return 0;
fail_dir:
	rmdir(mnt);
	return rc;
}

/* The device mounted at mnt (the last mountinfo line for it) into dev; "" when none. */
static void mount_source(const char *mnt, char *dev, size_t cap)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len;

	dev[0] = '\0';
	if (rh_read_file("/proc/self/mountinfo", 4u << 20, &buf, &len, NULL) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mp[PATH_MAX], src[256], *dash = strstr(line, " - ");

		if (dash && sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strcmp(mp, mnt) &&
		    sscanf(dash + 3, "%*s %255s", src) == 1)
			snprintf(dev, cap, "%s", src);
	}
	free(buf);
}

int live_tardisk_umount(const char *mnt, struct rh_err *err)
{
	char dev[256];
	int fd;

	/* init attaches its loop devices without autoclear: LOOP_CLR_FD on a device in use turns it on, so the
	 * device goes with the last user of the lazily unmounted file system */
	mount_source(mnt, dev, sizeof(dev));
	if (!strncmp(dev, "/dev/loop", 9) && (fd = open(dev, O_RDONLY | O_CLOEXEC)) >= 0) {
		ioctl(fd, LOOP_CLR_FD, 0);
		close(fd);
	}
	if (umount2(mnt, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return rh_errf(err, -errno, "unmount %s: %s", mnt, strerror(errno));
	rmdir(mnt);
	return 0;
}

/* init mounted the first overlays before it switched root, under /sysroot: the options still say
 * /sysroot/run/ramhost/tardisks/..., which is /run/ramhost/tardisks/... from the running host. */
static void strip_sysroot(char *list)
{
	static const char pre[] = "/sysroot/";
	char *src = strdup(list), *r, *w = list;

	if (!src || !access("/sysroot", F_OK)) {
		free(src);
		return;
	}
	for (r = src; *r;) {
		if ((r == src || r[-1] == ':') && !strncmp(r, pre, sizeof(pre) - 1))
			r += sizeof(pre) - 2;   /* keep the '/' after "sysroot" */
		*w++ = *r++;
	}
	*w = '\0';
	free(src);
}

int live_overlay_lowers(const char *top, char *ret, size_t cap, struct rh_err *err)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len;
	int rc, found = 0;

	rc = rh_read_file("/proc/self/mountinfo", 4u << 20, &buf, &len, err);
	if (rc < 0)
		return rc;
	/* the last line for a mount point is the topmost mount there */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mp[PATH_MAX], fstype[64], *dash = strstr(line, " - "), *lo, *end;

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 || strcmp(mp, top))
			continue;
		found = 1;
		ret[0] = '\0';
		if (sscanf(dash + 3, "%63s", fstype) != 1 || strcmp(fstype, "overlay"))
			continue;
		lo = strstr(dash, "lowerdir=");
		if (!lo)
			continue;
		lo += strlen("lowerdir=");
		end = lo + strcspn(lo, ", ");
		if ((size_t)(end - lo) >= cap) {
			free(buf);
			return rh_errf(err, -E2BIG, "%s: lowerdir of the overlay too long", top);
		}
		memcpy(ret, lo, (size_t)(end - lo));
		ret[end - lo] = '\0';
	}
	free(buf);
	if (!found || !ret[0])
		return rh_errf(err, -ENOENT, "%s is not a read-only overlay of tardisks (see /proc/self/mountinfo)",
			       top);
	strip_sysroot(ret);
	return 0;
}

/* Whether entry (one lowerdir) lies below dir/. */
static int below(const char *entry, size_t elen, const char *dir)
{
	size_t dl = strlen(dir);

	return elen > dl && !strncmp(entry, dir, dl) && entry[dl] == '/';
}

int live_lowers_edit(const char *cur, const char *layer, int add, char *ret, size_t cap)
{
	size_t used = 0, elen;
	const char *p = cur;
	int n = 0, removed = 0;

	ret[0] = '\0';
	if (add) {
		if (strlen(layer) + 1 >= cap)
			return -E2BIG;
		used = (size_t)snprintf(ret, cap, "%s", layer);
		n = 1;
	}
	while (*p) {
		elen = strcspn(p, ":");
		if (elen && !(elen == strlen(LIVE_EMPTY) && !strncmp(p, LIVE_EMPTY, elen))) {
			if (!add && below(p, elen, layer)) {
				removed++;
			} else if ((add && elen == strlen(layer) && !strncmp(p, layer, elen))) {
				return -EEXIST;
			} else {
				if (used + elen + 2 > cap || n == MAX_LOWERS)
					return -E2BIG;
				used += (size_t)snprintf(ret + used, cap - used, "%s%.*s", used ? ":" : "", (int)elen, p);
				n++;
			}
		}
		p += elen;
		if (*p == ':')
			p++;
	}
	if (!add && !removed)
		return -ENOENT;
	return n;
}

/* A private tmpfs to mount the new overlay on: a mount under a shared parent cannot be moved. */
static int stage_up(struct rh_err *err)
{
	int rc = rh_mkdir_p(STAGE, 0700, err);

	if (rc < 0)
		return rc;
	if (mount("ramhost-stage", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0700") < 0)
		return rh_errf(err, -errno, "mount a staging tmpfs at %s: %s", STAGE, strerror(errno));
	if (mount(NULL, STAGE, NULL, MS_PRIVATE, NULL) < 0) {
		rc = rh_errf(err, -errno, "make %s private: %s", STAGE, strerror(errno));
		umount2(STAGE, MNT_DETACH);
		return rc;
	}
	return 0;
}

int live_overlay_push(const char *top, const char *lowers, struct rh_err *err)
{
	char copy[8192], tmp[PATH_MAX], *save = NULL, *tok;
	const char *list[MAX_LOWERS];
	unsigned n = 0;
	int rc;

	if (strlen(lowers) >= sizeof(copy))
		return rh_errf(err, -E2BIG, "%s: too many layers", top);
	strcpy(copy, lowers);
	for (tok = strtok_r(copy, ":", &save); tok && n < MAX_LOWERS; tok = strtok_r(NULL, ":", &save))
		list[n++] = tok;
	if (!n)
		return rh_errf(err, -EINVAL, "%s: no layer left to mount", top);
	rc = rh_mkdir_p(LIVE_EMPTY, 0755, err);
	if (rc == 0)
		rc = rh_mkdir_p(top, 0755, err);
	if (rc == 0)
		rc = stage_up(err);
	if (rc < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), STAGE "/view");
	if (mkdir(tmp, 0755) < 0) {
		rc = rh_errf(err, -errno, "mkdir %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = mount_overlay_ro(tmp, list, n, LIVE_EMPTY, err);
	if (rc < 0)
		goto out;
	if (mount(tmp, top, NULL, MS_MOVE, NULL) < 0) {
		rc = rh_errf(err, -errno, "move the new overlay onto %s: %s", top, strerror(errno));
		umount2(tmp, MNT_DETACH);
	}
out:
	umount2(STAGE, MNT_DETACH);
	rmdir(STAGE);
	return rc;
}

int live_overlay_pop(const char *top, struct rh_err *err)
{
	if (umount2(top, MNT_DETACH) < 0)
		return rh_errf(err, -errno, "unmount the top overlay of %s: %s", top, strerror(errno));
	return 0;
}

int live_overlay_tops(const char *mnt, char names[][64], unsigned *ret_n, struct rh_err *err)
{
	static const char *const skip[] = { "etc", "var", "root", "home", "srv", "mnt", "media", "dev", "proc",
					    "sys", "run", "tmp", "tardisks", "lost+found" };
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	unsigned n = 0, i;
	DIR *d = opendir(mnt);
	int rc = 0;

	if (!d)
		return rh_errf(err, -errno, "%s: %s", mnt, strerror(errno));
	while ((de = readdir(d))) {
		int skipped = de->d_name[0] == '.';

		for (i = 0; i < sizeof(skip) / sizeof(skip[0]) && !skipped; i++)
			skipped = !strcmp(de->d_name, skip[i]);
		if (skipped)
			continue;
		snprintf(path, sizeof(path), "%s/%s", mnt, de->d_name);
		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			rc = rh_errf(err, -EINVAL, "%s: top-level /%s is not a directory: a live install can only add "
					       "directories such as /usr and /opt", mnt, de->d_name);
			break;
		}
		if (strlen(de->d_name) >= 64 || n == LIVE_MAX_TOPS) {
			rc = rh_errf(err, -E2BIG, "%s: too many or too long top-level names", mnt);
			break;
		}
		memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);   /* < 64, checked above */
	}
	closedir(d);
	*ret_n = n;
	return rc;
}
