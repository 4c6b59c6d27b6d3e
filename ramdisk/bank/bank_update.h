/* bank_update.h: `ramhost bootbank update PROFILE|DIR` — a new image into the bank that did not boot.
 *
 * The running host keeps its booted bank untouched and rewrites the other one (ESXi's altbootbank), then lets
 * the loader's bank rules (lib/bank.h) roll forward or back: the new bank gets `updated=` the booted bank's
 * updated + 1 and `bootstate=1` (UPGRADING), so the next boot tries it first, the UEFI loader marks it DIRTY
 * before starting it, `bootbank mark-good` makes it VALID once the host is up, and a bank that never got there
 * is INVALID on the boot after and the old bank boots again.
 *
 * Order on the other bank (power may fail at any point; docs/runtime.md "bootbank update"):
 *   1. its boot.cfg is removed (fsync of the directory): from here on the bank is "missing", never booted;
 *   2. its old files are removed, the new kernel and modules copied (each fsync'd) and read back from the
 *      medium (page cache dropped) against boot.cfg's hashes; bootcfg.cpio derived from the new boot.cfg;
 *      /syslinux/syslinux.cfg rewritten for the new files and this partition's GUID; syncfs;
 *   3. the new boot.cfg written to boot.cfg.tmp, fsync'd and renamed into place, directory fsync'd, syncfs:
 *      the commit point for UEFI — before it the bank is missing, after it complete and preferred;
 *   4. the ESP's /syslinux/syslinux.cfg DEFAULT switched to the new bank (temp file, fsync, rename): the commit
 *      point for BIOS (SYSLINUX cannot read boot.cfg; see bank_esp.h).
 * The bank's SYSLINUX boot sector and /syslinux/ldlinux.* (installed by the image builder) are kept. */
#ifndef RAMHOST_RAMDISK_BANK_UPDATE_H
#define RAMHOST_RAMDISK_BANK_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "bank_disk.h"
#include "bootcfg.h"
#include "err.h"

typedef void (*bank_update_progress_fn)(void *ctx, const char *msg);

struct bank_update_opts {
	const char *source;        /* a bootbank directory, or a profile file (built here first) */
	int dry_run;               /* check the source and the banks, write nothing, save nothing */
	int no_state_save;         /* do not run `ramhost state save --if-changed` first */
	const char *self;          /* the ramhost binary for `state save`; NULL: /proc/self/exe */
	bank_update_progress_fn progress;   /* one line per step (no newline); may be NULL */
	void *progress_ctx;
};

struct bank_update_result {
	const char *source_kind;        /* "dir" or "profile" */
	char disk[BANK_DISK_DEV_MAX];
	int booted, target;             /* bank numbers */
	char target_dev[BANK_DISK_DEV_MAX];
	char target_uuid[37];
	uint64_t updated;               /* the new bank's updated= */
	char build[BOOTCFG_MAX_TEXT];   /* the new bank's build= */
	unsigned nfiles;                /* kernel + modules copied */
	uint64_t bytes;                 /* their total size */
	char state[512];                /* what happened to the state: the save's line, or why it was skipped */
	int state_saved;                /* 1 when `state save` ran and succeeded */
	int bios;                       /* 1 the ESP now chains to the new bank (or would, dry run), 0 not */
	char bios_note[512];            /* why not, or "" */
};

/* Does the whole update (see the top of this file). A failure before step 1 writes nothing; a failure after it
 * leaves the other bank without boot.cfg (not bootable), the booted bank untouched either way. */
int bank_update(const struct bank_update_opts *o, struct bank_update_result *ret, struct rh_err *err);

/* Checks a source bootbank directory: boot.cfg parses, kernel and modules are plain file names (not boot.cfg,
 * bootcfg.cpio or syslinux) and every one matches its hash.NAME. *ret gets the boot.cfg, *ret_bytes the sizes. */
int bank_update_source_check(const char *dir, struct bootcfg *ret, uint64_t *ret_bytes, struct rh_err *err);

/* The boot.cfg of the new bank: src with updated = current_updated + 1 and bootstate UPGRADING. -EOVERFLOW
 * when current_updated cannot grow. Pure. */
int bank_update_cfg(const struct bootcfg *src, uint64_t current_updated, struct bootcfg *ret);

/* Steps 1-3 on a mounted bank directory dst (bank number bank, partition GUID bankuuid; label names it in
 * messages): from the checked source directory src whose boot.cfg is new_cfg's files. *ret_syslinux is 1 when
 * dst has SYSLINUX installed (/syslinux/ldlinux.sys) and its syslinux.cfg was rewritten. Refuses (-ENOSPC,
 * before writing anything) when the files would not fit once the old ones are gone. */
int bank_update_write_bank(const char *src, const struct bootcfg *new_cfg, const char *dst, const char *label,
			       unsigned bank, const char *bankuuid, bank_update_progress_fn progress, void *ctx,
			       int *ret_syslinux, struct rh_err *err);


#endif
