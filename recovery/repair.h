/* repair.h: `ramhost rescue plan` and `rescue repair`: the repairs for what a scan found, each built as a write
 * set (wset.h) on top of the ones before it, then backed up and written in one commit (backup.h).
 *
 * A repair op never writes: repair_op adds what op would write to w. The plan of a full repair is every
 * problem's op, in enum rescue_op order, each once per argument. */
#ifndef RAMHOST_RECOVERY_REPAIR_H
#define RAMHOST_RECOVERY_REPAIR_H

#include <stddef.h>

#include "err.h"
#include "rdisk.h"
#include "scan.h"
#include "wset.h"

struct repair_ctx {
	struct rdisk *d;
	const struct scan_report *scan;
	const char *media;           /* a bootbank directory on the rescue media (boot.cfg + files); NULL: none */
	const char *loader;          /* ramhost.efi on the rescue media; NULL: none */
	const char *syslinux_bios;   /* SYSLINUX's BIOS modules (NULL: /usr/lib/syslinux/modules/bios) */
	const char *gptmbr;          /* gptmbr.bin (NULL: /usr/lib/syslinux/mbr/gptmbr.bin) */
	const char *efivars;         /* efivarfs directory; NULL: no firmware variables */
	const char *work;            /* scratch directory (staged copies) */
	int force;                   /* overwrite another system's boot code */
	int auto_step;               /* set by repair_plan while it runs a step for a scan problem (not asked by
					name): an op may then find the problem gone after the steps before it */
};

/* Adds to w what op (with arg, "" when none) writes, reading the disk as pending (the plan so far; may be NULL)
 * will leave it. -EALREADY (no message) when there is nothing to do; -EPERM when it would touch another
 * system's loader without force. */
int repair_op(struct repair_ctx *c, enum rescue_op op, const char *arg, const struct wset *pending, struct wset *w,
	      struct rh_err *err);

struct repair_step {
	enum rescue_op op;
	char arg[64];
	char code[40];               /* the problem it fixes ("" for an op asked by --only) */
	struct wset w;               /* what this step writes */
	int nothing;                 /* -EALREADY: nothing to write */
};

struct repair_plan {
	struct wset all;             /* every step's writes merged: what the commit backs up and writes */
	size_t nsteps;
	struct repair_step steps[SCAN_MAX_PROBLEMS];
};

/* The plan for c->scan's problems (only: RESCUE_OP_NONE for all, else that op alone, arg as given or from the
 * problems). */
int repair_plan(struct repair_ctx *c, enum rescue_op only, const char *arg, struct repair_plan *ret,
		struct rh_err *err);
void repair_plan_free(struct repair_plan *p);

#endif
