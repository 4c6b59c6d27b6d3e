/* op_boot.c: the boot loaders of a ramhost disk: `install-bios` (SYSLINUX on the ESP and on each bank, chain.c32 &
 * co and the chain config on the ESP, a bank's syslinux.cfg from its boot.cfg, the legacy BIOS bootable attribute
 * of the ESP in both GPT copies) and
 * `install-uefi` (the fallback loader /EFI/BOOT/BOOTX64.EFI from the rescue media). See ops.h.
 *
 * Both work on staged copies of the partitions (stage.h) with the usual tools (fatimg.h: mtools, syslinux
 * --offset 0, which keeps the BPB's hidden-sector count as the disk had it), and add the changed sectors to the
 * write set. Nothing under /EFI other than /EFI/BOOT/BOOTX64.EFI is touched. */
#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootcfg.h"
#include "bootloader/bank_dir.h"
#include "bootloader/esp_chain.h"
#include "bootloader/syslinux_cfg.h"
#include "fileio.h"
#include "fs.h"
#include "gpt.h"
#include "gpt_write.h"
#include "scan_int.h"
#include "sha256.h"
#include "stage.h"
#include "vib/version.h"

#define BOOT_BIOS_DIR "/usr/lib/syslinux/modules/bios"
#define BOOT_FALLBACK "/EFI/BOOT/BOOTX64.EFI"
#define BOOT_LOADER_MAX (64u << 20)
#define BOOT_GPT_ARRAY_MAX (1u << 20)

/* The ESP's own modules for its chain config (what image-builder/disk.c puts there). */
static const char *const esp_c32[] = { "libcom32.c32", "libutil.c32", "chain.c32" };

/* "p1 (ESP)" / "p2 (bank 1)": how messages and the write set name a partition. */
static void part_label(const struct scan_fat *f, int bank, char *buf, size_t cap)
{
	if (bank)
		snprintf(buf, cap, "p%" PRIu32 " (bank %d)", f->partno, bank);
	else
		snprintf(buf, cap, "p%" PRIu32 " (ESP)", f->partno);
}

static int stage_part(struct repair_ctx *c, const struct wset *pending, const struct scan_fat *f, const char *label,
		      struct stage *s, struct rh_err *err)
{
	uint32_t sec = c->d->sector;

	return stage_open(c->d, pending, OP_PART_BASE(f, sec), OP_PART_LEN(f, sec), label, c->work, s, err);
}

static int read_boot_sector(const struct stage *s, uint8_t out[512], struct rh_err *err)
{
	int fd, rc = rh_open_input_as(s->path, "the staged copy", &fd, err);

	if (rc < 0)
		return rc;
	rc = rh_pread_all(fd, out, 512, 0);
	close(fd);
	return rc < 0 ? rh_errf(err, rc, "%s: cannot read the staged boot sector", s->label) : 0;
}

/* The boot code of two SYSLINUX boot sectors is the same but for the few bytes the installer patches with where
 * ldlinux.sys lies: at most 8 of the bytes after the FAT16 BPB (62..509) differ. */
static int same_boot_code(const uint8_t *a, const uint8_t *b)
{
	unsigned diff = 0;

	if (memcmp(a + 3, "SYSLINUX", 8) || memcmp(b + 3, "SYSLINUX", 8))
		return 0;
	for (unsigned i = 62; i < 510; i++)
		diff += a[i] != b[i];
	return diff <= 8;
}

/* Writes text[0..n) as the file dst of the staged file system f (through a temporary beside the copy). */
static int put_text(const struct fatimg *f, const char *text, size_t n, const char *dst, struct rh_err *err)
{
	char tmp[PATH_MAX + 8];
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.txt", f->image);
	rc = fs_write_file(tmp, text, n, 0600, err);
	if (!rc)
		rc = fatimg_copy(f, tmp, dst, err);
	unlink(tmp);
	return rc;
}

/* The ESP's chain modules and syslinux.cfg when missing; *ret_added counts what was added. */
static int esp_extras(struct repair_ctx *c, const struct fatimg *f, const char *label, struct wset *w,
		      int *ret_added, struct rh_err *err)
{
	const char *bios = c->syslinux_bios ? c->syslinux_bios : BOOT_BIOS_DIR;
	char src[PATH_MAX], dst[64], text[1024];
	int rc = 0, bank = c->scan->esp.chain_bank ? c->scan->esp.chain_bank : 1;
	long n;

	for (size_t i = 0; i < sizeof(esp_c32) / sizeof(esp_c32[0]) && !rc; i++) {
		snprintf(dst, sizeof(dst), "/syslinux/%s", esp_c32[i]);
		if (fatimg_exists(f, dst))
			continue;
		rc = fs_join(src, sizeof(src), bios, esp_c32[i], err);
		if (!rc)
			rc = fatimg_copy(f, src, dst, err);
		if (!rc)
			rc = wset_add_file(w, label, dst, "write", 0, "SYSLINUX module, from the rescue host", err);
		++*ret_added;
	}
	if (rc || fatimg_exists(f, "/" ESP_CHAIN_CFG))
		return rc;
	n = esp_chain_format(NULL, bank, text, sizeof(text));
	if (n < 0)
		return rh_errf(err, (int)n, "%s: cannot write a chain config for bank %d", label, bank);
	rc = put_text(f, text, (size_t)n, "/" ESP_CHAIN_CFG, err);
	if (!rc)
		rc = wset_add_file(w, label, "/" ESP_CHAIN_CFG, "write", (uint64_t)n, "chains to the bank", err);
	++*ret_added;
	return rc;
}

/* The partition's unique GUID (lowercase text) from the scan's GPT, "" when unknown. */
static void part_guid(const struct repair_ctx *c, uint32_t partno, char out[37])
{
	const struct gpt_disk *g = &c->scan->gpt.disk;

	out[0] = '\0';
	for (unsigned i = 0; c->scan->gpt.have && i < g->nparts; i++)
		if (g->parts[i].number == partno)
			gpt_guid_to_str(g->parts[i].unique_guid, out);
}

/* A bank's /syslinux/syslinux.cfg when it is missing, made from the bank's boot.cfg as image-builder/disk.c makes
 * it (ramhost.bank=N, ramhost.bankuuid= this partition's GUID). A bank without a boot.cfg that parses is left:
 * rebuild-cfg or reinstall-bank first. */
static int bank_cfg(struct repair_ctx *c, const struct fatimg *f, const struct scan_fat *fat, int bank,
		    const char *label, struct wset *w, int *ret_added, struct rh_err *err)
{
	struct syslinux_cfg_opts so = { "", (unsigned)bank, BANK_DIR_BOOTCFG_MODULE, "0 115200", NULL, NULL, NULL };
	struct bootcfg *cfg = NULL;
	char tmp[PATH_MAX + 8], guid[37], *buf = NULL, text[8192];
	size_t len = 0;
	long n;
	int rc = 0;

	if (fatimg_exists(f, "/syslinux/syslinux.cfg") || !fatimg_exists(f, "/boot.cfg"))
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.cfg", f->image);
	cfg = malloc(sizeof(*cfg));
	if (!cfg || fatimg_get(f, "/boot.cfg", tmp, NULL) < 0 || rh_read_file(tmp, 1u << 20, &buf, &len, NULL) < 0 ||
	    bootcfg_parse(buf, len, cfg, NULL) < 0)
		goto out;
	part_guid(c, fat->partno, guid);
	so.bankuuid = guid[0] ? guid : NULL;
	n = syslinux_cfg_format(cfg, &so, text, sizeof(text));
	if (n < 0) {
		rc = rh_errf(err, (int)n, "%s: cannot express its boot.cfg in a syslinux config", label);
		goto out;
	}
	rc = put_text(f, text, (size_t)n, "/syslinux/syslinux.cfg", err);
	if (!rc)
		rc = wset_add_file(w, label, "/syslinux/syslinux.cfg", "write", (uint64_t)n,
				   "boots this bank, made from its boot.cfg", err);
	++*ret_added;
out:
	unlink(tmp);
	free(buf);
	free(cfg);
	return rc;
}

/* SYSLINUX on one FAT partition (bank 0: the ESP), and the configs and modules it needs there. -EALREADY when
 * ldlinux.sys and ldlinux.c32 are there, the boot sector holds SYSLINUX's code and nothing else was missing. */
static int bios_one(struct repair_ctx *c, const struct wset *pending, const struct scan_fat *fat, int bank,
		    struct wset *w, struct rh_err *err)
{
	uint8_t before[512], after[512];
	struct stage s = { 0 };
	struct fatimg f;
	char label[24];
	int rc, had, added = 0;

	part_label(fat, bank, label, sizeof(label));
	rc = stage_part(c, pending, fat, label, &s, err);
	if (rc < 0)
		return rc;
	f = stage_fatimg(&s);
	had = fatimg_exists(&f, "/syslinux/ldlinux.sys") && fatimg_exists(&f, "/syslinux/ldlinux.c32");
	rc = read_boot_sector(&s, before, err);
	if (!rc)
		rc = fatimg_install_syslinux(&f, "/syslinux", err);
	if (!rc && !bank)
		rc = esp_extras(c, &f, label, w, &added, err);
	if (!rc && bank)
		rc = bank_cfg(c, &f, fat, bank, label, w, &added, err);
	if (!rc)
		rc = read_boot_sector(&s, after, err);
	if (!rc && had && !added && same_boot_code(before, after))
		rc = -EALREADY;
	if (!rc)
		rc = stage_diff(c->d, pending, &s, "SYSLINUX", w, err);
	if (!rc)
		rc = wset_add_file(w, label, "/syslinux/ldlinux.sys", had ? "replace" : "write", 0,
				   "SYSLINUX boot sector, ldlinux.sys and ldlinux.c32 (syslinux --install)", err);
	if (rc < 0 && rc != -EALREADY)
		rh_err_prefix(err, rc, "%s", label);
	stage_close(&s);
	return rc;
}

/* Reads the disk as pending leaves it (a gpt_read_fn). */
struct pending_disk {
	const struct rdisk *d;
	const struct wset *pending;
};

static int pending_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	const struct pending_disk *p = ctx;

	return stage_read(p->d, p->pending, off, buf, len, NULL);
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* Sets the legacy BIOS bootable bit of entry partno in the GPT copy whose header is at LBA lba, when that header
 * verifies (signature, header CRC, an entry array inside the disk): the entry's sector and the header (its
 * entry-array CRC and own CRC recomputed) go to w. A copy that does not verify is left to fix-gpt. */
static int set_bootable(struct repair_ctx *c, const struct wset *pending, uint64_t lba, uint32_t partno,
			const char *what, struct wset *w, int *changed, struct rh_err *err)
{
	uint32_t sec = c->d->sector, crc;
	uint8_t *hdr = malloc(sec), *arr = NULL;
	uint64_t bytes, asize, eoff, esec;
	struct gpt_hdr h;
	char why[WSET_WHY];
	int rc = 0;

	if (!hdr)
		return rh_errf(err, -ENOMEM, "GPT: out of memory");
	if (lba >= c->d->sectors || stage_read(c->d, pending, lba * sec, hdr, sec, NULL) < 0 ||
	    gpt_hdr_get(hdr, sec, &h) < 0)
		goto out;
	crc = (uint32_t)get_le(hdr + 16, 4);
	bytes = (uint64_t)h.num_entries * h.entry_size;
	if (h.entry_size < 128 || partno == 0 || partno > h.num_entries || !bytes || bytes > BOOT_GPT_ARRAY_MAX ||
	    h.entries_lba >= c->d->sectors || (bytes + sec - 1) / sec > c->d->sectors - h.entries_lba)
		goto out;
	memset(hdr + 16, 0, 4);
	if (gpt_crc32(0, hdr, h.header_size) != crc)
		goto out;
	asize = (bytes + sec - 1) / sec * sec;
	arr = malloc((size_t)asize);
	if (!arr || stage_read(c->d, pending, h.entries_lba * sec, arr, (size_t)asize, err) < 0) {
		rc = rh_errf(err, -ENOMEM, "GPT %s: cannot read its entries", what);
		goto out;
	}
	eoff = (uint64_t)(partno - 1) * h.entry_size;
	esec = eoff / sec * sec;
	gpt_entry_set_attrs(arr, h.entry_size, partno - 1,
			    gpt_entry_attrs(arr, h.entry_size, partno - 1) | GPT_ATTR_LEGACY_BIOS_BOOTABLE);
	gpt_hdr_put(hdr, sec, &h, gpt_crc32(0, arr, (size_t)bytes));
	snprintf(why, sizeof(why), "GPT %s entries (ESP legacy BIOS bootable)", what);
	rc = wset_add(w, h.entries_lba * sec + esec, arr + esec, (eoff + h.entry_size - esec + sec - 1) / sec * sec,
		      why, err);
	snprintf(why, sizeof(why), "GPT %s header", what);
	if (!rc)
		rc = wset_add(w, lba * sec, hdr, sec, why, err);
	*changed |= rc == 0;
out:
	free(hdr);
	free(arr);
	return rc;
}

/* The ESP's legacy BIOS bootable attribute in both GPT copies (gptmbr.bin boots the partition that has it). */
static int esp_bootable(struct repair_ctx *c, const struct wset *pending, struct wset *w, int *changed,
			struct rh_err *err)
{
	struct pending_disk p = { c->d, pending };
	struct gpt_disk *g = malloc(sizeof(*g));
	uint32_t partno = c->scan->esp.fat.partno;
	uint64_t alt = c->d->sectors - 1;
	uint8_t hdr[512];
	int rc = 0;

	if (!g)
		return rh_errf(err, -ENOMEM, "GPT: out of memory");
	if (gpt_read(pending_read, &p, c->d->sector, c->d->sectors, g) < 0)
		goto out; /* no table to mark: fix-gpt / find-partitions say so */
	for (unsigned i = 0; i < g->nparts; i++) {
		if (g->parts[i].number != partno || (g->parts[i].attributes & GPT_ATTR_LEGACY_BIOS_BOOTABLE))
			continue;
		if (stage_read(c->d, pending, c->d->sector, hdr, sizeof(hdr), NULL) == 0 && !memcmp(hdr, "EFI PART", 8) &&
		    get_le(hdr + 32, 8) < c->d->sectors)
			alt = get_le(hdr + 32, 8);
		rc = set_bootable(c, pending, 1, partno, "main", w, changed, err);
		if (!rc)
			rc = set_bootable(c, pending, alt, partno, "backup", w, changed, err);
	}
out:
	free(g);
	return rc;
}

int op_install_bios(OP_ARGS)
{
	const struct scan_report *r = c->scan;
	int rc = 0, changed = 0;

	(void)arg;
	if (!r->esp.fat.exists && !r->bank[0].fat.exists && !r->bank[1].fat.exists)
		return rh_errf(err, -ENOENT, "%s: no ESP and no bank partition in the GPT to install SYSLINUX on",
			       c->d->path);
	if (c->d->sector != 512)
		return rh_errf(err, -EOPNOTSUPP, "%s: %" PRIu32 "-byte logical sectors: BIOS firmware and SYSLINUX read "
				      "512-byte sectors, so this disk boots through UEFI only (install-uefi)", c->d->path,
			       c->d->sector);
	if (r->esp.fat.exists)
		rc = bios_one(c, pending, &r->esp.fat, 0, w, err);
	changed |= rc == 0;
	for (int b = 0; b < 2 && (rc == 0 || rc == -EALREADY); b++) {
		/* a bank whose file system is gone is reinstall-bank's business, not SYSLINUX's */
		if (!r->bank[b].fat.exists || (!r->bank[b].fat.fs_ok && !r->bank[b].fat.boot_sector_from_backup))
			continue;
		rc = bios_one(c, pending, &r->bank[b].fat, r->bank[b].number ? r->bank[b].number : b + 1, w, err);
		changed |= rc == 0;
	}
	if ((rc == 0 || rc == -EALREADY) && r->esp.fat.exists)
		rc = esp_bootable(c, pending, w, &changed, err);
	if (rc < 0 && rc != -EALREADY)
		return rc;
	return changed ? 0 : -EALREADY;
}

/* The current fallback loader of the staged ESP into *ret (malloc'd). */
static int read_fallback(const struct stage *s, const struct fatimg *f, char **ret, size_t *ret_len,
			 struct rh_err *err)
{
	char tmp[PATH_MAX + 8];
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.efi", s->path);
	rc = fatimg_get(f, BOOT_FALLBACK, tmp, err);
	if (!rc)
		rc = rh_read_file(tmp, BOOT_LOADER_MAX, ret, ret_len, err);
	unlink(tmp);
	return rc;
}

/* Checks the loader of the media: a ramhost.efi, signed when Secure Boot is on. */
static int check_loader(struct repair_ctx *c, const char *buf, size_t len, struct rh_err *err)
{
	if (!memmem(buf, len, RAMHOST_EFI_MARK, strlen(RAMHOST_EFI_MARK)))
		return rh_errf(err, -EINVAL, "%s: not a ramhost.efi", c->loader);
	if (c->scan->efi.secure_boot && scan_pe_signed((const uint8_t *)buf, len) != 1)
		return rh_errf(err, -EPERM, "%s: Secure Boot is on and this loader carries no signature: the firmware "
				       "would refuse it (give a signed ramhost.efi)", c->loader);
	return 0;
}

/* Compares two builds "NAME-VERSION" (bank_build.c writes them so) of the same image: 0 with *ret <0, 0, >0 as a
 * is older than, the same as or newer than b; -EINVAL when they are not the same NAME with valid versions (a
 * NAME may hold '-': every split where both share the prefix is tried). */
static int build_cmp(const char *a, const char *b, int *ret)
{
	const char *d;

	if (!strcmp(a, b)) {
		*ret = 0;
		return 0;
	}
	for (d = strchr(a, '-'); d; d = strchr(d + 1, '-')) {
		size_t n = (size_t)(d - a) + 1;

		if (!strncmp(a, b, n) && vib_version_valid(a + n) && vib_version_valid(b + n)) {
			*ret = vib_version_cmp(a + n, b + n);
			return 0;
		}
	}
	return -EINVAL;
}

/* install-uefi puts the media's loader on a disk whose banks hold the media's image at the same version or an
 * older one: an older loader may not boot what a newer bank holds, and another image's loader is not this
 * disk's. No media (a --loader or $RAMHOST_EFI the operator chose): nothing to compare. --force skips it. */
static int check_media_build(struct repair_ctx *c, struct rh_err *err)
{
	struct bootcfg *cfg = NULL;
	struct bootcfg_error pe = { 0 };
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int rc, i, cmp;

	if (!c->media || c->force)
		return 0;
	rc = fs_join(path, sizeof(path), c->media, "boot.cfg", err);
	if (!rc)
		rc = rh_read_file(path, 1 << 20, &text, &len, err);
	if (!rc && !(cfg = calloc(1, sizeof(*cfg))))
		rc = rh_errf(err, -ENOMEM, "out of memory");
	if (!rc && bootcfg_parse(text, len, cfg, &pe) < 0)
		rc = rh_errf(err, -EINVAL, "%s: line %u: %s", path, pe.line, pe.what ? pe.what : "cannot parse it");
	for (i = 0; !rc && i < 2; i++) {
		const struct scan_bank *b = &c->scan->bank[i];

		if (!b->cfg_present || !b->build[0] || !cfg->build[0])
			continue;
		if (build_cmp(cfg->build, b->build, &cmp) < 0)
			rc = rh_errf(err, -EPERM, "the rescue media holds %.64s and bank %d %s: another image, whose loader "
				     "is not this disk's (--force installs it anyway)", cfg->build, b->number, b->build);
		else if (cmp < 0)
			rc = rh_errf(err, -EPERM, "the rescue media holds %.64s, older than bank %d's %s: its loader may "
				     "not boot it (use newer media, or --force)", cfg->build, b->number, b->build);
	}
	free(cfg);
	free(text);
	return rc;
}

int op_install_uefi(OP_ARGS)
{
	const struct scan_fat *esp = &c->scan->esp.fat;
	char *loader = NULL, *cur = NULL, label[24], detail[128], hex[SHA256_HEX_LEN + 1];
	uint8_t dg[SHA256_DIGEST_LEN];
	size_t llen = 0, clen = 0;
	struct stage s = { 0 };
	struct fatimg f;
	int rc, had = 0, foreign = 0;

	(void)arg;
	if (!c->loader)
		return rh_errf(err, -ENOENT, "no ramhost.efi on the rescue media to install");
	if (!esp->exists)
		return rh_errf(err, -ENOENT, "%s: no ESP in the GPT to install the loader on", c->d->path);
	part_label(esp, 0, label, sizeof(label));
	rc = check_media_build(c, err);
	if (!rc)
		rc = rh_read_file(c->loader, BOOT_LOADER_MAX, &loader, &llen, err);
	if (!rc)
		rc = check_loader(c, loader, llen, err);
	if (!rc)
		rc = stage_part(c, pending, esp, label, &s, err);
	if (rc < 0)
		goto out;
	f = stage_fatimg(&s);
	had = fatimg_exists(&f, BOOT_FALLBACK);
	if (had && (rc = read_fallback(&s, &f, &cur, &clen, err)) < 0)
		goto out;
	if (had && clen == llen && !memcmp(cur, loader, llen)) {
		rc = -EALREADY;
		goto out;
	}
	foreign = had && !memmem(cur, clen, RAMHOST_EFI_MARK, strlen(RAMHOST_EFI_MARK));
	/* on a ramhost disk the fallback path is ramhost's (image disk and install put it there); elsewhere it is
	 * another system's loader */
	if (foreign && !c->scan->is_ramhost && !c->force) {
		rc = rh_errf(err, -EPERM, "%s: %s is another system's loader, not a ramhost.efi, and this is not a "
					  "ramhost disk: --force replaces it (the backup keeps it)", label, BOOT_FALLBACK);
		goto out;
	}
	rc = fatimg_mkdir(&f, "/EFI/BOOT", err);
	if (!rc)
		rc = fatimg_copy(&f, c->loader, BOOT_FALLBACK, err);
	if (!rc)
		rc = stage_diff(c->d, pending, &s, "BOOTX64.EFI", w, err);
	sha256_buf(loader, llen, dg);
	sha256_to_hex(dg, hex);
	snprintf(detail, sizeof(detail), "sha256 %.16s..., ramhost.efi from the rescue media%s", hex,
		 foreign ? " (replaces another loader, kept in the backup)" : "");
	if (!rc)
		rc = wset_add_file(w, label, BOOT_FALLBACK, had ? "replace" : "write", llen, detail, err);
	if (rc < 0)
		rh_err_prefix(err, rc, "%s", label);
out:
	stage_close(&s);
	free(loader);
	free(cur);
	return rc;
}
