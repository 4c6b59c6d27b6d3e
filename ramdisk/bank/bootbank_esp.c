/* bootbank_esp.c: the ESP's SYSLINUX default bank (see bootbank_esp.h). */
#include "bootbank_esp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <unistd.h>

#include "bootbank.h"
#include "bootbank_update.h"
#include "bootloader/syslinux_cfg.h"
#include "fileio.h"

#define ESP_CFG_MAX (64u << 10)

static const char *const bank_names[2] = { BOOTBANK_NAME_1, BOOTBANK_NAME_2 };

/* Copies the value w[0..n) into out (cap); -EINVAL when it does not fit. */
static int take(char *out, size_t cap, const char *w, size_t n)
{
	size_t i;

	if (n >= cap)
		return -EINVAL;
	for (i = 0; i < n; i++)   /* a NUL or control byte: not a config this tool wrote or can rewrite */
		if ((unsigned char)w[i] < 0x20 && w[i] != '\t')
			return -EINVAL;
	memcpy(out, w, n);
	out[n] = '\0';
	return 0;
}

int bootbank_esp_parse(const char *buf, size_t len, struct bootbank_esp_cfg *ret)
{
	struct bootbank_esp_cfg c;
	size_t i = 0;
	int have_default = 0, b;

	memset(&c, 0, sizeof(c));
	while (i < len) {
		size_t start, end, k, klen, v;

		start = i;
		while (i < len && buf[i] != '\n')
			i++;
		end = i++;
		while (start < end && (buf[start] == ' ' || buf[start] == '\t'))
			start++;
		while (end > start && (buf[end - 1] == '\r' || buf[end - 1] == ' ' || buf[end - 1] == '\t'))
			end--;
		if (start == end || buf[start] == '#')
			continue;
		k = start;
		while (k < end && buf[k] != ' ' && buf[k] != '\t')
			k++;
		klen = k - start;
		v = k;
		while (v < end && (buf[v] == ' ' || buf[v] == '\t'))
			v++;
		if (klen == 7 && !strncasecmp(buf + start, "default", 7)) {
			if (v == end || take(c.default_label, sizeof(c.default_label), buf + v, end - v) < 0)
				return -EINVAL;
			have_default = 1;
		} else if (klen == 6 && !strncasecmp(buf + start, "serial", 6)) {
			if (take(c.serial, sizeof(c.serial), buf + v, end - v) < 0)
				return -EINVAL;
		} else if (klen == 7 && !strncasecmp(buf + start, "timeout", 7)) {
			char num[24], *e;

			if (take(num, sizeof(num), buf + v, end - v) < 0)
				return -EINVAL;
			c.timeout = strtol(num, &e, 10);
			if (e == num || *e || c.timeout < 0)
				return -EINVAL;
			if (c.timeout > 36000)   /* syslinux's own limit is an hour; keeps the arithmetic in range */
				c.timeout = 36000;
		}
	}
	if (!have_default)
		return -EINVAL;
	for (b = 0; b < 2; b++)
		if (!strcmp(c.default_label, bank_names[b]))
			c.default_bank = b + 1;
	*ret = c;
	return 0;
}

long bootbank_esp_format(const struct bootbank_esp_cfg *old, int bank, char *buf, size_t cap)
{
	const char *serial = "0 115200";
	long timeout_s = 0;

	if (bank != 1 && bank != 2)
		return -EINVAL;
	if (old) {
		serial = old->serial[0] ? old->serial : NULL;
		timeout_s = old->timeout > 0 ? (old->timeout + 9) / 10 : 0;
	}
	return syslinux_esp_cfg_format(bank_names[bank - 1], bank_names[2 - bank], timeout_s, serial, buf, cap);
}

int bootbank_esp_read(const char *dir, const char *label, struct bootbank_esp_cfg *ret, struct rh_err *err)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, BOOTBANK_ESP_CFG) >= sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	rc = rh_read_file(path, ESP_CFG_MAX, &buf, &len, NULL);
	if (rc == -ENOENT)
		return rc;
	if (rc < 0)
		return rh_errf(err, rc, "%s: /%s: %s", label, BOOTBANK_ESP_CFG, strerror(-rc));
	rc = bootbank_esp_parse(buf, len, ret);
	free(buf);
	if (rc < 0)
		return rh_errf(err, rc, "%s: /%s: no DEFAULT line, or a DEFAULT/SERIAL/TIMEOUT value that is too long "
					"or not a number", label, BOOTBANK_ESP_CFG);
	return 0;
}

int bootbank_esp_point_dir(const char *dir, const char *label, int bank, int *ret_changed, struct rh_err *err)
{
	struct bootbank_esp_cfg old;
	char text[2048];
	long len;
	int rc;

	rc = bootbank_esp_read(dir, label, &old, err);
	if (rc == -ENOENT)
		return rh_errf(err, rc, "%s: /%s: not found (no SYSLINUX on the ESP)", label, BOOTBANK_ESP_CFG);
	if (rc < 0)
		return rc;
	if (old.default_bank == bank) {
		*ret_changed = 0;
		return 0;
	}
	len = bootbank_esp_format(&old, bank, text, sizeof(text));
	if (len < 0)
		return rh_errf(err, (int)len, "%s: /%s: cannot format a config with SERIAL '%s'", label,
			       BOOTBANK_ESP_CFG, old.serial);
	rc = rh_replace_file(dir, BOOTBANK_ESP_CFG, text, (size_t)len, label, err);
	if (rc < 0)
		return rc;
	*ret_changed = 1;
	return 0;
}

int bootbank_esp_point(const char *esp_dev, int bank, int dry_run, int *ret_old, int *ret_changed,
		       struct rh_err *err)
{
	struct bootbank_esp_cfg old;
	char dir[PATH_MAX];
	int rc, urc, changed = 0;

	rc = bootbank_mount(esp_dev, 0, dir, err);
	if (rc < 0)
		return rc;
	rc = bootbank_esp_read(dir, esp_dev, &old, err);
	if (rc == -ENOENT)
		rh_errf(err, rc, "%s: /%s: not found (no SYSLINUX on the ESP)", esp_dev, BOOTBANK_ESP_CFG);
	if (!rc && old.default_bank != bank && !dry_run) {
		/* only a change is written: an ESP that is already right is never mounted read-write */
		if (mount(NULL, dir, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME, NULL) < 0)
			rc = rh_errf(err, -errno, "%s: cannot remount read-write: %s", esp_dev, strerror(errno));
		rc = rc ?: bootbank_esp_point_dir(dir, esp_dev, bank, &changed, err);
	}
	urc = bootbank_umount(esp_dev, dir, err);
	rc = rc ?: urc;
	if (rc < 0)
		return rc;
	*ret_old = old.default_bank;
	*ret_changed = dry_run ? old.default_bank != bank : changed;
	return 0;
}

int bootbank_esp_default(const char *esp_dev, int *ret_bank, struct rh_err *err)
{
	struct bootbank_esp_cfg c;
	char dir[PATH_MAX];
	int rc, urc;

	rc = bootbank_mount(esp_dev, 0, dir, err);
	if (rc < 0)
		return rc;
	rc = bootbank_esp_read(dir, esp_dev, &c, err);
	urc = bootbank_umount(esp_dev, dir, err);
	rc = rc ?: urc;
	if (rc < 0)
		return rc;
	*ret_bank = c.default_bank;
	return 0;
}

/* Reads bank partition dev's boot.cfg into *slot (mounted read-only for the read). */
static int read_slot(const char *dev, struct bootbank_slot *slot, struct rh_err *err)
{
	char dir[PATH_MAX];
	int rc, urc;

	rc = bootbank_mount(dev, 0, dir, err);
	if (rc < 0)
		return rc;
	memset(slot, 0, sizeof(*slot));
	rc = bootbank_read_dir(dir, dev, slot, err);
	urc = bootbank_umount(dev, dir, err);
	return rc ?: urc;
}

int bootbank_esp_follow_booted(struct bootbank_esp_follow *ret, struct rh_err *err)
{
	struct bootbank_esp_follow f;
	struct bootbank_cmdline c;
	struct bootbank_disk d;
	struct bootbank_slot *s = calloc(2, sizeof(*s));
	int rc, old = 0, other;

	memset(&f, 0, sizeof(f));
	if (!s)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = bootbank_find_disk(&c, &d, err);
	if (rc < 0 || !c.has_uuid || !d.esp_part)
		goto done;
	snprintf(f.esp_dev, sizeof(f.esp_dev), "%s", d.esp_dev);
	rc = bootbank_esp_default(d.esp_dev, &old, err);
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
	rc = read_slot(d.dev[d.booted - 1], &s[0], err);
	if (!rc && d.part[other - 1])
		rc = read_slot(d.dev[other - 1], &s[1], err);
	if (rc < 0)
		goto done;
	if (old == other && s[1].present && s[1].bootstate == BOOTSTATE_UPGRADING && s[0].present &&
	    s[1].updated > s[0].updated) {
		f.pending = 1;
		goto done;
	}
	rc = bootbank_esp_point(d.esp_dev, d.booted, 0, &old, &f.changed, err);
done:
	free(s);
	if (rc < 0)
		return rc;
	*ret = f;
	return 0;
}
