/* backup_place.h: where a repair's backup goes when the operator names no --backup-dir: the folder
 * BACKUP_PLACE_DIR on the disk's own state partition (ext4), mounted read-write for the time of the commit or
 * the undo (through a loop device at the partition's offset on the image file or the whole disk). Not when the plan writes to the state
 * partition itself (restore-state, its fsck): a backup must not live where the repair writes, so the operator is
 * asked for a place. Not either when the disk has no state partition that the scan could read. */
#ifndef RAMHOST_RECOVERY_BACKUP_PLACE_H
#define RAMHOST_RECOVERY_BACKUP_PLACE_H

#include <limits.h>

#include "err.h"
#include "rdisk.h"
#include "scan.h"
#include "wset.h"

#define BACKUP_PLACE_DIR "rescue-backups"

struct backup_place {
	char mnt[PATH_MAX];       /* the private mount point ("" when nothing is mounted) */
	char parent[PATH_MAX];    /* mnt/BACKUP_PLACE_DIR */
	char loop[32];            /* the loop device holding the partition ("" when none) */
};

/* Mounts the state partition of d (as r found it) and makes parent. w (may be NULL: undo) is the plan: one that
 * writes inside the state partition is refused. */
int backup_place_open(const struct rdisk *d, const struct scan_report *r, const struct wset *w,
		      struct backup_place *ret, struct rh_err *err);

/* Syncs, unmounts and removes the mount point (safe on a zeroed place). */
void backup_place_close(struct backup_place *p);

#endif
