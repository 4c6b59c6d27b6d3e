/* bank_mark.c: mark the booted bank good and keep the ESP's BIOS default on it (see bank_mark.h). */
#include "bank_mark.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank_esp.h"
#include "sysroot.h"

/* In the bank dev mounted read-only on dir: reads boot.cfg and, only when it is not VALID, remounts read-write
 * and marks it good. A bank that is already VALID is never mounted read-write (nothing at all is written, not
 * even the FAT dirty flag). */
static int mark_mounted(const char *dev, const char *dir, int *ret_old, int *ret_changed, struct rh_err *err)
{
	struct bank_dir_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = bank_dir_read(dir, dev, st, err);
	if (!rc && !st->present && !strcmp(st->problem, "no boot.cfg"))
		rc = rh_errf(err, -ENOENT, "%s: boot.cfg: not found in the bank", dev);
	else if (!rc && !st->present)   /* unparsable: the message names the device, file and line */
		rc = rh_errf(err, -EINVAL, "%s", st->problem);
	if (!rc && st->bootstate != BOOTSTATE_VALID && st->bootstate >= 0)
		rc = bank_disk_remount_rw(dev, dir, err);
	if (!rc)
		rc = bank_dir_mark_good(dir, dev, ret_old, ret_changed, err);
	free(st);
	return rc;
}

int bank_mark_good(int *ret_result, int *ret_old, char *ret_dev, struct rh_err *err)
{
	struct cmdline c;
	struct bank_disk d;
	char dir[PATH_MAX];
	const char *dev;
	int rc, old = -1, changed = 0, urc;

	if (sysroot_is_rescue()) {
		*ret_result = BANK_MARK_RESCUE;
		*ret_old = -1;
		if (ret_dev)
			ret_dev[0] = '\0';
		return 0;
	}
	rc = bank_disk_find(&c, &d, err);
	if (rc < 0)
		return rc;
	if (!c.has_uuid) {
		*ret_result = BANK_MARK_READ_ONLY_MEDIA;
		*ret_old = -1;
		if (ret_dev)
			ret_dev[0] = '\0';
		return 0;
	}
	dev = d.dev[d.booted - 1];
	rc = bank_disk_mount(dev, 0, dir, err);
	if (rc < 0)
		return rc;
	rc = mark_mounted(dev, dir, &old, &changed, err);
	urc = bank_disk_umount(dev, dir, err);
	if (!rc)
		rc = urc;
	if (rc < 0)
		return rc;
	*ret_result = changed ? BANK_MARK_MARKED : BANK_MARK_ALREADY_VALID;
	*ret_old = old;
	if (ret_dev)
		snprintf(ret_dev, BANK_DISK_DEV_MAX, "%s", dev);
	return 0;
}

int bank_mark_esp_follow(struct bank_mark_esp *ret, struct rh_err *err)
{
	struct bank_mark_esp f;
	struct cmdline c;
	struct bank_disk d;
	struct bank_disk_slot *s = calloc(2, sizeof(*s));
	int rc, old = 0, other;

	memset(&f, 0, sizeof(f));
	if (!s)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = bank_disk_find(&c, &d, err);
	if (rc < 0 || !c.has_uuid || !d.esp_part)
		goto done;
	snprintf(f.esp_dev, sizeof(f.esp_dev), "%s", d.esp_dev);
	rc = bank_esp_default(d.esp_dev, &old, err);
	if (rc == -ENOENT) {   /* an ESP without SYSLINUX: nothing to keep in line */
		rc = 0;
		goto done;
	}
	if (rc < 0)
		goto done;
	f.has_esp = 1;
	f.old_bank = old;
	if (old == d.booted)
		goto done;
	other = 3 - d.booted;
	rc = bank_disk_read_slot(d.dev[d.booted - 1], &s[0], err);
	if (!rc && d.part[other - 1])
		rc = bank_disk_read_slot(d.dev[other - 1], &s[1], err);
	if (rc < 0)
		goto done;
	if (old == other && s[1].present && s[1].bootstate == BOOTSTATE_UPGRADING && s[0].present &&
	    s[1].updated > s[0].updated) {
		f.pending = 1;
		goto done;
	}
	rc = bank_esp_point(d.esp_dev, d.booted, 0, &old, &f.changed, err);
done:
	free(s);
	if (rc < 0)
		return rc;
	*ret = f;
	return 0;
}
