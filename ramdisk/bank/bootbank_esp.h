/* bootbank_esp.h: which bank a BIOS boot chains to — the ESP's /syslinux/syslinux.cfg on a disk host.
 *
 * On a disk image the ESP's SYSLINUX only chains (chain.c32) to a bank partition by its GPT name; its DEFAULT
 * label picks the bank ("bootbank" = bank 1, "altbootbank" = bank 2). SYSLINUX cannot read boot.cfg nor write
 * anything, so it cannot follow the bank rules by itself: `bootbank update` points the default at the new bank
 * and `bootbank mark-good` keeps it on the bank that booted (docs/runtime.md, "BIOS and the two banks").
 * The file is rewritten whole (syslinux_esp_cfg_format) with its SERIAL and TIMEOUT kept, through a temporary
 * file, fsync and rename. */
#ifndef RAMHOST_RAMDISK_BOOTBANK_ESP_H
#define RAMHOST_RAMDISK_BOOTBANK_ESP_H

#include <stddef.h>

#include "bootbank.h"
#include "err.h"

#define BOOTBANK_ESP_CFG "syslinux/syslinux.cfg"   /* relative to the ESP's root */

/* What the ESP's syslinux.cfg says, as far as we rewrite it. */
struct bootbank_esp_cfg {
	char default_label[64];   /* DEFAULT's label */
	int default_bank;         /* 1 or 2 when the label is a bank's GPT name, else 0 */
	char serial[64];          /* SERIAL's arguments, "" when none */
	long timeout;             /* TIMEOUT in tenths of a second, 0 when none */
};

/* Parses a syslinux.cfg text buf[0..len): keywords case-insensitive, leading blanks and '#' comments skipped,
 * the last DEFAULT / SERIAL / TIMEOUT wins; TIMEOUT is capped at 36000. Returns 0, or -EINVAL when there is no
 * DEFAULT line or a value does not fit or holds a control byte. Pure; sets *ret only on success. */
int bootbank_esp_parse(const char *buf, size_t len, struct bootbank_esp_cfg *ret);

/* The syslinux.cfg text that chains to bank (1 or 2) by default, the other bank as a second label, keeping the
 * SERIAL and TIMEOUT of old (NULL: "0 115200" and no timeout). Returns the length, or a negative errno. Pure. */
long bootbank_esp_format(const struct bootbank_esp_cfg *old, int bank, char *buf, size_t cap);

/* In the mounted ESP directory dir: reads syslinux/syslinux.cfg into *ret. -ENOENT when it is missing (no
 * message: an ESP without SYSLINUX), else an error naming label and the file. */
int bootbank_esp_read(const char *dir, const char *label, struct bootbank_esp_cfg *ret, struct rh_err *err);

/* In the mounted ESP directory dir: makes bank the DEFAULT of syslinux/syslinux.cfg (temp file, fsync, rename,
 * directory fsync). *ret_changed is 0 when it already was (nothing written). */
int bootbank_esp_point_dir(const char *dir, const char *label, int bank, int *ret_changed, struct rh_err *err);

/* On the booted disk: mounts the ESP device read-only, reads its default and, only when it is not bank already,
 * remounts it read-write and rewrites it; then syncs and unmounts. *ret_old gets the bank it chained to before
 * (0 when it named no bank). dry_run: read only. -ENOENT when the ESP has no syslinux.cfg. */
int bootbank_esp_point(const char *esp_dev, int bank, int dry_run, int *ret_old, int *ret_changed,
		       struct rh_err *err);

/* Reads which bank the ESP's default chains to (*ret_bank: 1, 2, or 0 for another label). -ENOENT when the ESP
 * has no syslinux.cfg. */
int bootbank_esp_default(const char *esp_dev, int *ret_bank, struct rh_err *err);

/* What bootbank_esp_follow_booted found and did. */
struct bootbank_esp_follow {
	int has_esp;        /* the boot disk has an ESP with a SYSLINUX config */
	int old_bank;       /* the bank it chained to before (0: another label) */
	int changed;        /* 1 when it was rewritten to chain to the booted bank */
	int pending;        /* 1 when left on the other bank: a pending update (UPGRADING, higher updated=) */
	char esp_dev[BOOTBANK_DEV_MAX];
};

/* Run by mark-good: keeps the BIOS default on the bank that booted (after a UEFI rollback or revert the ESP
 * still names the other one), except when the other bank is a pending update — UPGRADING with a higher
 * updated= than the booted bank, as `bootbank update` leaves it until the next boot. A disk without an ESP, or
 * an ESP without syslinux.cfg, is not an error (ret->has_esp = 0). Only a change mounts the ESP read-write. */
int bootbank_esp_follow_booted(struct bootbank_esp_follow *ret, struct rh_err *err);

#endif
