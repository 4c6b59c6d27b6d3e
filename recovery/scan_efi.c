/* scan_efi.c: the firmware's boot entries, read from an efivarfs directory (image-builder/efivar.h; a test
 * passes its own directory): every Boot#### decoded by lib/efiload.h, BootOrder, SecureBoot, and the space left
 * in the variable store (statfs of the directory; efivarfs reports the firmware's figures).
 *
 * An entry is ramhost's when its description starts with "ramhost" and it names a hard drive partition; it is on
 * this disk when that partition's GPT unique GUID is one of this disk's; when it is this disk's ESP, the file it
 * names is looked up there. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "efiload.h"
#include "image-builder/efivar.h"
#include "image-builder/install.h"
#include "scan_int.h"

#define VAR_SUFFIX "-" EFIVAR_GLOBAL_GUID

/* The partition of this disk whose unique GUID is sig, or NULL. */
static const struct gpt_part *part_by_guid(const struct scan_report *r, const uint8_t sig[16])
{
	unsigned i;

	for (i = 0; r->gpt.have && i < r->gpt.disk.nparts && i < GPT_MAX_PARTS; i++)
		if (!memcmp(r->gpt.disk.parts[i].unique_guid, sig, 16))
			return &r->gpt.disk.parts[i];
	return NULL;
}

/* Whether the entry's file is on our ESP: 1 / 0, -1 when it cannot be told (not the ESP, ESP unreadable). */
static int file_on_esp(struct scan_ctx *c, const struct gpt_part *p, const char *file)
{
	char path[sizeof(((struct efiload *)0)->file)];
	struct fat_dirent e;
	size_t i;

	if (!c->esp.open || !c->r->esp.fat.exists || p->number != c->r->esp.fat.partno || !file[0])
		return -1;
	for (i = 0; file[i] && i + 1 < sizeof(path); i++)
		path[i] = file[i] == '\\' ? '/' : file[i];
	path[i] = '\0';
	return fat_lookup(&c->esp.vol, path, &e) == 0 && !e.is_dir;
}

/* Decodes Boot#### num (data[0..len)) into the next entry. */
static void add_entry(struct scan_ctx *c, uint16_t num, const uint8_t *data, size_t len)
{
	struct scan_efi *e = &c->r->efi;
	struct scan_entry *en;
	const struct gpt_part *p;
	struct efiload *lo = malloc(sizeof(*lo));

	if (!lo || e->nentries >= SCAN_MAX_ENTRIES) {
		free(lo);
		return;
	}
	en = &e->entries[e->nentries++];
	memset(en, 0, sizeof(*en));
	en->num = num;
	en->file_exists = -1;
	if (efiload_parse(data, len, lo) < 0) {
		snprintf(en->desc, sizeof(en->desc), "(not a valid load option)");
		free(lo);
		return;
	}
	snprintf(en->desc, sizeof(en->desc), "%.127s", lo->desc);
	snprintf(en->file, sizeof(en->file), "%.191s", lo->has_file ? lo->file : "");
	en->active = (lo->attributes & EFILOAD_ACTIVE) != 0;
	en->ours = lo->has_hd && !strncasecmp(lo->desc, INSTALL_BOOT_DESC, strlen(INSTALL_BOOT_DESC));
	p = lo->has_hd && lo->hd.sig_type == 2 ? part_by_guid(c->r, lo->hd.signature) : NULL;
	en->on_this_disk = p != NULL;
	if (p)
		en->file_exists = file_on_esp(c, p, lo->file);
	free(lo);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct scan_entry *x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/* 1 when NAME-<global GUID> in dir is a regular file: a fifo or a device in a test's directory is never opened
 * (it could block the scan). */
static int var_is_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s%s", dir, name, VAR_SUFFIX) >= (int)sizeof(path))
		return 0;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads variable name when it is a regular file. */
static int var_read(const char *dir, const char *name, uint8_t *buf, size_t cap, size_t *ret_len)
{
	if (!var_is_file(dir, name))
		return -ENOENT;
	return efivar_read(dir, name, EFIVAR_GLOBAL_GUID, buf, cap, ret_len, NULL);
}

/* Every Boot#### of the directory. */
static void read_entries(struct scan_ctx *c, DIR *dir)
{
	const char *efivars = c->o->efivars;
	uint8_t buf[EFIVAR_MAX];
	struct dirent *de;
	char name[16];
	uint16_t num;
	size_t n, len;

	while ((de = readdir(dir))) {
		n = strlen(de->d_name);
		if (n != 8 + strlen(VAR_SUFFIX) || strcasecmp(de->d_name + 8, VAR_SUFFIX))
			continue;
		memcpy(name, de->d_name, 8);
		name[8] = '\0';
		if (efiload_boot_name(name, &num) < 0)
			continue;
		if (var_read(efivars, name, buf, sizeof(buf), &len) < 0)
			continue;
		add_entry(c, num, buf, len);
	}
	qsort(c->r->efi.entries, c->r->efi.nentries, sizeof(c->r->efi.entries[0]), entry_cmp);
}

void scan_efi(struct scan_ctx *c)
{
	struct scan_efi *e = &c->r->efi;
	uint8_t buf[EFIVAR_MAX];
	struct statfs sf;
	unsigned i, k;
	size_t len;
	DIR *dir;

	dir = opendir(c->o->efivars);
	if (!dir)
		return;
	e->available = 1;
	snprintf(e->dir, sizeof(e->dir), "%.127s", c->o->efivars);
	read_entries(c, dir);
	closedir(dir);
	if (var_read(c->o->efivars, "BootOrder", buf, sizeof(buf), &len) == 0)
		e->norder = (unsigned)efiload_bootorder_parse(buf, len, e->order, SCAN_MAX_ENTRIES);
	else
		e->order_missing = 1;
	for (i = 0; i < e->nentries; i++)
		for (k = 0; k < e->norder; k++)
			if (e->order[k] == e->entries[i].num)
				e->entries[i].in_order = 1;
	if (var_read(c->o->efivars, "SecureBoot", buf, sizeof(buf), &len) == 0 && len >= 1 && buf[0] == 1)
		e->secure_boot = 1;
	if (statfs(c->o->efivars, &sf) == 0 && sf.f_blocks > 0) {
		e->store_total = (uint64_t)sf.f_blocks * (uint64_t)sf.f_bsize;
		e->store_free = (uint64_t)sf.f_bfree * (uint64_t)sf.f_bsize;
	}
}
