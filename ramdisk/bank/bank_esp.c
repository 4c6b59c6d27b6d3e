/* bank_esp.c: the boot disk's ESP default bank (see bank_esp.h). */
#include "bank_esp.h"

#include <errno.h>
#include <limits.h>

#include "bank_disk.h"

/* Mounts the ESP read-only and reads its chain config into *ret; when bank is 1 or 2 and not the default yet
 * (and not dry_run), remounts it read-write and points it there (*ret_changed 1). Syncs and unmounts. */
static int with_esp(const char *esp_dev, int bank, int dry_run, struct esp_chain_cfg *ret, int *ret_changed,
		    struct rh_err *err)
{
	char dir[PATH_MAX];
	int rc, urc;

	*ret_changed = 0;
	rc = bank_disk_mount(esp_dev, 0, dir, err);
	if (rc < 0)
		return rc;
	rc = esp_chain_read(dir, esp_dev, ret, err);
	if (rc == -ENOENT && bank)
		rh_errf(err, rc, "%s: /%s: not found (no SYSLINUX on the ESP)", esp_dev, ESP_CHAIN_CFG);
	/* only a change is written: an ESP that is already right is never mounted read-write */
	if (!rc && bank && ret->default_bank != bank && !dry_run) {
		rc = bank_disk_remount_rw(esp_dev, dir, err);
		if (!rc)
			rc = esp_chain_point_dir(dir, esp_dev, bank, ret_changed, err);
	}
	urc = bank_disk_umount(esp_dev, dir, err);
	if (!rc)
		rc = urc;
	return rc;
}

int bank_esp_point(const char *esp_dev, int bank, int dry_run, int *ret_old, int *ret_changed, struct rh_err *err)
{
	struct esp_chain_cfg old;
	int rc, changed;

	rc = with_esp(esp_dev, bank, dry_run, &old, &changed, err);
	if (rc < 0)
		return rc;
	*ret_old = old.default_bank;
	*ret_changed = dry_run ? old.default_bank != bank : changed;
	return 0;
}

int bank_esp_default(const char *esp_dev, int *ret_bank, struct rh_err *err)
{
	struct esp_chain_cfg c;
	int rc, changed;

	rc = with_esp(esp_dev, 0, 1, &c, &changed, err);
	if (rc < 0)
		return rc;
	*ret_bank = c.default_bank;
	return 0;
}
