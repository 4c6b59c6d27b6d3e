/* state_part.c: find the state partition of the boot disk: the GPT partition named "state" on the disk that
 * holds the bank partition whose unique GUID the loader passed as ramhost.bankuuid (see state_store.h). The disk
 * scan follows ramdisk/bank/bootbank.c (whose helpers are private to it). */
#include "state_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ramdisk/bank/bootbank.h"
#include "fileio.h"
#include "sysroot.h"

#define MAX_DISKS 64

int state_part_pick(const struct gpt_disk *d, const uint8_t bank_uuid[16], uint32_t *ret_partno)
{
	uint32_t found = 0;
	int has_bank = 0;
	unsigned i;

	for (i = 0; i < d->nparts && i < GPT_MAX_PARTS; i++)
		if (!memcmp(d->parts[i].unique_guid, bank_uuid, 16))
			has_bank = 1;
	if (!has_bank)
		return -ENOENT;
	for (i = 0; i < d->nparts && i < GPT_MAX_PARTS; i++) {
		if (strcmp(d->parts[i].name, STATE_PART_NAME))
			continue;
		if (found)
			return -EEXIST;
		found = d->parts[i].number;
	}
	if (!found)
		return -ESRCH;
	*ret_partno = found;
	return 0;
}

/* Reads the GPT of disk (a block device or, named in RAMHOST_DISKS, an image file) into *d. */
static int read_gpt(const char *disk, struct gpt_disk *d)
{
	int fd = open(disk, O_RDONLY | O_CLOEXEC);
	uint64_t size = 0;
	struct stat st;
	int bs = 512, rc;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			rc = -errno;
			goto out;
		}
		if (ioctl(fd, BLKSSZGET, &bs) < 0 || (bs != 512 && bs != 4096))
			bs = 512;
	} else {
		size = (uint64_t)st.st_size;
	}
	rc = gpt_read(rh_pread_fd, &fd, (uint32_t)bs, size / (uint64_t)bs, d);
out:
	close(fd);
	return rc;
}

static int skipped_name(const char *n)
{
	static const char *const prefixes[] = { "loop", "ram", "zram", "fd", "sr", "." };
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(n, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

/* The candidate disks as /dev paths into v (up to MAX_DISKS, each malloc'd). */
static unsigned list_disks(char **v)
{
	const char *env = getenv("RAMHOST_DISKS");
	unsigned n = 0;

	if (env && env[0]) {
		char *copy = strdup(env), *tok, *save = NULL;

		for (tok = copy ? strtok_r(copy, ", \t\n", &save) : NULL; tok && n < MAX_DISKS;
		     tok = strtok_r(NULL, ", \t\n", &save))
			if ((v[n] = strdup(tok)))
				n++;
		free(copy);
	} else {
		DIR *d = opendir(sysroot_sys_block());
		struct dirent *de;

		while (d && (de = readdir(d)) && n < MAX_DISKS)
			if (!skipped_name(de->d_name) && strlen(de->d_name) < 200 &&
			    asprintf(&v[n], "/dev/%s", de->d_name) >= 0)
				n++;
		if (d)
			closedir(d);
	}
	return n;
}

int state_part_find(char *ret_dev, size_t cap, char *why, size_t whycap, struct rh_err *err)
{
	const char *cmdpath = sysroot_proc_cmdline();
	struct bootbank_cmdline cl;
	struct gpt_disk *d = malloc(sizeof(*d));
	char *v[MAX_DISKS], *buf = NULL;
	uint8_t uuid[16];
	unsigned n = 0, i;
	uint32_t partno;
	size_t len;
	int rc;

	if (!d)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = rh_read_file(cmdpath, 64 << 10, &buf, &len, err);
	rc = rc ?: bootbank_cmdline_parse(buf, len, &cl, err);
	free(buf);
	if (rc < 0)
		goto out;
	if (!cl.has_uuid) {
		snprintf(why, whycap, "no ramhost.bankuuid on the kernel command line (booted from read-only media)");
		rc = -ENOENT;
		goto out;
	}
	gpt_guid_from_str(cl.uuid, uuid);
	n = list_disks(v);
	rc = -ENOENT;
	snprintf(why, whycap, "no disk holds the bank partition %s", cl.uuid);
	for (i = 0; i < n; i++) {
		int prc;

		if (read_gpt(v[i], d) < 0)
			continue;
		prc = state_part_pick(d, uuid, &partno);
		if (prc == -ENOENT)
			continue;
		if (prc == -ESRCH) {
			snprintf(why, whycap, "%s has no GPT partition named '%s'", v[i], STATE_PART_NAME);
			break;
		}
		if (prc == -EEXIST) {
			rc = rh_errf(err, -EEXIST, "%s: two GPT partitions are named '%s': refusing to guess", v[i],
				     STATE_PART_NAME);
			break;
		}
		if (bootbank_part_dev(v[i], partno, ret_dev, cap) < 0) {
			rc = rh_errf(err, -ENAMETOOLONG, "%s: device name too long", v[i]);
			break;
		}
		rc = 0;
		break;
	}
out:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(d);
	return rc;
}
