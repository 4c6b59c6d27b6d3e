/* test_rescue_ops.c: the boot and fsck repairs (recovery/op_boot.c, op_fsck.c) on disk images made by
 * image-builder/disk.c (`ramhost image disk`) from a small bootbank, with the damage of issue 12's matrix: each
 * repair's write set is applied through backup_apply, then mtools / fsck.fat / sgdisk check that the repair
 * worked, every byte outside the extents is unchanged, a second run has nothing to do, and undo gives back the
 * damaged bytes. The scan facts the ops read are filled from the GPT here (scan.c is not needed). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "gpt.h"
#include "image-builder/disk.h"
#include "recovery/backup.h"
#include "recovery/ops.h"
#include "recovery/stage.h"
#include "sha256.h"
#include "rescue_fixture.h"
#include "unit.h"

static const char *fresh_disk;  /* made once; each case works on a copy */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A PE32+ x86-64 EFI application header (what efiboot_find_loader checks) holding ramhost.efi's marker string and
 * tag, with an Authenticode table when signed. */
static void make_loader(const char *path, const char *tag, int is_ramhost, int signed_pe)
{
	uint8_t b[4096] = { 'M', 'Z' };
	const uint32_t pe = 0x80, opt = pe + 24;

	b[0x3c] = (uint8_t)pe;
	memcpy(b + pe, "PE\0\0", 4);
	b[pe + 4] = 0x64;
	b[pe + 5] = 0x86;
	b[pe + 20] = 240;               /* SizeOfOptionalHeader (PE32+ with 16 data directories) */
	b[opt] = 0x0b;
	b[opt + 1] = 0x02;
	b[opt + 68] = 10;
	b[opt + 108] = 16;               /* NumberOfRvaAndSizes */
	if (signed_pe) {
		b[opt + 112 + 32] = 0x00;    /* certificate table: at 0x800, 0x100 bytes */
		b[opt + 112 + 33] = 0x08;
		b[opt + 112 + 37] = 0x01;
	}
	snprintf((char *)b + 0x400, 256, "%s %s", is_ramhost ? "ramhost UEFI loader" : "another loader", tag);
	put_file(path, b, sizeof(b));
}

/* A bootbank of two tiny files with their hashes, as disk_build checks it. */
static void make_bank(const char *dir)
{
	char cfg[512], p[600];
	uint8_t hk[32], hm[32];
	char xk[65], xm[65];

	mkdir(dir, 0755);
	snprintf(p, sizeof(p), "%s/vmlinuz", dir);
	put_file(p, "kernel\n", 7);
	sha256_buf("kernel\n", 7, hk);
	snprintf(p, sizeof(p), "%s/init.cpio", dir);
	put_file(p, "init\n", 5);
	sha256_buf("init\n", 5, hm);
	sha256_to_hex(hk, xk);
	sha256_to_hex(hm, xm);
	snprintf(cfg, sizeof(cfg), "title=t\nbuild=1.0\nkernel=vmlinuz\nmodules=init.cpio\nkernelopt=console=ttyS0\n"
				   "hash.vmlinuz=sha256:%s\nhash.init.cpio=sha256:%s\n", xk, xm);
	snprintf(p, sizeof(p), "%s/boot.cfg", dir);
	put_file(p, cfg, strlen(cfg));
}

struct fixture {
	char disk[PATH_MAX], before[PATH_MAX + 8], loader[PATH_MAX];
	struct rdisk d;
	struct scan_report *scan;
	struct repair_ctx c;
	struct wset w;
};

static void fill_fat(struct scan_fat *f, const struct gpt_part *p)
{
	f->exists = 1;
	f->partno = p->number;
	f->start = p->first_lba;
	f->sectors = p->last_lba - p->first_lba + 1;
	f->fs_ok = 1;
	f->backup_boot = 1; /* the banks are FAT16 (-1), but "same" reads the same to the ops */
}

/* The scan facts the ops read: the partitions by GPT name. */
static void fill_scan(struct fixture *x)
{
	struct gpt_disk *g = calloc(1, sizeof(*g));

	CHECK(g && gpt_read(rdisk_read_cb, &x->d, x->d.sector, x->d.sectors, g) == 0);
	for (unsigned i = 0; g && i < g->nparts; i++) {
		const struct gpt_part *p = &g->parts[i];
		if (!strcmp(p->name, "ESP"))
			fill_fat(&x->scan->esp.fat, p);
		else if (!strcmp(p->name, "bootbank") || !strcmp(p->name, "altbootbank")) {
			int b = !strcmp(p->name, "altbootbank");
			fill_fat(&x->scan->bank[b].fat, p);
			x->scan->bank[b].number = b + 1;
		} else if (!strcmp(p->name, "state")) {
			x->scan->state.exists = 1;
			x->scan->state.partno = p->number;
			x->scan->state.fs_ok = 1;
		}
	}
	x->scan->gpt.have = 1;
	x->scan->is_ramhost = x->scan->bank[0].fat.exists;
	if (g)
		x->scan->gpt.disk = *g;
	x->scan->sector = x->d.sector;
	x->scan->esp.chain_bank = 1;
	free(g);
}

/* A copy of the fresh disk as name, damaged by cmd (a shell command; %s is the disk, used up to twice), then
 * opened with its scan facts; before is a copy of the damaged disk. */
static void setup(struct fixture *x, const char *name, const char *cmd)
{
	struct rh_err err = { 0 };

	memset(x, 0, sizeof(*x));
	snprintf(x->disk, sizeof(x->disk), "%s", at(name));
	snprintf(x->before, sizeof(x->before), "%s.before", x->disk);
	CHECK(sh("cp --sparse=always '%s' '%s'", fresh_disk, x->disk) == 0);
	if (cmd)
		CHECK(sh(cmd, x->disk, x->disk) == 0);
	CHECK(sh("cp --sparse=always '%s' '%s'", x->disk, x->before) == 0);
	x->scan = calloc(1, sizeof(*x->scan));
	CHECK(x->scan && rdisk_open(x->disk, 0, 0, &x->d, &err) == 0);
	if (!x->scan)
		return;
	fill_scan(x);
	x->c.d = &x->d;
	x->c.scan = x->scan;
	snprintf(x->loader, sizeof(x->loader), "%s", at("ramhost.efi"));
	x->c.loader = x->loader;
	x->c.work = top;
	wset_init(&x->w);
}

static void teardown(struct fixture *x)
{
	rdisk_close(&x->d);
	wset_free(&x->w);
	free(x->scan);
	unlink(x->disk);
	unlink(x->before);
}

/* 1 when the disk and before differ exactly inside w's extents: outside them every byte is the same. */
static int only_extents_changed(const struct fixture *x)
{
	int a = open(x->disk, O_RDONLY), b = open(x->before, O_RDONLY), ok = a >= 0 && b >= 0;
	static uint8_t ba[1 << 20], bb[1 << 20];
	size_t e = 0;

	for (uint64_t off = 0; ok && off < x->d.size; off += sizeof(ba)) {
		size_t n = x->d.size - off < sizeof(ba) ? (size_t)(x->d.size - off) : sizeof(ba);
		ok = rh_pread_all(a, ba, n, off) == 0 && rh_pread_all(b, bb, n, off) == 0;
		for (size_t i = 0; ok && i < n; i++) {
			uint64_t p = off + i;
			while (e < x->w.next && x->w.ext[e].off + x->w.ext[e].len <= p)
				e++;
			int inside = e < x->w.next && x->w.ext[e].off <= p;
			if (!inside && ba[i] != bb[i]) {
				fprintf(stderr, "  byte %" PRIu64 " changed outside the write set\n", p);
				ok = 0;
			}
		}
	}
	close(a);
	close(b);
	return ok;
}

/* Applies w through the backup (then the disk is reopened read-only for the next op, as a new run would). */
static int apply(struct fixture *x, char *dir)
{
	struct backup_opts o = { NULL, NULL, NULL };
	struct rh_err err = { 0 };
	char parent[PATH_MAX];
	int rc;

	snprintf(parent, sizeof(parent), "%s/backups", top);
	o.parent = parent;
	rc = backup_apply(&x->d, &x->w, &o, dir, &err);
	if (rc < 0)
		fprintf(stderr, "  apply: %s\n", err.msg);
	return rc;
}

/* Runs fsck.fat -n on partition f of the disk (a staged copy: no loop device, no mount). */
static int fsck_clean(struct fixture *x, const struct scan_fat *f)
{
	struct rh_err err = { 0 };
	struct stage s = { 0 };
	int rc;

	rc = stage_open(&x->d, NULL, OP_PART_BASE(f, x->d.sector), OP_PART_LEN(f, x->d.sector), "p", top, &s, &err);
	if (!rc)
		rc = sh("fsck.fat -n '%s' >/dev/null 2>&1", s.path);
	stage_close(&s);
	return rc == 0;
}

/* mdir of path in partition f of the disk finds it. */
static int fat_has(const struct fixture *x, const struct scan_fat *f, const char *path)
{
	return sh("MTOOLS_SKIP_CHECK=1 mdir -a -b -i '%s@@%" PRIu64 "' '::%s' >/dev/null 2>&1", x->disk,
		  OP_PART_BASE(f, x->d.sector), path) == 0;
}

#define MDEL "MTOOLS_SKIP_CHECK=1 mattrib -r -s -h -i '%%s@@%" PRIu64 "' ::%s && MTOOLS_SKIP_CHECK=1 mdel -i '%%s@@%" \
	     PRIu64 "' ::%s"

static void bios_intact(void)
{
	struct rh_err err = { 0 };
	struct fixture x;

	setup(&x, "intact.img", NULL);
	CHECK(op_install_bios(&x.c, "", NULL, &x.w, &err) == -EALREADY);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(wset_empty(&x.w));
	x.d.sector = 4096; /* as a 4Kn disk would be: no BIOS boot there */
	CHECK(op_install_bios(&x.c, "", NULL, &x.w, &err) == -EOPNOTSUPP && strstr(err.msg, "UEFI only"));
	x.d.sector = 512;
	teardown(&x);
}

static void bios_bank_ldlinux_deleted(void)
{
	struct backup_undo_result r;
	struct rh_err err = { 0 };
	char cmd[1024], dir[PATH_MAX];
	struct fixture x;
	uint64_t bank1 = 133120ull * 512;

	snprintf(cmd, sizeof(cmd), MDEL, bank1, "/syslinux/ldlinux.sys", bank1, "/syslinux/ldlinux.sys");
	setup(&x, "noldlinux.img", cmd);
	CHECK(!fat_has(&x, &x.scan->bank[0].fat, "/syslinux/ldlinux.sys"));
	CHECK(op_install_bios(&x.c, "", NULL, &x.w, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(x.w.next > 0 && x.w.nfile >= 1 && !strcmp(x.w.file[0].part, "p2 (bank 1)"));
	for (size_t i = 0; i < x.w.next; i++) /* only bank 1 changes */
		CHECK(x.w.ext[i].off >= bank1 && x.w.ext[i].off < bank1 + (64u << 20) &&
		      !strncmp(x.w.ext[i].why, "p2 (bank 1) SYSLINUX", 20));
	CHECK(apply(&x, dir) == 0);
	CHECK(fat_has(&x, &x.scan->bank[0].fat, "/syslinux/ldlinux.sys"));
	CHECK(fsck_clean(&x, &x.scan->bank[0].fat));
	CHECK(only_extents_changed(&x));
	wset_free(&x.w);
	CHECK(op_install_bios(&x.c, "", NULL, &x.w, &err) == -EALREADY);
	/* undo: the damaged bytes exactly */
	CHECK(backup_undo(dir, x.disk, NULL, 0, &r, &err) == 0 && r.extents > 0);
	CHECK(sh("cmp -s '%s' '%s'", x.disk, x.before) == 0);
	teardown(&x);
}

static void bios_attribute_cleared(void)
{
	struct rh_err err = { 0 };
	char dir[PATH_MAX];
	struct fixture x;
	int gpt = 0;

	setup(&x, "noattr.img", "sgdisk -A 1:clear:2 '%s' >/dev/null");
	CHECK(op_install_bios(&x.c, "", NULL, &x.w, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	for (size_t i = 0; i < x.w.next; i++)
		gpt += !strncmp(x.w.ext[i].why, "GPT ", 4);
	CHECK(gpt == 4 && x.w.next == 4); /* main and backup: header + the entry's sector each */
	CHECK(apply(&x, dir) == 0);
	CHECK(sh("sgdisk -v '%s' | grep -q '^No problems found'", x.disk) == 0);
	CHECK(sh("sgdisk -i 1 '%s' | grep -qx 'Attribute flags: 0000000000000004'", x.disk) == 0);
	CHECK(only_extents_changed(&x));
	teardown(&x);
}

static void uefi_fallback_deleted(void)
{
	struct rh_err err = { 0 };
	char cmd[1024], dir[PATH_MAX];
	struct fixture x;
	uint64_t esp = 2048ull * 512;

	snprintf(cmd, sizeof(cmd), MDEL, esp, "/EFI/BOOT/BOOTX64.EFI", esp, "/EFI/BOOT/BOOTX64.EFI");
	setup(&x, "noefi.img", cmd);
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(x.w.nfile == 1 && !strcmp(x.w.file[0].action, "write") && !strcmp(x.w.file[0].path,
										  "/EFI/BOOT/BOOTX64.EFI"));
	CHECK(apply(&x, dir) == 0);
	CHECK(sh("MTOOLS_SKIP_CHECK=1 mcopy -n -i '%s@@%" PRIu64 "' ::/EFI/BOOT/BOOTX64.EFI '%s' && cmp -s '%s' '%s'",
		 x.disk, esp, at("out.efi"), at("out.efi"), at("ramhost.efi")) == 0);
	CHECK(fsck_clean(&x, &x.scan->esp.fat));
	CHECK(only_extents_changed(&x));
	wset_free(&x.w);
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == -EALREADY);
	teardown(&x);
}

/* A newer ramhost.efi replaces the old one; another system's fallback only with force; under Secure Boot only a
 * signed loader. */
static void uefi_replace_rules(void)
{
	struct rh_err err = { 0 };
	struct fixture x;
	char cmd[1024];

	make_loader(at("newer.efi"), "v2", 1, 0);
	make_loader(at("signed.efi"), "v2", 1, 1);
	make_loader(at("foreign.efi"), "shim", 0, 0);
	setup(&x, "uefi.img", NULL);
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == -EALREADY);
	snprintf(x.loader, sizeof(x.loader), "%s", at("newer.efi"));
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == 0 && !strcmp(x.w.file[0].action, "replace"));
	wset_free(&x.w);
	x.scan->efi.secure_boot = 1;
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == -EPERM && strstr(err.msg, "Secure Boot"));
	rh_err_clear(&err);
	snprintf(x.loader, sizeof(x.loader), "%s", at("signed.efi"));
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == 0);
	wset_free(&x.w);
	teardown(&x);

	snprintf(cmd, sizeof(cmd), "MTOOLS_SKIP_CHECK=1 mcopy -o -i '%%s@@%" PRIu64 "' '%s' ::/EFI/BOOT/BOOTX64.EFI",
		 (uint64_t)2048 * 512, at("foreign.efi"));
	setup(&x, "foreign.img", cmd);
	/* a ramhost disk: its fallback path is ramhost's */
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == 0 && !strcmp(x.w.file[0].action, "replace") &&
	      strstr(x.w.file[0].detail, "replaces another loader"));
	wset_free(&x.w);
	/* not a ramhost disk: another system's loader, only with force */
	x.scan->is_ramhost = 0;
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == -EPERM);
	CHECK(strstr(err.msg, "p1 (ESP)") && strstr(err.msg, "another system's loader"));
	rh_err_clear(&err);
	x.c.force = 1;
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == 0 && wset_bytes(&x.w) > 0);
	snprintf(x.loader, sizeof(x.loader), "%s", at("foreign.efi")); /* the media's loader must be a ramhost.efi */
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == -EINVAL && strstr(err.msg, "not a ramhost.efi"));
	rh_err_clear(&err);
	x.c.loader = NULL; /* no media */
	CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == -ENOENT);
	teardown(&x);
}

/* A media boot.cfg with build= b (the rest a minimal bootbank's). */
static void media_build(const char *dir, const char *b)
{
	char cfg[256], p[PATH_MAX + 16];

	mkdir(dir, 0755);
	snprintf(cfg, sizeof(cfg), "title=t\nbuild=%s\nkernel=vmlinuz\nmodules=init.cpio\n", b);
	snprintf(p, sizeof(p), "%s/boot.cfg", dir);
	put_file(p, cfg, strlen(cfg));
}

/* The media's loader goes on a disk whose bank holds the same image at the same version or an older one; an older
 * media or another image's only with force; a NAME holding '-' splits right; versions compare as numbers. */
static void uefi_media_build(void)
{
	static const struct {
		const char *media, *bank;
		int rc;
	} t[] = {
		{ "demo-1.0", "demo-1.0", 0 },          { "demo-1.10", "demo-1.9", 0 },
		{ "demo-1.9", "demo-1.10", -EPERM },    { "my-image-2.0", "my-image-1.0-3", 0 },
		{ "other-1.0", "demo-1.0", -EPERM },    { "demo-2.0", "demonstration-1.0", -EPERM },
	};
	struct rh_err err = { 0 };
	char media[PATH_MAX];
	struct fixture x;
	size_t i;

	make_loader(at("newer.efi"), "v3", 1, 0);
	setup(&x, "media.img", NULL);
	snprintf(x.loader, sizeof(x.loader), "%s", at("newer.efi"));
	snprintf(media, sizeof(media), "%s", at("media"));
	x.c.media = media;
	x.scan->bank[0].cfg_present = 1;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		media_build(media, t[i].media);
		snprintf(x.scan->bank[0].build, sizeof(x.scan->bank[0].build), "%s", t[i].bank);
		wset_free(&x.w);
		rh_err_clear(&err);
		x.c.force = 0;
		CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == t[i].rc);
		if (t[i].rc) {
			CHECK(strstr(err.msg, t[i].media) && strstr(err.msg, t[i].bank) && strstr(err.msg, "--force"));
			wset_free(&x.w);
			x.c.force = 1;
			CHECK(op_install_uefi(&x.c, "", NULL, &x.w, &err) == 0);
		}
	}
	teardown(&x);
}

static void fsck_intact(void)
{
	struct rh_err err = { 0 };
	struct fixture x;

	setup(&x, "fsck-intact.img", NULL);
	CHECK(op_fsck(&x.c, "", NULL, &x.w, &err) == -EALREADY);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(wset_empty(&x.w));
	/* asked for by name: checked (staged) whatever the scan said, and still nothing to write */
	CHECK(op_fsck(&x.c, "esp", NULL, &x.w, &err) == -EALREADY && op_fsck(&x.c, "bank2", NULL, &x.w, &err) ==
	      -EALREADY && op_fsck(&x.c, "state", NULL, &x.w, &err) == -EALREADY);
	CHECK(wset_empty(&x.w));
	rh_err_clear(&err);
	CHECK(op_fsck(&x.c, "bank7", NULL, &x.w, &err) == -ENOENT && strstr(err.msg, "bank7"));
	teardown(&x);
}

static void fsck_esp_sector0_zeroed(void)
{
	struct backup_undo_result r;
	struct rh_err err = { 0 };
	char dir[PATH_MAX];
	struct fixture x;

	setup(&x, "zero0.img", "dd if=/dev/zero of='%s' bs=512 seek=2048 count=1 conv=notrunc status=none");
	x.scan->esp.fat.fs_ok = 0;
	x.scan->esp.fat.boot_sector_from_backup = 1;
	CHECK(op_fsck(&x.c, "", NULL, &x.w, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(x.w.next >= 1 && x.w.ext[0].off == 2048 * 512 && x.w.ext[0].len == 512 &&
	      strstr(x.w.ext[0].why, "p1 (ESP) boot sector from its backup"));
	CHECK(apply(&x, dir) == 0);
	CHECK(fsck_clean(&x, &x.scan->esp.fat));
	CHECK(fat_has(&x, &x.scan->esp.fat, "/EFI/BOOT/BOOTX64.EFI"));
	CHECK(only_extents_changed(&x));
	CHECK(sh("cmp -s -n 512 -i %d:%d '%s' '%s'", 2048 * 512, 2054 * 512, x.disk, x.disk) == 0);
	CHECK(backup_undo(dir, x.disk, NULL, 0, &r, &err) == 0 && sh("cmp -s '%s' '%s'", x.disk, x.before) == 0);
	teardown(&x);
}

/* Power cut while the ESP was written: FAT 1's clean bit cleared (dirty) and so different from FAT 2; and the
 * state partition's block bitmap wrong (a free block marked used), which only a full check finds. */
static void fsck_dirty_fats_differ(void)
{
	uint8_t bs[512];
	struct rh_err err = { 0 };
	char cmd[1024], dir[PATH_MAX];
	struct fixture x;
	uint64_t esp = 2048ull * 512, fat1;
	int fd = open(fresh_disk, O_RDONLY), esp_ext = 0, state_ext = 0;

	CHECK(fd >= 0 && pread(fd, bs, sizeof(bs), (off_t)esp) == (ssize_t)sizeof(bs));
	close(fd);
	fat1 = esp + (uint64_t)(bs[14] | bs[15] << 8) * 512;
	snprintf(cmd, sizeof(cmd), "printf '\\007' | dd of='%%s' bs=1 seek=%" PRIu64 " conv=notrunc status=none && "
		 "debugfs -w -R 'setb 9000' '%%s?offset=%llu' >/dev/null 2>&1", fat1 + 7, 395264ull * 512);
	setup(&x, "dirty.img", cmd);
	CHECK(!fsck_clean(&x, &x.scan->esp.fat));
	x.scan->esp.fat.dirty = x.scan->esp.fat.fats_differ = 1;
	CHECK(op_fsck(&x.c, "", NULL, &x.w, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	for (size_t i = 0; i < x.w.next; i++) {
		esp_ext += !strncmp(x.w.ext[i].why, "p1 (ESP) fsck.fat", 17);
		state_ext += !strncmp(x.w.ext[i].why, "p4 (state) e2fsck", 17);
	}
	CHECK(esp_ext > 0 && state_ext > 0 && x.w.next == (size_t)(esp_ext + state_ext));
	CHECK(apply(&x, dir) == 0);
	CHECK(fsck_clean(&x, &x.scan->esp.fat));
	CHECK(only_extents_changed(&x));
	CHECK(sh("e2fsck -n -f '%s?offset=%llu' >/dev/null 2>&1", x.disk, 395264ull * 512) == 0);
	wset_free(&x.w);
	CHECK(op_fsck(&x.c, "esp", NULL, &x.w, &err) == -EALREADY && op_fsck(&x.c, "state", NULL, &x.w, &err) ==
	      -EALREADY);
	teardown(&x);
}

/* The FAT32 backup boot sector differs from sector 0 (fsck.fat -a leaves that): fsck copies sector 0 over it. */
static void fsck_backup_boot_differs(void)
{
	struct rh_err err = { 0 };
	char dir[PATH_MAX];
	struct fixture x;

	setup(&x, "bkdiff.img", "printf X | dd of='%s' bs=1 seek=$((2054 * 512 + 100)) conv=notrunc status=none");
	x.scan->esp.fat.backup_boot = 0;
	CHECK(op_fsck(&x.c, "", NULL, &x.w, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(x.w.next == 1 && x.w.ext[0].off == 2054 * 512 && x.w.ext[0].len == 512);
	CHECK(apply(&x, dir) == 0);
	CHECK(sh("cmp -s -n 512 -i %d:%d '%s' '%s'", 2048 * 512, 2054 * 512, x.disk, x.disk) == 0);
	CHECK(only_extents_changed(&x));
	teardown(&x);
}

/* The configs SYSLINUX needs: bank 1's syslinux.cfg and the ESP's chain config and chain.c32 deleted; made again
 * byte for byte as `image disk` made them. */
static void bios_configs_deleted(void)
{
	struct rh_err err = { 0 };
	char cmd[2048], dir[PATH_MAX];
	struct fixture x;
	uint64_t esp = 2048ull * 512, bank1 = 133120ull * 512;

	snprintf(cmd, sizeof(cmd), "MTOOLS_SKIP_CHECK=1 mdel -i '%%s@@%" PRIu64 "' ::/syslinux/syslinux.cfg "
		 "::/syslinux/chain.c32 && MTOOLS_SKIP_CHECK=1 mdel -i '%%s@@%" PRIu64 "' ::/syslinux/syslinux.cfg",
		 esp, bank1);
	setup(&x, "nocfg.img", cmd);
	CHECK(op_install_bios(&x.c, "", NULL, &x.w, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(apply(&x, dir) == 0);
	CHECK(only_extents_changed(&x));
	CHECK(fsck_clean(&x, &x.scan->esp.fat) && fsck_clean(&x, &x.scan->bank[0].fat));
	for (int i = 0; i < 3; i++) {
		static const char *const files[] = { "/syslinux/syslinux.cfg", "/syslinux/chain.c32",
						     "/syslinux/syslinux.cfg" };
		uint64_t off = i < 2 ? esp : bank1;
		CHECK(sh("MTOOLS_SKIP_CHECK=1 mcopy -n -i '%s@@%" PRIu64 "' ::%s '%s' && MTOOLS_SKIP_CHECK=1 mcopy -n -i "
			 "'%s@@%" PRIu64 "' ::%s '%s' && cmp '%s' '%s'", x.disk, off, files[i], at("got"), fresh_disk, off,
			 files[i], at("want"), at("got"), at("want")) == 0);
	}
	teardown(&x);
}

/* A plan of two repairs on one ESP: its boot sector zeroed and its ldlinux.sys deleted. fsck restores the boot
 * sector; install-bios, given fsck's writes as pending, builds on them; the merged set repairs both. */
static void plan_fsck_then_bios(void)
{
	struct rh_err err = { 0 };
	char cmd[1024], dir[PATH_MAX];
	struct wset all;
	struct fixture x;
	uint64_t esp = 2048ull * 512;

	snprintf(cmd, sizeof(cmd), MDEL " && dd if=/dev/zero of='%%s' bs=512 seek=2048 count=1 conv=notrunc "
		 "status=none", esp, "/syslinux/ldlinux.sys", esp, "/syslinux/ldlinux.sys");
	/* MDEL takes the disk twice, dd once more: setup passes it twice, so run the rest here */
	setup(&x, "plan.img", NULL);
	CHECK(sh(cmd, x.disk, x.disk, x.disk) == 0);
	CHECK(sh("cp --sparse=always '%s' '%s'", x.disk, x.before) == 0);
	x.scan->esp.fat.fs_ok = 0;
	x.scan->esp.fat.boot_sector_from_backup = 1;
	CHECK(op_fsck(&x.c, "esp", NULL, &x.w, &err) == 0);
	wset_init(&all);
	CHECK(wset_merge(&all, &x.w, &err) == 0);
	wset_free(&x.w);
	CHECK(op_install_bios(&x.c, "", &all, &x.w, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(x.w.nfile >= 1 && !strcmp(x.w.file[0].part, "p1 (ESP)"));
	CHECK(wset_merge(&all, &x.w, &err) == 0);
	wset_free(&x.w);
	x.w = all;
	CHECK(apply(&x, dir) == 0);
	CHECK(fsck_clean(&x, &x.scan->esp.fat));
	CHECK(fat_has(&x, &x.scan->esp.fat, "/syslinux/ldlinux.sys"));
	CHECK(only_extents_changed(&x));
	teardown(&x);
}

static int make_fresh_disk(void)
{
	struct disk_opts o;
	struct rh_err err = { 0 };
	static char disk[PATH_MAX];

	memset(&o, 0, sizeof(o));
	make_bank(at("bank"));
	make_loader(at("ramhost.efi"), "v1", 1, 0);
	o.efi.loader = at("ramhost.efi");
	snprintf(disk, sizeof(disk), "%s", at("fresh.img"));
	if (disk_build(NULL, at("bank"), disk, &o, &err) < 0) {
		fprintf(stderr, "disk_build: %s\n", err.msg);
		return -1;
	}
	fresh_disk = disk;
	return 0;
}

int main(void)
{
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	snprintf(top, sizeof(top), "%s/test_rescue_ops.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top) || make_fresh_disk() < 0) {
		fs_rm_rf(top, NULL);
		return 1;
	}
	RUN(bios_intact);
	RUN(bios_bank_ldlinux_deleted);
	RUN(bios_attribute_cleared);
	RUN(bios_configs_deleted);
	RUN(uefi_fallback_deleted);
	RUN(uefi_replace_rules);
	RUN(uefi_media_build);
	RUN(fsck_intact);
	RUN(fsck_esp_sector0_zeroed);
	RUN(fsck_dirty_fats_differ);
	RUN(fsck_backup_boot_differs);
	RUN(plan_fsck_then_bios);
	fs_rm_rf(top, NULL);
	UNIT_EXIT();
}
