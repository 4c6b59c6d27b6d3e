/* bank_mark.h: `ramhost bootbank mark-good` — the booted bank made VALID once the host is up, and the ESP's BIOS
 * default kept on the bank that booted (docs/runtime.md, "Marking the bank good"). */
#ifndef RAMHOST_RAMDISK_BANK_MARK_H
#define RAMHOST_RAMDISK_BANK_MARK_H

#include "bank_disk.h"
#include "err.h"

/* Result of a mark-good. */
enum bank_mark_result {
	BANK_MARK_MARKED = 0,            /* boot.cfg rewritten with bootstate=0 */
	BANK_MARK_ALREADY_VALID = 1,     /* nothing written */
	BANK_MARK_READ_ONLY_MEDIA = 2,   /* no bankuuid: nothing to mark */
	BANK_MARK_RESCUE = 3,            /* a rescue boot (lib/host/sysroot.h): nothing marked, nothing read */
};

/* Marks the booted bank good (not on a rescue boot, which must leave an UPGRADING bank's try to the next normal
 * boot: BANK_MARK_RESCUE, no disk touched): mounts its partition read-only and reads boot.cfg; only when it is not VALID
 * remounts it read-write and runs bank_dir_mark_good; syncs and unmounts. *ret_result says what happened,
 * *ret_old the bootstate it had (-1 absent), *ret_dev (cap BANK_DISK_DEV_MAX, may be NULL) the partition. On
 * failure the bank's old boot.cfg is intact. */
int bank_mark_good(int *ret_result, int *ret_old, char *ret_dev, struct rh_err *err);

/* What bank_mark_esp_follow found and did. */
struct bank_mark_esp {
	int has_esp;        /* the boot disk has an ESP with a SYSLINUX config */
	int old_bank;       /* the bank it chained to before (0: another label) */
	int changed;        /* 1 when it was rewritten to chain to the booted bank */
	int pending;        /* 1 when left on the other bank: a pending update (UPGRADING, higher updated=) */
	char esp_dev[BANK_DISK_DEV_MAX];
};

/* Run by mark-good: keeps the BIOS default on the bank that booted (after a UEFI rollback or revert the ESP
 * still names the other one), except when the other bank is a pending update — UPGRADING with a higher
 * updated= than the booted bank, as `bootbank update` leaves it until the next boot. A disk without an ESP, or
 * an ESP without syslinux.cfg, is not an error (ret->has_esp = 0). Only a change mounts the ESP read-write. */
int bank_mark_esp_follow(struct bank_mark_esp *ret, struct rh_err *err);

#endif
