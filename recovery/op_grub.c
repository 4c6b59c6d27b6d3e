/* op_grub.c: grub: reinstall GRUB for a Linux installation found on the disk, through that system's own
 * grub-install and update-grub in a chroot, the way Boot-Repair does: BIOS to the disk (never a partition: the
 * boot code in sector 0, core.img in the BIOS boot partition) and UEFI into the ESP's folder of the installation.
 *
 * Like every repair it writes nothing: the whole disk, as the plan so far leaves it, is staged into a sparse copy
 * (stage.h), the copy is attached to a loop device, the installation's root partition is mounted from it
 * (grub_mount.c) and its tools run there; stage_diff then turns the changed sectors into the write set. Before
 * that set is accepted, every changed byte must lie where GRUB may write: sector 0's boot code (bytes 0..439:
 * the disk signature and table stay), the BIOS boot partition, the installation's root partition and, for
 * UEFI, the ESP, where every other system's loader must still read byte for byte the same.
 *
 * Which halves: the argument is "N" (the root partition; "" = the first Linux installation of the scan),
 * optionally ":bios" or ":uefi". Without one, the halves that are broken are repaired (BIOS: sector 0 holds no
 * GRUB boot code or the BIOS boot partition is blank; UEFI: no /EFI/ID/grubx64.efi), and when neither is, both
 * that apply are reinstalled (BIOS: the installation has /boot/grub/i386-pc and the disk a BIOS boot partition;
 * UEFI: it has /boot/grub/x86_64-efi or the ESP has its folder with grubx64.efi or shimx64.efi). The BIOS half
 * is refused without --force when sector 0 holds another loader's code. The UEFI half's grub-install writes into
 * a stand-in for the ESP (grub_int.h), and its files are put on the copy's ESP with mtools: no kernel FAT driver
 * is needed. */
#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "grub_int.h"
#include "mbr.h"
#include "partfs.h"
#include "stage.h"

#define BIOS_BOOT_GUID "21686148-6449-6e6f-744e-656564454649"

struct grub_job {
	struct repair_ctx *c;
	const struct wset *pending;
	const struct gpt_part *root, *biosboot, *esp;   /* esp: NULL when the scan found none that reads */
	unsigned partno;
	int want;                /* 0: what is broken (else all that applies), 1: BIOS only, 2: UEFI only */
	int bios, uefi;          /* the halves run */
	enum mbr_code code;      /* sector 0's boot code as pending leaves it */
	int core_blank;          /* the BIOS boot partition's first sector is zeros */
	char id[32];             /* the ESP folder (--bootloader-id) */
	struct grub_mnt m;
};

static const struct gpt_part *part_number(const struct scan_report *r, unsigned n)
{
	unsigned i;

	for (i = 0; i < r->gpt.disk.nparts && i < GPT_MAX_PARTS; i++)
		if (r->gpt.disk.parts[i].number == n)
			return &r->gpt.disk.parts[i];
	return NULL;
}

static const struct gpt_part *part_type(const struct scan_report *r, const char *guid)
{
	char s[37];
	unsigned i;

	for (i = 0; i < r->gpt.disk.nparts && i < GPT_MAX_PARTS; i++) {
		gpt_guid_to_str(r->gpt.disk.parts[i].type_guid, s);
		if (!strcmp(s, guid))
			return &r->gpt.disk.parts[i];
	}
	return NULL;
}

/* The Linux installation of the scan on partition n (0: the first one). */
static const struct scan_other *linux_on(const struct scan_report *r, unsigned *n)
{
	unsigned i, p;

	for (i = 0; i < r->nothers && i < SCAN_MAX_OTHERS; i++)
		if (!strcmp(r->others[i].kind, "linux") && sscanf(r->others[i].where, "p%u", &p) == 1 &&
		    (!*n || p == *n)) {
			*n = p;
			return &r->others[i];
		}
	return NULL;
}

/* The argument "N[:bios|:uefi]", ":bios", ":uefi" or "" (N 0: the scan's installation) into j->partno and
 * j->want. */
static int parse_arg(struct grub_job *j, const char *arg, struct rh_err *err)
{
	char *end = (char *)arg;
	unsigned long n = 0;

	if (*arg) {
		if (*arg != ':')
			n = strtoul(arg, &end, 10);
		if ((end == arg && *arg != ':') || (*arg != ':' && n == 0) || n > GPT_MAX_PARTS ||
		    (*end && strcmp(end, ":bios") && strcmp(end, ":uefi")))
			return rh_errf(err, -EINVAL, "%s: '%s' is not a partition number (N, N:bios or N:uefi)",
				       j->c->d->path, arg);
		j->want = !strcmp(end, ":bios") ? 1 : !strcmp(end, ":uefi") ? 2 : 0;
	}
	j->partno = (unsigned)n;
	return 0;
}

/* Which installation, its partitions, and sector 0 and the BIOS boot partition as pending leaves them. */
static int grub_target(struct grub_job *j, const char *arg, struct rh_err *err)
{
	const struct scan_report *r = j->c->scan;
	const struct scan_other *o;
	uint8_t blk[4096];
	uint32_t bs = j->c->d->sector;
	int rc = parse_arg(j, arg, err);

	if (rc < 0)
		return rc;
	if (!r->gpt.have)
		return rh_errf(err, -ENOENT, "%s: no GPT copy verifies: rescue grub works on GPT disks (run fix-gpt or "
			       "find-partitions first)", j->c->d->path);
	o = linux_on(r, &j->partno);
	if (!o)
		return rh_errf(err, -ENOENT, j->partno ? "%s: p%u holds no Linux installation (no os-release found "
			       "by rescue scan)" : "%s: no Linux installation found (rescue scan lists them under other "
			       "systems)", j->c->d->path, j->partno);
	j->root = part_number(r, j->partno);
	if (!j->root)
		return rh_errf(err, -ENOENT, "%s: no partition p%u in the GPT", j->c->d->path, j->partno);
	snprintf(j->m.label, sizeof(j->m.label), "p%u (%.38s)", j->partno, o->detail);
	j->biosboot = part_type(r, BIOS_BOOT_GUID);
	if (r->esp.fat.exists && (r->esp.fat.fs_ok || r->esp.fat.boot_sector_from_backup))
		j->esp = part_number(r, r->esp.fat.partno);
	rc = stage_read(j->c->d, j->pending, 0, blk, bs, err);
	if (rc < 0)
		return rc;
	j->code = mbr_code_identify(blk);
	j->core_blank = 1;
	if (j->biosboot) {
		static const uint8_t zero[512];
		rc = stage_read(j->c->d, j->pending, j->biosboot->first_lba * bs, blk, 512, err);
		if (rc < 0)
			return rc;
		j->core_blank = !memcmp(blk, zero, sizeof(zero));
	}
	return 0;
}

/* The ESP folder holding id's loader: the scan's /EFI/X/grubx64.efi or shimx64.efi (X not BOOT). */
static int esp_folder(const struct scan_report *r, char *id, size_t cap)
{
	static const char *const loaders[] = { "/grubx64.efi", "/shimx64.efi" };
	unsigned i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < r->esp.nfiles && i < SCAN_MAX_FILES; i++) {
			const char *p = r->esp.files[i].path, *slash;
			size_t pl = strlen(p), ll = strlen(loaders[k]);

			if (strncasecmp(p, "/EFI/", 5) || pl <= 5 + ll || strcasecmp(p + pl - ll, loaders[k]))
				continue;
			slash = strchr(p + 5, '/');
			if (slash != p + pl - ll || (size_t)(slash - (p + 5)) >= cap || !strncasecmp(p + 5, "BOOT/", 5))
				continue;
			snprintf(id, cap, "%.*s", (int)(slash - (p + 5)), p + 5);
			return 1;
		}
	return 0;
}

/* 1 when the ESP holds /EFI/id/grubx64.efi (the scan's list). */
static int esp_has_grub(const struct scan_report *r, const char *id)
{
	char want[64];
	unsigned i;

	snprintf(want, sizeof(want), "/EFI/%s/grubx64.efi", id);
	for (i = 0; i < r->esp.nfiles && i < SCAN_MAX_FILES; i++)
		if (!strcasecmp(r->esp.files[i].path, want))
			return 1;
	return 0;
}

/* j->id: the ESP folder with GRUB or shim, else the installation's os-release ID. */
static int grub_efi_id(struct grub_job *j, struct rh_err *err)
{
	static const char *const files[] = { "usr/lib/os-release", "etc/os-release" };
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0, i;
	int rc = -ENOENT;

	if (esp_folder(j->c->scan, j->id, sizeof(j->id)))
		return 0;
	for (i = 0; i < 2 && rc < 0; i++) {
		struct rh_err ignored = { 0 };
		/* a regular file only: an absolute link would be read from the rescue system */
		if (!grub_mnt_has(&j->m, files[i]) || grub_mnt_is_dir(&j->m, files[i]) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", j->m.dir, files[i]) >= sizeof(path) ||
		    rh_read_file(path, 1 << 16, &buf, &len, &ignored) < 0)
			continue;
		rc = grub_os_id(buf, len, j->id, sizeof(j->id));
		free(buf);
		buf = NULL;
	}
	if (rc < 0)
		return rh_errf(err, -ENOENT, "%s: no ESP folder with grubx64.efi or shimx64.efi, and no ID in its "
			       "os-release to name one", j->m.label);
	return 0;
}

/* The BIOS half may run: i386-pc, a BIOS boot partition; why not into why. */
static int bios_applies(struct grub_job *j, char *why, size_t cap)
{
	if (!grub_mnt_is_dir(&j->m, "boot/grub/i386-pc"))
		snprintf(why, cap, "BIOS: it has no /boot/grub/i386-pc (GRUB for BIOS was never installed: grub-pc-bin)");
	else if (!j->biosboot)
		snprintf(why, cap, "BIOS: the disk has no BIOS boot partition (type EF02) for GRUB's core.img; add "
			 "one (1 MiB, sgdisk -n 0:0:+1M -t 0:EF02) first");
	else
		return 1;
	return 0;
}

static int uefi_applies(struct grub_job *j, char *why, size_t cap)
{
	if (!j->esp)
		snprintf(why, cap, "UEFI: the disk has no readable ESP");
	else if (!grub_mnt_is_dir(&j->m, "boot/grub/x86_64-efi") && !esp_folder(j->c->scan, j->id, sizeof(j->id)))
		snprintf(why, cap, "UEFI: it has no /boot/grub/x86_64-efi and the ESP no GRUB folder");
	else
		return 1;
	return 0;
}

/* j->bios and j->uefi from the installation and the disk (see the top of this file), with the refusals. */
static int grub_decide(struct grub_job *j, struct rh_err *err)
{
	char nb[192] = "", nu[192] = "", boot[PATH_MAX];
	int b = bios_applies(j, nb, sizeof(nb)), u = uefi_applies(j, nu, sizeof(nu)), rc;

	if ((size_t)snprintf(boot, sizeof(boot), "%s/boot", j->m.dir) < sizeof(boot) && grub_mnt_is_dir(&j->m, "boot") &&
	    fs_dir_is_empty(boot) == 1)
		return rh_errf(err, -ENOTSUP, "%s: /boot is empty: it is probably a separate partition, which rescue grub "
			       "does not mount (reinstall GRUB from that system with its /boot mounted)", j->m.label);
	if (u && (rc = grub_efi_id(j, err)) < 0)
		return rc;
	if (j->want == 1 && !b)
		return rh_errf(err, -ENOENT, "%s: cannot reinstall GRUB for %s", j->m.label, nb);
	if (j->want == 2 && !u)
		return rh_errf(err, -ENOENT, "%s: cannot reinstall GRUB for %s", j->m.label, nu);
	j->bios = b && j->want != 2 && (j->want == 1 || j->code != MBR_CODE_GRUB || j->core_blank);
	j->uefi = u && j->want != 1 && (j->want == 2 || !esp_has_grub(j->c->scan, j->id));
	if (!j->want && !j->bios && !j->uefi) {
		j->bios = b;
		j->uefi = u;
	}
	if (!j->bios && !j->uefi)
		return rh_errf(err, -ENOENT, "%s: GRUB cannot be reinstalled: %s; %s", j->m.label, nb, nu);
	if (j->bios && !j->c->force && j->code != MBR_CODE_ZERO && j->code != MBR_CODE_GRUB)
		return rh_errf(err, -EPERM, "%s: sector 0 holds %s boot code, another system's loader; rescue grub "
			       "keeps it (give --force to replace it with GRUB's)", j->c->d->path, mbr_code_name(j->code));
	return 0;
}

/* Runs the installation's grub-install for each half (the UEFI half into the ESP's stand-in, whose files then go
 * onto the staged copy's ESP, s), then update-grub (or grub-mkconfig). */
static int grub_run(struct grub_job *j, const struct stage *s, struct rh_err *err)
{
	char efidir[64], dir[PATH_MAX];
	const char *bios[] = { "grub-install", "--target=i386-pc", j->m.loop, NULL };
	const char *uefi[] = { "grub-install", "--target=x86_64-efi", "--efi-directory=/boot/efi", efidir,
			       "--no-nvram", NULL };
	const char *update[] = { "update-grub", NULL };
	const char *mkconfig[] = { "grub-mkconfig", "-o", "/boot/grub/grub.cfg", NULL };
	int rc = 0;

	snprintf(efidir, sizeof(efidir), "--bootloader-id=%s", j->id);
	if (!grub_mnt_has(&j->m, "usr/sbin/grub-install") && !grub_mnt_has(&j->m, "usr/bin/grub-install"))
		return rh_errf(err, -ENOENT, "%s: the installation has no grub-install (its grub2-common package); "
			       "rescue grub runs only that system's own", j->m.label);
	if (j->bios)
		rc = grub_mnt_run(&j->m, bios, err);
	if (!rc && j->uefi) {
		uint32_t bs = j->c->d->sector;

		rc = grub_mnt_esp(&j->m, j->esp->number, err);
		if (!rc)
			rc = grub_mnt_run(&j->m, uefi, err);
		if (!rc && grub_mnt_esp_dir(&j->m, dir, sizeof(dir)) < 0)
			rc = rh_errf(err, -ENOENT, "%s: the ESP's stand-in is gone", j->m.label);
		if (!rc)
			rc = grub_esp_copy(dir, s->path, j->esp->first_lba * bs,
					   (j->esp->last_lba - j->esp->first_lba + 1) * (bs / 512), err);
	}
	if (!rc)
		rc = grub_mnt_run(&j->m, grub_mnt_has(&j->m, "usr/sbin/update-grub") ? update : mkconfig, err);
	return rc;
}

/* Appends "bytes A-B (where)" to list (cap bytes) for a change outside what GRUB may write. */
static void outside(const struct grub_job *j, uint64_t a, uint64_t b, char *list, size_t cap)
{
	const struct gpt_disk *g = &j->c->scan->gpt.disk;
	uint32_t bs = j->c->d->sector;
	const char *where = "outside every partition";
	char name[96];
	size_t n = strlen(list);
	unsigned i;

	for (i = 0; i < g->nparts && i < GPT_MAX_PARTS; i++)
		if (a >= g->parts[i].first_lba * bs && a < (g->parts[i].last_lba + 1) * bs) {
			snprintf(name, sizeof(name), "p%u %.60s", (unsigned)g->parts[i].number, g->parts[i].name);
			where = name;
		}
	if (a < bs)
		where = "sector 0 outside the boot code: the disk signature or partition table";
	if (n + 1 < cap)
		snprintf(list + n, cap - n, "%sbytes %" PRIu64 "-%" PRIu64 " (%s)", n ? ", " : "", a, b - 1, where);
}

/* The end of the allowed range holding byte a, or 0 when none holds it. */
static uint64_t allowed_end(const struct grub_job *j, uint64_t a)
{
	const struct gpt_part *parts[3] = { j->root, j->bios ? j->biosboot : NULL, j->uefi ? j->esp : NULL };
	uint32_t bs = j->c->d->sector;
	int i;

	if (a < MBR_CODE_LEN && j->bios)
		return MBR_CODE_LEN;
	for (i = 0; i < 3; i++)
		if (parts[i] && a >= parts[i]->first_lba * bs && a < (parts[i]->last_lba + 1) * bs)
			return (parts[i]->last_lba + 1) * bs;
	return 0;
}

/* Every changed byte of w where GRUB may write it (sector 0 compared byte by byte: the extents are sectors). */
static int grub_check_places(const struct grub_job *j, const struct wset *w, struct rh_err *err)
{
	uint32_t bs = j->c->d->sector;
	char list[512] = "";
	uint8_t old[4096];
	size_t i;
	int rc = stage_read(j->c->d, j->pending, 0, old, bs, err);

	for (i = 0; !rc && i < w->next; i++) {
		const struct wset_ext *e = &w->ext[i];
		uint64_t a = e->off, end = e->off + e->len, stop;

		while (a < end) {
			stop = allowed_end(j, a);
			if (!stop && a < bs && old[a] == e->data[a - e->off])
				stop = a + 1;   /* the rest of sector 0: a change only where the bytes differ */
			if (stop) {
				a = stop < end ? stop : end;
				continue;
			}
			if (a < bs)   /* sector 0: exactly the bytes that differ */
				for (stop = a + 1; stop < end && stop < bs && old[stop] != e->data[stop - e->off]; stop++)
					;
			else
				for (stop = (a / bs + 1) * bs; stop < end && !allowed_end(j, stop); stop += bs)
					;
			outside(j, a, stop < end ? stop : end, list, sizeof(list));
			a = stop;
		}
	}
	if (!rc && list[0])
		rc = rh_errf(err, -EPERM, "%s: grub-install and update-grub on the staged copy changed what rescue "
			     "grub must not: %s; nothing is written", j->m.label, list);
	return rc;
}

/* The ESP's other loaders (the scan's *.EFI outside /EFI/id/) read the same once w is written. */
static int grub_check_esp(const struct grub_job *j, const struct wset *w, struct rh_err *err)
{
	const struct scan_report *r = j->c->scan;
	uint32_t bs = j->c->d->sector;
	struct partfs before, after;
	struct wset both;
	char mine[48];
	unsigned i;
	int rc;

	wset_init(&both);
	rc = j->pending ? wset_merge(&both, j->pending, err) : 0;
	if (!rc)
		rc = wset_merge(&both, w, err);
	if (!rc)
		rc = partfs_open(&before, j->c->d, j->pending, OP_PART_BASE(&r->esp.fat, bs),
				 OP_PART_LEN(&r->esp.fat, bs), "ESP", err);
	if (!rc)
		rc = partfs_open(&after, j->c->d, &both, OP_PART_BASE(&r->esp.fat, bs), OP_PART_LEN(&r->esp.fat, bs),
				 "ESP", err);
	snprintf(mine, sizeof(mine), "/EFI/%s/", j->id);
	for (i = 0; !rc && i < r->esp.nfiles && i < SCAN_MAX_FILES; i++) {
		const char *p = r->esp.files[i].path;
		uint8_t a[32], b[32];

		if (!strncasecmp(p, mine, strlen(mine)) || partfs_sha256(&before, p, a, NULL, NULL) < 0)
			continue;
		if (partfs_sha256(&after, p, b, NULL, NULL) < 0 || memcmp(a, b, sizeof(a)))
			rc = rh_errf(err, -EPERM, "%s: grub-install on the staged copy changed or removed %s on the ESP, "
				     "another system's loader; nothing is written", j->m.label, p);
	}
	wset_free(&both);
	return rc;
}

/* The plan's list of what it writes, and the boot code check of the BIOS half. */
static int grub_files(struct grub_job *j, const struct stage *s, struct wset *w, struct rh_err *err)
{
	char esp[24], root[24], detail[128];
	uint8_t code[MBR_CODE_LEN];
	int rc = 0, fd = -1;

	snprintf(root, sizeof(root), "p%u", j->partno);
	if (j->bios) {
		rc = rh_open_input_as(s->path, "the staged copy", &fd, err);
		if (!rc && rh_pread_all(fd, code, sizeof(code), 0) < 0)
			rc = rh_errf(err, -EIO, "%s: cannot read the staged copy %s", j->m.label, s->path);
		if (fd >= 0)
			close(fd);
		if (!rc && mbr_code_identify(code) != MBR_CODE_GRUB)
			rc = rh_errf(err, -EIO, "%s: grub-install succeeded but sector 0 of the staged copy holds %s boot "
				     "code, not GRUB's; nothing is written", j->m.label, mbr_code_name(mbr_code_identify(code)));
		if (!rc)
			rc = wset_add_file(w, "MBR", "boot code", "write", MBR_CODE_LEN, "GRUB boot.img (grub-install "
					   "--target=i386-pc, the disk)", err);
		snprintf(detail, sizeof(detail), "p%u (BIOS boot)", (unsigned)j->biosboot->number);
		if (!rc)
			rc = wset_add_file(w, detail, "core.img", "write", 0, "GRUB core.img (grub-install)", err);
	}
	if (!rc && j->uefi) {
		snprintf(esp, sizeof(esp), "p%u (ESP)", (unsigned)j->esp->number);
		snprintf(detail, sizeof(detail), "/EFI/%s/grubx64.efi", j->id);
		rc = wset_add_file(w, esp, detail, "write", 0, "grub-install --target=x86_64-efi --no-nvram", err);
	}
	if (!rc)
		rc = wset_add_file(w, root, "/boot/grub", "write", 0, "grub-install modules and update-grub's grub.cfg "
				   "(in a chroot of the installation)", err);
	return rc;
}

int op_grub(OP_ARGS)
{
	struct grub_job j;
	struct stage s;
	struct wset mine;
	struct rh_err e = { 0 };
	int rc;

	memset(&j, 0, sizeof(j));
	memset(&s, 0, sizeof(s));
	wset_init(&mine);
	j.c = c;
	j.pending = pending;
	rc = grub_target(&j, arg, err);
	if (!rc)
		rc = stage_open(c->d, pending, 0, c->d->size, "disk", c->work, &s, err);
	if (!rc)
		rc = grub_mnt_attach(&j.m, s.path, c->d->sector, err);
	if (!rc)
		rc = grub_mnt_root(&j.m, j.partno, c->work, err);
	if (!rc)
		rc = grub_decide(&j, err);
	if (!rc)
		rc = grub_run(&j, &s, err);
	if (grub_mnt_detach(&j.m, &e) < 0 && !rc)
		rc = rh_errf(err, e.rc, "%s", e.msg);
	if (!rc)
		rc = stage_diff(c->d, pending, &s, "GRUB (grub-install, update-grub)", &mine, err);
	if (!rc)
		rc = grub_check_places(&j, &mine, err);
	if (!rc && j.uefi)
		rc = grub_check_esp(&j, &mine, err);
	if (!rc)
		rc = grub_files(&j, &s, &mine, err);
	if (!rc)
		rc = wset_merge(w, &mine, err);
	grub_mnt_detach(&j.m, NULL);
	stage_close(&s);
	wset_free(&mine);
	return rc;
}
