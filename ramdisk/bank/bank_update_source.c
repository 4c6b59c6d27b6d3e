/* bank_update_source.c: what `bootbank update` writes, checked before anything is: a bootbank directory, or
 * a profile built into one (see bank_update.h, bank_update_int.h). */
#include "bank_update.h"
#include "bank_update_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bootloader/bank_dir.h"
#include "fs.h"
#include "image-builder/bank_build.h"
#include "image-builder/profile.h"

/* Names the bank writes itself: a kernel or module may not take them. */
static int reserved_name(const char *n)
{
	return !strcasecmp(n, "boot.cfg") || !strcasecmp(n, "boot.cfg.tmp") || !strcasecmp(n, BANK_DIR_BOOTCFG_MODULE) ||
	       !strcasecmp(n, "syslinux") || !strcmp(n, ".") || !strcmp(n, "..");
}

int bank_update_source_check(const char *dir, struct bootcfg *ret, uint64_t *ret_bytes, struct rh_err *err)
{
	struct bootcfg *cfg = malloc(sizeof(*cfg));
	uint64_t total = 0;
	unsigned i;
	int rc;

	if (!cfg)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = bank_dir_read_cfg(dir, cfg, err);
	if (rc)
		goto out;
	if (!cfg->kernel.name[0]) {
		rc = rh_errf(err, -EINVAL, "%s/boot.cfg: no kernel= line", dir);
		goto out;
	}
	for (i = 0; i <= cfg->nmodules; i++) {
		const char *n = nth_file(cfg, i)->name;
		char path[PATH_MAX];
		struct stat st;

		if (strchr(n, '/') || reserved_name(n)) {
			rc = rh_errf(err, -EINVAL, "%s/boot.cfg: %s '%s' is not a plain file name a bank can hold", dir,
				     i ? "module" : "kernel", n);
			goto out;
		}
		rc = fs_join(path, sizeof(path), dir, n, err);
		if (rc)
			goto out;
		if (stat(path, &st) < 0) {
			rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = rh_errf(err, -EINVAL, "%s: not a regular file", path);
			goto out;
		}
		total += (uint64_t)st.st_size;
	}
	rc = bank_dir_check(dir, cfg, err);
	if (rc)
		goto out;
	*ret = *cfg;
	*ret_bytes = total;
out:
	free(cfg);
	return rc;
}

/* The source as a checked bootbank directory: src itself, or a profile built into work/bank. */
int bank_update_source_prepare(const struct bank_update_opts *o, struct bank_update_result *r, char *work,
			  char *ret_dir, struct rh_err *err)
{
	struct bank_build_opts bo = { 0 };
	struct profile *p = NULL;
	struct rh_err berr = { 0, "" };
	struct stat st;
	int rc;

	if (stat(o->source, &st) < 0)
		return rh_errf(err, -errno, "%s: %s", o->source, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		r->source_kind = "dir";
		snprintf(ret_dir, PATH_MAX, "%s", o->source);
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return rh_errf(err, -EINVAL, "%s: neither a bootbank directory nor a profile file", o->source);
	r->source_kind = "profile";
	p = malloc(sizeof(*p));
	if (!p)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = profile_load(o->source, p, err);
	if (!rc)
		rc = fs_work_dir(NULL, "ramhost-update", work, PATH_MAX, err);
	if (!rc)
		rc = fs_join(ret_dir, PATH_MAX, work, "bank", err);
	if (rc)
		goto out;
	bank_update_say(o->progress, o->progress_ctx, "building %s into %s", o->source, ret_dir);
	bo.progress = o->progress;
	bo.progress_ctx = o->progress_ctx;
	rc = bank_build(p, ret_dir, 0, &bo, &berr);
	if (rc)
		rh_errf(err, rc, "%s: cannot build the profile on this host (building needs the kernel cache and "
				 "tar2sqfs, as on the build host: build it there with `ramhost image build` and pass the "
				 "bootbank directory): %s", o->source, berr.msg);
out:
	free(p);
	return rc;
}
