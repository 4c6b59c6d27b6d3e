/* esp_chain.c: the ESP's SYSLINUX default bank (see esp_chain.h). */
#include "esp_chain.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bank_dir.h"
#include "fileio.h"
#include "syslinux_cfg.h"

#define ESP_CFG_MAX (64u << 10)

static const char *const bank_names[2] = { BANK_DIR_PART_1, BANK_DIR_PART_2 };

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

int esp_chain_parse(const char *buf, size_t len, struct esp_chain_cfg *ret)
{
	struct esp_chain_cfg c;
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

long esp_chain_format(const struct esp_chain_cfg *old, int bank, char *buf, size_t cap)
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

int esp_chain_read(const char *dir, const char *label, struct esp_chain_cfg *ret, struct rh_err *err)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, ESP_CHAIN_CFG) >= sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	rc = rh_read_file(path, ESP_CFG_MAX, &buf, &len, NULL);
	if (rc == -ENOENT)
		return rc;
	if (rc < 0)
		return rh_errf(err, rc, "%s: /%s: %s", label, ESP_CHAIN_CFG, strerror(-rc));
	rc = esp_chain_parse(buf, len, ret);
	free(buf);
	if (rc < 0)
		return rh_errf(err, rc, "%s: /%s: no DEFAULT line, or a DEFAULT/SERIAL/TIMEOUT value that is too long "
					"or not a number", label, ESP_CHAIN_CFG);
	return 0;
}

int esp_chain_point_dir(const char *dir, const char *label, int bank, int *ret_changed, struct rh_err *err)
{
	struct esp_chain_cfg old;
	char text[2048];
	long len;
	int rc;

	rc = esp_chain_read(dir, label, &old, err);
	if (rc == -ENOENT)
		return rh_errf(err, rc, "%s: /%s: not found (no SYSLINUX on the ESP)", label, ESP_CHAIN_CFG);
	if (rc < 0)
		return rc;
	if (old.default_bank == bank) {
		*ret_changed = 0;
		return 0;
	}
	len = esp_chain_format(&old, bank, text, sizeof(text));
	if (len < 0)
		return rh_errf(err, (int)len, "%s: /%s: cannot format a config with SERIAL '%s'", label,
			       ESP_CHAIN_CFG, old.serial);
	rc = rh_replace_file(dir, ESP_CHAIN_CFG, text, (size_t)len, label, err);
	if (rc < 0)
		return rc;
	*ret_changed = 1;
	return 0;
}
