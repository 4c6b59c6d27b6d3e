/* bank_update.c: write a new image into the bank that did not boot (see bank_update.h). */
#include "bank_update.h"
#include "bank_update_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bank_esp.h"
#include "bootloader/syslinux_cfg.h"
#include "fileio.h"
#include "bootloader/bank_dir.h"
#include "fs.h"
#include "sha256.h"
#include "steps.h"

#define CFG_TEXT_MAX 16384

void bank_update_say(bank_update_progress_fn fn, void *ctx, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(ctx, line);
}

int bank_update_cfg(const struct bootcfg *src, uint64_t current_updated, struct bootcfg *ret)
{
	if (current_updated == UINT64_MAX)
		return -EOVERFLOW;
	*ret = *src;
	ret->updated = current_updated + 1;
	ret->bootstate = BOOTSTATE_UPGRADING;
	return 0;
}

/* Syncs the whole file system of dir. */
static int sync_fs(const char *dir, const char *label, struct rh_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot open %s: %s", label, dir, strerror(errno));
	if (syncfs(fd) < 0)
		rc = rh_errf(err, -errno, "%s: syncfs: %s", label, strerror(errno));
	close(fd);
	return rc;
}

static uint64_t round_up(uint64_t n, uint64_t b)
{
	return b ? (n + b - 1) / b * b : n;
}

/* Space check before anything is written: the new files (each rounded up to a cluster) plus a few clusters for
 * boot.cfg, its temporary file, bootcfg.cpio and syslinux.cfg must fit in what is free once the bank's old
 * regular files at its root are gone. */
static int check_space(const char *src, const struct bootcfg *cfg, const char *dst, const char *label,
		       struct rh_err *err)
{
	uint64_t bs, avail, need = 0;
	struct statvfs sv;
	struct dirent *de;
	unsigned i;
	DIR *d;

	if (statvfs(dst, &sv) < 0)
		return rh_errf(err, -errno, "%s: statvfs: %s", label, strerror(errno));
	bs = sv.f_bsize ? sv.f_bsize : 512;
	avail = (uint64_t)sv.f_bavail * (sv.f_frsize ? sv.f_frsize : bs);
	d = opendir(dst);
	if (!d)
		return rh_errf(err, -errno, "%s: cannot list the bank: %s", label, strerror(errno));
	while ((de = readdir(d))) {
		struct stat st;

		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			avail += round_up((uint64_t)st.st_size, bs);
	}
	closedir(d);
	for (i = 0; i <= cfg->nmodules; i++) {
		char path[PATH_MAX];
		struct stat st;
		int rc = fs_join(path, sizeof(path), src, nth_file(cfg, i)->name, err);

		if (rc)
			return rc;
		if (stat(path, &st) < 0)
			return rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		need += round_up((uint64_t)st.st_size, bs);
	}
	need += 6 * round_up(2 * CFG_TEXT_MAX, bs);
	if (need > avail)
		return rh_errf(err, -ENOSPC, "%s: the new bootbank needs %" PRIu64 " KiB but the bank partition has %" PRIu64
				 " KiB once its old files are removed: nothing written", label, need >> 10, avail >> 10);
	return 0;
}

/* Step 1 and the first half of step 2: boot.cfg goes first (the bank is "missing" from then on), then every other
 * regular file at the bank's root. Directories (/syslinux) stay. */
static int clear_bank(const char *dst, const char *label, struct rh_err *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	int rc = 0, dfd;
	DIR *d;

	if ((size_t)snprintf(path, sizeof(path), "%s/boot.cfg", dst) >= sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dst);
	if (unlink(path) < 0 && errno != ENOENT)
		return rh_errf(err, -errno, "%s: cannot remove the old /boot.cfg: %s", label, strerror(errno));
	rc = sync_fs(dst, label, err);
	if (rc)
		return rc;
	d = opendir(dst);
	if (!d)
		return rh_errf(err, -errno, "%s: cannot list the bank: %s", label, strerror(errno));
	dfd = dirfd(d);
	while (!rc && (de = readdir(d))) {
		struct stat st;

		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dfd, de->d_name, 0) < 0)
			rc = rh_errf(err, -errno, "%s: cannot remove the old /%s: %s", label, de->d_name, strerror(errno));
	}
	closedir(d);
	return rc;
}

/* Hashes path as it is on the medium: the file's cached pages are dropped first (it was fsync'd, so they are
 * clean), so that the read comes from the device, not from what we just wrote into memory. */
static int hash_from_medium(const char *path, uint8_t ret[SHA256_DIGEST_LEN], struct rh_err *err)
{
	struct sha256_ctx c;
	char *buf = malloc(1 << 16);
	int fd, rc = 0;
	ssize_t n;

	if (!buf)
		return rh_errf(err, -ENOMEM, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	sha256_init(&c);
	while ((n = read(fd, buf, 1 << 16)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rh_errf(err, -errno, "%s: read back: %s", path, strerror(errno));
			break;
		}
		sha256_update(&c, buf, (size_t)n);
	}
	close(fd);
	if (!rc)
		sha256_final(&c, ret);
out:
	free(buf);
	return rc;
}

/* Copies one file of the bootbank and checks the copy on the medium against its hash. */
static int copy_checked(const char *src, const char *dst, const struct bootcfg_file *f, const char *label,
			struct rh_err *err)
{
	char s[PATH_MAX], d[PATH_MAX], want[SHA256_HEX_LEN + 1], got_hex[SHA256_HEX_LEN + 1];
	uint8_t got[SHA256_DIGEST_LEN];
	int rc;

	rc = fs_join(s, sizeof(s), src, f->name, err);
	if (!rc)
		rc = fs_join(d, sizeof(d), dst, f->name, err);
	if (!rc)
		rc = fs_copy_file(s, d, 0644, err);
	if (!rc)
		rc = hash_from_medium(d, got, err);
	if (rc)
		return rc;
	if (memcmp(got, f->sha256, sizeof(got))) {
		sha256_to_hex(f->sha256, want);
		sha256_to_hex(got, got_hex);
		return rh_errf(err, -EIO, "%s: /%s as written reads back with SHA-256 %s, boot.cfg says %s (a bad "
				      "medium?): the bank is left without boot.cfg", label, f->name, got_hex, want);
	}
	return 0;
}

/* One bank update in progress: what the steps below share. */
struct update_txn {
	const struct bank_update_opts *o;   /* NULL for bank_update_write_bank alone */
	struct bank_update_result *r;       /* NULL for bank_update_write_bank alone */
	const struct bank_disk *d;
	const char *src;                    /* the checked source directory */
	const struct bootcfg *cfg;          /* the new boot.cfg */
	char dst[PATH_MAX];                 /* the other bank, mounted read-write */
	const char *label;                  /* its device, in messages */
	unsigned bank;
	const char *bankuuid;
	bank_update_progress_fn progress;
	void *pctx;
	char *text, *sltext;                /* the new boot.cfg and syslinux.cfg texts (CFG_TEXT_MAX each) */
	long len, sllen;
	int has_syslinux;                   /* the bank has /syslinux/ldlinux.sys */
	int mounted;
};

#define TXN "bank-update"   /* RAMHOST_FAIL_AT=bank-update:STEP */

/* The texts the bank gets, formatted before anything is written; whether it has SYSLINUX. */
static int step_format(void *ctx, struct rh_err *err)
{
	struct update_txn *t = ctx;
	struct syslinux_cfg_opts so = { "", t->bank, BANK_DIR_BOOTCFG_MODULE, "0 115200", t->bankuuid, NULL, NULL };
	char path[PATH_MAX];
	struct stat st;
	int rc;

	t->len = bootcfg_format(t->cfg, t->text, CFG_TEXT_MAX);
	if (t->len < 0)
		return rh_errf(err, (int)t->len, "the new boot.cfg does not fit in %u bytes", CFG_TEXT_MAX);
	t->sllen = syslinux_cfg_format(t->cfg, &so, t->sltext, CFG_TEXT_MAX);
	if (t->sllen < 0)
		return rh_errf(err, (int)t->sllen, "the new boot.cfg cannot be written as a syslinux config (a file name "
						   "with a blank or a comma, or too long)");
	rc = fs_join(path, sizeof(path), t->dst, "syslinux/ldlinux.sys", err);
	if (rc)
		return rc;
	t->has_syslinux = stat(path, &st) == 0;
	return 0;
}

static int step_check_space(void *ctx, struct rh_err *err)
{
	struct update_txn *t = ctx;

	return check_space(t->src, t->cfg, t->dst, t->label, err);
}

/* Step 1 and the first half of step 2 (bank_update.h). */
static int step_clear(void *ctx, struct rh_err *err)
{
	struct update_txn *t = ctx;
	int rc = clear_bank(t->dst, t->label, err);

	if (rc)
		return rc;
	bank_update_say(t->progress, t->pctx, "bank %u (%s): old boot.cfg and files removed; the bank is not bootable until the "
	    "end", t->bank, t->label);
	return 0;
}

static int step_copy(void *ctx, struct rh_err *err)
{
	struct update_txn *t = ctx;
	unsigned i;
	int rc;

	for (i = 0; i <= t->cfg->nmodules; i++) {
		const struct bootcfg_file *f = nth_file(t->cfg, i);

		rc = copy_checked(t->src, t->dst, f, t->label, err);
		if (rc)
			return rc;
		bank_update_say(t->progress, t->pctx, "bank %u: copied %s, SHA-256 read back from %s matches boot.cfg", t->bank,
		    f->name, t->label);
	}
	return 0;
}

/* The rest of step 2: bootcfg.cpio and syslinux.cfg derived from the new boot.cfg, synced. */
static int step_derive(void *ctx, struct rh_err *err)
{
	struct update_txn *t = ctx;
	int rc;

	rc = bank_dir_write_bootcfg_module(t->dst, t->text, (size_t)t->len, err);
	if (!rc && t->has_syslinux)
		rc = rh_replace_file(t->dst, "syslinux/syslinux.cfg", t->sltext, (size_t)t->sllen, t->label, err);
	if (!rc)
		rc = sync_fs(t->dst, t->label, err);
	if (rc)
		return rc;
	if (t->has_syslinux)
		bank_update_say(t->progress, t->pctx, "bank %u: %s and /syslinux/syslinux.cfg written; synced", t->bank,
		    BANK_DIR_BOOTCFG_MODULE);
	else
		bank_update_say(t->progress, t->pctx, "bank %u: %s written; synced (no SYSLINUX on this partition: BIOS cannot boot "
		    "it)", t->bank, BANK_DIR_BOOTCFG_MODULE);
	return 0;
}

/* Step 3, the commit point: with boot.cfg in place the bank exists again, complete, with the higher updated=. */
static int step_commit(void *ctx, struct rh_err *err)
{
	struct update_txn *t = ctx;
	int rc;

	rc = rh_replace_file(t->dst, "boot.cfg", t->text, (size_t)t->len, t->label, err);
	if (!rc)
		rc = sync_fs(t->dst, t->label, err);
	if (rc)
		return rc;
	bank_update_say(t->progress, t->pctx, "bank %u: boot.cfg committed: updated=%" PRIu64 " bootstate=%d (UPGRADING) build=%s",
	    t->bank, t->cfg->updated, t->cfg->bootstate, t->cfg->build);
	return 0;
}

/* Steps 1-3 (bank_update.h) in their power-cut order. None has an undo: a failure leaves the bank without
 * boot.cfg, which every loader treats as missing, and the booted bank untouched. */
#define WRITE_STEPS                                                                                              \
	{ "format", step_format, NULL }, { "check-space", step_check_space, NULL }, { "clear", step_clear, NULL }, \
	{ "copy", step_copy, NULL }, { "derive", step_derive, NULL }, { "commit", step_commit, NULL }

int bank_update_write_bank(const char *src, const struct bootcfg *new_cfg, const char *dst, const char *label,
			   unsigned bank, const char *bankuuid, bank_update_progress_fn progress, void *ctx,
			   int *ret_syslinux, struct rh_err *err)
{
	static const struct step write_steps[] = { WRITE_STEPS };
	struct steps tbl = { TXN, write_steps, sizeof(write_steps) / sizeof(write_steps[0]), NULL, NULL };
	struct update_txn t = { 0 };
	int rc;

	t.src = src;
	t.cfg = new_cfg;
	snprintf(t.dst, sizeof(t.dst), "%s", dst);
	t.label = label;
	t.bank = bank;
	t.bankuuid = bankuuid;
	t.progress = progress;
	t.pctx = ctx;
	t.text = malloc(CFG_TEXT_MAX);
	t.sltext = malloc(CFG_TEXT_MAX);
	if (!t.text || !t.sltext)
		rc = rh_errf(err, -ENOMEM, "out of memory");
	else
		rc = steps_run(&tbl, &t, NULL, err);
	if (!rc)
		*ret_syslinux = t.has_syslinux;
	free(t.text);
	free(t.sltext);
	return rc;
}

/* The booted bank must be VALID: while it is UPGRADING or DIRTY the other bank is the only known-good one. */
static int check_booted(const struct bank_disk *d, struct bank_disk_slot *cur, struct rh_err *err)
{
	int b = d->booted;
	int rc = bank_disk_read_slot(d->dev[b - 1], cur, err);

	if (rc)
		return rc;
	if (!cur->present)
		return rh_errf(err, -EINVAL, "booted bank %d (%s): %s: cannot tell its updated=", b, d->dev[b - 1],
			       cur->problem);
	if (cur->bootstate > BOOTSTATE_VALID)
		return rh_errf(err, -EBUSY, "booted bank %d (%s) is %s, not yet marked good: updating now would "
				 "overwrite bank %d, the only known-good one (run `ramhost bootbank mark-good` first)",
			       b, d->dev[b - 1], bank_dir_state_name(cur->bootstate), 3 - b);
	return 0;
}

/* Step 4: the ESP's BIOS default. Never fails the update (the bank is committed): *r says what happened. */
static void point_esp(const struct bank_update_opts *o, const struct bank_disk *d, int target,
		      int syslinux, struct bank_update_result *r)
{
	struct rh_err e = { 0, "" };
	int old = 0, changed = 0;

	if (!d->esp_part) {
		snprintf(r->bios_note, sizeof(r->bios_note), "%s has no ESP partition: BIOS boots are not managed",
			 d->disk);
		return;
	}
	if (!syslinux) {
		snprintf(r->bios_note, sizeof(r->bios_note), "bank %d (%s) has no SYSLINUX: the ESP was left as it "
			 "was, BIOS cannot boot the new bank", target, d->dev[target - 1]);
		return;
	}
	if (bank_esp_point(d->esp_dev, target, o->dry_run, &old, &changed, &e) < 0) {
		snprintf(r->bios_note, sizeof(r->bios_note), "%.500s", e.msg);
		return;
	}
	r->bios = 1;
	bank_update_say(o->progress, o->progress_ctx, "ESP %s: /syslinux/syslinux.cfg %s bank %d (%s)%s", d->esp_dev,
	    o->dry_run ? (changed ? "would chain to" : "already chains to") : changed ? "now chains to" : "already chains to",
	    target, target == 1 ? BANK_DIR_PART_1 : BANK_DIR_PART_2, o->dry_run || !changed ? "" : " (BIOS)");
}

/* ---- the whole update ---- */

static int step_save_state(void *ctx, struct rh_err *err)
{
	struct update_txn *t = ctx;
	int rc = bank_update_state_save(t->o, t->r, err);

	if (rc)
		return rc;
	bank_update_say(t->o->progress, t->o->progress_ctx, "state: %s", t->r->state);
	return 0;
}

static int step_mount(void *ctx, struct rh_err *err)
{
	struct update_txn *t = ctx;
	int rc = bank_disk_mount(t->label, 1, t->dst, err);

	if (rc)
		return rc;
	t->mounted = 1;
	return 0;
}

static void undo_mount(void *ctx)
{
	struct update_txn *t = ctx;

	if (t->mounted)
		bank_disk_umount(t->label, t->dst, NULL);
	t->mounted = 0;
}

static int step_umount(void *ctx, struct rh_err *err)
{
	struct update_txn *t = ctx;

	t->mounted = 0;
	return bank_disk_umount(t->label, t->dst, err);
}

/* Step 4: never fails the update (the bank is committed); the result says what happened. */
static int step_bios(void *ctx, struct rh_err *err)
{
	struct update_txn *t = ctx;

	(void)err;
	point_esp(t->o, t->d, (int)t->bank, t->has_syslinux, t->r);
	return 0;
}

/* The boot disk and the bank to write, the one that did not boot, into *d and r. Refuses (nothing written) a
 * boot from read-only media and a disk without the other bank. */
static int find_target(struct bank_disk *d, struct bank_update_result *r, struct rh_err *err)
{
	struct cmdline c;
	int rc, target;

	rc = bank_disk_find(&c, d, err);
	if (rc)
		return rc;
	if (!c.has_uuid)
		return rh_errf(err, -ENOTSUP, "this host has no boot banks to update: it booted from read-only media (an "
				  "ISO or PXE: no ramhost.bankuuid= on the kernel command line); install it to a disk "
				  "first (ramhost install)");
	target = 3 - d->booted;
	snprintf(r->disk, sizeof(r->disk), "%s", d->disk);
	r->booted = d->booted;
	r->target = target;
	if (!d->part[target - 1])
		return rh_errf(err, -ENOENT, "%s has no '%s' partition (a single-bank disk): there is no other bank to "
				  "update", d->disk, target == 1 ? BANK_DIR_PART_1 : BANK_DIR_PART_2);
	snprintf(r->target_dev, sizeof(r->target_dev), "%s", d->dev[target - 1]);
	snprintf(r->target_uuid, sizeof(r->target_uuid), "%s", d->uuid[target - 1]);
	return 0;
}

/* What the update needs before anything is written: the booted bank VALID (into *cur), the source built or
 * taken (srcdir; work is the scratch directory of a build) and checked (*src), the new boot.cfg (*cfg). */
static int prepare(const struct bank_update_opts *o, const struct bank_disk *d, struct bank_update_result *r,
		   struct bank_disk_slot *cur, char *work, char *srcdir, struct bootcfg *src, struct bootcfg *cfg,
		   struct rh_err *err)
{
	int rc;

	rc = check_booted(d, cur, err);
	if (rc)
		return rc;
	bank_update_say(o->progress, o->progress_ctx, "booted bank %d (%s, updated=%" PRIu64 ", build=%s); updating bank %d (%s)",
	    d->booted, d->dev[d->booted - 1], cur->updated, cur->build, r->target, r->target_dev);
	rc = bank_update_source_prepare(o, r, work, srcdir, err);
	if (rc)
		return rc;
	rc = bank_update_source_check(srcdir, src, &r->bytes, err);
	if (rc)
		return rc;
	r->nfiles = src->nmodules + 1;
	if (bank_update_cfg(src, cur->updated, cfg) < 0)
		return rh_errf(err, -EOVERFLOW, "booted bank %d: updated=%" PRIu64 " cannot grow", d->booted,
			       cur->updated);
	r->updated = cfg->updated;
	snprintf(r->build, sizeof(r->build), "%s", cfg->build);
	bank_update_say(o->progress, o->progress_ctx, "source %s: build=%s, kernel and %u modules, %" PRIu64 " bytes, every "
	    "SHA-256 matches its boot.cfg", srcdir, cfg->build, cfg->nmodules, r->bytes);
	return 0;
}

/* --dry-run: the space on the other bank (mounted read-only) and the ESP, nothing written. */
static int dry_run(const struct bank_update_opts *o, const struct bank_disk *d, const char *srcdir,
		   const struct bootcfg *cfg, struct bank_update_result *r, struct rh_err *err)
{
	char dir[PATH_MAX];
	int rc, urc;

	rc = bank_disk_mount(r->target_dev, 0, dir, err);
	if (rc)
		return rc;
	rc = check_space(srcdir, cfg, dir, r->target_dev, err);
	urc = bank_disk_umount(r->target_dev, dir, err);
	if (!rc)
		rc = urc;
	if (rc)
		return rc;
	snprintf(r->state, sizeof(r->state), "not saved (dry run)");
	bank_update_say(o->progress, o->progress_ctx, "dry run: bank %d would get updated=%" PRIu64 " bootstate=1 (UPGRADING); "
	    "nothing written", r->target, cfg->updated);
	point_esp(o, d, r->target, 1, r);
	return 0;
}

/* The update's writes, in the order of bank_update.h: the state saved, the other bank mounted read-write and
 * written (steps 1-3), unmounted, the BIOS default switched (step 4). */
static const struct step update_steps[] = {
	{ "save-state", step_save_state, NULL },
	{ "mount", step_mount, undo_mount },
	WRITE_STEPS,
	{ "umount", step_umount, NULL },
	{ "bios", step_bios, NULL },
};

int bank_update(const struct bank_update_opts *o, struct bank_update_result *ret, struct rh_err *err)
{
	struct steps tbl = { TXN, update_steps, sizeof(update_steps) / sizeof(update_steps[0]), NULL, NULL };
	struct bank_update_result r;
	struct bank_disk d;
	struct update_txn t = { 0 };
	struct bank_disk_slot *cur = malloc(sizeof(*cur));
	struct bootcfg *src = malloc(sizeof(*src)), *cfg = malloc(sizeof(*cfg));
	char work[PATH_MAX] = "", srcdir[PATH_MAX];
	int rc;

	memset(&r, 0, sizeof(r));
	t.text = malloc(CFG_TEXT_MAX);
	t.sltext = malloc(CFG_TEXT_MAX);
	if (!cur || !src || !cfg || !t.text || !t.sltext) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = find_target(&d, &r, err);
	if (!rc)
		rc = prepare(o, &d, &r, cur, work, srcdir, src, cfg, err);
	if (rc)
		goto out;
	if (o->dry_run) {
		rc = dry_run(o, &d, srcdir, cfg, &r, err);
	} else {
		t.o = o;
		t.r = &r;
		t.d = &d;
		t.src = srcdir;
		t.cfg = cfg;
		t.label = r.target_dev;
		t.bank = (unsigned)r.target;
		t.bankuuid = r.target_uuid;
		t.progress = o->progress;
		t.pctx = o->progress_ctx;
		rc = steps_run(&tbl, &t, NULL, err);
	}
	if (!rc)
		*ret = r;
out:
	if (work[0])
		fs_rm_rf(work, NULL);
	free(t.text);
	free(t.sltext);
	free(cur);
	free(src);
	free(cfg);
	return rc;
}
