/* disks.c: the candidate disks and partition device names (see disks.h). */
#include "disks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "sysroot.h"

#define NAME_MAX_LEN 200   /* a longer /sys/block name is not a disk we can name */

int disks_skipped(const char *name, unsigned flags)
{
	static const char *const prefixes[] = { "loop", "ram", "zram", "fd", "sr", "md", "dm-", "nbd" };
	size_t i;

	if (name[0] == '.' || strlen(name) > NAME_MAX_LEN)
		return 1;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strncmp(name, prefixes[i], strlen(prefixes[i])))
			continue;
		if ((flags & DISKS_CDS) && !strcmp(prefixes[i], "sr"))
			return 0;
		return 1;
	}
	return 0;
}

void disks_free(char **v, unsigned n)
{
	unsigned i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Appends a copy of "prefix" + name to *v (n entries). */
static int push(char ***v, unsigned *n, const char *prefix, const char *name)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (asprintf(&nv[*n], "%s%s", prefix, name) < 0)
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* RAMHOST_DISKS split into its words, in order. */
static int list_env(const char *env, char ***v, unsigned *n)
{
	char *copy = strdup(env), *tok, *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ", \t\n", &save); tok && !rc; tok = strtok_r(NULL, ", \t\n", &save))
		rc = push(v, n, "", tok);
	free(copy);
	return rc;
}

int disks_list(unsigned flags, char ***ret, unsigned *ret_n, struct rh_err *err)
{
	const char *env = getenv("RAMHOST_DISKS"), *sysblock = sysroot_sys_block();
	char **v = NULL;
	unsigned n = 0;
	struct dirent *de;
	DIR *dir;
	int rc = 0;

	if (env && env[0]) {
		rc = list_env(env, &v, &n);
	} else {
		dir = opendir(sysblock);
		if (!dir)
			return rh_errf(err, -errno, "%s: cannot list block devices: %s", sysblock, strerror(errno));
		while (!rc && (de = readdir(dir)))
			if (!disks_skipped(de->d_name, flags))
				rc = push(&v, &n, "/dev/", de->d_name);
		closedir(dir);
		if (n)
			qsort(v, n, sizeof(*v), cmp_str);
	}
	if (rc < 0) {
		disks_free(v, n);
		return rh_errf(err, rc, "out of memory");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int disks_part_dev(const char *disk, uint32_t n, char *out, size_t cap)
{
	size_t len = strlen(disk);
	int digit = len && disk[len - 1] >= '0' && disk[len - 1] <= '9';
	int w = snprintf(out, cap, "%s%s%u", disk, digit ? "p" : "", n);

	return w < 0 || (size_t)w >= cap ? -ENAMETOOLONG : 0;
}

/* The logical block size of /sys/block/NAME; 0 when it cannot be read. */
static unsigned long sys_block_size(const char *disk)
{
	const char *slash = strrchr(disk, '/');
	const char *name = slash ? slash + 1 : disk;
	char path[PATH_MAX], *buf = NULL;
	unsigned long v;
	size_t len;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/queue/logical_block_size", sysroot_sys_block(), name) >=
	    sizeof(path))
		return 0;
	if (rh_read_file(path, 4096, &buf, &len, NULL) < 0)
		return 0;
	v = strtoul(buf, NULL, 10);
	free(buf);
	return v;
}

/* The size in bytes of the open disk fd and its logical block size into *bs (kept when already known). */
static int disk_size(int fd, uint64_t *ret_size, unsigned long *bs, char *why, size_t cap)
{
	struct stat st;
	int ibs, e;

	if (fstat(fd, &st) < 0) {
		e = errno;
		snprintf(why, cap, "stat: %s", strerror(e));
		return -e;
	}
	if (!S_ISBLK(st.st_mode)) {
		*ret_size = (uint64_t)st.st_size;   /* an image file named in RAMHOST_DISKS */
		return 0;
	}
	if (ioctl(fd, BLKGETSIZE64, ret_size) < 0) {
		e = errno;
		snprintf(why, cap, "BLKGETSIZE64: %s", strerror(e));
		return -e;
	}
	if (!*bs && ioctl(fd, BLKSSZGET, &ibs) == 0 && ibs > 0)
		*bs = (unsigned long)ibs;
	return 0;
}

int disks_read_gpt(const char *disk, struct gpt_disk *d, char *why, size_t cap)
{
	unsigned long bs = sys_block_size(disk);
	uint64_t size = 0;
	int fd, rc;

	fd = open(disk, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, cap, "%s", strerror(errno));
		return rc;
	}
	rc = disk_size(fd, &size, &bs, why, cap);
	if (rc < 0)
		goto out;
	if (!bs)
		bs = 512;
	if (bs != 512 && bs != 4096) {
		rc = -ENOTSUP;
		snprintf(why, cap, "logical block size %lu not supported", bs);
		goto out;
	}
	rc = gpt_read(rh_pread_fd, &fd, (uint32_t)bs, size / bs, d);
	if (rc < 0)
		snprintf(why, cap, "%s", rc == -GPT_EINVAL ? "no GPT" : strerror(-rc));
out:
	close(fd);
	return rc;
}
