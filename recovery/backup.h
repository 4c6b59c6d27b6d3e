/* backup.h: the only code that writes a disk for a rescue: back up everything a write set covers, then write it;
 * and put a backup back (`rescue undo`).
 *
 * A backup is a folder PARENT/rescue-YYYYMMDD-HHMMSS[-N] (UTC), made as PARENT/.rescue-tmp-XXXXXX and renamed
 * when complete (so a folder with the final name is always whole), holding:
 *   manifest       text, one record per line (docs/rescue.md): the disk (path, size, sector size, the GPT disk
 *                  GUID or "none"), then per extent "ext OFF LEN OLD-SHA256 NEW-SHA256 WHY", per variable
 *                  "var NAME-GUID present|absent", per file of the plan "file PART PATH ACTION"
 *   old.bin        the old bytes of every extent, in manifest order
 *   head.bin       the first MiB of the disk, tail.bin the last MiB (whatever the extents are)
 *   vars/NAME-GUID the old variable as efivarfs shows it (4 attribute bytes + data), for those that existed
 *   status         "applying" before the first disk write, "applied" after the last write and fsync, "undone"
 *                  after an undo. A folder left at "applying" (power cut) is named by `rescue scan` and can be
 *                  undone.
 * Every file is fsynced, then the folder, then PARENT, before the disk is touched. The writes run as a step
 * table (lib/host/steps.h, transaction "rescue-repair": steps "backup", "disk", "vars", "sync"), so
 * RAMHOST_FAIL_AT can cut it anywhere for tests; a failure after "backup" restores what was written. */
#ifndef RAMHOST_RECOVERY_BACKUP_H
#define RAMHOST_RECOVERY_BACKUP_H

#include <limits.h>
#include <stddef.h>

#include "err.h"
#include "rdisk.h"
#include "wset.h"

struct backup_opts {
	const char *parent;      /* where backup folders go (created when missing) */
	const char *efivars;     /* efivarfs directory (EFIVAR_DIR, or a test's directory); NULL: no variables */
	const char *disk_guid;   /* for the manifest; NULL: "none" */
};

/* Backs up and applies w to d (reopened read-write when it is not). *ret_dir (PATH_MAX) gets the folder. */
int backup_apply(struct rdisk *d, const struct wset *w, const struct backup_opts *o, char *ret_dir,
		 struct rh_err *err);

struct backup_undo_result {
	unsigned extents, vars;
	uint64_t bytes;
};

/* Puts the backup in dir back on the disk at path (must be the same size and sector size as recorded): every
 * extent whose current bytes hash to NEW-SHA256 gets its old bytes back, each variable its old value (or is
 * deleted when it was absent). An extent that matches neither its new nor its old hash means something else
 * wrote there since: refused before anything is written, unless force. Extents already holding their old bytes
 * are left. Then status becomes "undone". */
int backup_undo(const char *dir, const char *path, const char *efivars, int force, struct backup_undo_result *ret,
		struct rh_err *err);

/* The newest backup folder under parent (by name) into ret (PATH_MAX). -ENOENT when there is none. */
int backup_newest(const char *parent, char *ret, struct rh_err *err);

#endif
