/* repair.c: the plan of a rescue repair (see repair.h): every problem's op, in enum rescue_op order (table
 * repairs first, the firmware last), each op once per argument, each built on the disk as the steps before it
 * leave it. */
#include "repair.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

typedef int (*op_fn)(OP_ARGS);

static const op_fn op_table[RESCUE_OP__N] = {
	[RESCUE_OP_FIX_GPT] = op_fix_gpt,
	[RESCUE_OP_FIND_PARTITIONS] = op_find_partitions,
	[RESCUE_OP_FIX_PMBR] = op_fix_pmbr,
	[RESCUE_OP_FSCK] = op_fsck,
	[RESCUE_OP_REINSTALL_BANK] = op_reinstall_bank,
	[RESCUE_OP_COPY_MODULE] = op_copy_module,
	[RESCUE_OP_REBUILD_CFG] = op_rebuild_cfg,
	[RESCUE_OP_REVERT] = op_revert,
	[RESCUE_OP_INSTALL_BIOS] = op_install_bios,
	[RESCUE_OP_INSTALL_UEFI] = op_install_uefi,
	[RESCUE_OP_BOOT_ENTRIES] = op_boot_entries,
	[RESCUE_OP_RESTORE_STATE] = op_restore_state,
	[RESCUE_OP_GRUB] = op_grub,
	[RESCUE_OP_FIX_MBR_GENERIC] = op_fix_mbr_generic,
};

int repair_op(struct repair_ctx *c, enum rescue_op op, const char *arg, const struct wset *pending, struct wset *w,
	      struct rh_err *err)
{
	if (op <= RESCUE_OP_NONE || op >= RESCUE_OP__N || !op_table[op])
		return rh_errf(err, -EINVAL, "no such repair");
	return op_table[op](c, arg ? arg : "", pending, w, err);
}

/* Whether steps[0..n) already has op with arg. */
static int planned(const struct repair_plan *p, enum rescue_op op, const char *arg)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		if (p->steps[i].op == op && !strcmp(p->steps[i].arg, arg))
			return 1;
	return 0;
}

/* Runs op into a new step of p and merges its writes into p->all. */
static int add_step(struct repair_ctx *c, struct repair_plan *p, enum rescue_op op, const char *arg, const char *code,
		    struct rh_err *err)
{
	struct repair_step *s;
	int rc;

	if (planned(p, op, arg))
		return 0;
	if (p->nsteps >= SCAN_MAX_PROBLEMS)
		return rh_errf(err, -E2BIG, "too many repairs in one plan");
	s = &p->steps[p->nsteps++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	snprintf(s->arg, sizeof(s->arg), "%s", arg);
	snprintf(s->code, sizeof(s->code), "%s", code);
	wset_init(&s->w);
	c->auto_step = code[0] != '\0';
	rc = repair_op(c, op, arg, &p->all, &s->w, err);
	c->auto_step = 0;
	if (rc == -EALREADY) {
		s->nothing = 1;
		return 0;
	}
	if (rc < 0)
		return rh_err_prefix(err, rc, "%s%s%s", rescue_op_name(op), *arg ? " " : "", arg);
	return wset_merge(&p->all, &s->w, err);
}

int repair_plan(struct repair_ctx *c, enum rescue_op only, const char *arg, struct repair_plan *ret,
		struct rh_err *err)
{
	const struct scan_report *r = c->scan;
	int op, rc = 0;
	unsigned i;

	memset(ret, 0, sizeof(*ret));
	wset_init(&ret->all);
	if (only != RESCUE_OP_NONE && arg && *arg)
		return add_step(c, ret, only, arg, "", err);
	for (op = RESCUE_OP_NONE + 1; op < RESCUE_OP__N && !rc; op++) {
		int asked = 0;
		if (only != RESCUE_OP_NONE && op != (int)only)
			continue;
		for (i = 0; i < r->nproblems && !rc; i++) {
			if (r->problems[i].op != (enum rescue_op)op)
				continue;
			asked = 1;
			rc = add_step(c, ret, (enum rescue_op)op, r->problems[i].arg, r->problems[i].code, err);
		}
		if (!asked && op == (int)only)
			rc = add_step(c, ret, only, "", "", err);
	}
	return rc;
}

void repair_plan_free(struct repair_plan *p)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		wset_free(&p->steps[i].w);
	wset_free(&p->all);
	p->nsteps = 0;
}
