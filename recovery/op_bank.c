/* op_bank.c: the repairs inside the banks: revert, copy-module, rebuild-cfg (see ops.h; reinstall-bank is in
 * op_reinstall.c). Each stages the bank partition (stage.h), changes its files with mtools and adds the changed
 * sectors to the write set.
 *
 * What a module "verifies against" (copy-module, rebuild-cfg): the hash.NAME of the other bank's boot.cfg or of
 * the rescue media's boot.cfg, and the file's SHA-256 must equal it. A module that verifies against nothing is
 * never written into a boot.cfg: a rebuilt boot.cfg vouches only for bytes someone vouched for before. */
#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bank.h"
#include "bootcfg.h"
#include "bootloader/bank_dir.h"
#include "bootloader/esp_chain.h"
#include "fileio.h"
#include "fs.h"
#include "sha256.h"
#include "op_bank_int.h"
#include "partfs.h"
#include "stage.h"

#define CFG_MAX (256u * 1024u)

const struct scan_fat *opb_fat(struct repair_ctx *c, int n)
{
	return &c->scan->bank[n - 1].fat;
}

void opb_label(int n, uint32_t partno, char *buf, size_t cap)
{
	snprintf(buf, cap, "p%u (bank %d)", partno, n);
}

int opb_arg_bank(const char *arg, int *ret, struct rh_err *err)
{
	if (arg && (arg[0] == '1' || arg[0] == '2') && (arg[1] == '\0' || arg[1] == ':')) {
		*ret = arg[0] - '0';
		return 0;
	}
	return rh_errf(err, -EINVAL, "'%s': name a bank, 1 or 2", arg ? arg : "");
}

int opb_open(struct repair_ctx *c, const struct wset *pending, int n, struct partfs *p, struct rh_err *err)
{
	const struct scan_fat *f = opb_fat(c, n);
	char label[24];

	if (!f->exists)
		return rh_errf(err, -ENOENT, "%s: the GPT has no partition for bank %d", c->d->path, n);
	opb_label(n, f->partno, label, sizeof(label));
	return partfs_open(p, c->d, pending, OP_PART_BASE(f, c->d->sector), OP_PART_LEN(f, c->d->sector), label, err);
}

/* Reads and parses bank n's boot.cfg. -ENOENT / -EINVAL with err when it is missing or does not parse. */
int opb_cfg(struct repair_ctx *c, const struct wset *pending, int n, struct bootcfg *cfg, struct rh_err *err)
{
	struct bootcfg_error pe = { 0, NULL };
	struct partfs p;
	char *buf = NULL;
	size_t len = 0;
	int rc = opb_open(c, pending, n, &p, err);

	if (rc < 0)
		return rc;
	rc = partfs_read(&p, "/boot.cfg", CFG_MAX, &buf, &len, err);
	if (rc < 0)
		return rc;
	if (bootcfg_parse(buf, len, cfg, &pe) < 0)
		rc = rh_errf(err, -EINVAL, "%s: %s: boot.cfg line %u: %s", c->d->path, p.label, pe.line,
			     pe.what ? pe.what : "does not parse");
	free(buf);
	return rc;
}

/* The media's boot.cfg (c->media/boot.cfg). */
int opb_media_cfg(struct repair_ctx *c, struct bootcfg *cfg, struct rh_err *err)
{
	if (!c->media)
		return rh_errf(err, -ENOENT, "no rescue media bootbank (give --media DIR)");
	return bank_dir_read_cfg(c->media, cfg, err);
}

int opb_stage(struct repair_ctx *c, const struct wset *pending, int n, struct stage *s, struct rh_err *err)
{
	const struct scan_fat *f = opb_fat(c, n);
	char label[24];

	opb_label(n, f->partno, label, sizeof(label));
	return stage_open(c->d, pending, OP_PART_BASE(f, c->d->sector), OP_PART_LEN(f, c->d->sector), label, c->work,
			  s, err);
}

/* Writes cfg as boot.cfg and bootcfg.cpio into the staged bank s (through a scratch directory). */
int opb_put_cfg(struct repair_ctx *c, const struct stage *s, const struct bootcfg *cfg, struct wset *w,
		struct rh_err *err)
{
	struct fatimg f = stage_fatimg(s);
	char dir[PATH_MAX], src[PATH_MAX + 16];
	int rc = fs_work_dir(c->work, "rescue-cfg", dir, sizeof(dir), err);

	if (rc < 0)
		return rc;
	rc = bank_dir_write_cfg(dir, cfg, err);
	snprintf(src, sizeof(src), "%s/boot.cfg", dir);
	if (!rc)
		rc = fatimg_copy(&f, src, "/boot.cfg", err);
	snprintf(src, sizeof(src), "%s/%s", dir, BANK_DIR_BOOTCFG_MODULE);
	if (!rc)
		rc = fatimg_copy(&f, src, "/" BANK_DIR_BOOTCFG_MODULE, err);
	fs_rm_rf(dir, NULL);
	if (!rc)
		rc = wset_add_file(w, s->label, "/boot.cfg", "replace", 0, "and bootcfg.cpio derived from it", err);
	return rc;
}

/* Whether every file tmpl names is in bank n with the hash tmpl gives; the first that is not into bad. */
static int bank_matches(struct repair_ctx *c, const struct wset *pending, int n, const struct bootcfg *tmpl,
			char *bad, size_t cap);

/* revert ARG: bank ARG (default: the one the bank rules do not boot now) becomes the one the loader boots (lib/
 * bank.h's bank_revert: its updated = the other's + 1), and a BIOS boot chains to it (the ESP's syslinux.cfg
 * default). As a step of a whole repair (c->auto_step) it is skipped when the bank booted now is sound again by
 * then (an earlier step copied its damaged module back). */
int op_revert(OP_ARGS)
{
	struct bank_info bi[2];
	struct bank_plan plan;
	struct bootcfg *cfg = calloc(2, sizeof(*cfg));
	struct stage s = { .path = "" };
	char bad[BOOTCFG_MAX_NAME];
	int cur = 0, target = 0, rc = 0, i;

	if (!cfg)
		return rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; i < 2; i++) {
		bi[i].present = opb_cfg(c, pending, i + 1, &cfg[i], NULL) == 0;
		bi[i].bootstate = bi[i].present ? cfg[i].bootstate : -1;
		bi[i].updated = bi[i].present ? cfg[i].updated : 0;
	}
	if (bank_plan(bi, &plan) == 0 && plan.n)
		cur = plan.order[0];
	if (arg && *arg)
		rc = opb_arg_bank(arg, &target, err);
	else if (cur)
		target = 3 - cur;
	else
		rc = rh_errf(err, -ENOENT, "%s: no bank is bootable, so there is nothing to revert from", c->d->path);
	if (rc < 0)
		goto out;
	if (cur == target || (c->auto_step && cur && bank_matches(c, pending, cur, &cfg[cur - 1], bad, sizeof(bad)))) {
		rc = -EALREADY;
		goto out;
	}
	if (bank_revert(bi, 3 - target, &plan) < 0) {
		rc = rh_errf(err, -ENOENT, "%s: bank %d cannot boot (boot.cfg missing, invalid or damaged), so a revert "
			     "to it would not boot either; repair it first", c->d->path, target);
		goto out;
	}
	cfg[target - 1].updated = (uint64_t)plan.write_updated[target - 1];
	if (cfg[target - 1].bootstate != BOOTSTATE_VALID && cfg[target - 1].bootstate != -1)
		cfg[target - 1].bootstate = BOOTSTATE_VALID;
	rc = opb_stage(c, pending, target, &s, err);
	if (!rc)
		rc = opb_put_cfg(c, &s, &cfg[target - 1], w, err);
	if (!rc)
		rc = stage_diff(c->d, pending, &s, "boot.cfg (revert)", w, err);
	stage_close(&s);
	if (!rc)
		rc = opb_point_esp(c, pending, target, w, err);
out:
	free(cfg);
	return rc;
}

int opb_point_esp(struct repair_ctx *c, const struct wset *pending, int n, struct wset *w, struct rh_err *err)
{
	const struct scan_fat *f = &c->scan->esp.fat;
	struct esp_chain_cfg old;
	struct stage s = { .path = "" };
	struct partfs p;
	struct fatimg fi;
	char *buf = NULL, label[24], text[2048], tmp[PATH_MAX];
	size_t len = 0;
	long tl;
	int rc, fd = -1;

	if (!f->exists || !f->fs_ok)
		return 0;
	snprintf(label, sizeof(label), "p%u (ESP)", f->partno);
	rc = partfs_open(&p, c->d, pending, OP_PART_BASE(f, c->d->sector), OP_PART_LEN(f, c->d->sector), label, err);
	if (rc < 0)
		return rc;
	if (partfs_exists(&p, "/" ESP_CHAIN_CFG) != 1)
		return 0;
	rc = partfs_read(&p, "/" ESP_CHAIN_CFG, 64 * 1024, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = esp_chain_parse(buf, len, &old);
	free(buf);
	if (rc < 0)
		return rh_errf(err, rc, "%s: %s: /%s does not parse", c->d->path, label, ESP_CHAIN_CFG);
	if (old.default_bank == n)
		return 0;
	tl = esp_chain_format(&old, n, text, sizeof(text));
	if (tl < 0)
		return rh_errf(err, (int)tl, "%s: %s: cannot write /%s", c->d->path, label, ESP_CHAIN_CFG);
	snprintf(tmp, sizeof(tmp), "%s/esp-syslinux.cfg.XXXXXX", c->work);
	fd = fs_make_temp(tmp, 0, err);
	if (fd < 0)
		return fd;
	rc = rh_write_all(fd, text, (size_t)tl);
	close(fd);
	if (rc < 0)
		rh_errf(err, rc, "%s: %s", tmp, strerror(-rc));
	if (!rc)
		rc = stage_open(c->d, pending, OP_PART_BASE(f, c->d->sector), OP_PART_LEN(f, c->d->sector), label,
				c->work, &s, err);
	fi = stage_fatimg(&s);
	if (!rc)
		rc = fatimg_copy(&fi, tmp, "/" ESP_CHAIN_CFG, err);
	if (!rc)
		rc = wset_add_file(w, label, "/" ESP_CHAIN_CFG, "replace", (uint64_t)tl, n == 1 ?
				   "BIOS boots bank 1 (bootbank)" : "BIOS boots bank 2 (altbootbank)", err);
	if (!rc)
		rc = stage_diff(c->d, pending, &s, "syslinux.cfg (BIOS chain)", w, err);
	stage_close(&s);
	fs_rm_rf(tmp, NULL);
	return rc;
}

/* Whether bank n holds name with SHA-256 want. */
static int bank_has(struct repair_ctx *c, const struct wset *pending, int n, const char *name, const uint8_t *want)
{
	struct partfs p;
	uint8_t sha[32];
	char path[BOOTCFG_MAX_NAME + 2];

	if (!opb_fat(c, n)->exists || opb_open(c, pending, n, &p, NULL) < 0)
		return 0;
	snprintf(path, sizeof(path), "/%s", name);
	return partfs_sha256(&p, path, sha, NULL, NULL) == 0 && !memcmp(sha, want, 32);
}

/* Whether the media holds name with SHA-256 want; its path into path. */
static int media_has(struct repair_ctx *c, const char *name, const uint8_t *want, char *path, size_t cap)
{
	uint8_t sha[32];

	if (!c->media || strchr(name, '/'))
		return 0;
	snprintf(path, cap, "%s/%s", c->media, name);
	return fs_sha256_file(path, sha, NULL, NULL) == 0 && !memcmp(sha, want, 32);
}

/* The hash boot.cfg wants for name: this bank's boot.cfg, else the other bank's, else the media's. */
static int want_hash(struct repair_ctx *c, const struct wset *pending, int n, const char *name, uint8_t want[32],
		     struct rh_err *err)
{
	struct bootcfg *cfg = malloc(sizeof(*cfg));
	const struct bootcfg_file *f = NULL;
	int i, rc = -ENOENT;

	if (!cfg)
		return rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; i < 3 && rc < 0; i++) {
		int ok = i == 0 ? opb_cfg(c, pending, n, cfg, NULL) == 0 : i == 1 ?
			opb_cfg(c, pending, 3 - n, cfg, NULL) == 0 : opb_media_cfg(c, cfg, NULL) == 0;
		if (!ok)
			continue;
		f = !strcmp(cfg->kernel.name, name) ? &cfg->kernel : bootcfg_find_module(cfg, name);
		if (f && f->has_sha256) {
			memcpy(want, f->sha256, 32);
			rc = 0;
		}
	}
	free(cfg);
	if (rc < 0)
		return rh_errf(err, -ENOENT, "%s: bank %d: no boot.cfg (this bank's, the other's or the media's) names %s "
			       "with a hash to check a copy against", c->d->path, n, name);
	return 0;
}

/* copy-module BANK:NAME: the module from the other bank or the media, only when its SHA-256 is the one boot.cfg
 * wants. */
int op_copy_module(OP_ARGS)
{
	const char *name = arg ? strchr(arg, ':') : NULL;
	struct stage s = { .path = "" };
	struct fatimg fi;
	uint8_t want[32];
	char src[PATH_MAX], dst[BOOTCFG_MAX_NAME + 2], hex[65], detail[128];
	int n = 1, rc, from = 0;

	rc = opb_arg_bank(arg, &n, err);
	if (rc < 0)
		return rc;
	if (!name || !name[1] || strchr(name + 1, '/'))
		return rh_errf(err, -EINVAL, "'%s': copy-module takes BANK:NAME (e.g. 1:base.tdk)", arg);
	name++;
	rc = want_hash(c, pending, n, name, want, err);
	if (rc < 0)
		return rc;
	if (bank_has(c, pending, n, name, want))
		return -EALREADY;
	sha256_to_hex(want, hex);
	if (bank_has(c, pending, 3 - n, name, want))
		from = 3 - n;
	else if (!media_has(c, name, want, src, sizeof(src)))
		return rh_errf(err, -ENOENT, "%s: bank %d: %s: neither the other bank nor the rescue media holds a copy "
			       "with sha256 %s; reinstall the bank from matching media (reinstall-bank)", c->d->path,
			       n, name, hex);
	if (from) {
		struct partfs p;
		char tmpl[PATH_MAX];
		snprintf(tmpl, sizeof(tmpl), "%s/module.XXXXXX", c->work);
		rc = fs_make_temp(tmpl, 0, err);
		if (rc < 0)
			return rc;
		close(rc);
		snprintf(src, sizeof(src), "%s", tmpl);
		snprintf(dst, sizeof(dst), "/%s", name);
		rc = opb_open(c, pending, from, &p, err);
		if (!rc)
			rc = partfs_extract(&p, dst, src, err);
		if (rc < 0)
			goto out;
	}
	rc = opb_stage(c, pending, n, &s, err);
	fi = stage_fatimg(&s);
	snprintf(dst, sizeof(dst), "/%s", name);
	if (!rc)
		rc = fatimg_copy(&fi, src, dst, err);
	snprintf(detail, sizeof(detail), "sha256 %.16s..., from %s", hex, from ? (from == 1 ? "bank 1" : "bank 2")
		 : "the rescue media");
	if (!rc)
		rc = wset_add_file(w, s.label, dst, "replace", 0, detail, err);
	if (!rc)
		rc = stage_diff(c->d, pending, &s, name, w, err);
	stage_close(&s);
out:
	if (from)
		fs_rm_rf(src, NULL);
	return rc;
}

static int bank_matches(struct repair_ctx *c, const struct wset *pending, int n, const struct bootcfg *tmpl,
			char *bad, size_t cap)
{
	unsigned i;

	for (i = 0; i <= tmpl->nmodules; i++) {
		const struct bootcfg_file *f = i == 0 ? &tmpl->kernel : &tmpl->modules[i - 1];
		if (!f->has_sha256 || !bank_has(c, pending, n, f->name, f->sha256)) {
			snprintf(bad, cap, "%s", f->name);
			return 0;
		}
	}
	return 1;
}

/* rebuild-cfg BANK: a boot.cfg for the files found in the bank, from the first template whose every file the
 * bank holds with the template's hash: the other bank's boot.cfg, then the media's. The rebuilt bank gets
 * bootstate VALID and updated one below the other bank's, so the intact bank stays the one that boots first. */
int op_rebuild_cfg(OP_ARGS)
{
	struct bootcfg *t = malloc(sizeof(*t)), *other = malloc(sizeof(*other));
	struct stage s = { .path = "" };
	char bad[2][BOOTCFG_MAX_NAME] = { "", "" };
	int n = 1, rc, i, have_other, found = 0;

	if (!t || !other) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = opb_arg_bank(arg, &n, err);
	if (rc < 0)
		goto out;
	if (opb_cfg(c, pending, n, t, NULL) == 0 && t->kernel.name[0] &&
	    bank_matches(c, pending, n, t, bad[0], sizeof(bad[0]))) {
		rc = -EALREADY;   /* it parses and vouches for every file the bank holds */
		goto out;
	}
	bad[0][0] = '\0';
	have_other = opb_cfg(c, pending, 3 - n, other, NULL) == 0;
	for (i = 0; i < 2 && !found; i++) {
		if (i == 0 && !have_other)
			continue;
		if (i == 0)
			*t = *other;
		else if (opb_media_cfg(c, t, NULL) < 0)
			continue;
		found = bank_matches(c, pending, n, t, bad[i], sizeof(bad[i]));
	}
	if (!found) {
		rc = rh_errf(err, -ENOENT, "%s: bank %d: its files match no boot.cfg to rebuild from (other bank: %s; "
			     "media: %s); copy the damaged modules first or reinstall the bank", c->d->path, n,
			     have_other ? (bad[0][0] ? bad[0] : "ok") : "none", c->media ? (bad[1][0] ? bad[1] : "ok")
			     : "none given");
		goto out;
	}
	t->bootstate = BOOTSTATE_VALID;
	t->updated = have_other && other->updated > 0 ? other->updated - 1 : 0;
	rc = opb_stage(c, pending, n, &s, err);
	if (!rc)
		rc = opb_put_cfg(c, &s, t, w, err);
	if (!rc)
		rc = stage_diff(c->d, pending, &s, "boot.cfg (rebuilt)", w, err);
	stage_close(&s);
out:
	free(t);
	free(other);
	return rc;
}
