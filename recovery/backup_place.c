/* backup_place.c: the default backup folder on the state partition (see backup_place.h). */
#include "backup_place.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "mount.h"
#include "tmpreg.h"

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

/* The state partition through a loop device at its offset on the disk (an image file or the whole block device:
 * no partition node needed, and the disk is not claimed, so the commit can still open it exclusively), mounted
 * in a mount namespace of this process's own with the loop device set to detach itself: a rescue ended by a
 * signal leaves neither the mount nor the loop device behind. */
static int do_mount(const struct rdisk *d, uint64_t first, uint64_t last, struct backup_place *p, struct rh_err *err)
{
	uint64_t bs = d->sector;
	int rc = loop_attach(d->path, first * bs, (last - first + 1) * bs, 1, p->loop, sizeof(p->loop), err);

	if (rc < 0)
		return rc;
	rc = mount_ns_private(err);
	if (!rc && mount(p->loop, p->mnt, "ext4", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		rc = rh_errf(err, -errno, "%s: mount ext4: %s", p->loop, strerror(errno));
	if (rc < 0) {
		loop_detach(p->loop, NULL);
		p->loop[0] = '\0';
		return rc;
	}
	(void)loop_set_autoclear(p->loop);   /* without it, backup_place_close still detaches it */
	tmpreg_own_mount(p->mnt);
	return 0;
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
	rc = do_mount(d, first, last, ret, err);
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
	if (p->loop[0]) {
		sync();
		if (umount(p->mnt) == 0) {
			loop_detach(p->loop, NULL);
			fs_rm_rf(p->mnt, NULL);
		}
	} else if (p->mnt[0]) {
		fs_rm_rf(p->mnt, NULL);
	}
	memset(p, 0, sizeof(*p));
}
