/* efivar.c: Boot#### and BootOrder through efivarfs (see efivar.h). */
#include "efivar.h"
#include "efiload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

/* v as n little-endian bytes at p (BootOrder entries, efivarfs's attribute word). */
static void put_le(uint8_t *p, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

long efivar_bootorder_prepend(const uint8_t *old, size_t oldlen, uint16_t num, uint8_t *out, size_t cap)
{
	uint16_t cur[EFIVAR_MAX / 2];
	size_t i, n, o = 2;

	if (cap < 2)
		return -E2BIG;
	n = efiload_bootorder_parse(old, oldlen, cur, sizeof(cur) / sizeof(cur[0]));
	if (n < oldlen / 2)
		return -E2BIG;
	put_le(out, num, 2);
	for (i = 0; i < n; i++) {
		if (cur[i] == num)
			continue;
		if (o + 2 > cap)
			return -E2BIG;
		put_le(out + o, cur[i], 2);
		o += 2;
	}
	return (long)o;
}

static int var_path(char *buf, size_t cap, const char *dir, const char *name, const char *guid, struct rh_err *err)
{
	if ((size_t)snprintf(buf, cap, "%s/%s-%s", dir, name, guid) >= cap)
		return rh_errf(err, -ENAMETOOLONG, "%s/%s: path too long", dir, name);
	return 0;
}

/* efivarfs marks most variables immutable so that rm -rf cannot brick a machine: clear it to write or delete.
 * A missing file, or a file system without the flag (a test's directory: ENOTTY), is fine. */
static int clear_immutable(const char *path, struct rh_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags = 0, rc = 0;

	if (fd < 0)
		return 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
		flags &= ~FS_IMMUTABLE_FL;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
			rc = rh_errf(err, -errno, "%s: cannot clear the immutable flag: %s", path, strerror(errno));
	}
	close(fd);
	return rc;
}

/* O_TRUNC outside efivarfs: a test's directory must not keep the tail of a longer old value (efivarfs replaces
 * the variable with each write and does not truncate). */
static int trunc_flag(const char *dir)
{
	struct statfs sf;

	return statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == EFIVARFS_MAGIC ? 0 : O_TRUNC;
}

int efivar_write(const char *dir, const char *name, const char *guid, uint32_t attrs, const void *data, size_t len,
		 struct rh_err *err)
{
	char path[512];
	uint8_t *buf;
	int fd, rc;
	ssize_t n;

	rc = var_path(path, sizeof(path), dir, name, guid, err);
	if (rc)
		return rc;
	rc = clear_immutable(path, err);
	if (rc)
		return rc;
	buf = malloc(len + 4);
	if (!buf)
		return rh_errf(err, -ENOMEM, "out of memory");
	put_le(buf, attrs, 4);
	memcpy(buf + 4, data, len);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | trunc_flag(dir), 0644);
	if (fd < 0) {
		rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* one write: efivarfs turns each write() into one SetVariable() call */
	n = write(fd, buf, len + 4);
	if (n != (ssize_t)(len + 4))
		rc = rh_errf(err, n < 0 ? -errno : -EIO, "%s: the firmware refused the variable: %s", path,
			     n < 0 ? strerror(errno) : "short write");
	close(fd);
out:
	free(buf);
	return rc;
}

int efivar_read(const char *dir, const char *name, const char *guid, uint8_t *buf, size_t cap, size_t *ret_len,
		struct rh_err *err)
{
	uint8_t tmp[EFIVAR_MAX + 4];
	char path[512];
	ssize_t n;
	int fd, rc;

	rc = var_path(path, sizeof(path), dir, name, guid, err);
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : rh_errf(err, -errno, "%s: %s", path, strerror(errno));
	n = read(fd, tmp, sizeof(tmp));
	close(fd);
	if (n < 4)
		return rh_errf(err, n < 0 ? -errno : -EINVAL, "%s: cannot read it%s", path, n < 0 ? "" : " (too short)");
	if ((size_t)n - 4 > cap)
		return rh_errf(err, -E2BIG, "%s: larger than %zu bytes", path, cap);
	memcpy(buf, tmp + 4, (size_t)n - 4);
	*ret_len = (size_t)n - 4;
	return 0;
}

/* Boot#### name -> number, or -1 when name is not "Boot####-<global guid>" (#### as efiload_boot_name says). */
static int boot_number(const char *name)
{
	static const char suffix[] = "-" EFIVAR_GLOBAL_GUID;
	char base[9];
	uint16_t v;

	if (strlen(name) != 8 + sizeof(suffix) - 1 || strcmp(name + 8, suffix))
		return -1;
	memcpy(base, name, 8);
	base[8] = '\0';
	return efiload_boot_name(base, &v) == 0 ? (int)v : -1;
}

/* The numbers of the Boot#### variables in dir into used (a bit per number); *ret_same the one whose bytes are
 * opt[0..optlen) (-1 when none). */
static int scan_entries(const char *dir, const uint8_t *opt, size_t optlen, const uint16_t *skip, size_t nskip,
			unsigned char used[65536 / 8], int *ret_same, struct rh_err *err)
{
	uint8_t cur[EFIVAR_MAX];
	size_t curlen, k;
	char name[16];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return rh_errf(err, -errno, "%s: %s (is efivarfs mounted?)", dir, strerror(errno));
	memset(used, 0, 65536 / 8);
	*ret_same = -1;
	while ((e = readdir(d))) {
		int b = boot_number(e->d_name), gone = 0;
		if (b < 0)
			continue;
		for (k = 0; k < nskip; k++)
			gone |= skip[k] == b;
		if (gone)
			continue;
		used[b / 8] |= (unsigned char)(1u << (b % 8));
		snprintf(name, sizeof(name), "Boot%04X", (unsigned)b);
		if (*ret_same < 0 && efivar_read(dir, name, EFIVAR_GLOBAL_GUID, cur, sizeof(cur), &curlen, NULL) == 0 &&
		    curlen == optlen && !memcmp(cur, opt, optlen))
			*ret_same = b; /* the same entry from an earlier install onto this partition */
	}
	closedir(d);
	return 0;
}

int efivar_plan_boot_entry(const char *dir, const char *desc, const struct efivar_hd *hd, const char *file,
			   const uint16_t *drop, size_t ndrop, struct efivar_entry_plan *ret, struct rh_err *err)
{
	unsigned char used[65536 / 8];
	uint8_t order[EFIVAR_MAX], kept[EFIVAR_MAX];
	struct efiload_hd ehd;
	size_t orderlen = 0, keptlen = 0, i, k;
	int num = -1, rc;
	long n;

	memset(ret, 0, sizeof(*ret));
	memset(&ehd, 0, sizeof(ehd));
	ehd.partno = hd->partno;
	ehd.start = hd->start;
	ehd.size = hd->size;
	memcpy(ehd.signature, hd->guid, sizeof(ehd.signature));
	rc = efiload_encode(desc, &ehd, file, ret->opt, sizeof(ret->opt), &ret->optlen);
	if (rc)
		return rh_errf(err, rc, "boot entry '%s' for %s: cannot encode it", desc, file);
	rc = scan_entries(dir, ret->opt, ret->optlen, drop, ndrop, used, &num, err);
	if (rc)
		return rc;
	ret->exists = num >= 0;
	if (num < 0) {
		for (num = 0; num < 0x10000 && (used[num / 8] & (1u << (num % 8))); num++)
			;
		if (num == 0x10000)
			return rh_errf(err, -ENOSPC, "%s: no free Boot#### number", dir);
	}
	ret->num = (uint16_t)num;
	rc = efivar_read(dir, "BootOrder", EFIVAR_GLOBAL_GUID, order, sizeof(order), &orderlen, err);
	if (rc == -ENOENT)
		orderlen = 0;
	else if (rc)
		return rc;
	ret->had_order = rc == 0;
	for (i = 0; i + 1 < orderlen; i += 2) {   /* the dropped entries leave BootOrder too */
		uint16_t v = (uint16_t)(order[i] | order[i + 1] << 8), gone = 0;
		for (k = 0; k < ndrop; k++)
			gone |= drop[k] == v;
		if (!gone) {
			kept[keptlen++] = order[i];
			kept[keptlen++] = order[i + 1];
		}
	}
	n = efivar_bootorder_prepend(kept, keptlen, ret->num, ret->order, sizeof(ret->order));
	if (n < 0)
		return rh_errf(err, (int)n, "%s: BootOrder too long", dir);
	ret->orderlen = (size_t)n;
	ret->order_changed = !ret->had_order || ret->orderlen != (orderlen & ~(size_t)1) ||
			     memcmp(ret->order, order, ret->orderlen);
	return 0;
}

int efivar_add_boot_entry(const char *dir, const char *desc, const struct efivar_hd *hd, const char *file,
			  uint16_t *ret_num, struct rh_err *err)
{
	struct efivar_entry_plan *p = malloc(sizeof(*p));
	char name[16];
	int rc;

	if (!p)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = efivar_plan_boot_entry(dir, desc, hd, file, NULL, 0, p, err);
	snprintf(name, sizeof(name), "Boot%04X", (unsigned)p->num);
	if (!rc && !p->exists)
		rc = efivar_write(dir, name, EFIVAR_GLOBAL_GUID, EFIVAR_ATTRS, p->opt, p->optlen, err);
	if (!rc)
		rc = efivar_write(dir, "BootOrder", EFIVAR_GLOBAL_GUID, EFIVAR_ATTRS, p->order, p->orderlen, err);
	if (!rc)
		*ret_num = p->num;
	free(p);
	return rc;
}

int efivar_delete(const char *dir, const char *name, const char *guid, struct rh_err *err)
{
	char path[512];
	int rc = var_path(path, sizeof(path), dir, name, guid, err);

	if (!rc)
		rc = clear_immutable(path, err);
	if (rc)
		return rc;
	if (unlink(path) < 0 && errno != ENOENT)
		return rh_errf(err, -errno, "%s: cannot delete the variable: %s", path, strerror(errno));
	return 0;
}

int efivar_mount(const char *dir, struct rh_err *err)
{
	struct statfs sf;

	if (access("/sys/firmware/efi", F_OK))
		return 0; /* booted with BIOS: no variables */
	if (statfs(dir, &sf) == 0 && sf.f_type == 0xde5e81e4 /* EFIVARFS_MAGIC */)
		return 1;
	if (mount("efivarfs", dir, "efivarfs", 0, NULL) < 0)
		return rh_errf(err, -errno, "%s: cannot mount efivarfs: %s", dir, strerror(errno));
	return 1;
}
