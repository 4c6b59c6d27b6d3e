/* stage.h: staged copies of partitions: how a repair changes files inside a FAT (or ext4) partition without
 * writing the disk.
 *
 * stage_open copies [base, base+len) of the disk into a registered temporary file (lib/host/tmpreg.h), the
 * repair changes the copy with the usual tools (image-builder/fatimg.h: mtools, syslinux --offset 0; debugfs -w
 * for ext4), and stage_diff compares the copy with the disk sector by sector (the disk's logical sector) and
 * adds every changed run of sectors to a write set (wset.h). The disk itself is only read. The plan is then the
 * exact sectors, and a dry run costs the same as the real run minus the writes. */
#ifndef RAMHOST_RECOVERY_STAGE_H
#define RAMHOST_RECOVERY_STAGE_H

#include <limits.h>
#include <stdint.h>

#include "err.h"
#include "image-builder/fatimg.h"
#include "rdisk.h"
#include "wset.h"

struct stage {
	char path[PATH_MAX];     /* the copy (a temporary file, removed by stage_close) */
	uint64_t base, len;      /* the window of the disk it copies */
	char label[24];          /* "p1 (ESP)": names the extents' why and messages */
};

/* Copies the window (holes kept sparse: runs of zero blocks are not written) into a new temporary under work,
 * as the disk will be once pending (may be NULL) is written: the extents of the earlier repairs of the same run
 * are laid over what the disk holds, so repairs of one plan build on each other. */
int stage_open(const struct rdisk *d, const struct wset *pending, uint64_t base, uint64_t len, const char *label,
	       const char *work, struct stage *ret, struct rh_err *err);

/* The staged copy as an mtools FAT target (offset 0, len/512 sectors). */
struct fatimg stage_fatimg(const struct stage *s);

/* Adds the sectors where the copy differs from the disk with pending laid over (may be NULL; normally the same
 * wset as w, before this repair's extents) to w, why = "LABEL " + what. */
int stage_diff(const struct rdisk *d, const struct wset *pending, const struct stage *s, const char *what,
	       struct wset *w, struct rh_err *err);

/* Reads [off, off+len) of the disk as it will be once w is written (the disk, then w's extents over it). */
int stage_read(const struct rdisk *d, const struct wset *w, uint64_t off, void *buf, size_t len,
	       struct rh_err *err);

/* Removes the copy (safe on a zeroed or closed stage). */
void stage_close(struct stage *s);

#endif
