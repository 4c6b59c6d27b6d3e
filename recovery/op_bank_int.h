/* op_bank_int.h: what the bank repairs share (op_bank.c, op_reinstall.c): a bank's partition, its boot.cfg read
 * through the plan, its staged copy, and the ESP's chain default. */
#ifndef RAMHOST_RECOVERY_OP_BANK_INT_H
#define RAMHOST_RECOVERY_OP_BANK_INT_H

#include <stddef.h>

#include "bootcfg.h"
#include "ops.h"
#include "partfs.h"
#include "stage.h"

const struct scan_fat *opb_fat(struct repair_ctx *c, int n);
void opb_label(int n, uint32_t partno, char *buf, size_t cap);
int opb_arg_bank(const char *arg, int *ret, struct rh_err *err);
int opb_open(struct repair_ctx *c, const struct wset *pending, int n, struct partfs *p, struct rh_err *err);
int opb_cfg(struct repair_ctx *c, const struct wset *pending, int n, struct bootcfg *cfg, struct rh_err *err);
int opb_media_cfg(struct repair_ctx *c, struct bootcfg *cfg, struct rh_err *err);
int opb_stage(struct repair_ctx *c, const struct wset *pending, int n, struct stage *s, struct rh_err *err);
int opb_put_cfg(struct repair_ctx *c, const struct stage *s, const struct bootcfg *cfg, struct wset *w,
		struct rh_err *err);
/* Points the ESP's SYSLINUX chain default at bank n (nothing when the ESP has no syslinux.cfg, or it already
 * does). */
int opb_point_esp(struct repair_ctx *c, const struct wset *pending, int n, struct wset *w, struct rh_err *err);

#endif
