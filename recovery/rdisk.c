/* rdisk.c: the disk a rescue works on (see rdisk.h): what may be opened as a disk, its size and logical sector,
 * and the reads and writes at byte offsets with the bounds checked once here. */
#include "rdisk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"

/* The fewest logical sectors that hold a protective MBR and both GPT copies (header + 32 sectors of entries). */
#define RDISK_MIN_SECTORS (34u + 33u)

/* A block device that is a partition: /sys/dev/block/MAJ:MIN/partition exists, and the directory above the
 * partition's is the whole disk's (…/block/sda/sda1). The message names the disk to give instead. */
static int refuse_partition(const char *path, dev_t rdev, struct rh_err *err)
{
	char sys[96], real[PATH_MAX], part[32] = "";
	const char *disk = "the whole disk";
	FILE *f;

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/partition", major(rdev), minor(rdev));
	f = fopen(sys, "re");
	if (!f)
		return 0;
	if (!fgets(part, sizeof(part), f))
		part[0] = '\0';
	fclose(f);
	part[strcspn(part, "\n")] = '\0';
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/..", major(rdev), minor(rdev));
	if (realpath(sys, real)) {
		const char *slash = strrchr(real, '/');
		if (slash && slash[1])
			disk = slash + 1;
	}
	return rh_errf(err, -EINVAL, "%s: partition %s of /dev/%s, not a disk: give the whole disk (/dev/%s)", path,
		       part, disk, disk);
}

static int refuse_open(const char *path, int writable, int e, struct rh_err *err)
{
	if (writable && (e == EROFS || e == EACCES || e == EPERM))
		return rh_errf(err, e == EPERM ? -EACCES : -e, "%s: read-only (%s): cannot write to this disk", path,
			       strerror(e));
	return rh_errf(err, -e, "%s: cannot open the disk: %s", path, strerror(e));
}

/* Opens path without blocking (a fifo was refused by stat already; O_NONBLOCK covers a race) and checks that the
 * descriptor is the same kind of file as stat said. */
static int open_checked(const char *path, int writable, const struct stat *st, int *ret_fd, struct rh_err *err)
{
	/* a block device opened for writing is claimed exclusively: the kernel refuses that (EBUSY) while one of its
	 * partitions is mounted or otherwise held, and nothing may write under a mounted file system */
	int excl = writable && S_ISBLK(st->st_mode) ? O_EXCL : 0;
	int fd = open(path, (writable ? O_RDWR : O_RDONLY) | excl | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), flags;
	struct stat now;

	if (fd < 0 && errno == EBUSY && excl)
		return rh_errf(err, -EBUSY, "%s: in use (a partition of it is mounted or held by the system): unmount it "
				      "before writing", path);
	if (fd < 0)
		return refuse_open(path, writable, errno, err);
	if (fstat(fd, &now) < 0 || (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT)) {
		close(fd);
		return rh_errf(err, -EAGAIN, "%s: changed while it was opened", path);
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return rh_errf(err, -e, "%s: %s", path, strerror(e));
	}
	*ret_fd = fd;
	return 0;
}

/* Size and logical sector of a block device; a read-only device opened for writing is refused. */
static int blockdev_facts(struct rdisk *d, struct rh_err *err)
{
	uint64_t size = 0;
	int ssz = 0, ro = 0;

	if (ioctl(d->fd, BLKGETSIZE64, &size) < 0 || ioctl(d->fd, BLKSSZGET, &ssz) < 0)
		return rh_errf(err, -errno, "%s: cannot read the size of the block device: %s", d->path,
			       strerror(errno));
	if (d->writable && ioctl(d->fd, BLKROGET, &ro) == 0 && ro)
		return rh_errf(err, -EROFS, "%s: read-only (the block device is set read-only): cannot write to this "
				       "disk", d->path);
	if (ssz != 512 && ssz != 4096)
		return rh_errf(err, -EOPNOTSUPP, "%s: logical sector size %d: only 512 and 4096 are supported",
			       d->path, ssz);
	if (d->sector && d->sector != (uint32_t)ssz)
		return rh_errf(err, -EINVAL, "%s: the device's logical sector is %d bytes, not %" PRIu32, d->path,
			       ssz, d->sector);
	d->size = size;
	d->sector = (uint32_t)ssz;
	return 0;
}

/* An image file's sector: where "EFI PART" is (512, then 4096), else 512, guessed. */
static void probe_sector(struct rdisk *d)
{
	static const uint32_t sizes[] = { 512, 4096 };
	char sig[8];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (d->size >= (uint64_t)sizes[i] + 8 && rh_pread_all(d->fd, sig, 8, sizes[i]) == 0 &&
		    !memcmp(sig, "EFI PART", 8)) {
			d->sector = sizes[i];
			return;
		}
	}
	d->sector = 512;
	d->sector_guessed = 1;
}

static int disk_facts(struct rdisk *d, const struct stat *st, struct rh_err *err)
{
	int rc;

	if (d->is_blockdev) {
		rc = blockdev_facts(d, err);
		if (rc < 0)
			return rc;
	} else {
		d->size = (uint64_t)st->st_size;
	}
	if (d->size < RDISK_MIN_BYTES)
		return rh_errf(err, -EINVAL, "%s: %" PRIu64 " bytes: too small for a disk (at least 1 MiB)", d->path,
			       d->size);
	if (!d->sector)
		probe_sector(d);
	d->sectors = d->size / d->sector;
	if (d->sectors < RDISK_MIN_SECTORS)
		return rh_errf(err, -EINVAL, "%s: %" PRIu64 " sectors of %" PRIu32 " bytes: too small to hold a GPT",
			       d->path, d->sectors, d->sector);
	return 0;
}

int rdisk_open(const char *path, int writable, uint32_t sector, struct rdisk *ret, struct rh_err *err)
{
	struct rdisk d;
	struct stat st;
	int rc;

	memset(&d, 0, sizeof(d));
	d.fd = -1;
	if (sector && sector != 512 && sector != 4096)
		return rh_errf(err, -EINVAL, "%s: sector size %" PRIu32 ": only 512 and 4096 are supported", path,
			       sector);
	if (strlen(path) >= sizeof(d.path))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	if (stat(path, &st) < 0)
		return rh_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		/* the input rule's own refusal names the kind of file, without blocking on a fifo */
		int fd = -1;
		rc = rh_open_input(path, &fd, err);
		if (fd >= 0)
			close(fd);
		return rh_err_append(err, rc < 0 ? rc : -EINVAL, "a disk is a block device or a disk image file");
	}
	if (S_ISBLK(st.st_mode)) {
		rc = refuse_partition(path, st.st_rdev, err);
		if (rc < 0)
			return rc;
	}
	strcpy(d.path, path);
	d.writable = writable;
	d.is_blockdev = S_ISBLK(st.st_mode);
	d.sector = sector;
	rc = open_checked(path, writable, &st, &d.fd, err);
	if (rc < 0)
		return rc;
	rc = disk_facts(&d, &st, err);
	if (rc < 0) {
		close(d.fd);
		return rc;
	}
	*ret = d;
	return 0;
}

/* 1 when [off, off+len) lies inside [0, size). */
static int inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

int rdisk_read(const struct rdisk *d, uint64_t off, void *buf, size_t len, struct rh_err *err)
{
	int rc;

	if (!inside(off, len, d->size))
		return rh_errf(err, -EIO, "%s: read of %zu bytes at byte %" PRIu64 ": past the end of the disk (%" PRIu64
				      " bytes)", d->path, len, off, d->size);
	rc = rh_pread_all(d->fd, buf, len, off);
	if (rc < 0)
		return rh_errf(err, rc, "%s: cannot read %zu bytes at byte %" PRIu64 ": %s", d->path, len, off,
			       strerror(-rc));
	return 0;
}

int rdisk_read_cb(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	const struct rdisk *d = ctx;

	if (!inside(off, len, d->size))
		return -EIO;
	return rh_pread_all(d->fd, buf, len, off);
}

int rdisk_window_read_cb(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	const struct rdisk_window *w = ctx;

	if (!inside(off, len, w->len))
		return -EIO;
	return rdisk_read_cb((void *)w->d, w->base + off, buf, len);
}

int rdisk_write(const struct rdisk *d, uint64_t off, const void *buf, size_t len, struct rh_err *err)
{
	const char *p = buf;

	if (!d->writable)
		return rh_errf(err, -EBADF, "%s: opened read-only", d->path);
	if (!inside(off, len, d->size))
		return rh_errf(err, -EINVAL, "%s: write of %zu bytes at byte %" PRIu64 ": past the end of the disk",
			       d->path, len, off);
	while (len) {
		ssize_t n = pwrite(d->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rh_errf(err, n < 0 ? -errno : -EIO, "%s: cannot write %zu bytes at byte %" PRIu64 ": %s",
				       d->path, len, off, n < 0 ? strerror(errno) : "short write");
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int rdisk_sync(const struct rdisk *d, struct rh_err *err)
{
	if (fsync(d->fd) < 0)
		return rh_errf(err, -errno, "%s: fsync: %s", d->path, strerror(errno));
	if (d->is_blockdev)
		(void)ioctl(d->fd, BLKFLSBUF, 0); /* drop cached blocks so later readers see the disk; may be refused */
	return 0;
}

int rdisk_reopen_rw(struct rdisk *d, struct rh_err *err)
{
	struct stat was, st;
	int fd, rc, ro = 0;

	if (d->writable)
		return 0;
	if (fstat(d->fd, &was) < 0)
		return rh_errf(err, -errno, "%s: %s", d->path, strerror(errno));
	rc = open_checked(d->path, 1, &was, &fd, err);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0 || st.st_dev != was.st_dev || st.st_ino != was.st_ino || st.st_rdev != was.st_rdev) {
		close(fd);
		return rh_errf(err, -ESTALE, "%s: no longer the disk that was scanned", d->path);
	}
	if (d->is_blockdev && ioctl(fd, BLKROGET, &ro) == 0 && ro) {
		close(fd);
		return rh_errf(err, -EROFS, "%s: read-only (the block device is set read-only): cannot write to this "
				       "disk", d->path);
	}
	close(d->fd);
	d->fd = fd;
	d->writable = 1;
	return 0;
}

void rdisk_close(struct rdisk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
