/* scan.c: `rescue scan` of one open disk (scan.h): the layers in order, each in its own file (scan_int.h), then
 * the verdict. Partitions are found by their GPT names (image-builder/disk.h's layout), an ESP also by its type
 * GUID; a disk is ramhost's when its GPT names a bank or its ESP chains to one. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootloader/bank_dir.h"
#include "fileio.h"
#include "fs.h"
#include "scan_int.h"

#define STATE_PART_NAME "state"
#define ESP_PART_NAME "ESP"

/* The first partition of g named name, or NULL. */
static const struct gpt_part *part_named(const struct gpt_disk *g, const char *name)
{
	unsigned i;

	for (i = 0; i < g->nparts && i < GPT_MAX_PARTS; i++)
		if (!strcmp(g->parts[i].name, name))
			return &g->parts[i];
	return NULL;
}

/* The ESP: by name, else the first partition of the EFI system type. */
static const struct gpt_part *esp_part(const struct gpt_disk *g)
{
	const struct gpt_part *p = part_named(g, ESP_PART_NAME);
	char s[37];
	unsigned i;

	for (i = 0; !p && i < g->nparts && i < GPT_MAX_PARTS; i++) {
		gpt_guid_to_str(g->parts[i].type_guid, s);
		if (!strcmp(s, GPT_TYPE_ESP))
			p = &g->parts[i];
	}
	return p;
}

/* A rescue backup folder under parent left at "applying" (backup.h): its name into the report. */
static void find_pending(struct scan_ctx *c, const char *parent)
{
	struct scan_state *s = &c->r->state;
	char path[PATH_MAX], *text = NULL;
	struct dirent *de;
	size_t len;
	DIR *dir;

	dir = opendir(parent);
	if (!dir)
		return;
	while ((de = readdir(dir)) && !s->pending_backup) {
		if (strncmp(de->d_name, "rescue-", 7))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/status", parent, de->d_name) >= (int)sizeof(path))
			continue;
		if (rh_read_file(path, 64, &text, &len, NULL) < 0)
			continue;
		if (len >= 8 && !memcmp(text, "applying", 8)) {
			s->pending_backup = 1;
			snprintf(s->pending_dir, sizeof(s->pending_dir), "%.127s", de->d_name);
		}
		free(text);
		text = NULL;
	}
	closedir(dir);
}

static void scan_parts(struct scan_ctx *c)
{
	struct scan_report *r = c->r;
	const struct gpt_disk *g = &r->gpt.disk;
	const struct gpt_part *p, *bank[2];
	int i;

	bank[0] = part_named(g, BANK_DIR_PART_1);
	bank[1] = part_named(g, BANK_DIR_PART_2);
	r->is_ramhost = bank[0] || bank[1];
	p = esp_part(g);
	if (p) {
		scan_fat_open(c, p, &r->esp.fat, &c->esp);
		scan_esp(c);
		if (r->esp.has_chain_cfg && r->esp.chain_bank)
			r->is_ramhost = 1;
	}
	for (i = 0; i < 2; i++) {
		if (!bank[i])
			continue;
		scan_fat_open(c, bank[i], &r->bank[i].fat, &c->bank[i]);
		scan_bank(c, i);
	}
	p = part_named(g, STATE_PART_NAME);
	if (p)
		scan_state(c, p);
}

int scan_disk(const struct rdisk *d, const struct scan_opts *o, struct scan_report *ret, struct rh_err *err)
{
	static const struct scan_opts defaults = { NULL, NULL, 1 };
	struct scan_ctx *c;
	int rc, i;

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->disk, sizeof(ret->disk), "%s", d->path);
	ret->size = d->size;
	ret->sector = d->sector;
	ret->sector_guessed = d->sector_guessed;
	for (i = 0; i < 2; i++) {
		ret->bank[i].number = i + 1;
		ret->bank[i].bootstate = -1;
		ret->bank[i].fat.backup_boot = -1;
	}
	ret->esp.fat.backup_boot = -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return rh_errf(err, -ENOMEM, "%s: out of memory", d->path);
	c->d = d;
	c->o = o ? o : &defaults;
	c->r = ret;
	rc = scan_table(c, err);
	if (rc < 0)
		goto out;
	if (ret->gpt.have)
		scan_parts(c);
	if (c->o->efivars)
		scan_efi(c);
	scan_os(c);
	if (c->o->backup_parent)
		find_pending(c, c->o->backup_parent);
	scan_verdict(ret);
out:
	if (c->work[0])
		fs_rm_rf(c->work, NULL);
	free(c);
	return rc;
}
