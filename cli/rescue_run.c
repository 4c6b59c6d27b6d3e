/* rescue_run.c: the work of `ramhost rescue` (options: cmd_rescue.c): the disks, scan, plan, the question,
 * the commit, undo. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disks.h"
#include "fs.h"
#include "gpt.h"
#include "image-builder/efiboot.h"
#include "image-builder/efivar.h"
#include "commands.h"
#include "print.h"
#include "recovery/backup.h"
#include "recovery/backup_place.h"
#include "recovery/rdisk.h"
#include "recovery/media.h"
#include "recovery/repair.h"
#include "recovery/scan.h"
#include "rescue_int.h"
#include "rescue_print.h"

/* What one disk needs through the command. */
struct one {
	const struct rescue_cli *o;
	struct rdisk d;
	struct scan_report *r;
	struct repair_plan *plan;
	char work[PATH_MAX];
	char loader[PATH_MAX];
	struct rh_err err;
};

/* The firmware variables that go with disk: --efivars, else this machine's efivarfs, but only for a block device
 * (a disk of this machine: its firmware's entries point at it); an image file has no firmware. */
static const char *efivars_dir(const struct rescue_cli *o, const char *disk)
{
	struct stat st;

	if (o->efivars)
		return o->efivars;
	if (!disk || stat(disk, &st) < 0 || !S_ISBLK(st.st_mode))
		return NULL;
	return efivar_mount(EFIVAR_DIR, NULL) == 1 ? EFIVAR_DIR : NULL;
}

static int fail(const char *disk, const struct rh_err *err)
{
	cli_printf(stderr, "ramhost rescue: %s: %s\n", disk, cli_err_text(err));
	return 1;
}

/* Opens and scans disk into x (x->r allocated). */
static int open_scan(struct one *x, const char *disk, int writable)
{
	struct scan_opts so = { efivars_dir(x->o, disk), x->o->backup_dir, 1 };
	int rc;

	x->r = calloc(1, sizeof(*x->r));
	if (!x->r)
		return rh_errf(&x->err, -ENOMEM, "out of memory");
	rc = rdisk_open(disk, writable, x->o->sector, &x->d, &x->err);
	if (rc < 0)
		return rc;
	return scan_disk(&x->d, &so, x->r, &x->err);
}

static void one_free(struct one *x)
{
	if (x->plan) {
		repair_plan_free(x->plan);
		free(x->plan);
	}
	if (x->work[0])
		fs_rm_rf(x->work, NULL);
	rdisk_close(&x->d);
	free(x->r);
	memset(x, 0, sizeof(*x));
	x->d.fd = -1;
}

/* The disks to work on into *ret: those named, else every disk of the machine. */
static int disk_list(const struct rescue_cli *o, char ***ret, unsigned *ret_n, struct rh_err *err)
{
	int i;

	if (o->ndisks > 0) {
		*ret = calloc((size_t)o->ndisks, sizeof(char *));
		if (!*ret)
			return rh_errf(err, -ENOMEM, "out of memory");
		for (i = 0; i < o->ndisks; i++)
			(*ret)[i] = strdup(o->disks[i]);
		*ret_n = (unsigned)o->ndisks;
		return 0;
	}
	return disks_list(0, ret, ret_n, err);
}

static int worst(const struct scan_report *r)
{
	unsigned i;
	int w = -1;

	for (i = 0; i < r->nproblems; i++)
		if ((int)r->problems[i].sev > w)
			w = (int)r->problems[i].sev;
	return w;
}

static void summary(const struct scan_report *r)
{
	unsigned i;

	cli_printf(stdout, "%s: %s, %u problem%s\n", r->disk, r->is_ramhost ? "ramhost disk" : "disk", r->nproblems,
		   r->nproblems == 1 ? "" : "s");
	for (i = 0; i < r->nproblems; i++)
		cli_printf(stdout, "  %s %s: %s%s%s\n", r->problems[i].sev == SCAN_BROKEN ? "BROKEN" :
			   r->problems[i].sev == SCAN_WARN ? "WARN  " : "INFO  ", r->problems[i].where,
			   r->problems[i].what, r->problems[i].op ? " -> " : "",
			   r->problems[i].op ? rescue_op_name(r->problems[i].op) : "");
}

/* Prints one disk's report (show, bank: 0 both, 1, 2 for verify-bank) and returns its exit status: 0, or 3 when
 * what it shows is not sound. */
typedef int (*show_fn)(const struct rescue_cli *o, const struct scan_report *r, int bank);

static int show_scan(const struct rescue_cli *o, const struct scan_report *r, int bank)
{
	(void)bank;
	if (o->summary && !o->json)
		summary(r);
	else
		rescue_print_report(r, o->json);
	return worst(r) >= SCAN_WARN ? 3 : 0;
}

static int show_verify(const struct rescue_cli *o, const struct scan_report *r, int bank)
{
	int b, status = 0;

	if (o->json)
		rescue_print_verify_json(stdout, r, bank);
	else
		rescue_print_verify(r, bank);
	for (b = 1; b <= 2; b++)
		if ((!bank || bank == b) && !scan_bank_verified(&r->bank[b - 1]))
			status = 3;
	return status;
}

/* Scans each disk and shows it; with --json one {"disks": [...]} around them. The status is the first
 * failure's (1: a disk could not be read), else 3 when a disk showed a problem, else 0. */
static int scan_each(const struct rescue_cli *o, char **disks, unsigned n, show_fn show, int bank)
{
	unsigned i, shown = 0;
	int status = 0, s;

	if (o->json)
		printf("{\"disks\":[");
	for (i = 0; i < n; i++) {
		struct one x = { .o = o };
		x.d.fd = -1;
		if (open_scan(&x, disks[i], 0) < 0) {
			status = fail(disks[i], &x.err);
		} else {
			if (o->json && shown++)
				printf(",");
			s = show(o, x.r, bank);
			if (s && !status)
				status = s;
		}
		one_free(&x);
	}
	if (o->json)
		printf("]}\n");
	return status;
}

/* `rescue verify-bank`: the scan's view of each bank (or --bank N), every module's hash checked. Exit 0 when
 * every one shown verifies, 3 when one does not, 1 when a disk cannot be read. */
static int do_verify(const struct rescue_cli *o, char **disks, unsigned n)
{
	if (o->bank && strcmp(o->bank, "1") && strcmp(o->bank, "2")) {
		fprintf(stderr, "ramhost rescue verify-bank: --bank is 1 or 2\n");
		return 2;
	}
	return scan_each(o, disks, n, show_verify, o->bank ? atoi(o->bank) : 0);
}

/* The argument of op from --bank / --module / --generation into buf. */
static int op_arg(const struct rescue_cli *o, enum rescue_op op, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (op == RESCUE_OP_COPY_MODULE && (o->bank || o->module)) {
		if (!o->bank || !o->module) {
			fprintf(stderr, "ramhost rescue: copy-module takes --bank N and --module NAME together\n");
			return -EINVAL;
		}
		snprintf(buf, cap, "%s:%s", o->bank, o->module);
	} else if (o->bank && (op == RESCUE_OP_REBUILD_CFG || op == RESCUE_OP_REINSTALL_BANK ||
				op == RESCUE_OP_REVERT)) {
		snprintf(buf, cap, "%s", o->bank);
	} else if (o->generation && op == RESCUE_OP_RESTORE_STATE) {
		snprintf(buf, cap, "%s", o->generation);
	} else if (op == RESCUE_OP_GRUB && (o->partition || o->target)) {
		snprintf(buf, cap, "%s%s%s", o->partition ? o->partition : "", o->target ? ":" : "",
			 o->target ? o->target : "");
	} else if (op == RESCUE_OP_FSCK && o->partition) {
		snprintf(buf, cap, "%s", o->partition);
	}
	return 0;
}

/* Scans disk and builds the plan for op (NONE: every problem). */
static int plan_one(struct one *x, const char *disk, enum rescue_op op, const char *arg)
{
	struct efiboot_opts eo = { x->o->loader, NULL, NULL };
	struct rh_err e = { 0 };
	struct repair_ctx c;
	char media[PATH_MAX];
	int rc = open_scan(x, disk, 0), have_media;

	if (rc < 0)
		return rc;
	rc = fs_work_dir(NULL, "ramhost-rescue", x->work, sizeof(x->work), &x->err);
	if (rc < 0)
		return rc;
	x->plan = calloc(1, sizeof(*x->plan));
	if (!x->plan)
		return rh_errf(&x->err, -ENOMEM, "out of memory");
	memset(&c, 0, sizeof(c));
	c.d = &x->d;
	c.scan = x->r;
	/* --media, $RAMHOST_RESCUE_MEDIA, else the booted ramhost ISO's bootbank (recovery/media.h) */
	have_media = rescue_media_find(x->o->media, x->work, media, sizeof(media), &x->err);
	if (have_media < 0)
		return have_media;
	c.media = have_media ? media : NULL;
	/* the loader: --loader, $RAMHOST_EFI, the booted ISO's own (signed when the image is), else next to ramhost */
	if (!x->o->loader && !getenv("RAMHOST_EFI")) {
		rc = rescue_media_loader(x->work, x->loader, sizeof(x->loader), &x->err);
		if (rc < 0)
			return rc;
		c.loader = rc ? x->loader : NULL;
	}
	if (!c.loader && efiboot_find_loader(&eo, x->loader, sizeof(x->loader), &e) == 0)
		c.loader = x->loader;
	else if (!c.loader && x->o->loader)
		return rh_errf(&x->err, e.rc, "%s", e.msg);
	c.efivars = efivars_dir(x->o, disk);
	c.work = x->work;
	c.force = x->o->force;
	return repair_plan(&c, op, arg, x->plan, &x->err);
}

static int confirm(const struct rescue_cli *o, const char *disk)
{
	char line[16];

	if (o->yes)
		return 1;
	if (!isatty(0)) {
		cli_printf(stderr, "ramhost rescue: %s: pass --yes to write this plan (no terminal to ask on)\n", disk);
		return 0;
	}
	cli_printf(stderr, "ramhost rescue: write this plan to %s (everything it replaces is backed up first)? Type "
		   "yes to go on: ", disk);
	fflush(stderr);
	return fgets(line, sizeof(line), stdin) && !strcmp(line, "yes\n");
}

/* Backs the plan up and writes it; then says what is left. */
static int commit(struct one *x, const char *disk)
{
	const char *parent = x->o->backup_dir ? x->o->backup_dir : getenv("RAMHOST_RESCUE_BACKUP");
	struct backup_opts bo = { parent, efivars_dir(x->o, disk), NULL };
	struct backup_place bp;
	char dir[PATH_MAX], guid[37];
	FILE *out = x->o->json ? stderr : stdout;   /* --json: stdout holds only the JSON */
	int rc, bp_used = 0;

	memset(&bp, 0, sizeof(bp));
	if (!parent || !*parent) {
		rc = backup_place_open(&x->d, x->r, &x->plan->all, &bp, &x->err);
		if (rc < 0)
			return rc;
		bo.parent = bp.parent;
		bp_used = 1;
	}
	if (x->r->gpt.have) {
		gpt_guid_to_str(x->r->gpt.disk.disk_guid, guid);
		bo.disk_guid = guid;
	}
	rc = backup_apply(&x->d, &x->plan->all, &bo, dir, &x->err);
	backup_place_close(&bp);
	if (rc < 0)
		return rc;
	if (bp_used)
		cli_printf(out, "%s: repaired: %" PRIu64 " bytes in %zu extents written; backup in %s/%s on the state "
			   "partition (undo: ramhost rescue undo %s)\n", disk, wset_bytes(&x->plan->all),
			   x->plan->all.next, BACKUP_PLACE_DIR, strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir, disk);
	else
		cli_printf(out, "%s: repaired: %" PRIu64 " bytes in %zu extents written; backup in %s (undo: "
			   "ramhost rescue undo %s %s)\n", disk, wset_bytes(&x->plan->all), x->plan->all.next, dir, disk,
			   dir);
	return 0;
}

static int do_repair(const struct rescue_cli *o, char **disks, unsigned n, enum rescue_op op, const char *arg)
{
	unsigned i;
	int status = 0;

	if (o->json)
		printf("{\"plans\":[");
	for (i = 0; i < n; i++) {
		struct one x = { .o = o };
		x.d.fd = -1;
		if (plan_one(&x, disks[i], op, arg) < 0) {
			status = fail(disks[i], &x.err);
			one_free(&x);
			continue;
		}
		if (o->json && i)
			printf(",");
		rescue_print_plan(disks[i], x.d.sector, x.plan, o->json);
		if (o->dry_run || wset_empty(&x.plan->all)) {
			one_free(&x);
			continue;
		}
		if (!confirm(o, disks[i]))
			status = 1;
		else if (commit(&x, disks[i]) < 0)
			status = fail(disks[i], &x.err);
		one_free(&x);
	}
	if (o->json)
		printf("]}\n");
	return status;
}

/* The newest backup on disk's state partition, mounted into *bp (which the caller closes). */
static int undo_default(const struct rescue_cli *o, struct backup_place *bp, char *dir, struct rh_err *err)
{
	struct one x = { .o = o };
	int rc;

	x.d.fd = -1;
	rc = open_scan(&x, o->disks[0], 0);
	if (!rc)
		rc = backup_place_open(&x.d, x.r, NULL, bp, err);
	else
		rh_errf(err, x.err.rc, "%s", x.err.msg);
	if (!rc)
		rc = backup_newest(bp->parent, dir, err);
	one_free(&x);
	return rc;
}

static int do_undo(const struct rescue_cli *o)
{
	const char *parent = o->backup_dir ? o->backup_dir : getenv("RAMHOST_RESCUE_BACKUP");
	struct backup_undo_result r;
	struct backup_place bp;
	struct rh_err err = { 0 };
	char dir[PATH_MAX];
	int rc = 0;

	memset(&bp, 0, sizeof(bp));
	if (o->ndisks < 1 || o->ndisks > 2) {
		fprintf(stderr, "ramhost rescue undo: give DISK and optionally the BACKUP folder\n");
		return 2;
	}
	if (cli_disk_drivers("ramhost rescue"))
		return 1;
	if (o->ndisks == 2)
		snprintf(dir, sizeof(dir), "%s", o->disks[1]);
	else if (parent && *parent)
		rc = backup_newest(parent, dir, &err);
	else
		rc = undo_default(o, &bp, dir, &err);
	if (o->ndisks == 1 && rc < 0) {
		backup_place_close(&bp);
		return fail(o->disks[0], &err);
	}
	rc = backup_undo(dir, o->disks[0], efivars_dir(o, o->disks[0]), o->force, &r, &err);
	backup_place_close(&bp);
	if (rc < 0)
		return fail(o->disks[0], &err);
	cli_printf(stdout, "%s: undone from %s: %u extents (%" PRIu64 " bytes), %u variables put back\n", o->disks[0],
		   dir, r.extents, r.bytes, r.vars);
	return 0;
}

int rescue_run(const char *what, const struct rescue_cli *o)
{
	enum rescue_op op = RESCUE_OP_NONE;
	struct rh_err err = { 0 };
	char **disks = NULL, arg[160];
	unsigned n = 0;
	int status;

	if (!strcmp(what, "undo"))
		return do_undo(o);
	if (strcmp(what, "scan") && strcmp(what, "plan") && strcmp(what, "repair") && strcmp(what, "verify-bank")) {
		op = rescue_op_parse(what);
		if (op == RESCUE_OP_NONE && strcmp(what, "fix-mbr")) {
			cli_printf(stderr, "ramhost rescue: unknown command '%s' (see ramhost rescue --help)\n", what);
			return 2;
		}
		if (!strcmp(what, "fix-mbr")) {
			if (!o->generic) {
				fprintf(stderr, "ramhost rescue fix-mbr: only --generic exists (a standard MBR boot code); "
					"a ramhost disk's is fix-pmbr\n");
				return 2;
			}
			op = RESCUE_OP_FIX_MBR_GENERIC;
		}
	} else if (o->only) {
		op = rescue_op_parse(o->only);
		if (op == RESCUE_OP_NONE) {
			cli_printf(stderr, "ramhost rescue: --only '%s': no such repair\n", o->only);
			return 2;
		}
	}
	if (op_arg(o, op, arg, sizeof(arg)) < 0)
		return 2;
	if (cli_disk_drivers("ramhost rescue"))  /* after the arguments are checked: it may wait seconds */
		return 1;
	if (disk_list(o, &disks, &n, &err) < 0)
		return cli_fail("rescue", &err);
	if (!n) {
		fprintf(stderr, "ramhost rescue: no disks found (name one: a block device or a disk image file)\n");
		disks_free(disks, n);
		return 1;
	}
	if (!strcmp(what, "scan")) {
		status = scan_each(o, disks, n, show_scan, 0);
	} else if (!strcmp(what, "verify-bank")) {
		status = do_verify(o, disks, n);
	} else {
		struct rescue_cli p = *o;
		if (!strcmp(what, "plan"))
			p.dry_run = 1;
		status = do_repair(&p, disks, n, op, arg);
	}
	disks_free(disks, n);
	return status;
}
