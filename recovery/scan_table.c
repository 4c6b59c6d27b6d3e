/* scan_table.c: sector 0 (lib/mbr.h) and both GPT copies, each read on its own (lib/gpt.h's gpt_read_copy), so
 * that the report can say which copy is damaged and why, where the backup is, and whether it is where a disk
 * that grew would no longer have it (at its old end instead of the last LBA). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt.h"
#include "mbr.h"
#include "scan_int.h"

static int read_mbr(struct scan_ctx *c, struct rh_err *err)
{
	uint8_t s0[MBR_SIZE];
	int rc;

	rc = rdisk_read(c->d, 0, s0, sizeof(s0), err);
	if (rc < 0)
		return rc;
	c->r->mbr.read = 1;
	return mbr_parse(s0, sizeof(s0), &c->r->mbr.mbr);
}

/* 1 when both tables describe the same partitions (entry by entry) and the same disk. */
static int same_entries(const struct gpt_disk *a, const struct gpt_disk *b)
{
	const struct gpt_part *p, *q;
	unsigned i;

	if (a->nparts != b->nparts || memcmp(a->disk_guid, b->disk_guid, 16))
		return 0;
	for (i = 0; i < a->nparts && i < GPT_MAX_PARTS; i++) {
		p = &a->parts[i];
		q = &b->parts[i];
		if (p->number != q->number || memcmp(p->type_guid, q->type_guid, 16) ||
		    memcmp(p->unique_guid, q->unique_guid, 16) || p->first_lba != q->first_lba ||
		    p->last_lba != q->last_lba || p->attributes != q->attributes || strcmp(p->name, q->name))
			return 0;
	}
	return 1;
}

/* The backup copy: where the main header says it is (its AlternateLBA), else at the last LBA; a backup found at
 * the last LBA while the main header points elsewhere is taken too (someone moved it without fixing the main). */
static void read_backup(struct scan_ctx *c, const struct gpt_disk *main, struct gpt_disk *bk)
{
	struct scan_gpt *g = &c->r->gpt;
	uint64_t blocks = c->d->sectors, last = blocks - 1, lba = last;
	char why[sizeof(g->backup_why)];
	int rc;

	if (g->main_ok && main->alternate_lba != 1)
		lba = main->alternate_lba;
	rc = gpt_read_copy(rdisk_read_cb, (void *)c->d, c->d->sector, blocks, lba, bk, g->backup_why,
			   sizeof(g->backup_why));
	if (rc < 0 && lba != last &&
	    gpt_read_copy(rdisk_read_cb, (void *)c->d, c->d->sector, blocks, last, bk, why, sizeof(why)) == 0) {
		lba = last;
		rc = 0;
		g->backup_why[0] = '\0';
	}
	g->backup_ok = rc == 0;
	g->backup_lba = lba;
	g->backup_not_at_end = g->main_ok && lba != last;
}

static void read_gpt(struct scan_ctx *c)
{
	struct scan_gpt *g = &c->r->gpt;
	struct gpt_disk *main = malloc(sizeof(*main)), *bk = malloc(sizeof(*bk));
	int rc;

	if (!main || !bk) {
		snprintf(g->main_why, sizeof(g->main_why), "out of memory");
		snprintf(g->backup_why, sizeof(g->backup_why), "out of memory");
		goto out;
	}
	rc = gpt_read_copy(rdisk_read_cb, (void *)c->d, c->d->sector, c->d->sectors, 1, main, g->main_why,
			   sizeof(g->main_why));
	g->main_ok = rc == 0;
	read_backup(c, main, bk);
	g->have = g->main_ok || g->backup_ok;
	g->used_backup = !g->main_ok && g->backup_ok;
	g->entries_differ = g->main_ok && g->backup_ok && !same_entries(main, bk);
	if (g->main_ok)
		g->disk = *main;
	else if (g->backup_ok)
		g->disk = *bk;
out:
	free(main);
	free(bk);
}

int scan_table(struct scan_ctx *c, struct rh_err *err)
{
	int rc;

	rc = read_mbr(c, err);
	if (rc < 0)
		return rc;
	if (c->d->sectors < 4) {
		snprintf(c->r->gpt.main_why, sizeof(c->r->gpt.main_why), "disk too small for a GPT");
		snprintf(c->r->gpt.backup_why, sizeof(c->r->gpt.backup_why), "disk too small for a GPT");
		return 0;
	}
	read_gpt(c);
	return 0;
}
