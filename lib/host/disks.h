/* disks.h: the machine's candidate disks — the one owner of which block devices the bank finder, the state
 * partition finder and the installer look at, and of the kernel's partition device names.
 *
 * The candidates are the whole disks in /sys/block (sysroot_sys_block(): RAMHOST_SYS_BLOCK for tests), sorted,
 * as /dev paths, except names that are never a disk to boot from or install to: loop, ram, zram, fd, sr (CD
 * drives; DISKS_CDS keeps them, for finding an install medium), md, dm- and nbd devices. RAMHOST_DISKS (comma or
 * blank separated /dev paths or image files, in that order) replaces the scan: a test names its loop device or
 * image there. */
#ifndef RAMHOST_DISKS_H
#define RAMHOST_DISKS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gpt.h"

#define DISKS_CDS 0x1u   /* keep CD drives (sr*) in the scan */

/* 1 when the /sys/block entry name is never a candidate (see above; "." entries too), else 0. */
int disks_skipped(const char *name, unsigned flags);

/* The candidate disks as malloc'd /dev paths into *ret (*ret_n of them; free with disks_free). An empty list is
 * not an error; a /sys/block that cannot be read is, naming it. */
int disks_list(unsigned flags, char ***ret, unsigned *ret_n, struct rh_err *err);
void disks_free(char **v, unsigned n);

/* The device node of partition n of disk (a path such as /dev/vda or /dev/loop3), by the kernel's naming rule:
 * "/dev/vda" + 2 = "/dev/vda2", but "/dev/loop3" + 2 = "/dev/loop3p2" (a name ending in a digit takes a 'p').
 * Returns 0 or -ENAMETOOLONG. Pure. */
int disks_part_dev(const char *disk, uint32_t n, char *out, size_t cap);

/* Reads the GPT of disk (a block device, or an image file named in RAMHOST_DISKS) into *d, with the logical
 * block size from /sys/block (512 or 4096). On failure returns a negative errno and *why (cap bytes) says why in
 * a few words ("no GPT", "Permission denied"), for a caller's list of the disks it tried. */
int disks_read_gpt(const char *disk, struct gpt_disk *d, char *why, size_t cap);

#endif
