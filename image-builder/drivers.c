/* drivers.c: the drivers tardisk's module set and its staging (see drivers.h). */
#include "drivers.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "profile.h"
#include "sha256.h"
#include "sysroot.h"

#define RECIPE "ramhost drivers tardisk 2"

/* The index inputs depmod reads besides the modules (copied when the kernel has them). */
static const char *const index_inputs[] = { "modules.order", "modules.builtin", "modules.builtin.modinfo" };

static const struct {
	const char *prefix;
	unsigned mask;
} class_dirs[] = {
	{ "kernel/drivers/net/wireless/", PROFILE_DRIVERS_OTHER },  /* before drivers/net/: first match wins */
	{ "kernel/drivers/net/", PROFILE_DRIVERS_NET },
	{ "kernel/net/8021q/", PROFILE_DRIVERS_NET },
	{ "kernel/net/bridge/", PROFILE_DRIVERS_NET },
	{ "kernel/drivers/virtio/", PROFILE_DRIVERS_NET | PROFILE_DRIVERS_STORAGE },
	{ "kernel/drivers/ata/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/drivers/scsi/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/drivers/nvme/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/drivers/block/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/drivers/md/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/drivers/message/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/drivers/mmc/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/drivers/cdrom/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/drivers/usb/storage/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/drivers/usb/host/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/fs/", PROFILE_DRIVERS_STORAGE },
	{ "kernel/crypto/", PROFILE_DRIVERS_STORAGE },
};

unsigned drivers_class(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(class_dirs) / sizeof(class_dirs[0]); i++)
		if (!strncmp(path, class_dirs[i].prefix, strlen(class_dirs[i].prefix)))
			return class_dirs[i].mask;
	return PROFILE_DRIVERS_OTHER;
}

/* Marks module idx and, through modules.dep, what it needs (worklist, each module once). */
static unsigned mark(const struct modules_dep *db, unsigned idx, unsigned char *sel, unsigned *stack)
{
	unsigned n = 0, depth = 0;

	if (sel[idx])
		return 0;
	sel[idx] = 1;
	n++;
	stack[depth++] = idx;
	while (depth) {
		const struct modules_dep_mod *m = &db->mods[stack[--depth]];
		const char *w;
		size_t pos = 0, wlen;

		while (modules_dep_next_dep(m, &pos, &w, &wlen)) {
			int dep = modules_dep_find_path(db, w, wlen);

			if (dep >= 0 && !sel[dep]) {  /* a built-in dependency has no line: nothing to carry */
				sel[dep] = 1;
				n++;
				stack[depth++] = (unsigned)dep;
			}
		}
	}
	return n;
}

unsigned drivers_select(const struct modules_dep *db, unsigned mask, unsigned char *sel)
{
	unsigned *stack = calloc(db->nmods ? db->nmods : 1, sizeof(*stack)), i, n = 0;

	memset(sel, 0, db->nmods);
	if (!stack)
		return 0;
	for (i = 0; i < db->nmods; i++)
		if (drivers_class(db->mods[i].path) & mask)
			n += mark(db, i, sel, stack);
	free(stack);
	return n;
}

int drivers_split_boot(const struct modules_dep *db, const unsigned *order, unsigned n, const unsigned char *every,
		       unsigned char *sel, unsigned char *where)
{
	unsigned char *always = calloc(db->nmods ? db->nmods : 1, 1), *cpio = calloc(db->nmods ? db->nmods : 1, 1);
	unsigned *stack = calloc(db->nmods ? db->nmods : 1, sizeof(*stack));
	unsigned k, i;
	int count = -ENOMEM;

	if (!always || !cpio || !stack)
		goto out;
	for (k = 0; k < n; k++)
		if (every[k])
			mark(db, order[k], always, stack);
	for (k = 0; k < n; k++) {
		int req = 0;
		for (i = 0; i < MODULES_DEP_NREQUIRED; i++)
			req |= !strcmp(db->mods[order[k]].name, modules_dep_required[i]);
		if (req || (always[order[k]] && !sel[order[k]]))
			mark(db, order[k], cpio, stack);
	}
	count = 0;
	for (k = 0; k < n; k++) {
		unsigned m = order[k];
		if (cpio[m])
			where[k] = DRIVERS_BOOT_CPIO;
		else if (always[m])
			where[k] = DRIVERS_BOOT_DRIVERS;
		else
			where[k] = DRIVERS_BOOT_ONDEMAND;
		if (where[k] == DRIVERS_BOOT_ONDEMAND && sel[m] == DRIVERS_SEL_NO)
			sel[m] = DRIVERS_SEL_ONDEMAND;
		count += where[k] == DRIVERS_BOOT_CPIO;
	}
out:
	free(always);
	free(cpio);
	free(stack);
	return count;
}

/* Adds "PATH SIZE MTIME\n" of moddir/rel to the hash (a missing file adds "PATH -\n"). */
static int hash_file(struct sha256_ctx *c, const char *moddir, const char *rel, struct rh_err *err)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	struct stat st;
	int rc = fs_join(path, sizeof(path), moddir, rel, err);

	if (rc)
		return rc;
	if (stat(path, &st) < 0)
		snprintf(line, sizeof(line), "%s -\n", rel);
	else
		snprintf(line, sizeof(line), "%s %lld %lld.%09ld\n", rel, (long long)st.st_size,
			 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	sha256_update(c, line, strlen(line));
	return 0;
}

int drivers_key(const struct modules_dep *db, const unsigned char *sel, const char *moddir, const char *kver,
		unsigned mask, char key[DRIVERS_KEY_LEN + 1], struct rh_err *err)
{
	uint8_t d[SHA256_DIGEST_LEN];
	char head[256], hex[SHA256_HEX_LEN + 1];
	struct sha256_ctx c;
	unsigned i;
	int rc = 0;

	sha256_init(&c);
	snprintf(head, sizeof(head), RECIPE "\n%s\n%u\n", kver, mask);
	sha256_update(&c, head, strlen(head));
	for (i = 0; i < sizeof(index_inputs) / sizeof(index_inputs[0]) && !rc; i++)
		rc = hash_file(&c, moddir, index_inputs[i], err);
	for (i = 0; i < db->nmods && !rc; i++)
		if (sel[db->by_path[i]]) {
			const char *place = sel[db->by_path[i]] == DRIVERS_SEL_SET ? "set " : "ondemand ";
			sha256_update(&c, place, strlen(place));
			rc = hash_file(&c, moddir, db->mods[db->by_path[i]].path, err);
		}
	if (rc)
		return rc;
	sha256_final(&c, d);
	sha256_to_hex(d, hex);
	memcpy(key, hex, DRIVERS_KEY_LEN);
	key[DRIVERS_KEY_LEN] = '\0';
	return 0;
}

/* moddir/rel to dir/rel: a hard link (when may_link), or a copy. */
static int put_file(const char *moddir, const char *dir, const char *rel, int may_link, struct rh_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX], *slash;
	int rc = fs_join(src, sizeof(src), moddir, rel, err);

	if (!rc)
		rc = fs_join(dst, sizeof(dst), dir, rel, err);
	if (rc)
		return rc;
	slash = strrchr(dst, '/');
	*slash = '\0';
	rc = rh_mkdir_p(dst, 0755, err);
	*slash = '/';
	if (rc)
		return rc;
	if (may_link && link(src, dst) == 0)
		return 0;
	if (may_link && errno != EXDEV && errno != EPERM)
		return rh_errf(err, -errno, "%s: cannot link to %s: %s", src, dst, strerror(errno));
	return fs_copy_file(src, dst, 0644, err);
}

int drivers_stage(const char *root, const struct modules_dep *db, const unsigned char *sel, const char *moddir,
		  const char *kver, struct rh_err *err)
{
	char dir[PATH_MAX], usr[PATH_MAX], src[PATH_MAX], aside[PATH_MAX];
	char *argv[] = { "depmod", "-b", usr, (char *)kver, NULL };
	unsigned i;
	int rc;

	if ((size_t)snprintf(usr, sizeof(usr), "%s/usr", root) >= sizeof(usr) ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/lib/modules/%s", usr, kver) >= sizeof(dir) ||
	    (size_t)snprintf(aside, sizeof(aside), "%s/" SYSROOT_ONDEMAND_DIR "/%s", root, kver) >= sizeof(aside))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", root);
	rc = rh_mkdir_p(dir, 0755, err);
	for (i = 0; i < db->nmods && !rc; i++)
		if (sel[i])
			rc = put_file(moddir, sel[i] == DRIVERS_SEL_SET ? dir : aside, db->mods[i].path, 1, err);
	for (i = 0; i < sizeof(index_inputs) / sizeof(index_inputs[0]) && !rc; i++) {
		rc = fs_join(src, sizeof(src), moddir, index_inputs[i], err);
		if (!rc && access(src, F_OK) == 0)
			rc = put_file(moddir, dir, index_inputs[i], 0, err); /* a copy: depmod must not touch the source */
	}
	if (rc)
		return rc;
	if (access("/usr/sbin/depmod", X_OK) == 0)
		argv[0] = "/usr/sbin/depmod";
	else if (access("/sbin/depmod", X_OK) == 0)
		argv[0] = "/sbin/depmod";
	rc = fs_run(argv, 0, err);
	if (rc) {
		char why[400];
		snprintf(why, sizeof(why), "%.300s", err->msg);
		return rh_errf(err, rc, "depmod -b %s %s: %s", usr, kver, why);
	}
	return 0;
}
