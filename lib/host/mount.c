/* mounts.c: loop, squashfs, overlayfs, tmpfs and bind mounts for init (see mounts.h). */
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/loop.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tmpreg.h"

#ifndef LOOP_CONFIGURE
#define LOOP_CONFIGURE 0x4C0A
#endif


int loop_set_autoclear(const char *dev)
{
	struct loop_info64 li;
	int fd = open(dev, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, LOOP_GET_STATUS64, &li) < 0)
		rc = -errno;
	if (!rc) {
		li.lo_flags |= LO_FLAGS_AUTOCLEAR;
		if (ioctl(fd, LOOP_SET_STATUS64, &li) < 0)
			rc = -errno;
	}
	close(fd);
	return rc;
}

int mount_ns_private(struct rh_err *err)
{
	if (unshare(CLONE_NEWNS) < 0)
		return rh_errf(err, -errno, "cannot make a mount namespace of its own: %s", strerror(errno));
	/* source and type are unused for a propagation change: named only so that valgrind sees strings */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return rh_errf(err, -errno, "cannot make the mounts private: %s", strerror(errno));
	tmpreg_new_mount_ns();
	return 0;
}

int loop_detach(const char *dev, struct rh_err *err)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: %s", dev, strerror(errno));
	if (ioctl(fd, LOOP_CLR_FD, 0) < 0)
		rc = rh_errf(err, -errno, "%s: cannot detach it: %s", dev, strerror(errno));
	close(fd);
	return rc;
}
/* Configures loop device fd with file_fd: LOOP_CONFIGURE (one call, 5.8+), else LOOP_SET_FD + SET_STATUS64. */
static int loop_configure(int fd, int file_fd, const char *file, uint64_t offset, uint64_t size, int rw)
{
	struct loop_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (uint32_t)file_fd;
	cfg.info.lo_flags = rw ? 0 : LO_FLAGS_READ_ONLY; /* no AUTOCLEAR: it would detach at our close(), before the
							     mount */
	cfg.info.lo_offset = offset;
	cfg.info.lo_sizelimit = size;
	snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", file);
	if (!ioctl(fd, LOOP_CONFIGURE, &cfg))
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return -errno;
	if (ioctl(fd, LOOP_SET_FD, file_fd) < 0)
		return -errno;
	if (ioctl(fd, LOOP_SET_STATUS64, &cfg.info) < 0) {
		int rc = -errno;
		ioctl(fd, LOOP_CLR_FD, 0);
		return rc;
	}
	return 0;
}

int loop_attach_ro(const char *file, char *ret_dev, size_t cap, struct rh_err *err)
{
	return loop_attach(file, 0, 0, 0, ret_dev, cap, err);
}

int loop_attach(const char *file, uint64_t offset, uint64_t size, int rw, char *ret_dev, size_t cap,
		struct rh_err *err)
{
	char dev[32];
	int ctl = -1, file_fd = -1, fd = -1, rc = 0, tries;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		rc = rh_errf(err, -errno, "/dev/loop-control: %s (is loop.ko loaded?)", strerror(errno));
		goto out;
	}
	file_fd = open(file, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (file_fd < 0) {
		rc = rh_errf(err, -errno, "%s: %s", file, strerror(errno));
		goto out;
	}
	/* another process may take the free device between GET_FREE and CONFIGURE: then EBUSY, try again */
	for (tries = 0; tries < 16; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (n < 0) {
			rc = rh_errf(err, -errno, "/dev/loop-control: no free loop device: %s", strerror(errno));
			goto out;
		}
		snprintf(dev, sizeof(dev), "/dev/loop%d", n);
		if (mknod(dev, S_IFBLK | 0660, makedev(7, (unsigned)n)) < 0 && errno != EEXIST) {
			rc = rh_errf(err, -errno, "%s: mknod: %s", dev, strerror(errno));
			goto out;
		}
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			rc = rh_errf(err, -errno, "%s: %s", dev, strerror(errno));
			goto out;
		}
		rc = loop_configure(fd, file_fd, file, offset, size, rw);
		if (rc != -EBUSY)
			break;
		close(fd);
		fd = -1;
	}
	if (rc < 0) {
		rc = rh_errf(err, rc, "%s: attaching %s%s: %s", dev, file, rw ? "" : " read-only", strerror(-rc));
		goto out;
	}
	if (strlen(dev) >= cap) {
		rc = rh_errf(err, -ENAMETOOLONG, "%s: device name too long", dev);
		goto out;
	}
	strcpy(ret_dev, dev);
out:
	if (fd >= 0)
		close(fd);
	if (file_fd >= 0)
		close(file_fd);
	if (ctl >= 0)
		close(ctl);
	return rc;
}


int mount_ramdisk(const char *target, const char *name, uint64_t size, uint64_t inodes, unsigned mode,
		  struct rh_err *err)
{
	char opts[128];

	snprintf(opts, sizeof(opts), "size=%" PRIu64 ",nr_inodes=%" PRIu64 ",mode=%04o", size, inodes, mode);
	if (mount(name, target, "tmpfs", 0, opts) < 0)
		return rh_errf(err, -errno, "ramdisk %s: mount tmpfs at %s (%s): %s", name, target, opts,
			       strerror(errno));
	return 0;
}

int mount_squashfs_ro(const char *dev, const char *target, struct rh_err *err)
{
	if (mount(dev, target, "squashfs", MS_RDONLY | MS_NODEV, NULL) < 0)
		return rh_errf(err, -errno, "mount squashfs %s at %s: %s", dev, target, strerror(errno));
	return 0;
}

int mount_overlay_ro(const char *target, const char *const *lowers, unsigned nlowers, const char *empty_dir,
		     struct rh_err *err)
{
	char opts[4096];
	unsigned total = nlowers == 1 ? 2 : nlowers, i;
	size_t pos;
	int n;

	if (!nlowers)
		return rh_errf(err, -EINVAL, "overlay %s: no layers", target);
	pos = (size_t)snprintf(opts, sizeof(opts), "lowerdir=");
	for (i = 0; i < total; i++) {
		const char *dir = i < nlowers ? lowers[i] : empty_dir;

		if (strpbrk(dir, ":,\\"))
			return rh_errf(err, -EINVAL, "overlay %s: layer path '%s' has ':', ',' or '\\'", target, dir);
		n = snprintf(opts + pos, sizeof(opts) - pos, "%s%s", i ? ":" : "", dir);
		if (n < 0 || (size_t)n >= sizeof(opts) - pos)
			return rh_errf(err, -E2BIG, "overlay %s: too many layers for one mount option", target);
		pos += (size_t)n;
	}
	if (mount("overlay", target, "overlay", MS_RDONLY, opts) < 0)
		return rh_errf(err, -errno, "mount overlay at %s (%s): %s", target, opts, strerror(errno));
	return 0;
}

int mount_bind_ro(const char *src, const char *target, struct rh_err *err)
{
	if (mount(src, target, NULL, MS_BIND, NULL) < 0)
		return rh_errf(err, -errno, "bind %s at %s: %s", src, target, strerror(errno));
	if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return rh_errf(err, -errno, "remount %s read-only: %s", target, strerror(errno));
	return 0;
}

int mount_move(const char *src, const char *target, struct rh_err *err)
{
	if (mount(src, target, NULL, MS_MOVE, NULL) < 0)
		return rh_errf(err, -errno, "move mount %s to %s: %s", src, target, strerror(errno));
	return 0;
}
