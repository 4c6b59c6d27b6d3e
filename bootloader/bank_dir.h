/* bank_dir.h: the on-media contract of one boot bank directory — the one owner of how a bank is written, read,
 * checked, copied and marked good, on the build host and on the booted host alike.
 *
 * A bank directory holds boot.cfg (lib/bootcfg.h: kernel=, modules=, hash.NAME=, bootstate=, updated=), the
 * kernel and every module it names as plain file names, and bootcfg.cpio: a newc cpio holding /boot.cfg, the last
 * initrd of the BIOS path (syslinux_cfg.h), derived from boot.cfg and never edited. Whoever writes a boot.cfg
 * rewrites bootcfg.cpio from the same text right after. On a disk the banks are the GPT partitions named
 * BANK_DIR_PART_1 and BANK_DIR_PART_2. The bank rules that read bootstate/updated are lib/bank.h (freestanding,
 * shared with the UEFI loader). */
#ifndef RAMHOST_BOOTLOADER_BANK_DIR_H
#define RAMHOST_BOOTLOADER_BANK_DIR_H

#include <stddef.h>
#include <stdint.h>

#include "bootcfg.h"
#include "err.h"

#define BANK_DIR_BOOTCFG_MODULE "bootcfg.cpio"   /* boot.cfg as the BIOS path's last initrd */
#define BANK_DIR_PART_1 "bootbank"               /* GPT partition name of bank 1 */
#define BANK_DIR_PART_2 "altbootbank"            /* GPT partition name of bank 2 */

/* Writes dir/bootcfg.cpio (a newc cpio holding /boot.cfg = text[0..len)) atomically. */
int bank_dir_write_bootcfg_module(const char *dir, const char *text, size_t len, struct rh_err *err);

/* Rewrites dir/boot.cfg from cfg (temp file, fsync, rename) and then dir/bootcfg.cpio from the same text. */
int bank_dir_write_cfg(const char *dir, const struct bootcfg *cfg, struct rh_err *err);

/* Copies the bank in src (the kernel, every module and boot.cfg that cfg names, plain file names only) into the
 * existing directory dst and derives dst/bootcfg.cpio from the copied boot.cfg. */
int bank_dir_copy(const char *src, const char *dst, const struct bootcfg *cfg, struct rh_err *err);

/* Checks that every file cfg names in dir exists and matches its hash.NAME; a mismatch names the file and both
 * hashes. */
int bank_dir_check(const char *dir, const struct bootcfg *cfg, struct rh_err *err);

/* Reads and parses dir/boot.cfg (parse errors name the path and line) into *ret: for a bank that must be there
 * (a source being built from or copied). */
int bank_dir_read_cfg(const char *dir, struct bootcfg *ret, struct rh_err *err);

/* What one bank's boot.cfg says, as the booted host shows it. */
struct bank_dir_state {
	int present;                   /* boot.cfg was read and parsed */
	int readable;                  /* 0 when the directory could not be read at all */
	int bootstate;                 /* from boot.cfg; -1 when absent (counts as VALID) */
	uint64_t updated;
	char build[BOOTCFG_MAX_TEXT];
	char problem[1024];            /* why not present: "no boot.cfg", a parse error; "" when present */
};

/* Reads dir/boot.cfg into *ret. A missing or unparsable boot.cfg is a state of the bank (the bank rules call it
 * missing), not an error: ret->problem says why. Returns 0, or a negative errno when the directory could not be
 * read at all. label names the bank in messages (e.g. "/dev/vda2"). */
int bank_dir_read(const char *dir, const char *label, struct bank_dir_state *ret, struct rh_err *err);

/* Marks the bank in dir good: parses dir/boot.cfg; when its bootstate is not VALID (0, or absent), writes the
 * boot.cfg with bootstate=0 to boot.cfg.tmp, fsyncs, renames it over boot.cfg (the commit point), fsyncs dir, and
 * regenerates dir/bootcfg.cpio from the new text. *ret_old gets the bootstate found, *ret_changed 1 when a write
 * was made. */
int bank_dir_mark_good(const char *dir, const char *label, int *ret_old, int *ret_changed, struct rh_err *err);

/* "VALID", "UPGRADING", "DIRTY", "INVALID", or "VALID (absent)" for -1 / out of range. */
const char *bank_dir_state_name(int bootstate);

/* 0 when dir holds a bootbank ramhost wrote and nothing else: a boot.cfg that parses, and only the regular files
 * it names (the kernel, the modules) besides boot.cfg and bootcfg.cpio. That is all `image build --force` may
 * replace: a mistyped -o (a home directory, a source tree) is refused, whatever it holds. Else -EPERM (or
 * -ENOMEM) with err saying why: "DIR: not a bootbank ramhost wrote; refusing to replace it even with --force". */
int bank_dir_is_ramhost(const char *dir, struct rh_err *err);

#endif
