/* bank_esp.c: the boot disk's ESP default bank (see bank_esp.h). */
#include "bank_esp.h"

#include <errno.h>
#include <limits.h>

#include "bank_disk.h"

int bank_esp_point(const char *esp_dev, int bank, int dry_run, int *ret_old, int *ret_changed, struct rh_err *err)
{
	struct esp_chain_cfg old;
	char dir[PATH_MAX];
	int rc, urc, changed = 0;

	rc = bank_disk_mount(esp_dev, 0, dir, err);
	if (rc < 0)
		return rc;
	rc = esp_chain_read(dir, esp_dev, &old, err);
	if (rc == -ENOENT)
		rh_errf(err, rc, "%s: /%s: not found (no SYSLINUX on the ESP)", esp_dev, ESP_CHAIN_CFG);
	/* only a change is written: an ESP that is already right is never mounted read-write */
	if (!rc && old.default_bank != bank && !dry_run) {
		rc = bank_disk_remount_rw(esp_dev, dir, err);
		if (!rc)
			rc = esp_chain_point_dir(dir, esp_dev, bank, &changed, err);
	}
	urc = bank_disk_umount(esp_dev, dir, err);
	if (!rc)
		rc = urc;
	if (rc < 0)
		return rc;
	*ret_old = old.default_bank;
	*ret_changed = dry_run ? old.default_bank != bank : changed;
	return 0;
}

int bank_esp_default(const char *esp_dev, int *ret_bank, struct rh_err *err)
{
	struct esp_chain_cfg c;
	char dir[PATH_MAX];
	int rc, urc;

	rc = bank_disk_mount(esp_dev, 0, dir, err);
	if (rc < 0)
		return rc;
	rc = esp_chain_read(dir, esp_dev, &c, err);
	urc = bank_disk_umount(esp_dev, dir, err);
	if (!rc)
		rc = urc;
	if (rc < 0)
		return rc;
	*ret_bank = c.default_bank;
	return 0;
}
