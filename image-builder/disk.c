/* disk.c: bootbank -> GPT disk image with ESP, two banks and state (see disk.h). */
#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootloader/syslinux_cfg.h"
#include "fatimg.h"
#include "fileio.h"
#include "fs.h"
#include "gpt.h"
#include "gpt_write.h"
#include "mbr.h"
#include "output.h"
#include "sha256.h"

#define SECTORS_PER_MIB (DISK_MIB / 512u)
#define GPT_MIB 2u /* 1 MiB before the first partition (MBR, GPT), 1 MiB after the last (backup GPT) */

static const char *const part_names[4] = { "ESP", "bootbank", "altbootbank", "state" };
static const char *const part_types[4] = { GPT_TYPE_ESP, GPT_TYPE_BASIC_DATA, GPT_TYPE_BASIC_DATA, GPT_TYPE_LINUX_FS };
static const char *const part_labels[4] = { "RH-ESP", "RHBANK1", "RHBANK2", "RHSTATE" };

static uint64_t mib_up(uint64_t bytes)
{
	return (bytes + DISK_MIB - 1) / DISK_MIB;
}

int disk_plan(uint64_t bank_bytes, unsigned nfiles, uint64_t size, struct disk_layout *ret, struct rh_err *err)
{
	uint64_t need = mib_up(fatimg_needed_bytes(bank_bytes, nfiles));
	uint64_t bank = mib_up(2 * bank_bytes + 16ull * DISK_MIB), state = DISK_STATE_MIB, total, fixed, pos;
	struct disk_layout l;
	unsigned i;

	if (bank < DISK_BANK_MIN_MIB)
		bank = DISK_BANK_MIN_MIB;
	if (bank < need)
		bank = need;
	fixed = GPT_MIB + DISK_ESP_MIB;
	if (size) {
		total = size / DISK_MIB;
		if (total < fixed + 2 * need + DISK_STATE_MIN_MIB)
			return rh_errf(err, -ENOSPC, "--size %" PRIu64 " MiB is too small: a %.1f MiB bootbank needs at "
					"least %" PRIu64 " MiB (ESP %u MiB, two banks of %" PRIu64 " MiB, state %u "
					"MiB, GPT %u MiB)", total, (double)bank_bytes / DISK_MIB,
				     fixed + 2 * need + DISK_STATE_MIN_MIB, DISK_ESP_MIB, need, DISK_STATE_MIN_MIB,
				     GPT_MIB);
		if (fixed + 2 * bank + DISK_STATE_MIN_MIB > total)
			bank = (total - fixed - DISK_STATE_MIN_MIB) / 2;
		state = total - fixed - 2 * bank;
	} else {
		total = fixed + 2 * bank + state;
	}
	memset(&l, 0, sizeof(l));
	pos = 1; /* MiB */
	for (i = 0; i < 4; i++) {
		uint64_t mib = i == 0 ? DISK_ESP_MIB : i == 3 ? state : bank;
		l.start[i] = pos * SECTORS_PER_MIB;
		l.sectors[i] = mib * SECTORS_PER_MIB;
		pos += mib;
	}
	l.total_bytes = total * DISK_MIB;
	l.bank_mib = bank;
	l.state_mib = state;
	*ret = l;
	return 0;
}

int disk_guid(const char *epoch, const char *name, char ret[37], struct rh_err *err)
{
	uint8_t h[SHA256_DIGEST_LEN];

	if (epoch) {
		struct sha256_ctx c;
		sha256_init(&c);
		sha256_update(&c, "ramhost-disk", 13); /* with its NUL */
		sha256_update(&c, epoch, strlen(epoch) + 1);
		sha256_update(&c, name, strlen(name));
		sha256_final(&c, h);
	} else if (getrandom(h, 16, 0) != 16) {
		return rh_errf(err, -errno, "getrandom: %s", strerror(errno));
	}
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x40); /* version 4 (random), RFC 4122 variant */
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	snprintf(ret, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2],
		 h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
	return 0;
}

/* The FAT volume serial of a partition: the first 32 bits of its unique GUID. */
static uint32_t guid_serial(const char *guid)
{
	char hex[9];

	memcpy(hex, guid, 8);
	hex[8] = '\0';
	return (uint32_t)strtoul(hex, NULL, 16);
}

struct disk_job {
	const struct disk_opts *o;
	const char *image;           /* the temp image being written */
	const char *work;            /* scratch directory */
	const char *bank;            /* the staged bootbank */
	struct bootcfg *cfg;         /* its boot.cfg */
	struct disk_layout l;
	char guid[5][37];            /* disk, then p1..p4 */
	char found[PATH_MAX];        /* the loader as found */
	char loader[PATH_MAX];       /* the (signed) loader to install */
	struct rh_err *err;
};

static struct fatimg part(const struct disk_job *j, unsigned i)
{
	struct fatimg f = { j->image, j->l.start[i] * 512, j->l.sectors[i] };
	return f;
}

/* Writes len bytes at off of the image open on fd. */
static int put_at(struct disk_job *j, int fd, uint64_t off, const void *buf, size_t len, const char *what)
{
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		return rh_errf(j->err, -EIO, "%s: cannot write the %s: %s", j->image, what, strerror(errno));
	return 0;
}

/* The GPT as sgdisk --clear lays it out (lib/gpt_write.h), the four partitions with their GUIDs, the ESP marked
 * legacy BIOS bootable (gptmbr.bin boots it), and a protective MBR carrying gptmbr.bin's 440 bytes of code. */
static int write_gpt(struct disk_job *j)
{
	const char *mbr = j->o->gptmbr ? j->o->gptmbr : "/usr/lib/syslinux/mbr/gptmbr.bin";
	const size_t ebytes = (size_t)GPT_NEW_ENTRIES * GPT_NEW_ENTRY_SIZE;
	uint64_t sectors = j->l.total_bytes / 512;
	uint8_t code[440], sec[512], guid[16], *ents;
	struct gpt_hdr h, hb;
	unsigned i;
	uint32_t crc;
	int fd = -1, rc = 0;

	ents = calloc(1, ebytes);
	if (!ents)
		return rh_errf(j->err, -ENOMEM, "out of memory");
	for (i = 0; i < 4 && !rc; i++) {
		struct gpt_new_part p = { .first_lba = j->l.start[i], .last_lba = j->l.start[i] + j->l.sectors[i] - 1,
					  .attributes = i == 0 ? GPT_ATTR_LEGACY_BIOS_BOOTABLE : 0,
					  .name = part_names[i] };

		if (gpt_guid_from_str(part_types[i], p.type_guid) < 0 || gpt_guid_from_str(j->guid[i + 1], p.unique_guid) < 0)
			rc = rh_errf(j->err, -EINVAL, "partition %u: bad GUID", i + 1);
		else
			gpt_entry_put(ents, GPT_NEW_ENTRY_SIZE, i, &p);
	}
	if (!rc && gpt_guid_from_str(j->guid[0], guid) < 0)
		rc = rh_errf(j->err, -EINVAL, "bad disk GUID %s", j->guid[0]);
	if (rc)
		goto out;
	fd = open(mbr, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = rh_errf(j->err, -errno, "%s: %s (install the syslinux-common package)", mbr, strerror(errno));
		goto out;
	}
	if (read(fd, code, sizeof(code)) != (ssize_t)sizeof(code))
		rc = rh_errf(j->err, -EINVAL, "%s: shorter than 440 bytes of MBR boot code", mbr);
	close(fd);
	fd = rc ? -1 : open(j->image, O_WRONLY | O_CLOEXEC);
	if (!rc && fd < 0)
		rc = rh_errf(j->err, -errno, "%s: %s", j->image, strerror(errno));
	if (rc)
		goto out;
	gpt_new_layout(sectors, 512, guid, &h, &hb);
	crc = gpt_crc32(0, ents, ebytes);
	mbr_build_protective(sec, code, 0, sectors);
	rc = put_at(j, fd, 0, sec, sizeof(sec), "protective MBR");
	gpt_hdr_put(sec, sizeof(sec), &h, crc);
	if (!rc)
		rc = put_at(j, fd, h.my_lba * 512, sec, sizeof(sec), "GPT header");
	if (!rc)
		rc = put_at(j, fd, h.entries_lba * 512, ents, ebytes, "GPT entries");
	if (!rc)
		rc = put_at(j, fd, hb.entries_lba * 512, ents, ebytes, "backup GPT entries");
	gpt_hdr_put(sec, sizeof(sec), &hb, crc);
	if (!rc)
		rc = put_at(j, fd, hb.my_lba * 512, sec, sizeof(sec), "backup GPT header");
out:
	if (fd >= 0)
		close(fd);
	free(ents);
	return rc;
}

/* Writes text to the scratch file work/name and copies it into the file system f at dst. */
static int put_text(const struct fatimg *f, const char *work, const char *name, const char *text, long len,
		    const char *dst, struct rh_err *err)
{
	char path[PATH_MAX];
	int rc;

	if (len < 0)
		return rh_errf(err, (int)len, "%s: cannot express this boot.cfg in a syslinux config (a file name "
					      "with a blank or comma, or too long)", dst);
	rc = fs_join(path, sizeof(path), work, name, err);
	if (rc)
		return rc;
	rc = fs_write_file(path, text, (size_t)len, 0644, err);
	if (!rc)
		rc = fatimg_copy(f, path, dst, err);
	unlink(path);
	return rc;
}

static int write_esp(struct disk_job *j)
{
	static const char *const c32[] = { "libcom32.c32", "libutil.c32", "chain.c32" };
	const char *bios = j->o->syslinux_bios ? j->o->syslinux_bios : "/usr/lib/syslinux/modules/bios";
	struct fatimg f = part(j, 0);
	char src[PATH_MAX], dst[64], text[2048];
	unsigned i;
	int rc;

	rc = fatimg_format(&f, 1, part_labels[0], guid_serial(j->guid[1]), j->err);
	if (!rc)
		rc = fatimg_mkdir(&f, "/EFI/BOOT", j->err);
	if (!rc)
		rc = fatimg_copy(&f, j->loader, "/EFI/BOOT/BOOTX64.EFI", j->err);
	if (!rc)
		rc = fatimg_install_syslinux(&f, "/syslinux", j->err);
	for (i = 0; i < 3 && !rc; i++) {
		snprintf(dst, sizeof(dst), "/syslinux/%s", c32[i]);
		rc = fs_join(src, sizeof(src), bios, c32[i], j->err);
		if (!rc)
			rc = fatimg_copy(&f, src, dst, j->err);
	}
	if (rc)
		return rc;
	/* BIOS boots bank 1 (the higher updated= of a fresh image); bank 2 is the second label */
	return put_text(&f, j->work, "esp-syslinux.cfg",
			 text, syslinux_esp_cfg_format(part_names[1], j->o->single_bank ? NULL : part_names[2], 0,
						       "0 115200", text, sizeof(text)),
			 "/syslinux/syslinux.cfg", j->err);
}

int disk_write_bank(const struct disk_bank *b, struct rh_err *err)
{
	struct syslinux_cfg_opts so = { "", b->n, BANK_DIR_BOOTCFG_MODULE, "0 115200", b->guid, NULL, NULL };
	char src[PATH_MAX], dst[BOOTCFG_MAX_NAME + 2], text[8192];
	struct bootcfg *cfg = b->cfg;
	unsigned i;
	int rc;

	rc = fatimg_format(b->f, 0, b->n == 1 ? "RHBANK1" : "RHBANK2", guid_serial(b->guid), err);
	if (!rc)
		rc = fatimg_install_syslinux(b->f, "/syslinux", err);
	if (rc || !b->bank)
		return rc;
	cfg->updated = b->updated;
	cfg->bootstate = BOOTSTATE_VALID;
	rc = bank_dir_write_cfg(b->bank, cfg, err);
	for (i = 0; i < cfg->nmodules + 3 && !rc; i++) {
		const char *name = i == 0 ? cfg->kernel.name : i <= cfg->nmodules ? cfg->modules[i - 1].name
					: i == cfg->nmodules + 1 ? "boot.cfg" : BANK_DIR_BOOTCFG_MODULE;
		snprintf(dst, sizeof(dst), "/%s", name);
		rc = fs_join(src, sizeof(src), b->bank, name, err);
		if (!rc)
			rc = fatimg_copy(b->f, src, dst, err);
	}
	if (rc)
		return rc;
	return put_text(b->f, b->work, "bank-syslinux.cfg", text, syslinux_cfg_format(cfg, &so, text, sizeof(text)),
			"/syslinux/syslinux.cfg", err);
}

/* Bank n (1 or 2) of the image; empty: FAT + SYSLINUX only. */
static int write_bank(struct disk_job *j, unsigned n, int empty, uint64_t updated)
{
	struct fatimg f = part(j, n);
	struct disk_bank b = { &f, n, empty ? NULL : j->bank, j->cfg, updated, j->guid[n + 1], j->work };

	return disk_write_bank(&b, j->err);
}

/* The state partition: an empty ext4 file system labelled RHSTATE, made by mke2fs straight into the image at
 * the partition's offset (-E offset=, no loop device, no root). Its UUID and directory hash seed are p4's unique
 * GUID, and with SOURCE_DATE_EPOCH mke2fs's clock is that time (E2FSPROGS_FAKE_TIME), so that the bytes are
 * reproducible. 4 KiB blocks, no reserved blocks (only root writes there), inode tables and journal written
 * now rather than by the kernel's lazy init after the first mount. */
static int write_state(struct disk_job *j)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char faketime[64], ext[256], size[32];
	struct rh_err e = { 0 };
	char *argv[32];
	unsigned k = 0;
	int rc;

	snprintf(ext, sizeof(ext), "offset=%" PRIu64 ",hash_seed=%s,root_owner=0:0,lazy_itable_init=0,"
		 "lazy_journal_init=0,nodiscard", j->l.start[3] * 512, j->guid[4]);
	snprintf(size, sizeof(size), "%" PRIu64 "k", j->l.sectors[3] / 2);
	if (sde && *sde) {
		snprintf(faketime, sizeof(faketime), "E2FSPROGS_FAKE_TIME=%s", sde);
		argv[k++] = "env";
		argv[k++] = faketime;
	}
	argv[k++] = "mke2fs";
	argv[k++] = "-q";
	argv[k++] = "-F";
	argv[k++] = "-t";
	argv[k++] = "ext4";
	argv[k++] = "-b";
	argv[k++] = "4096";
	argv[k++] = "-m";
	argv[k++] = "0";
	argv[k++] = "-L";
	argv[k++] = (char *)part_labels[3];
	argv[k++] = "-U";
	argv[k++] = j->guid[4];
	argv[k++] = "-E";
	argv[k++] = ext;
	argv[k++] = (char *)j->image;
	argv[k++] = size;
	argv[k] = NULL;
	rc = fs_run(argv, 0, &e);
	if (rc)
		return rh_errf(j->err, rc, "%s: state partition (ext4 %s at %" PRIu64 " MiB): %s (mke2fs is in the "
			       "e2fsprogs package)", j->image, part_labels[3], j->l.start[3] / SECTORS_PER_MIB, e.msg);
	return 0;
}

/* Sum of the bootbank's file sizes (kernel, modules, boot.cfg, bootcfg.cpio) and their count. */
static int bank_size(const char *dir, const struct bootcfg *cfg, uint64_t *ret_bytes, unsigned *ret_n,
		     struct rh_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < cfg->nmodules + 3; i++) {
		const char *name = i == 0 ? cfg->kernel.name : i <= cfg->nmodules ? cfg->modules[i - 1].name
					: i == cfg->nmodules + 1 ? "boot.cfg" : BANK_DIR_BOOTCFG_MODULE;
		int rc = fs_join(path, sizeof(path), dir, name, err);
		if (rc)
			return rc;
		if (stat(path, &st) < 0)
			return rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		sum += (uint64_t)st.st_size;
	}
	*ret_bytes = sum;
	*ret_n = cfg->nmodules + 3;
	return 0;
}

/* Before the bootbank is staged: the loader is found (a missing one fails before the long work). */
static int disk_prepare(void *ctx, const struct output_stage *s, struct rh_err *err)
{
	struct disk_job *j = ctx;

	(void)s;
	return efiboot_find_loader(&j->o->efi, j->found, sizeof(j->found), err);
}

/* After the bootbank is staged (and its kernel signed when asked): the (signed) loader as WORK/BOOTX64.EFI, the
 * GUIDs, and the partition plan for the bootbank's size. */
static int disk_stage(void *ctx, const struct output_stage *s, struct rh_err *err)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct disk_job *j = ctx;
	uint64_t bytes = 0;
	unsigned nfiles = 0, i;
	int rc;

	if (sde && !*sde)
		sde = NULL;
	j->work = s->work;
	j->bank = s->bank;
	j->cfg = s->cfg;
	rc = fs_join(j->loader, sizeof(j->loader), s->work, "BOOTX64.EFI", err);
	if (!rc)
		rc = fs_copy_file(j->found, j->loader, 0644, err);
	if (!rc && s->sign)
		rc = efiboot_sign_file(&j->o->efi, j->loader, j->loader, err);
	for (i = 0; i < 5 && !rc; i++)
		rc = disk_guid(sde, i == 0 ? "disk" : part_names[i - 1], j->guid[i], err);
	if (!rc)
		rc = bank_size(s->bank, s->cfg, &bytes, &nfiles, err);
	if (rc)
		return rc;
	return disk_plan(bytes, nfiles, j->o->size, &j->l, err);
}

/* The image into tmp: its full size, the GPT, the ESP, both banks, the state partition. */
static int disk_write(void *ctx, const struct output_stage *s, const char *tmp, int fd, struct rh_err *err)
{
	struct disk_job *j = ctx;
	int rc;

	(void)s;
	if (ftruncate(fd, (off_t)j->l.total_bytes) < 0)
		return rh_errf(err, -errno, "%s: cannot make it %" PRIu64 " bytes: %s", tmp, j->l.total_bytes,
			       strerror(errno));
	j->image = tmp;
	rc = write_gpt(j);
	if (!rc)
		rc = write_esp(j);
	if (!rc)
		rc = write_bank(j, 1, j->o->skeleton, 2);
	if (!rc)
		rc = write_bank(j, 2, j->o->single_bank || j->o->skeleton, 1);
	if (!rc)
		rc = write_state(j);
	return rc;
}

static int disk_report(void *ctx, const char *out, double secs, struct rh_err *err)
{
	struct disk_job *j = ctx;
	char line[PATH_MAX + 200];

	(void)err;
	if (!j->o->bank.progress)
		return 0;
	snprintf(line, sizeof(line), "%-14s %s, %" PRIu64 " MiB (ESP %u, banks 2 x %" PRIu64 ", state %" PRIu64
		 " MiB), %.2f s", "disk", out, j->l.total_bytes / DISK_MIB, DISK_ESP_MIB, j->l.bank_mib, j->l.state_mib,
		 secs);
	j->o->bank.progress(j->o->bank.progress_ctx, line);
	return 0;
}

static const struct output_format disk_format = {
	.what = "disk",
	.work_name = "ramhost-disk",
	.bank_rel = "bank",
	.prepare = disk_prepare,
	.stage = disk_stage,
	.write = disk_write,
	.report = disk_report,
};

int disk_build(const struct profile *p, const char *bootbank_dir, const char *out, const struct disk_opts *o,
	       struct rh_err *err)
{
	struct disk_job *j = calloc(1, sizeof(*j));
	struct output_job job = { .p = p, .bootbank_dir = bootbank_dir, .out = out, .force = o->force,
				  .bank = &o->bank, .efi = &o->efi, .extra_input = NULL };
	int rc;

	if (!j)
		return rh_errf(err, -ENOMEM, "out of memory");
	j->o = o;
	j->err = err;
	rc = output_build(&disk_format, j, &job, err);
	free(j);
	return rc;
}
