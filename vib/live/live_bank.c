/* live_bank.c: the booted bank's modules changed by a live install or remove (live.h).
 *
 * Order in the bank directory (power may fail at any point): new module files written under names the old
 * boot.cfg does not use, each fsync'd; bootcfg.cpio and syslinux/syslinux.cfg rewritten (each temp + rename);
 * boot.cfg replaced (temp + rename: the commit point for UEFI); syncfs; then the files the new boot.cfg no
 * longer names are deleted. Until boot.cfg is renamed the old boot.cfg and its files are all there; SYSLINUX
 * (BIOS) commits with syslinux.cfg, whose new modules are already complete when it is renamed. */
#include "live.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootcfg.h"
#include "bootloader/syslinux_cfg.h"
#include "cpio.h"
#include "vib/descriptor.h"
#include "fileio.h"
#include "bootloader/bank_dir.h"
#include "ramdisk/bank/bank_disk.h"
#include "sha256.h"
#include "steps.h"

#define TEXT_MAX 16384

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int is_vibs_module(const char *name)
{
	size_t l = strlen(name);
	return !strncmp(base_of(name), "vibs", 4) && l > 5 && !strcmp(name + l - 5, ".cpio");
}

/* Writes dir/name from the tardisk file src (cpio-wrapped) or from buf, fsync'd; fills f's name and hash. known:
 * the module's SHA-256 as its verified descriptor gives it (vib/vibfile.c checked the payload against it), so
 * the module is not read a second time to hash it; NULL: hashed here. */
static int write_module(const char *dir, const char *name, const char *src, const uint8_t *known, const void *buf,
			size_t len, const char *label, struct bootcfg_file *f, struct rh_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	int out = -1, in = -1, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return rh_errf(err, -errno, "%s: create /%s: %s", label, name, strerror(errno));
	if (src) {
		rc = rh_open_input(src, &in, err);
		if (rc < 0)
			goto out;
		if (fstat(in, &st) < 0) {
			rc = rh_errf(err, -errno, "%s: %s", src, strerror(errno));
			goto out;
		}
		rc = cpio_wrap_file(out, VIB_MODULE_DIR, name, in, (uint64_t)st.st_size, err);
		if (!rc && known)
			memcpy(f->sha256, known, sizeof(f->sha256));
		else if (!rc)
			rc = cpio_wrap_sha256(VIB_MODULE_DIR, name, in, (uint64_t)st.st_size, f->sha256, err);
	} else {
		if (rh_write_all(out, buf, len) < 0)
			rc = rh_errf(err, -errno, "%s: write /%s: %s", label, name, strerror(errno));
		sha256_buf(buf, len, f->sha256);
	}
	if (!rc && fsync(out) < 0)
		rc = rh_errf(err, -errno, "%s: fsync /%s: %s", label, name, strerror(errno));
out:
	if (in >= 0)
		close(in);
	close(out);
	if (rc)
		unlink(path);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->has_sha256 = 1;
	return rc;
}

static int listed(const char *const *list, const char *name)
{
	for (; list && *list; list++)
		if (!strcmp(*list, name) || !strcmp(base_of(*list), name))
			return 1;
	return 0;
}

/* One live edit of a bank directory: what the steps below share. */
struct bank_edit {
	const char *dir, *label;
	const struct live_bank_edit *e;
	struct syslinux_cfg_opts so;
	struct bootcfg *old, *cfg;     /* the booted boot.cfg, the new one */
	char *text, *sl;               /* the new boot.cfg and syslinux.cfg texts (TEXT_MAX each) */
	long tlen, slen;
	int has_syslinux;
	const char *written[10];       /* module files written, removed again by the undo */
	unsigned nadded, nwritten;
	int committed;                 /* boot.cfg replaced: from here on nothing is undone */
};

/* Reads and parses the bank's boot.cfg into old; cfg starts as old without the removed modules and the old
 * vibs module. */
static int step_read(void *ctx, struct rh_err *err)
{
	struct bank_edit *b = ctx;
	struct bootcfg_error berr = { 0, NULL };
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	unsigned i;
	int rc;

	snprintf(path, sizeof(path), "%s/boot.cfg", b->dir);
	rc = rh_read_file(path, TEXT_MAX, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = bootcfg_parse(buf, len, b->old, &berr);
	free(buf);
	if (rc < 0)
		return rh_errf(err, rc, "%s: boot.cfg line %u: %s", b->label, berr.line, berr.what);
	*b->cfg = *b->old;
	b->cfg->nmodules = 0;
	for (i = 0; i < b->old->nmodules; i++)   /* kept: all but removed ones and the old vibs module */
		if (!is_vibs_module(b->old->modules[i].name) && !listed(b->e->remove, b->old->modules[i].name))
			b->cfg->modules[b->cfg->nmodules++] = b->old->modules[i];
	return 0;
}

/* Unlinks the module files written from index from on. */
static void unlink_written(struct bank_edit *b, unsigned from)
{
	char path[PATH_MAX];

	for (; b->nwritten > from; b->nwritten--) {
		snprintf(path, sizeof(path), "%s/%s", b->dir, b->written[b->nwritten - 1]);
		unlink(path);
	}
}

/* Writes one new module file name into the next module slot of cfg (known: as write_module). */
static int add_module(struct bank_edit *b, const char *name, const char *src, const uint8_t *known,
		      struct rh_err *err)
{
	struct bootcfg_file *f = &b->cfg->modules[b->cfg->nmodules];
	int rc;

	if (src)
		rc = write_module(b->dir, name, src, known, NULL, 0, b->label, f, err);
	else
		rc = write_module(b->dir, name, NULL, NULL, b->e->vibs_cpio, b->e->vibs_len, b->label, f, err);
	if (rc < 0)
		return rc;
	b->cfg->nmodules++;
	b->written[b->nwritten++] = f->name;
	return 0;
}

/* The added tardisks, each under a name the booted boot.cfg does not use. */
static int add_all(struct bank_edit *b, struct rh_err *err)
{
	char path[PATH_MAX];
	unsigned i;
	int rc;

	for (i = 0; b->e->add_tdk[i]; i++) {
		const char *name = base_of(b->e->add_tdk[i]);

		if (bootcfg_find_module(b->cfg, name))
			return rh_errf(err, -EEXIST, "%s: boot.cfg already lists a module %s", b->label, name);
		if (b->cfg->nmodules + 1 >= BOOTCFG_MAX_MODULES)
			return rh_errf(err, -E2BIG, "%s: boot.cfg would list more than %d modules", b->label,
				       BOOTCFG_MAX_MODULES);
		if (bootcfg_find_module(b->old, name))
			return rh_errf(err, -EEXIST, "%s: /%s is in use by the booted image: a payload of the same name "
					       "cannot be replaced live (remove it first)", b->label, name);
		snprintf(path, sizeof(path), "%s/%s", b->dir, name);
		unlink(path);   /* a leftover of an install that never committed */
		rc = add_module(b, name, b->e->add_tdk[i], b->e->add_sha256[i], err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int step_add(void *ctx, struct rh_err *err)
{
	struct bank_edit *b = ctx;
	int rc = add_all(b, err);

	if (rc < 0)
		unlink_written(b, 0);   /* the step did not complete: its undo will not run */
	b->nadded = b->nwritten;
	return rc;
}

static void undo_add(void *ctx)
{
	struct bank_edit *b = ctx;

	if (!b->committed)
		unlink_written(b, 0);
}

/* The new vibs.cpio under a name that neither boot.cfg nor the directory has. */
static int step_vibs(void *ctx, struct rh_err *err)
{
	struct bank_edit *b = ctx;
	char path[PATH_MAX], vname[64];
	struct stat st;
	unsigned k;

	for (k = 0;; k++) {
		if (k)
			snprintf(vname, sizeof(vname), "vibs-%u.cpio", k);
		else
			snprintf(vname, sizeof(vname), "vibs.cpio");
		snprintf(path, sizeof(path), "%s/%s", b->dir, vname);
		if (!bootcfg_find_module(b->old, vname) && lstat(path, &st) < 0)
			break;
	}
	return add_module(b, vname, NULL, NULL, err);
}

static void undo_vibs(void *ctx)
{
	struct bank_edit *b = ctx;

	if (!b->committed)
		unlink_written(b, b->nadded);
}

static int step_format(void *ctx, struct rh_err *err)
{
	struct bank_edit *b = ctx;
	char path[PATH_MAX];
	struct stat st;

	if (syslinux_cfg_check_names(b->cfg, b->so.bootcfg_module, err))
		return rh_err_prefix(err, -EINVAL, "%s", b->label);
	b->tlen = bootcfg_format(b->cfg, b->text, TEXT_MAX);
	b->slen = syslinux_cfg_format(b->cfg, &b->so, b->sl, TEXT_MAX);
	if (b->tlen < 0 || b->slen < 0)
		return rh_errf(err, -E2BIG, "%s: the new boot.cfg or syslinux.cfg cannot be written", b->label);
	snprintf(path, sizeof(path), "%s/syslinux/ldlinux.sys", b->dir);
	b->has_syslinux = stat(path, &st) == 0;
	return 0;
}

static int step_bootcfg_module(void *ctx, struct rh_err *err)
{
	struct bank_edit *b = ctx;

	return bank_dir_write_bootcfg_module(b->dir, b->text, (size_t)b->tlen, err);
}

/* bootcfg.cpio back to the boot.cfg on disk (the old one: the commit did not happen). */
static void undo_bootcfg_module(void *ctx)
{
	struct bank_edit *b = ctx;
	struct rh_err e2 = { 0 };
	char path[PATH_MAX], *buf = NULL;
	size_t len;

	if (b->committed)
		return;
	snprintf(path, sizeof(path), "%s/boot.cfg", b->dir);
	if (rh_read_file(path, TEXT_MAX, &buf, &len, &e2) == 0)
		bank_dir_write_bootcfg_module(b->dir, buf, len, &e2);
	free(buf);
}

static int step_syslinux_cfg(void *ctx, struct rh_err *err)
{
	struct bank_edit *b = ctx;

	if (!b->has_syslinux)
		return 0;
	return rh_replace_file(b->dir, "syslinux/syslinux.cfg", b->sl, (size_t)b->slen, b->label, err);
}

/* syslinux.cfg back to the booted boot.cfg's. */
static void undo_syslinux_cfg(void *ctx)
{
	struct bank_edit *b = ctx;
	struct rh_err e2 = { 0 };
	long slen;

	if (!b->has_syslinux || b->committed)
		return;
	slen = syslinux_cfg_format(b->old, &b->so, b->sl, TEXT_MAX);
	if (slen > 0)
		rh_replace_file(b->dir, "syslinux/syslinux.cfg", b->sl, (size_t)slen, b->label, &e2);
}

/* The commit point for UEFI: boot.cfg replaced (temp + rename). */
static int step_commit(void *ctx, struct rh_err *err)
{
	struct bank_edit *b = ctx;
	int rc = rh_replace_file(b->dir, "boot.cfg", b->text, (size_t)b->tlen, b->label, err);

	if (!rc)
		b->committed = 1;
	return rc;
}

/* After the commit: the files the new boot.cfg no longer names. */
static int step_prune(void *ctx, struct rh_err *err)
{
	struct bank_edit *b = ctx;
	char path[PATH_MAX];
	unsigned i;

	(void)err;
	for (i = 0; i < b->old->nmodules; i++) {
		if (bootcfg_find_module(b->cfg, b->old->modules[i].name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", b->dir, b->old->modules[i].name);
		unlink(path);
	}
	return 0;
}

/* The edit in the order at the top of this file: before "commit" every step's undo puts the bank back; after it
 * nothing is undone (the new boot.cfg names the new files). */
static const struct step edit_steps[] = {
	{ "read", step_read, NULL },
	{ "add", step_add, undo_add },
	{ "vibs", step_vibs, undo_vibs },
	{ "format", step_format, NULL },
	{ "bootcfg-module", step_bootcfg_module, undo_bootcfg_module },
	{ "syslinux-cfg", step_syslinux_cfg, undo_syslinux_cfg },
	{ "commit", step_commit, NULL },
	{ "prune", step_prune, NULL },
};

int live_bank_apply_dir(const char *dir, const char *label, unsigned bank, const char *bankuuid,
			const struct live_bank_edit *e, struct rh_err *err)
{
	struct steps tbl = { "live-bank", edit_steps, sizeof(edit_steps) / sizeof(edit_steps[0]), NULL, NULL };
	struct syslinux_cfg_opts so = { "", bank, BANK_DIR_BOOTCFG_MODULE, "0 115200", bankuuid, NULL, NULL };
	struct bank_edit b;
	int rc;

	memset(&b, 0, sizeof(b));
	b.dir = dir;
	b.label = label;
	b.e = e;
	b.so = so;
	b.old = calloc(1, sizeof(*b.old));
	b.cfg = calloc(1, sizeof(*b.cfg));
	b.text = malloc(TEXT_MAX);
	b.sl = malloc(TEXT_MAX);
	if (!b.old || !b.cfg || !b.text || !b.sl)
		rc = rh_errf(err, -ENOMEM, "out of memory");
	else
		rc = steps_run(&tbl, &b, NULL, err);
	free(b.old);
	free(b.cfg);
	free(b.text);
	free(b.sl);
	return rc;
}

int live_bank_apply(const struct live_bank_edit *e, struct rh_err *err)
{
	struct cmdline cl;
	struct bank_disk d;
	char dir[PATH_MAX];
	int rc, b;

	rc = bank_disk_find(&cl, &d, err);
	if (rc < 0)
		return rc;
	if (!cl.has_uuid)
		return 0;
	b = d.booted - 1;
	rc = bank_disk_mount(d.dev[b], 1, dir, err);
	if (rc < 0)
		return rc;
	rc = live_bank_apply_dir(dir, d.dev[b], (unsigned)d.booted, d.uuid[b], e, err);
	{
		struct rh_err e2 = { 0 };
		int r = bank_disk_umount(d.dev[b], dir, rc < 0 ? &e2 : err);
		if (!rc && r < 0)
			rc = r;
	}
	return rc < 0 ? rc : 1;
}
