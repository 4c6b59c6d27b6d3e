/* iso.c: bootbank -> hybrid ISO with xorriso (see iso.h). */
#include "iso.h"
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootloader/syslinux_cfg.h"
#include "answer.h"
#include "cmdline.h"
#include "disk.h"
#include "fs.h"
#include "install.h"
#include "output.h"
#include "sparse_zstd.h"

#define ISO_BANK_DIR "/bootbank"
#define ISO_BANK_NUMBER 1
#define ISO_ISOLINUX_DIR "/usr/lib/ISOLINUX"
#define ISO_SYSLINUX_BIOS "/usr/lib/syslinux/modules/bios"

/* The Install entry's options, one place for both loaders: cfg->installopt (in memory only) becomes the APPEND of
 * isolinux.cfg's `install` label (stage_isolinux), and the file BOOTCFG_ISO_INSTALL_CFG (boot.cfg syntax, one
 * installopt= line) that ramhost.efi reads for its menu line. The bootbank's own boot.cfg is left as built. */
static int stage_installopt(const char *tree, struct bootcfg *cfg, const struct iso_opts *o, struct rh_err *err)
{
	const char *install = o->answer_file ? "ramhost.install=auto ramhost.ks=" INSTALL_KS : "ramhost.install=auto";
	char dir[PATH_MAX], path[PATH_MAX], text[BOOTCFG_MAX_TEXT + 200];
	int rc, n;

	snprintf(cfg->installopt, sizeof(cfg->installopt), "%s", install);
	n = snprintf(text, sizeof(text), "# ramhost image iso: the options of the Install to disk entry (ramhost.efi "
					 "reads this; isolinux.cfg has them as LABEL install)\ninstallopt=%s\n",
		     install);
	rc = fs_join(dir, sizeof(dir), tree, &INSTALL_DIR[1], err);
	if (!rc)
		rc = rh_mkdir_p(dir, 0755, err);
	if (!rc)
		rc = fs_join(path, sizeof(path), tree, &BOOTCFG_ISO_INSTALL_CFG[1], err);
	if (rc)
		return rc;
	return fs_write_file(path, text, (size_t)n, 0644, err);
}

static const char *opt_or(const char *opt, const char *dflt)
{
	if (opt)
		return opt;
	return dflt;
}

/* Copies src_dir/name to dst_dir/name. */
static int copy_into(const char *src_dir, const char *name, const char *dst_dir, struct rh_err *err)
{
	char s[PATH_MAX], d[PATH_MAX];
	int rc;

	rc = fs_join(s, sizeof(s), src_dir, name, err);
	if (!rc)
		rc = fs_join(d, sizeof(d), dst_dir, name, err);
	if (rc)
		return rc;
	return fs_copy_file(s, d, 0644, err);
}

/* The loader files and config of the BIOS path: /isolinux/{isolinux.bin, ldlinux.c32, isolinux.cfg}, with the
 * `install` and `rescue` labels besides the default one. */
static int stage_isolinux(const char *tree, const struct bootcfg *cfg, const struct iso_opts *o, struct rh_err *err)
{
	struct syslinux_cfg_opts so = { ISO_BANK_DIR, ISO_BANK_NUMBER, BANK_DIR_BOOTCFG_MODULE, "0 115200", NULL,
					NULL, CMDLINE_RESCUE_OPTION };
	char dir[PATH_MAX], d[PATH_MAX], text[8192];
	long len;
	int rc;

	if (cfg->installopt[0])
		so.install_append = cfg->installopt;
	rc = fs_join(dir, sizeof(dir), tree, "isolinux", err);
	if (!rc)
		rc = rh_mkdir_p(dir, 0755, err);
	if (!rc)
		rc = copy_into(opt_or(o->isolinux_dir, ISO_ISOLINUX_DIR), "isolinux.bin", dir, err);
	if (!rc)
		rc = copy_into(opt_or(o->syslinux_bios, ISO_SYSLINUX_BIOS), "ldlinux.c32", dir, err);
	if (rc)
		return rc;
	len = syslinux_cfg_format(cfg, &so, text, sizeof(text));
	if (len < 0)
		return rh_errf(err, (int)len, "isolinux.cfg: cannot express this boot.cfg (a file name with a blank "
					      "or comma, or too long)");
	rc = fs_join(d, sizeof(d), dir, "isolinux.cfg", err);
	if (rc)
		return rc;
	return fs_write_file(d, text, (size_t)len, 0644, err);
}

/* Sets the mtime and atime of path and everything below it (symlinks themselves) to t. xorriso records the
 * tree's time stamps in Rock Ridge and the directory records, so this is what makes the ISO reproducible. */
static int set_times(int dfd, const char *name, const struct timespec t[2], struct rh_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int fd, rc = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return rh_errf(err, -errno, "%s: %s", name, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = NULL;
		if (fd >= 0)
			d = fdopendir(fd);
		if (!d) {
			if (fd >= 0)
				close(fd);
			return rh_errf(err, -errno, "%s: %s", name, strerror(errno));
		}
		while (!rc && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				rc = set_times(dirfd(d), e->d_name, t, err);
		closedir(d);
	}
	if (!rc && utimensat(dfd, name, t, AT_SYMLINK_NOFOLLOW) < 0)
		rc = rh_errf(err, -errno, "%s: cannot set its time: %s", name, strerror(errno));
	return rc;
}

/* With SOURCE_DATE_EPOCH set (xorriso then also fixes the volume dates), pins the tree's time stamps to it. */
static int pin_times(const char *tree, struct rh_err *err)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct timespec t[2];
	char *end;
	long long v;

	if (!sde || !*sde)
		return 0;
	errno = 0;
	v = strtoll(sde, &end, 10);
	if (errno || *end || v < 0)
		return rh_errf(err, -EINVAL, "SOURCE_DATE_EPOCH '%s' is not a count of seconds", sde);
	t[0].tv_sec = t[1].tv_sec = (time_t)v;
	t[0].tv_nsec = t[1].tv_nsec = 0;
	return set_times(AT_FDCWD, tree, t, err);
}

/* Runs xorriso on the staged tree. Boot entries: El Torito 1 = ISOLINUX (BIOS CD, no emulation, with the boot
 * info table) and the isohybrid MBR code for BIOS from a USB stick; El Torito 2 = the FAT image esp (UEFI CD),
 * which is also appended after the ISO 9660 volume as MBR partition 2 of type 0xEF, so that UEFI firmware finds
 * an ESP on the stick (the El Torito entry points at that partition's blocks: one copy of the image). ISO 9660
 * names stay close to the real ones (-l -N -allow-lowercase -allow-multidot -d) for readers without Rock Ridge,
 * such as the UEFI loader's own. */
static int run_xorriso(const char *tree, const char *esp, const char *out, const struct iso_opts *o,
		       struct rh_err *err)
{
	char mbr[PATH_MAX];
	int rc = fs_join(mbr, sizeof(mbr), opt_or(o->isolinux_dir, ISO_ISOLINUX_DIR), "isohdpfx.bin", err);
	char *argv[] = {
		"xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-l", "-N", "-allow-lowercase", "-allow-multidot",
		"-d", "-V", (char *)opt_or(o->volume_id, "RAMHOST"), "-o", (char *)out,
		"-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4",
		"-boot-info-table", "-isohybrid-mbr", mbr,
		"-eltorito-alt-boot", "-e", "--interval:appended_partition_2:all::", "-no-emul-boot",
		"-append_partition", "2", "0xef", (char *)esp,
		(char *)tree, NULL,
	};

	if (rc)
		return rc;
	if (access(mbr, R_OK) < 0)
		return rh_errf(err, -ENOENT, "%s: missing (install the isolinux package)", mbr);
	return fs_run(argv, 0, err);
}

/* The UEFI files: /EFI/BOOT/BOOTX64.EFI in the ISO tree (signed when asked) and the El Torito/ESP FAT image
 * holding the same file, at esp. */
static int stage_efi(const char *tree, const char *esp, const struct iso_opts *o, int sign,
		     struct rh_err *err)
{
	char loader[PATH_MAX], dir[PATH_MAX], dst[PATH_MAX];
	int rc;

	rc = efiboot_find_loader(&o->efi, loader, sizeof(loader), err);
	if (!rc)
		rc = fs_join(dir, sizeof(dir), tree, "EFI/BOOT", err);
	if (!rc)
		rc = rh_mkdir_p(dir, 0755, err);
	if (!rc)
		rc = fs_join(dst, sizeof(dst), dir, "BOOTX64.EFI", err);
	if (!rc)
		rc = fs_copy_file(loader, dst, 0644, err);
	if (!rc && sign)
		rc = efiboot_sign_file(&o->efi, dst, dst, err);
	if (rc)
		return rc;
	return efiboot_make_esp_image(esp, dst, 0x52480001u, err);
}

/* The answer file, checked (so that a broken one fails the build rather than the unattended install), as
 * /install/ks.cfg. */
static int stage_answer(const char *tree, const char *answer_file, struct rh_err *err)
{
	struct answer *a = calloc(1, sizeof(*a));
	char ks[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	if (!a)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = rh_read_file(answer_file, ANSWER_MAX_FILE, &buf, &len, err);
	if (!rc)
		rc = answer_parse(buf, len, answer_file, a, err);
	if (!rc)
		rc = fs_join(ks, sizeof(ks), tree, &INSTALL_KS[1], err);
	if (!rc)
		rc = fs_write_file(ks, buf, len, 0644, err);
	free(buf);
	free(a);
	return rc;
}

/* The skeleton is a few MiB of data in a few hundred MiB of holes: level 3 writes it in a tenth of level 12's
 * time (0.04 against 0.39 s for the demo) and 2% larger (515 against 505 KiB). */
#define SKELETON_ZSTD_LEVEL 3

/* What `ramhost install` needs on the ISO (install.h): /install/skeleton.img.zst, the disk image of the staged
 * bootbank with both banks left empty, and the answer file as /install/ks.cfg. */
static int stage_install(const char *tree, const char *bank, const char *work, const struct iso_opts *o,
			 struct rh_err *err)
{
	struct disk_opts d = { 0 };
	char dir[PATH_MAX], img[PATH_MAX], zst[PATH_MAX];
	int rc;

	d.skeleton = 1;
	d.single_bank = 1;
	d.syslinux_bios = o->syslinux_bios;
	d.efi = o->efi;
	d.bank.workdir = work;
	rc = fs_join(dir, sizeof(dir), tree, &INSTALL_DIR[1], err);
	if (!rc)
		rc = rh_mkdir_p(dir, 0755, err);
	if (!rc)
		rc = fs_join(img, sizeof(img), work, "skeleton.img", err);
	if (!rc)
		rc = fs_join(zst, sizeof(zst), tree, &INSTALL_SKELETON[1], err);
	if (!rc)
		rc = disk_build(NULL, bank, img, &d, err);
	if (!rc)
		rc = sparse_zstd(img, zst, SKELETON_ZSTD_LEVEL, err);
	unlink(img);
	if (rc || !o->answer_file)
		return rc;
	return stage_answer(tree, o->answer_file, err);
}

/* What the ISO's hooks share: the options, the tree (WORK/tree) and the El Torito ESP image (WORK/efi.img). */
struct iso_job {
	const struct iso_opts *o;
	char tree[PATH_MAX];
	char esp[PATH_MAX];
};

/* Around the staged /bootbank: the UEFI files, the Install entry, ISOLINUX, the install skeleton, the times. */
static int iso_stage(void *ctx, const struct output_stage *s, struct rh_err *err)
{
	struct iso_job *j = ctx;
	int rc;

	rc = fs_join(j->tree, sizeof(j->tree), s->work, "tree", err);
	if (!rc)
		rc = fs_join(j->esp, sizeof(j->esp), s->work, "efi.img", err);
	if (!rc)
		rc = stage_efi(j->tree, j->esp, j->o, s->sign, err);
	if (!rc)
		rc = stage_installopt(j->tree, s->cfg, j->o, err);
	if (!rc)
		rc = stage_isolinux(j->tree, s->cfg, j->o, err);
	if (!rc)
		rc = stage_install(j->tree, s->bank, s->work, j->o, err);
	if (rc)
		return rc;
	return pin_times(j->tree, err);
}

static int iso_write(void *ctx, const struct output_stage *s, const char *tmp, int fd, struct rh_err *err)
{
	struct iso_job *j = ctx;

	(void)s;
	(void)fd;
	unlink(tmp); /* xorriso wants to create the file itself; the unique name stays ours */
	return run_xorriso(j->tree, j->esp, tmp, j->o, err);
}

static int iso_report(void *ctx, const char *out, double secs, struct rh_err *err)
{
	struct iso_job *j = ctx;
	char line[PATH_MAX + 100];
	struct stat st;

	if (stat(out, &st) < 0)
		return rh_errf(err, -errno, "%s: %s", out, strerror(errno));
	if (!j->o->bank.progress)
		return 0;
	snprintf(line, sizeof(line), "%-14s %s, %.1f MiB, %.2f s", "iso", out, (double)st.st_size / (1 << 20), secs);
	j->o->bank.progress(j->o->bank.progress_ctx, line);
	return 0;
}

static const struct output_format iso_format = {
	.what = "iso",
	.work_name = "ramhost-iso",
	.bank_rel = "tree" ISO_BANK_DIR,
	.stage = iso_stage,
	.write = iso_write,
	.report = iso_report,
};

int iso_build(const struct profile *p, const char *bootbank_dir, const char *out, const struct iso_opts *o,
	      struct rh_err *err)
{
	struct iso_job *j = calloc(1, sizeof(*j));
	struct output_job job = { .p = p, .bootbank_dir = bootbank_dir, .out = out, .force = o->force,
				  .bank = &o->bank, .efi = &o->efi, .extra_input = o->answer_file };
	int rc;

	if (!j)
		return rh_errf(err, -ENOMEM, "out of memory");
	j->o = o;
	rc = output_build(&iso_format, j, &job, err);
	free(j);
	return rc;
}
