/* bank.h: which bootbank to boot, and what to write first — ESXi's bank rules as a pure function.
 *
 * Rules (notes/issue3.md): a bank is missing (no boot.cfg, or unparsable) or has (bootstate, updated).
 * A bank that is DIRTY at boot becomes INVALID (written): it was booted as UPGRADING and never marked good.
 * INVALID and missing banks are not bootable, nor is one that was DIRTY. Among bootable banks the higher
 * `updated` boots first (tie: bank 1); the other bootable bank is the fallback. Booting an UPGRADING bank first
 * writes bootstate=DIRTY. Revert boots the other bank and makes it preferred: its updated = current's + 1.
 * Bootstate values as lib/bootcfg.h (VALID=0 UPGRADING=1 DIRTY=2 INVALID=3); a bootstate outside 0..3 (for
 * instance -1, absent from boot.cfg) is treated as VALID, as ESXi does with a boot.cfg without bootstate=.
 *
 * Freestanding, no I/O: the EFI shell reads the two boot.cfg files, calls these, and makes the writes. */
#ifndef RAMHOST_BANK_H
#define RAMHOST_BANK_H

#include <stddef.h>
#include <stdint.h>

#define BANK_EINVAL 22
#define BANK_ENOENT 2

struct bank_info {
	int present;              /* 1 when the bank's boot.cfg was read and parsed */
	int bootstate;            /* enum bootcfg_state (lib/bootcfg.h) */
	uint64_t updated;
};

struct bank_plan {
	int order[2];             /* bank numbers (1 or 2) to try, in order */
	unsigned n;               /* how many of order[] are valid (0, 1 or 2) */
	int write_state[2];       /* per bank (index 0 = bank 1): -1 no write, or the new bootstate */
	int64_t write_updated[2]; /* per bank: -1 no write, or the new updated value */
};

/* The boot plan at loader start: the DIRTY -> INVALID writes and the order of bootable banks. n may be 0 (no
 * bootable bank: the menu waits). Fills *ret; returns 0 or -BANK_EINVAL (NULL arguments). */
int bank_plan(const struct bank_info banks[2], struct bank_plan *ret);

/* Called when the loader is about to boot bank b (1 or 2): the writes needed now (UPGRADING -> DIRTY for b; none
 * otherwise). ret->order = { b }, n = 1. Returns 0, -BANK_EINVAL (b not 1/2), or -BANK_ENOENT (bank b is not
 * bootable: missing, DIRTY or INVALID). */
int bank_before_boot(const struct bank_info banks[2], int b, struct bank_plan *ret);

/* Revert from the running/selected bank `current` (1 or 2) to the other one: order = { other, current } (current
 * only when still bootable), write the other's updated = current's updated + 1 (saturating: -BANK_EINVAL if it
 * would not fit in int64_t). Returns 0, -BANK_EINVAL, or -BANK_ENOENT when the other bank is not bootable.
 * bank_before_boot still applies to whichever bank is then booted. */
int bank_revert(const struct bank_info banks[2], int current, struct bank_plan *ret);

#endif
