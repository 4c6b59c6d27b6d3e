/* ops.h: the repair operations, one function each, called by repair_op (repair.c) through its table. Each reads
 * the facts of c->scan and the disk as pending will leave it, and adds what it writes to w (wset.h); none writes
 * the disk. Each returns 0, -EALREADY (no message) when there is nothing to do, or a negative errno with err
 * naming the partition or file and what is wrong (-ENOENT: what it needs is not there, e.g. no media).
 *
 * Files: op_table.c (fix-pmbr, fix-gpt, find-partitions, fix-mbr --generic), op_boot.c (install-bios,
 * install-uefi), op_fsck.c (fsck), op_bank.c (rebuild-cfg, copy-module, revert, reinstall-bank), op_state.c
 * (restore-state), op_entries.c (boot-entries), op_grub.c (grub). */
#ifndef RAMHOST_RECOVERY_OPS_H
#define RAMHOST_RECOVERY_OPS_H

#include "err.h"
#include "repair.h"
#include "wset.h"

#define OP_ARGS struct repair_ctx *c, const char *arg, const struct wset *pending, struct wset *w, struct rh_err *err

int op_fix_pmbr(OP_ARGS);
int op_fix_gpt(OP_ARGS);
int op_find_partitions(OP_ARGS);
int op_fix_mbr_generic(OP_ARGS);
int op_install_bios(OP_ARGS);
int op_install_uefi(OP_ARGS);
int op_fsck(OP_ARGS);
int op_rebuild_cfg(OP_ARGS);
int op_copy_module(OP_ARGS);
int op_revert(OP_ARGS);
int op_reinstall_bank(OP_ARGS);
int op_restore_state(OP_ARGS);
int op_boot_entries(OP_ARGS);
int op_grub(OP_ARGS);

/* The byte window of a FAT partition of the scan (ESP or bank), in the disk's bytes. */
#define OP_PART_BASE(f, sector) ((f)->start * (uint64_t)(sector))
#define OP_PART_LEN(f, sector) ((f)->sectors * (uint64_t)(sector))

#endif
