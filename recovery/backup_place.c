/* backup_place.c: the default backup folder on the state partition (see backup_place.h). */
#include "backup_place.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disks.h"
#include "fileio.h"
#include "fs.h"

#define NO_PLACE "give --backup-dir DIR (a directory on another disk or a USB stick)"

/* The state partition's first and last LBA from the scan. */
static int state_range(const struct scan_report *r, uint64_t *first, uint64_t *last)
{
	unsigned i;

	if (!r->gpt.have || !r->state.exists || !r->state.fs_ok)
		return -ENOENT;
	for (i = 0; i < r->gpt.disk.nparts; i++)
		if (r->gpt.disk.parts[i].number == r->state.partno) {
			*first = r->gpt.disk.parts[i].first_lba;
			*last = r->gpt.disk.parts[i].last_lba;
			return 0;
		}
	return -ENOENT;
}

static int do_mount(const struct rdisk *d, const struct scan_report *r, uint64_t first, uint64_t last,
		    const char *mnt, struct rh_err *err)
{
	char opts[128], dev[PATH_MAX];
	uint64_t bs = d->sector;
	int rc;

	if (d->is_blockdev) {
		char *argv[] = { "mount", "-t", "ext4", dev, (char *)mnt, NULL };
		rc = disks_part_dev(d->path, r->state.partno, dev, sizeof(dev));
		if (rc < 0)
			return rh_errf(err, rc, "%s: partition %u: name too long", d->path, r->state.partno);
		return fs_run(argv, 0, err);
	} else {
		char *argv[] = { "mount", "-t", "ext4", "-o", opts, (char *)d->path, (char *)mnt, NULL };
		snprintf(opts, sizeof(opts), "loop,offset=%" PRIu64 ",sizelimit=%" PRIu64, first * bs,
			 (last - first + 1) * bs);
		return fs_run(argv, 0, err);
	}
}

int backup_place_open(const struct rdisk *d, const struct scan_report *r, const struct wset *w,
		      struct backup_place *ret, struct rh_err *err)
{
	uint64_t first, last, bs = d->sector;
	size_t i;
	int rc;

	memset(ret, 0, sizeof(*ret));
	if (state_range(r, &first, &last) < 0)
		return rh_errf(err, -ENOENT, "%s: no readable state partition to keep the backup on; " NO_PLACE,
			       d->path);
	for (i = 0; w && i < w->next; i++)
		if (w->ext[i].off < (last + 1) * bs && w->ext[i].off + w->ext[i].len > first * bs)
			return rh_errf(err, -EBUSY, "%s: this repair writes to the state partition, so its backup cannot "
				       "live there; " NO_PLACE, d->path);
	rc = fs_host_work_dir("rescue-state", ret->mnt, sizeof(ret->mnt), err);
	if (rc < 0)
		return rc;
	rc = do_mount(d, r, first, last, ret->mnt, err);
	if (rc < 0) {
		rh_err_prefix(err, rc, "%s: cannot mount the state partition for the backup (" NO_PLACE ")", d->path);
		fs_rm_rf(ret->mnt, NULL);
		ret->mnt[0] = '\0';
		return rc;
	}
	rc = fs_join(ret->parent, sizeof(ret->parent), ret->mnt, BACKUP_PLACE_DIR, err);
	if (!rc && mkdir(ret->parent, 0700) < 0 && errno != EEXIST)
		rc = rh_errf(err, -errno, "%s: %s", ret->parent, strerror(errno));
	if (rc < 0)
		backup_place_close(ret);
	return rc;
}

void backup_place_close(struct backup_place *p)
{
	if (p->mnt[0]) {
		char *argv[] = { "umount", p->mnt, NULL };
		sync();
		if (fs_run(argv, 0, NULL) == 0)
			fs_rm_rf(p->mnt, NULL);
	}
	memset(p, 0, sizeof(*p));
}
