/* fatimg.h: FAT file systems inside an image file, made and filled with mtools; SYSLINUX installed on them.
 *
 * No root and no loop mounts: every call runs an mtools command (mformat, mmd, mcopy, mdir) or syslinux's
 * mtools installer on `IMAGE@@OFFSET`, the byte offset of the file system in the image (0 for a plain FAT image
 * such as an ISO's efi.img). With SOURCE_DATE_EPOCH set, mtools stamps every entry with it, so that with a fixed
 * volume serial the bytes are reproducible. Failures name the tool, the image and the file system. */
#ifndef RAMHOST_IMGB_FATIMG_H
#define RAMHOST_IMGB_FATIMG_H

#include <stdint.h>

#include "err.h"

struct fatimg {
	const char *image;   /* the image file (exists, large enough) */
	uint64_t offset;     /* byte offset of the file system, a multiple of 512 */
	uint64_t sectors;    /* size of the file system in 512-byte sectors */
};

/* Formats the file system: FAT32 when fat32, else whatever mtools picks for the size (FAT12/16/32); volume
 * label (at most 11 characters), volume serial; the BPB's hidden-sector count is offset/512, which is what a
 * partition boot sector needs. */
int fatimg_format(const struct fatimg *f, int fat32, const char *label, uint32_t serial, struct rh_err *err);

/* Creates directory path (absolute, e.g. "/EFI/BOOT"), one component at a time; existing ones are fine. */
int fatimg_mkdir(const struct fatimg *f, const char *path, struct rh_err *err);

/* Copies the host file src to the absolute path dst in the file system. */
int fatimg_copy(const struct fatimg *f, const char *src, const char *dst, struct rh_err *err);

/* Installs SYSLINUX (boot sector, ldlinux.sys, ldlinux.c32) with its files in dir (e.g. "/syslinux", created
 * if missing), then checks that ldlinux.sys is there (the installer can print a warning and exit 0) and copies
 * a FAT32 boot sector to its backup so that fsck finds them equal. */
int fatimg_install_syslinux(const struct fatimg *f, const char *dir, struct rh_err *err);

/* Bytes a FAT file system needs to hold files of these sizes (cluster rounding, FATs, directories, syslinux),
 * a generous estimate used to size partitions. */
uint64_t fatimg_needed_bytes(uint64_t file_bytes, unsigned nfiles);

/* FAT32 keeps a copy of its boot sector (BPB_BkBootSec, usually sector 6). The SYSLINUX installer patches only
 * the primary, and fsck.fat -a leaves a backup that differs: this copies sector 0 over the backup, so fsck.fat -n
 * finds them equal and a firmware or fsck that falls back to the backup boots the same code. FAT12/16 have no
 * backup: nothing to do. */
int fatimg_sync_backup_boot(const struct fatimg *f, struct rh_err *err);

/* 1 when path (absolute; a file or a directory) exists in the file system, else 0 (also when mtools cannot read
 * it: the caller's next mtools call names that failure). */
int fatimg_exists(const struct fatimg *f, const char *path);

/* Copies the file path out of the file system to the host file dst (replaced when it exists). */
int fatimg_get(const struct fatimg *f, const char *path, const char *dst, struct rh_err *err);

#endif
