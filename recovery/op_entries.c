/* op_entries.c: boot-entries: ramhost's firmware boot entry (a Boot#### "ramhost" booting \EFI\BOOT\BOOTX64.EFI
 * on this disk's ESP) first in BootOrder, as `ramhost install` makes it (image-builder/efivar.h decides the
 * number and the order; this op only turns that decision into a write set).
 *
 * Only ramhost's own entries are ever removed, and only stale ones: an entry whose description starts with
 * "ramhost" and whose hard-drive node names a partition GUID that no disk of this machine has (an ESP that was
 * reinstalled or a disk that is gone), or that names this disk but not its ESP as it is now. Removing them is
 * also how the op makes room in a full variable store; when that is not enough it stops and says which other
 * entries take the space, without touching them (efibootmgr -B is the operator's call). */
#include "ops.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "disks.h"
#include "efiload.h"
#include "gpt.h"
#include "image-builder/efivar.h"
#include "image-builder/install.h"

#define ESP_FILE "\\EFI\\BOOT\\BOOTX64.EFI"
#define MAX_DROP 64

/* Whether a disk of this machine (or d) has a partition with GUID g. */
static int guid_known(const struct repair_ctx *c, const uint8_t g[16])
{
	struct gpt_disk *gd = malloc(sizeof(*gd));
	char **v = NULL, why[64];
	unsigned n = 0, i, k;
	int found = 0;

	for (i = 0; i < c->scan->gpt.disk.nparts && !found; i++)
		found = !memcmp(c->scan->gpt.disk.parts[i].unique_guid, g, 16);
	if (!found && gd && disks_list(0, &v, &n, NULL) == 0) {
		for (i = 0; i < n && !found; i++)
			if (disks_read_gpt(v[i], gd, why, sizeof(why)) == 0)
				for (k = 0; k < gd->nparts && !found; k++)
					found = !memcmp(gd->parts[k].unique_guid, g, 16);
		disks_free(v, n);
	}
	free(gd);
	return found;
}

/* When the efivarfs file name fname is a Boot#### of the global GUID that decodes: its name (9 bytes), number, size
 * and decoded option into *e; returns 1, else 0. */
static int boot_entry(const char *dir, const char *fname, char name[9], uint16_t *num, size_t *len,
		      struct efiload *e)
{
	uint8_t buf[EFIVAR_MAX];

	if (strlen(fname) != 8 + 1 + 36 || strcmp(fname + 8, "-" EFIVAR_GLOBAL_GUID))
		return 0;
	memcpy(name, fname, 8);
	name[8] = '\0';
	return efiload_boot_name(name, num) == 0 &&
	       efivar_read(dir, name, EFIVAR_GLOBAL_GUID, buf, sizeof(buf), len, NULL) == 0 &&
	       efiload_parse(buf, *len, e) == 0;
}

/* Whether e is one of ramhost's entries (its description). */
static int is_ours(const struct efiload *e)
{
	return !strncmp(e->desc, INSTALL_BOOT_DESC, strlen(INSTALL_BOOT_DESC));
}

/* The stale ramhost entries of dir into drop (see above); *ret_bytes their size. */
static int stale_entries(const struct repair_ctx *c, const struct efivar_hd *esp, uint16_t *drop, size_t *ret_n,
			 uint64_t *ret_bytes)
{
	struct efiload *e = malloc(sizeof(*e));
	struct dirent *de;
	DIR *d = opendir(c->efivars);
	size_t n = 0, len;

	*ret_bytes = 0;
	while (d && e && (de = readdir(d)) && n < MAX_DROP) {
		char name[9];
		uint16_t num;
		if (!boot_entry(c->efivars, de->d_name, name, &num, &len, e) || !is_ours(e) || !e->has_hd)
			continue;
		if (!memcmp(e->hd.signature, esp->guid, 16) && e->hd.partno == esp->partno && e->hd.start == esp->start)
			continue;   /* ours, on the ESP as it is */
		if (guid_known(c, e->hd.signature) && memcmp(e->hd.signature, esp->guid, 16))
			continue;   /* another disk's ramhost: not ours to judge */
		drop[n++] = num;
		*ret_bytes += len + 128;   /* the data, its name and the store's header of a variable */
	}
	if (d)
		closedir(d);
	free(e);
	*ret_n = n;
	return 0;
}

static int esp_hd(struct repair_ctx *c, struct efivar_hd *hd, struct rh_err *err)
{
	const struct scan_fat *f = &c->scan->esp.fat;
	unsigned i;

	if (!f->exists || !c->scan->gpt.have)
		return rh_errf(err, -ENOENT, "%s: no ESP in the GPT for a boot entry to point at", c->d->path);
	for (i = 0; i < c->scan->gpt.disk.nparts; i++) {
		const struct gpt_part *p = &c->scan->gpt.disk.parts[i];
		if (p->number != f->partno)
			continue;
		hd->partno = p->number;
		hd->start = p->first_lba;
		hd->size = p->last_lba - p->first_lba + 1;
		memcpy(hd->guid, p->unique_guid, 16);
		return 0;
	}
	return rh_errf(err, -ENOENT, "%s: the ESP's partition %u is not in the GPT", c->d->path, f->partno);
}

/* "Boot0002 (debian), Boot0003 (UEFI Shell)": the entries that are not ramhost's, for the full-store message. */
static void others_text(const char *dir, char *buf, size_t cap)
{
	struct efiload *e = malloc(sizeof(*e));
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t len, at = 0;
	unsigned n = 0;

	buf[0] = '\0';
	while (d && e && (de = readdir(d)) && n < 6) {
		char name[9];
		uint16_t num;
		if (!boot_entry(dir, de->d_name, name, &num, &len, e) || is_ours(e))
			continue;
		if (at < cap)
			at += (size_t)snprintf(buf + at, cap - at, "%s%s (%.40s)", n ? ", " : "", name, e->desc);
		n++;
	}
	if (d)
		closedir(d);
	free(e);
	if (!n)
		snprintf(buf, cap, "none found");
}

/* Free bytes of the variable store (UINT64_MAX when statvfs cannot tell). */
static uint64_t store_free(const char *dir)
{
	struct statvfs s;

	if (statvfs(dir, &s) < 0 || !s.f_blocks)
		return UINT64_MAX;
	return (uint64_t)s.f_bavail * s.f_frsize;
}

int op_boot_entries(OP_ARGS)
{
	struct efivar_entry_plan *p = malloc(sizeof(*p));
	uint16_t drop[MAX_DROP];
	struct efivar_hd hd;
	uint64_t freed = 0, avail;
	size_t ndrop = 0, i;
	char name[16], why[WSET_WHY];
	int rc;

	(void)arg;
	(void)pending;
	if (!p)
		return rh_errf(err, -ENOMEM, "out of memory");
	if (!c->efivars) {
		rc = rh_errf(err, -ENOENT, "no firmware variables here: boot-entries runs on a host booted with UEFI "
			     "(or give --efivars DIR)");
		goto out;
	}
	rc = esp_hd(c, &hd, err);
	if (!rc)
		rc = stale_entries(c, &hd, drop, &ndrop, &freed);
	if (!rc)
		rc = efivar_plan_boot_entry(c->efivars, INSTALL_BOOT_DESC, &hd, ESP_FILE, drop, ndrop, p, err);
	if (rc < 0)
		goto out;
	avail = store_free(c->efivars);
	if (!p->exists && avail != UINT64_MAX && avail + freed < p->optlen + 128) {
		char others[320];
		others_text(c->efivars, others, sizeof(others));
		rc = rh_errf(err, -ENOSPC, "%s: the firmware's variable store is full (%" PRIu64 " bytes free) and "
			     "ramhost has no stale entry of its own to remove; the other entries are %s: remove one you "
			     "do not need (efibootmgr -b XXXX -B) and run boot-entries again", c->efivars, avail, others);
		goto out;
	}
	for (i = 0; i < ndrop && !rc; i++) {
		snprintf(name, sizeof(name), "Boot%04X", (unsigned)drop[i]);
		rc = wset_add_var(w, name, EFIVAR_GLOBAL_GUID, EFIVAR_ATTRS, NULL, 0, "a stale ramhost entry (its ESP "
				  "is gone)", err);
	}
	snprintf(name, sizeof(name), "Boot%04X", (unsigned)p->num);
	snprintf(why, sizeof(why), "\"%s\" booting /EFI/BOOT/BOOTX64.EFI on p%u (ESP)", INSTALL_BOOT_DESC, hd.partno);
	if (!rc && !p->exists)
		rc = wset_add_var(w, name, EFIVAR_GLOBAL_GUID, EFIVAR_ATTRS, p->opt, p->optlen, why, err);
	if (!rc && p->order_changed)
		rc = wset_add_var(w, "BootOrder", EFIVAR_GLOBAL_GUID, EFIVAR_ATTRS, p->order, p->orderlen, name, err);
	if (!rc && !ndrop && p->exists && !p->order_changed)
		rc = -EALREADY;
out:
	free(p);
	return rc;
}
