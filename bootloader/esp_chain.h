/* esp_chain.h: the ESP's chain config on a disk — which bank a BIOS boot chains to (/syslinux/syslinux.cfg on
 * the ESP).
 *
 * On a disk image the ESP's SYSLINUX only chains (chain.c32) to a bank partition by its GPT name; its DEFAULT
 * label picks the bank (BANK_DIR_PART_1 = bank 1, BANK_DIR_PART_2 = bank 2). SYSLINUX cannot read boot.cfg nor
 * write anything, so it cannot follow the bank rules by itself: `bootbank update` points the default at the new
 * bank and `bootbank mark-good` keeps it on the bank that booted (docs/runtime.md, "BIOS and the two banks").
 * The file is rewritten whole (syslinux_esp_cfg_format) with its SERIAL and TIMEOUT kept, through a temporary
 * file, fsync and rename. The parser and formatter are pure (fuzzed: tests/fuzz/fuzz_esp_chain.c); the rest
 * works on a mounted ESP directory. */
#ifndef RAMHOST_BOOTLOADER_ESP_CHAIN_H
#define RAMHOST_BOOTLOADER_ESP_CHAIN_H

#include <stddef.h>

#include "err.h"

#define ESP_CHAIN_CFG "syslinux/syslinux.cfg"   /* relative to the ESP's root */

/* What the ESP's syslinux.cfg says, as far as we rewrite it. */
struct esp_chain_cfg {
	char default_label[64];   /* DEFAULT's label */
	int default_bank;         /* 1 or 2 when the label is a bank's GPT name, else 0 */
	char serial[64];          /* SERIAL's arguments, "" when none */
	long timeout;             /* TIMEOUT in tenths of a second, 0 when none */
};

/* Parses a syslinux.cfg text buf[0..len): keywords case-insensitive, leading blanks and '#' comments skipped,
 * the last DEFAULT / SERIAL / TIMEOUT wins; TIMEOUT is capped at 36000. Returns 0, or -EINVAL when there is no
 * DEFAULT line or a value does not fit or holds a control byte. Pure; sets *ret only on success. */
int esp_chain_parse(const char *buf, size_t len, struct esp_chain_cfg *ret);

/* The syslinux.cfg text that chains to bank (1 or 2) by default, the other bank as a second label, keeping the
 * SERIAL and TIMEOUT of old (NULL: "0 115200" and no timeout). Returns the length, or a negative errno. Pure. */
long esp_chain_format(const struct esp_chain_cfg *old, int bank, char *buf, size_t cap);

/* In the mounted ESP directory dir: reads syslinux/syslinux.cfg into *ret. -ENOENT when it is missing (no
 * message: an ESP without SYSLINUX), else an error naming label and the file. */
int esp_chain_read(const char *dir, const char *label, struct esp_chain_cfg *ret, struct rh_err *err);

/* In the mounted ESP directory dir: makes bank the DEFAULT of syslinux/syslinux.cfg (temp file, fsync, rename,
 * directory fsync). *ret_changed is 0 when it already was (nothing written). */
int esp_chain_point_dir(const char *dir, const char *label, int bank, int *ret_changed, struct rh_err *err);

#endif
