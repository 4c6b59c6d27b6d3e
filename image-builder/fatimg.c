/* fatimg.c: FAT file systems in image files through mtools (see fatimg.h). */
#include "fatimg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

/* "IMAGE@@OFFSET", the mtools way to name a file system inside a file. */
static int drive(const struct fatimg *f, char *buf, size_t cap, struct rh_err *err)
{
	if ((size_t)snprintf(buf, cap, "%s@@%" PRIu64, f->image, f->offset) >= cap)
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", f->image);
	return 0;
}

/* mtools refuses geometries it finds odd unless told not to check; the image is ours, so skip the check. */
static void mtools_env(void)
{
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
}

int fatimg_format(const struct fatimg *f, int fat32, const char *label, uint32_t serial, struct rh_err *err)
{
	char img[PATH_MAX + 32], total[32], hidden[32], ser[16];
	char *argv[20];
	int n = 0, rc;

	if (f->offset % 512 || !f->sectors)
		return rh_errf(err, -EINVAL, "%s: file system at byte %" PRIu64 " with %" PRIu64 " sectors: not "
					     "sector aligned or empty", f->image, f->offset, f->sectors);
	if (strlen(label) > 11)
		return rh_errf(err, -EINVAL, "FAT volume label '%s': longer than 11 characters", label);
	rc = drive(f, img, sizeof(img), err);
	if (rc)
		return rc;
	snprintf(total, sizeof(total), "%" PRIu64, f->sectors);
	snprintf(hidden, sizeof(hidden), "%" PRIu64, f->offset / 512);
	snprintf(ser, sizeof(ser), "%08" PRIx32, serial);
	mtools_env();
	argv[n++] = "mformat";
	argv[n++] = "-i";
	argv[n++] = img;
	argv[n++] = "-T";
	argv[n++] = total;
	argv[n++] = "-h";
	argv[n++] = "64";
	argv[n++] = "-s";
	argv[n++] = "32";
	argv[n++] = "-H";
	argv[n++] = hidden;
	if (fat32)
		argv[n++] = "-F";
	argv[n++] = "-N";
	argv[n++] = ser;
	argv[n++] = "-v";
	argv[n++] = (char *)label;
	argv[n++] = "::";
	argv[n] = NULL;
	return fs_run(argv, 0, err);
}

int fatimg_mkdir(const struct fatimg *f, const char *path, struct rh_err *err)
{
	char img[PATH_MAX + 32], part[PATH_MAX], target[PATH_MAX + 2], *list = NULL;
	int rc;

	if (path[0] != '/' || strlen(path) >= sizeof(part))
		return rh_errf(err, -EINVAL, "FAT directory '%s': not an absolute path", path);
	rc = drive(f, img, sizeof(img), err);
	if (rc)
		return rc;
	mtools_env();
	strcpy(part, path);
	for (char *s = part + 1;; s++) {
		char c = *s;
		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		snprintf(target, sizeof(target), "::%s", part);
		/* mdir fails on a missing directory: only then make it, so mkdir of an existing one is fine */
		char *dir_argv[] = { "mdir", "-i", img, "-b", "-a", target, NULL };
		if (fs_run_capture(dir_argv, 1 << 20, &list, NULL) == 0) {
			free(list);
			list = NULL;
		} else {
			char *md_argv[] = { "mmd", "-i", img, target, NULL };
			rc = fs_run(md_argv, 0, err);
			if (rc)
				return rc;
		}
		*s = c;
		if (!c || !s[1])
			break;
	}
	return 0;
}

/* mcopy between the host and the file system: host file src to dst inside it (out 0), or path inside it to the
 * host file dst (out 1); existing targets are replaced. */
static int mcopy(const struct fatimg *f, const char *src, const char *dst, int out, struct rh_err *err)
{
	char img[PATH_MAX + 32], inside[PATH_MAX + 2];
	int rc = drive(f, img, sizeof(img), err);

	if (rc)
		return rc;
	if ((size_t)snprintf(inside, sizeof(inside), "::%s", out ? src : dst) >= sizeof(inside))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", out ? src : dst);
	mtools_env();
	char *argv[] = { "mcopy", "-i", img, "-o", "-n", "-Q", out ? inside : (char *)src, out ? (char *)dst : inside,
			 NULL };
	return fs_run(argv, 0, err);
}

int fatimg_copy(const struct fatimg *f, const char *src, const char *dst, struct rh_err *err)
{
	return mcopy(f, src, dst, 0, err);
}

int fatimg_sync_backup_boot(const struct fatimg *f, struct rh_err *err)
{
	unsigned char bs[512];
	unsigned bk, bps;
	int fd = open(f->image, O_RDWR | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: %s", f->image, strerror(errno));
	if (pread(fd, bs, sizeof(bs), (off_t)f->offset) != (ssize_t)sizeof(bs)) {
		rc = rh_errf(err, -EIO, "%s: cannot read the boot sector at byte %" PRIu64, f->image, f->offset);
		goto out;
	}
	/* FAT32: no fixed root directory (BPB_RootEntCnt 0) and BPB_FATSz16 0 */
	if (bs[17] | bs[18] | bs[22] | bs[23])
		goto out;
	bk = bs[50] | (unsigned)bs[51] << 8;
	bps = bs[11] | (unsigned)bs[12] << 8;
	if (bk == 0 || bk == 0xffff || bk >= (unsigned)(bs[14] | bs[15] << 8) || (bps != 512 && bps != 4096))
		goto out; /* no backup, or not inside the reserved sectors */
	if (pwrite(fd, bs, sizeof(bs), (off_t)(f->offset + (uint64_t)bk * bps)) != (ssize_t)sizeof(bs))
		rc = rh_errf(err, -EIO, "%s: cannot write the backup boot sector: %s", f->image, strerror(errno));
out:
	close(fd);
	return rc;
}

int fatimg_install_syslinux(const struct fatimg *f, const char *dir, struct rh_err *err)
{
	char off[32], target[PATH_MAX + 32], img[PATH_MAX + 32], *list = NULL;
	int rc;

	rc = fatimg_mkdir(f, dir, err);
	if (!rc)
		rc = drive(f, img, sizeof(img), err);
	if (rc)
		return rc;
	snprintf(off, sizeof(off), "%" PRIu64, f->offset);
	mtools_env();
	char *argv[] = { "syslinux", "--offset", off, "--directory", (char *)dir, "--install", (char *)f->image, NULL };
	rc = fs_run(argv, 0, err);
	if (rc)
		return rc;
	snprintf(target, sizeof(target), "::%s/ldlinux.sys", dir);
	char *check[] = { "mdir", "-i", img, "-b", "-a", target, NULL };
	if (fs_run_capture(check, 1 << 16, &list, NULL) < 0 || !strstr(list, "ldlinux.sys")) {
		free(list);
		return rh_errf(err, -EIO, "%s: syslinux --offset %s did not install %s/ldlinux.sys", f->image, off,
			       dir);
	}
	free(list);
	return fatimg_sync_backup_boot(f, err);
}

int fatimg_exists(const struct fatimg *f, const char *path)
{
	char img[PATH_MAX + 32], target[PATH_MAX + 2], *list = NULL;
	int rc;

	if (drive(f, img, sizeof(img), NULL) < 0 ||
	    (size_t)snprintf(target, sizeof(target), "::%s", path) >= sizeof(target))
		return 0;
	mtools_env();
	char *argv[] = { "mdir", "-i", img, "-b", "-a", target, NULL };
	rc = fs_run_capture(argv, 1 << 20, &list, NULL);
	free(list);
	return rc == 0;
}

int fatimg_get(const struct fatimg *f, const char *path, const char *dst, struct rh_err *err)
{
	return mcopy(f, path, dst, 1, err);
}

uint64_t fatimg_needed_bytes(uint64_t file_bytes, unsigned nfiles)
{
	/* up to 4 KiB of cluster slack per file, FATs of 4 bytes per 512-byte cluster twice (under 2%), plus
	 * 2 MiB for directories, reserved sectors and SYSLINUX (ldlinux.sys + ldlinux.c32, 180 KiB) */
	return file_bytes + file_bytes / 50 + (uint64_t)nfiles * 4096 + (2u << 20);
}
