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
#include "fileio.h"
#include "bootloader/bank_dir.h"
#include "ramdisk/bank/bank_disk.h"
#include "sha256.h"

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

/* Writes dir/name from the tardisk file src (cpio-wrapped) or from buf, fsync'd; fills f's name and hash. */
static int write_module(const char *dir, const char *name, const char *src, const void *buf, size_t len,
			const char *label, struct bootcfg_file *f, struct rh_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	int out = -1, in = -1, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return rh_errf(err, -errno, "%s: create /%s: %s", label, name, strerror(errno));
	if (src) {
		in = open(src, O_RDONLY | O_CLOEXEC);
		if (in < 0 || fstat(in, &st) < 0) {
			rc = rh_errf(err, -errno, "%s: %s", src, strerror(errno));
			goto out;
		}
		rc = cpio_wrap_file(out, "tardisks", name, in, (uint64_t)st.st_size, err);
		rc = rc ?: cpio_wrap_sha256("tardisks", name, in, (uint64_t)st.st_size, f->sha256, err);
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

int live_bank_apply_dir(const char *dir, const char *label, unsigned bank, const char *bankuuid,
			const struct live_bank_edit *e, struct rh_err *err)
{
	struct syslinux_cfg_opts so = { "", bank, BANK_DIR_BOOTCFG_MODULE, "0 115200", bankuuid, NULL };
	struct bootcfg *old = calloc(1, sizeof(*old)), *cfg = calloc(1, sizeof(*cfg));
	struct bootcfg_error berr = { 0, NULL };
	char *text = malloc(TEXT_MAX), *sl = malloc(TEXT_MAX), path[PATH_MAX], vname[64];
	const char *written[10];
	unsigned nwritten = 0, i, k;
	size_t len;
	long tlen, slen;
	struct stat st;
	int rc = 0, committed = 0, has_syslinux;

	if (!old || !cfg || !text || !sl) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/boot.cfg", dir);
	{
		char *buf = NULL;
		rc = rh_read_file(path, TEXT_MAX, &buf, &len, err);
		if (rc < 0)
			goto out;
		rc = bootcfg_parse(buf, len, old, &berr);
		free(buf);
		if (rc < 0) {
			rc = rh_errf(err, rc, "%s: boot.cfg line %u: %s", label, berr.line, berr.what);
			goto out;
		}
	}
	*cfg = *old;
	cfg->nmodules = 0;
	for (i = 0; i < old->nmodules; i++)   /* kept: all but removed ones and the old vibs module */
		if (!is_vibs_module(old->modules[i].name) && !listed(e->remove, old->modules[i].name))
			cfg->modules[cfg->nmodules++] = old->modules[i];
	for (i = 0; e->add_tdk[i]; i++) {
		const char *name = base_of(e->add_tdk[i]);
		if (bootcfg_find_module(cfg, name)) {
			rc = rh_errf(err, -EEXIST, "%s: boot.cfg already lists a module %s", label, name);
			goto out;
		}
		if (cfg->nmodules + 1 >= BOOTCFG_MAX_MODULES) {
			rc = rh_errf(err, -E2BIG, "%s: boot.cfg would list more than %d modules", label,
				     BOOTCFG_MAX_MODULES);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (bootcfg_find_module(old, name)) {
			rc = rh_errf(err, -EEXIST, "%s: /%s is in use by the booted image: a payload of the same name "
					       "cannot be replaced live (remove it first)", label, name);
			goto out;
		}
		unlink(path);   /* a leftover of an install that never committed */
		rc = write_module(dir, name, e->add_tdk[i], NULL, 0, label, &cfg->modules[cfg->nmodules], err);
		if (rc < 0)
			goto out;
		written[nwritten++] = cfg->modules[cfg->nmodules++].name;
	}
	for (k = 0;; k++) {   /* a vibs module name that neither boot.cfg nor the directory has */
		if (k)
			snprintf(vname, sizeof(vname), "vibs-%u.cpio", k);
		else
			snprintf(vname, sizeof(vname), "vibs.cpio");
		snprintf(path, sizeof(path), "%s/%s", dir, vname);
		if (!bootcfg_find_module(old, vname) && lstat(path, &st) < 0)
			break;
	}
	rc = write_module(dir, vname, NULL, e->vibs_cpio, e->vibs_len, label, &cfg->modules[cfg->nmodules], err);
	if (rc < 0)
		goto out;
	written[nwritten++] = cfg->modules[cfg->nmodules++].name;

	tlen = bootcfg_format(cfg, text, TEXT_MAX);
	slen = syslinux_cfg_format(cfg, &so, sl, TEXT_MAX);
	if (tlen < 0 || slen < 0) {
		rc = rh_errf(err, -E2BIG, "%s: the new boot.cfg or syslinux.cfg cannot be written", label);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/syslinux/ldlinux.sys", dir);
	has_syslinux = stat(path, &st) == 0;
	rc = bank_dir_write_bootcfg_module(dir, text, (size_t)tlen, err);
	if (!rc && has_syslinux)
		rc = rh_replace_file(dir, "syslinux/syslinux.cfg", sl, (size_t)slen, label, err);
	rc = rc ?: rh_replace_file(dir, "boot.cfg", text, (size_t)tlen, label, err);
	if (rc < 0)
		goto out;
	committed = 1;
	/* the files the new boot.cfg no longer names */
	for (i = 0; i < old->nmodules; i++) {
		if (bootcfg_find_module(cfg, old->modules[i].name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, old->modules[i].name);
		unlink(path);
	}
out:
	if (rc < 0 && !committed) {
		struct rh_err e2 = { 0 };
		char *buf = NULL;

		for (i = 0; i < nwritten; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, written[i]);
			unlink(path);
		}
		/* bootcfg.cpio and syslinux.cfg back to the old boot.cfg when they were already rewritten */
		snprintf(path, sizeof(path), "%s/boot.cfg", dir);
		if (text && sl && rh_read_file(path, TEXT_MAX, &buf, &len, &e2) == 0) {
			bank_dir_write_bootcfg_module(dir, buf, len, &e2);
			slen = syslinux_cfg_format(old, &so, sl, TEXT_MAX);
			snprintf(path, sizeof(path), "%s/syslinux/ldlinux.sys", dir);
			if (slen > 0 && stat(path, &st) == 0)
				rh_replace_file(dir, "syslinux/syslinux.cfg", sl, (size_t)slen, label, &e2);
			free(buf);
		}
	}
	free(old);
	free(cfg);
	free(text);
	free(sl);
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
