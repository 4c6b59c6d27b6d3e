/* bank_disk.c: find, mount and read the boot banks of the booted host's boot disk (see bank_disk.h). */
#include "bank_disk.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "disks.h"
#include "fileio.h"
#include "sysroot.h"

#define CMDLINE_FILE_MAX (64u << 10)
#define MOUNT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME)

static const char *const part_names[2] = { BANK_DIR_PART_1, BANK_DIR_PART_2 };

/* ---- the partitions (pure) ---- */

int bank_disk_pick(const struct gpt_disk *d, const char *disk, const uint8_t uuid[16], struct bank_disk_pick *ret,
		   struct rh_err *err)
{
	struct bank_disk_pick p = { 0, { 0, 0 } };
	const struct gpt_part *booted = NULL;
	char s[37];
	unsigned i, b;

	for (i = 0; i < d->nparts && i < GPT_MAX_PARTS; i++)
		if (!memcmp(d->parts[i].unique_guid, uuid, 16))
			booted = &d->parts[i];
	if (!booted)
		return -ENOENT;
	for (i = 0; i < d->nparts && i < GPT_MAX_PARTS; i++) {
		for (b = 0; b < 2; b++) {
			if (strcmp(d->parts[i].name, part_names[b]))
				continue;
			if (p.part[b])
				return rh_errf(err, -EINVAL, "%s: partitions %u and %u are both named '%s'", disk,
					       p.part[b], d->parts[i].number, part_names[b]);
			p.part[b] = d->parts[i].number;
		}
	}
	for (b = 0; b < 2; b++)
		if (!strcmp(booted->name, part_names[b]))
			p.booted = (int)b + 1;
	if (!p.booted) {
		gpt_guid_to_str(uuid, s);
		return rh_errf(err, -EINVAL, "%s: partition %u (GUID %s) is named '%s', not '%s' or '%s'", disk,
			       booted->number, s, booted->name, part_names[0], part_names[1]);
	}
	*ret = p;
	return 0;
}

/* ---- the boot disk ---- */

/* Where the boot banks are: the disk, its GPT and the chosen partitions. */
struct located {
	char disk[BANK_DISK_DEV_MAX];
	struct bank_disk_pick pick;
	struct gpt_disk gpt;
};

/* Appends "DISK (why)" to the list of disks scanned in vain. */
static void note_scanned(char *scanned, size_t cap, size_t *used, const char *disk, const char *why)
{
	if (*used < cap - 1)
		*used += (size_t)snprintf(scanned + *used, cap - *used, "%s%s (%s)", *used ? ", " : "", disk, why);
}

/* Looks at every candidate disk for the partition uuid: exactly one disk may hold it. */
static int scan_disks(char **disks, unsigned n, const char *uuid_str, const uint8_t uuid[16], struct gpt_disk *d,
		      struct located *ret, struct rh_err *err)
{
	char why[128], scanned[600] = "";
	struct bank_disk_pick pick;
	unsigned i, found = 0;
	size_t used = 0;
	int rc;

	for (i = 0; i < n; i++) {
		why[0] = '\0';
		if (disks_read_gpt(disks[i], d, why, sizeof(why)) < 0) {
			note_scanned(scanned, sizeof(scanned), &used, disks[i], why);
			continue;
		}
		rc = bank_disk_pick(d, disks[i], uuid, &pick, err);
		if (rc == -ENOENT) {
			snprintf(why, sizeof(why), "GPT, %u partitions", d->nparts);
			note_scanned(scanned, sizeof(scanned), &used, disks[i], why);
			continue;
		}
		if (rc < 0)   /* the GUID names a partition that is not a bank, or bank names clash */
			return rc;
		if (found)
			return rh_errf(err, -EEXIST, "partition GUID %s is on both %s and %s: refusing to guess", uuid_str,
				       ret->disk, disks[i]);
		found = 1;
		snprintf(ret->disk, sizeof(ret->disk), "%s", disks[i]);
		ret->pick = pick;
		ret->gpt = *d;
	}
	if (!found)
		return rh_errf(err, -ENOENT, "no partition with GUID %s (ramhost.bankuuid) on any disk; scanned: %s",
			       uuid_str, n ? scanned : "no disks");
	return 0;
}

/* Finds the disk holding the partition with unique GUID uuid_str. */
static int locate(const char *uuid_str, struct located *ret, struct rh_err *err)
{
	struct gpt_disk *d = malloc(sizeof(*d));
	char **disks = NULL;
	unsigned n = 0;
	uint8_t uuid[16];
	int rc;

	if (!d)
		return rh_errf(err, -ENOMEM, "out of memory");
	if (gpt_guid_from_str(uuid_str, uuid) < 0) {
		rc = rh_errf(err, -EINVAL, "bad GUID '%s'", uuid_str);
		goto out;
	}
	rc = disks_list(0, &disks, &n, err);
	if (rc < 0)
		goto out;
	rc = scan_disks(disks, n, uuid_str, uuid, d, ret, err);
out:
	disks_free(disks, n);
	free(d);
	return rc;
}

int bank_disk_cmdline(struct cmdline *ret, struct rh_err *err)
{
	char *buf = NULL;
	size_t len;
	int rc;

	rc = rh_read_file(sysroot_proc_cmdline(), CMDLINE_FILE_MAX, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = cmdline_parse(buf, len, CMDLINE_BANK | CMDLINE_BANKUUID, ret, err);
	free(buf);
	return rc;
}

/* The device node of partition n of loc's disk into out (BANK_DISK_DEV_MAX). */
static int part_dev(const struct located *loc, uint32_t n, char *out, struct rh_err *err)
{
	if (disks_part_dev(loc->disk, n, out, BANK_DISK_DEV_MAX) < 0)
		return rh_errf(err, -ENAMETOOLONG, "%s: device name too long", loc->disk);
	return 0;
}

/* The bank and ESP partitions of loc into *d. */
static int fill_disk(const struct located *loc, struct bank_disk *d, struct rh_err *err)
{
	unsigned i, b;
	int rc;

	snprintf(d->disk, sizeof(d->disk), "%s", loc->disk);
	d->booted = loc->pick.booted;
	for (i = 0; i < loc->gpt.nparts && i < GPT_MAX_PARTS; i++) {
		const struct gpt_part *p = &loc->gpt.parts[i];

		for (b = 0; b < 2; b++) {
			if (p->number != loc->pick.part[b])
				continue;
			d->part[b] = p->number;
			gpt_guid_to_str(p->unique_guid, d->uuid[b]);
			rc = part_dev(loc, p->number, d->dev[b], err);
			if (rc < 0)
				return rc;
		}
		if (!strcmp(p->name, "ESP") && !d->esp_part) {
			d->esp_part = p->number;
			rc = part_dev(loc, p->number, d->esp_dev, err);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int bank_disk_find(struct cmdline *ret_cmdline, struct bank_disk *ret, struct rh_err *err)
{
	struct located *loc = malloc(sizeof(*loc));
	struct cmdline c;
	struct bank_disk d;
	int rc;

	if (!loc)
		return rh_errf(err, -ENOMEM, "out of memory");
	memset(&d, 0, sizeof(d));
	rc = bank_disk_cmdline(&c, err);
	if (rc < 0 || !c.has_uuid)
		goto out;
	rc = locate(c.uuid, loc, err);
	if (rc < 0)
		goto out;
	rc = fill_disk(loc, &d, err);
out:
	free(loc);
	if (rc < 0)
		return rc;
	*ret_cmdline = c;
	*ret = d;
	return 0;
}

/* ---- mounts ---- */

int bank_disk_mount(const char *dev, int rw, char *ret_dir, struct rh_err *err)
{
	int rc = fs_host_work_dir("bootbank", ret_dir, PATH_MAX, err);

	if (rc < 0)
		return rc;
	if (mount(dev, ret_dir, "vfat", MOUNT_FLAGS | (rw ? 0 : MS_RDONLY), NULL) == 0)
		return 0;
	/* already mounted read-write elsewhere: the kernel refuses a read-only mount; the caller only reads */
	if (!rw && errno == EBUSY && mount(dev, ret_dir, "vfat", MOUNT_FLAGS, NULL) == 0)
		return 0;
	rc = rh_errf(err, -errno, "%s: cannot mount (vfat, %s) on %s: %s%s", dev, rw ? "read-write" : "read-only",
		     ret_dir, strerror(errno),
		     errno == ENODEV ? " (this kernel has no vfat file system: load the vfat module)" : "");
	rmdir(ret_dir);
	return rc;
}

int bank_disk_umount(const char *dev, const char *dir, struct rh_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd >= 0) {
		if (syncfs(fd) < 0)
			rc = rh_errf(err, -errno, "%s: syncfs: %s", dev, strerror(errno));
		close(fd);
	}
	if (umount2(dir, 0) < 0) {
		int e = errno;

		/* still busy: detach it so that nothing is left mounted under our name */
		if (umount2(dir, MNT_DETACH) < 0)
			return rh_errf(err, -e, "%s: cannot unmount %s: %s", dev, dir, strerror(e));
	}
	rmdir(dir);
	return rc;
}

int bank_disk_remount_rw(const char *dev, const char *dir, struct rh_err *err)
{
	if (mount(NULL, dir, NULL, MS_REMOUNT | MOUNT_FLAGS, NULL) < 0)
		return rh_errf(err, -errno, "%s: cannot remount read-write: %s", dev, strerror(errno));
	return 0;
}

/* ---- reading the banks ---- */

/* Reads the mounted bank dir into the bank_dir_state fields of slot. */
static int read_dir_into(const char *dir, const char *label, struct bank_disk_slot *slot, struct rh_err *err)
{
	struct bank_dir_state *st = malloc(sizeof(*st));
	int rc;

	if (!st)
		return rh_errf(err, -ENOMEM, "out of memory");
	memset(st, 0, sizeof(*st));
	st->bootstate = slot->bootstate;
	rc = bank_dir_read(dir, label, st, err);
	slot->present = st->present;
	slot->readable = st->readable;
	slot->bootstate = st->bootstate;
	slot->updated = st->updated;
	snprintf(slot->build, sizeof(slot->build), "%s", st->build);
	snprintf(slot->problem, sizeof(slot->problem), "%s", st->problem);
	free(st);
	return rc;
}

int bank_disk_read_slot(const char *dev, struct bank_disk_slot *slot, struct rh_err *err)
{
	char dir[PATH_MAX];
	int rc, urc;

	rc = bank_disk_mount(dev, 0, dir, err);
	if (rc < 0)
		return rc;
	memset(slot, 0, sizeof(*slot));
	rc = read_dir_into(dir, dev, slot, err);
	urc = bank_disk_umount(dev, dir, err);
	if (rc < 0)
		return rc;
	return urc;
}

/* Fills bank b's slot of status from loc: partition, GUID, device and its boot.cfg. */
static void status_slot(const struct located *loc, int b, int booted, struct bank_disk_slot *s)
{
	struct rh_err merr = { 0, "" };
	char dir[PATH_MAX];
	unsigned i;

	s->bootstate = -1;
	s->booted = b + 1 == booted;
	if (!loc->pick.part[b]) {
		snprintf(s->problem, sizeof(s->problem), "no '%s' partition on %s", part_names[b], loc->disk);
		return;
	}
	s->exists = 1;
	s->partno = loc->pick.part[b];
	for (i = 0; i < loc->gpt.nparts; i++)
		if (loc->gpt.parts[i].number == s->partno)
			gpt_guid_to_str(loc->gpt.parts[i].unique_guid, s->uuid);
	if (disks_part_dev(loc->disk, s->partno, s->dev, sizeof(s->dev)) < 0) {
		snprintf(s->problem, sizeof(s->problem), "%s: partition %u: device name too long", loc->disk, s->partno);
		return;
	}
	if (bank_disk_mount(s->dev, 0, dir, &merr) < 0) {
		snprintf(s->problem, sizeof(s->problem), "%s", merr.msg);
		return;
	}
	read_dir_into(dir, s->dev, s, &merr);
	if (bank_disk_umount(s->dev, dir, &merr) < 0 && s->readable) {
		s->readable = 0;
		snprintf(s->problem, sizeof(s->problem), "%s", merr.msg);
	}
}

int bank_disk_status(struct bank_disk_status *ret, struct rh_err *err)
{
	struct located *loc = malloc(sizeof(*loc));
	int rc, b;

	if (!loc)
		return rh_errf(err, -ENOMEM, "out of memory");
	memset(ret, 0, sizeof(*ret));
	rc = bank_disk_cmdline(&ret->cmdline, err);
	if (rc < 0)
		goto out;
	if (!ret->cmdline.has_uuid) {
		ret->read_only_media = 1;
		ret->booted = (int)ret->cmdline.bank;
		goto out;
	}
	rc = locate(ret->cmdline.uuid, loc, err);
	if (rc < 0)
		goto out;
	snprintf(ret->disk, sizeof(ret->disk), "%s", loc->disk);
	ret->booted = loc->pick.booted;
	for (b = 0; b < 2; b++)
		status_slot(loc, b, ret->booted, &ret->bank[b]);
out:
	free(loc);
	return rc;
}
