/* op_fsck.c: `fsck`: the file systems of the ESP, the banks and the state partition, repaired on staged copies
 * (stage.h) and written back as the sectors that changed. See ops.h.
 *
 * A FAT32 whose boot sector is damaged while its backup (sector 6) is valid (scan_fat.boot_sector_from_backup)
 * first gets the backup copied over sector 0, as a raw extent (testdisk's repair). Then a FAT the scan found
 * dirty, with FAT copies that differ, with a backup boot sector that differs from sector 0, or with its boot
 * sector restored runs `fsck.fat -a -w` on its staged copy and gets its backup boot sector made equal to sector 0,
 * and the state partition `e2fsck -p -f` when a read-only `e2fsck -n -f` of the disk (at the partition's offset:
 * nothing staged, however large it is) finds errors; each staged copy is then checked again read-only
 * (`fsck.fat -n`, `e2fsck -n -f`), and a file system that still has errors is refused with the checker's words.
 * A FAT named in arg is checked whatever the scan said. -EALREADY when nothing was written.
 *
 * arg: "" for all, else "esp", "bank1" / "1", "bank2" / "2" or "state". */
#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fs.h"
#include "stage.h"

#define FSCK_BACKUP_SECTOR 6u   /* BPB_BkBootSec as every formatter writes it */

struct fsck_part {
	char label[24];
	uint64_t base, len;
	int ext4;
	int from_backup;             /* restore the FAT32 boot sector from its backup first */
	int unreadable;              /* the scan could not open the file system */
	int needed;                  /* FAT: the scan found something to repair */
};

/* The disk as pending and this op's extents so far leave it: what the next stage builds on. */
static int view_of(const struct wset *pending, const struct wset *w, struct wset *view, struct rh_err *err)
{
	int rc = 0;

	wset_init(view);
	if (pending)
		rc = wset_merge(view, pending, err);
	if (!rc)
		rc = wset_merge(view, w, err);
	return rc;
}

static uint32_t le16(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8;
}

/* The backup boot sector (sector 6 of the file system's own sector size) over sector 0, when it is a FAT32 boot
 * sector (55 AA, 512 or 4096 bytes per sector, "FAT32" type text). */
static int boot_from_backup(struct repair_ctx *c, const struct wset *view, const struct fsck_part *p,
			    struct wset *w, struct rh_err *err)
{
	uint8_t buf[4096];
	uint32_t bps;
	char why[WSET_WHY];
	int rc;

	rc = stage_read(c->d, view, p->base + FSCK_BACKUP_SECTOR * 512, buf, 512, err);
	if (rc < 0)
		return rc;
	bps = le16(buf + 11);
	if (bps == 4096 && p->len > (FSCK_BACKUP_SECTOR + 1) * 4096)
		rc = stage_read(c->d, view, p->base + FSCK_BACKUP_SECTOR * 4096, buf, 4096, err);
	if (rc < 0)
		return rc;
	if ((bps != 512 && bps != 4096) || le16(buf + 11) != bps || buf[510] != 0x55 || buf[511] != 0xAA ||
	    memcmp(buf + 82, "FAT32", 5))
		return rh_errf(err, -EINVAL, "%s: the boot sector is damaged and its backup at sector %u is not a FAT32 "
				      "boot sector either", p->label, FSCK_BACKUP_SECTOR);
	snprintf(why, sizeof(why), "%s boot sector from its backup (sector %u)", p->label, FSCK_BACKUP_SECTOR);
	rc = wset_add(w, p->base, buf, bps, why, err);
	if (!rc)
		rc = wset_add_file(w, p->label, "(boot sector)", "write", bps, "copied from the backup boot sector", err);
	return rc;
}

/* Runs the repairing checker on the staged copy, then the read-only one, which must find nothing. */
static int check_copy(const struct fsck_part *p, const char *copy, struct rh_err *err)
{
	char *fat_fix[] = { "fsck.fat", "-a", "-w", (char *)copy, NULL };
	char *fat_check[] = { "fsck.fat", "-n", (char *)copy, NULL };
	char *ext_fix[] = { "e2fsck", "-p", "-f", (char *)copy, NULL };
	char *ext_check[] = { "e2fsck", "-n", "-f", (char *)copy, NULL };
	struct rh_err ignored = { 0 };
	int rc;

	/* the repairing run exits non-zero when it corrected something: only the check after it decides */
	fs_run(p->ext4 ? ext_fix : fat_fix, 0, &ignored);
	rc = fs_run(p->ext4 ? ext_check : fat_check, 0, err);
	if (rc < 0)
		rh_err_prefix(err, rc, "%s: %s could not repair the file system", p->label,
			      p->ext4 ? "e2fsck -p" : "fsck.fat -a");
	return rc;
}

/* 1 when pending or w write inside the partition: a check of the disk alone would not see the disk as it will be. */
static int touched(const struct wset *pending, const struct wset *w, const struct fsck_part *p)
{
	const struct wset *sets[2] = { pending, w };

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; sets[k] && i < sets[k]->next; i++)
			if (sets[k]->ext[i].off < p->base + p->len && sets[k]->ext[i].off + sets[k]->ext[i].len > p->base)
				return 1;
	return 0;
}

/* The state partition read-only in place (e2fsck -n -f on DISK?offset=BYTES, e2fsprogs' way to name a file system
 * inside a disk): 1 when it has errors, 0 when it is clean. A disk name e2fsprogs would misread, or a partition the
 * plan writes to, counts as "has errors": the staged check decides then. */
static int ext4_has_errors(const struct repair_ctx *c, const struct wset *pending, const struct wset *w,
			   const struct fsck_part *p)
{
	char dev[PATH_MAX + 32];
	char *argv[] = { "e2fsck", "-n", "-f", dev, NULL };

	if (strchr(c->d->path, '?') || touched(pending, w, p))
		return 1;
	snprintf(dev, sizeof(dev), "%s?offset=%" PRIu64, c->d->path, p->base);
	return fs_run(argv, 0, NULL) != 0;
}

/* One file system: its repair into a write set of its own (on the disk as pending and w leave it), then merged
 * into w. *ret_changed: whether it wrote anything. */
static int fsck_one(struct repair_ctx *c, const struct wset *pending, const struct fsck_part *p, struct wset *w,
		    int *ret_changed, struct rh_err *err)
{
	struct stage s = { 0 };
	struct wset view, mine;
	int rc;

	wset_init(&mine);
	rc = view_of(pending, w, &view, err);
	if (!rc && p->from_backup) {
		rc = boot_from_backup(c, &view, p, &mine, err);
		if (!rc)
			rc = wset_merge(&view, &mine, err);
	}
	if (!rc)
		rc = stage_open(c->d, &view, p->base, p->len, p->label, c->work, &s, err);
	if (!rc)
		rc = check_copy(p, s.path, err);
	if (!rc && !p->ext4) {
		/* fsck.fat leaves a backup boot sector that differs from sector 0 as it is ("mostly harmless"):
		 * a later fall-back to it would undo this repair */
		struct fatimg f = stage_fatimg(&s);
		rc = fatimg_sync_backup_boot(&f, err);
	}
	if (!rc)
		rc = stage_diff(c->d, &view, &s, p->ext4 ? "e2fsck" : "fsck.fat", &mine, err);
	if (!rc && mine.next && !p->from_backup)
		rc = wset_add_file(&mine, p->label, "/", "repair", 0, p->ext4 ? "e2fsck -p" : "fsck.fat -a", err);
	if (!rc)
		rc = wset_merge(w, &mine, err);
	*ret_changed = !rc && mine.next > 0;
	stage_close(&s);
	wset_free(&view);
	wset_free(&mine);
	return rc;
}

/* The partitions of the scan that arg names ("" all). */
static int wanted(const char *arg, const char *name, int bank)
{
	char num[4];

	if (!arg || !*arg)
		return 1;
	snprintf(num, sizeof(num), "%d", bank);
	if (bank && (!strcmp(arg, num) || (!strncasecmp(arg, "bank", 4) && !strcmp(arg + 4, num))))
		return 1;
	return !strcasecmp(arg, name);
}

static void fat_part(const struct repair_ctx *c, const struct scan_fat *f, int bank, struct fsck_part *p)
{
	memset(p, 0, sizeof(*p));
	if (bank)
		snprintf(p->label, sizeof(p->label), "p%" PRIu32 " (bank %d)", f->partno, bank);
	else
		snprintf(p->label, sizeof(p->label), "p%" PRIu32 " (ESP)", f->partno);
	p->base = OP_PART_BASE(f, c->d->sector);
	p->len = OP_PART_LEN(f, c->d->sector);
	p->from_backup = f->boot_sector_from_backup;
	p->unreadable = !f->fs_ok && !f->boot_sector_from_backup;
	p->needed = f->boot_sector_from_backup || f->dirty || f->fats_differ || f->backup_boot == 0;
}

/* The state partition's window from the GPT of the scan (scan_state has only its number). */
static int state_part(const struct repair_ctx *c, struct fsck_part *p)
{
	const struct gpt_disk *g = &c->scan->gpt.disk;

	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; c->scan->gpt.have && i < g->nparts; i++) {
		if (g->parts[i].number != c->scan->state.partno)
			continue;
		snprintf(p->label, sizeof(p->label), "p%" PRIu32 " (state)", g->parts[i].number);
		p->base = g->parts[i].first_lba * c->d->sector;
		p->len = (g->parts[i].last_lba - g->parts[i].first_lba + 1) * c->d->sector;
		p->ext4 = 1;
		p->unreadable = !c->scan->state.fs_ok;
		return 1;
	}
	return 0;
}

int op_fsck(OP_ARGS)
{
	const struct scan_report *r = c->scan;
	struct fsck_part parts[4];
	size_t n = 0;
	int rc = 0, changed = 0;

	if (r->esp.fat.exists && wanted(arg, "esp", 0))
		fat_part(c, &r->esp.fat, 0, &parts[n++]);
	for (int b = 0; b < 2; b++) {
		int num = r->bank[b].number ? r->bank[b].number : b + 1;
		if (r->bank[b].fat.exists && wanted(arg, "", num))
			fat_part(c, &r->bank[b].fat, num, &parts[n++]);
	}
	if (r->state.exists && wanted(arg, "state", 0) && state_part(c, &parts[n]))
		n++;
	if (!n)
		return rh_errf(err, -ENOENT, "%s: no partition %s%sto check", c->d->path, arg && *arg ? arg : "",
			       arg && *arg ? " " : "");
	for (size_t i = 0; i < n && !rc; i++) {
		/* ext4: only when the read-only check finds errors (a forced e2fsck always rewrites the superblock's
		 * times). FAT, unless asked for by name: only what the scan found broken; a file system the scan could
		 * not open and no backup restores is another repair's (reinstall-bank, find-partitions). */
		if (((!arg || !*arg) && (parts[i].unreadable || (!parts[i].ext4 && !parts[i].needed))) ||
		    (parts[i].ext4 && !ext4_has_errors(c, pending, w, &parts[i])))
			continue;
		int one = 0;
		rc = fsck_one(c, pending, &parts[i], w, &one, err);
		changed |= one;
	}
	if (rc < 0)
		return rc;
	return changed ? 0 : -EALREADY;
}
