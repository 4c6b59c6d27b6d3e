/* media.c: the rescue media (see media.h): a directory given, or the booted ISO's bootbank extracted; and the
 * booted ISO's own loader. */
#include "media.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg.h"
#include "bootloader/bank_dir.h"
#include "fs.h"
#include "image-builder/install_medium.h"

/* boot.cfg of the medium's bootbank into dir (as it is) and *cfg. */
static int copy_cfg(struct install_medium *m, const char *dir, struct bootcfg *cfg, struct rh_err *err)
{
	struct bootcfg_error pe = { 0 };
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int rc;

	rc = install_medium_read(m, RESCUE_MEDIA_ISO_BANK "/boot.cfg", 1 << 20, &text, &len, err);
	if (rc)
		return rc;
	if (bootcfg_parse(text, len, cfg, &pe) < 0)
		rc = rh_errf(err, -EINVAL, "%s: " RESCUE_MEDIA_ISO_BANK "/boot.cfg: line %u: %s", m->dev, pe.line,
			     pe.what ? pe.what : "cannot parse it");
	if (!rc)
		rc = fs_join(path, sizeof(path), dir, "boot.cfg", err);
	if (!rc)
		rc = fs_write_file(path, text, len, 0644, err);
	if (!rc)
		rc = bank_dir_write_bootcfg_module(dir, text, len, err);
	free(text);
	return rc;
}

/* The kernel and every module cfg names, from the medium into dir; then each checked against its hash. */
static int copy_files(struct install_medium *m, const char *dir, const struct bootcfg *cfg, struct rh_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX];
	unsigned i;
	int rc = 0;

	for (i = 0; i <= cfg->nmodules && !rc; i++) {
		const struct bootcfg_file *f = i == 0 ? &cfg->kernel : &cfg->modules[i - 1];

		if (!f->name[0] || strchr(f->name, '/') || !strcmp(f->name, "..") || !strcmp(f->name, "."))
			return rh_errf(err, -EINVAL, "%s: " RESCUE_MEDIA_ISO_BANK "/boot.cfg names '%.80s': not a plain "
						     "file name", m->dev, f->name);
		if (!f->has_sha256)
			return rh_errf(err, -EINVAL, "%s: " RESCUE_MEDIA_ISO_BANK "/boot.cfg has no hash.%s line",
				       m->dev, f->name);
		snprintf(src, sizeof(src), RESCUE_MEDIA_ISO_BANK "/%s", f->name);
		rc = fs_join(dst, sizeof(dst), dir, f->name, err);
		if (!rc)
			rc = install_medium_copy(m, src, dst, 0644, NULL, NULL, err);
	}
	if (!rc)
		rc = bank_dir_check(dir, cfg, err);
	if (rc)
		rh_err_prefix(err, rc, "%s: the bootbank on the rescue ISO", m->dev);
	return rc;
}

static int extract_iso_bank(const char *work, char *buf, size_t cap, struct rh_err *err)
{
	struct install_medium m = { .fd = -1 };
	struct bootcfg *cfg = NULL;
	struct rh_err quiet = { 0 };
	int rc;

	if (install_medium_find(&m, &quiet))
		return 0;   /* not booted from a ramhost ISO (or no CD drive can be read): no media */
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = fs_join(buf, cap, work, "media", err);
	if (!rc)
		rc = rh_mkdir_p(buf, 0755, err);
	if (!rc)
		rc = copy_cfg(&m, buf, cfg, err);
	if (!rc)
		rc = copy_files(&m, buf, cfg, err);
out:
	free(cfg);
	install_medium_close(&m);
	if (rc) {
		buf[0] = '\0';
		return rc;
	}
	return 1;
}

int rescue_media_find(const char *given, const char *work, char *buf, size_t cap, struct rh_err *err)
{
	const char *env = getenv(RESCUE_MEDIA_ENV);

	if (!given || !*given)
		given = env;
	if (given && *given) {
		if ((size_t)snprintf(buf, cap, "%s", given) >= cap)
			return rh_errf(err, -ENAMETOOLONG, "rescue media %.80s...: path too long", given);
		return 1;
	}
	buf[0] = '\0';
	return extract_iso_bank(work, buf, cap, err);
}

int rescue_media_loader(const char *work, char *buf, size_t cap, struct rh_err *err)
{
	struct install_medium m = { .fd = -1 };
	struct rh_err quiet = { 0 };
	int rc;

	buf[0] = '\0';
	if (install_medium_find(&m, &quiet))
		return 0;
	rc = fs_join(buf, cap, work, "media-loader.efi", err);
	if (!rc) {
		rc = install_medium_copy(&m, RESCUE_MEDIA_ISO_LOADER, buf, 0644, NULL, NULL, &quiet);
		if (rc == -ENOENT)
			rc = 0;   /* an ISO without UEFI boot: the loader next to ramhost then */
		else if (rc < 0)
			rh_errf(err, rc, "the rescue ISO's loader: %s", quiet.msg);
		else
			rc = 1;
	}
	install_medium_close(&m);
	if (rc != 1)
		buf[0] = '\0';
	return rc;
}
