/* op_reinstall.c: reinstall-bank BANK: the bank written again from the rescue media's bootbank, the way `image
 * disk` writes it (image-builder/disk.h: disk_write_bank), on a staged copy of the partition; the state
 * partition and the other bank are not touched. Like ESXi's "reinstall keeping data".
 *
 * The media's files are checked against its boot.cfg before anything is staged. The staged copy starts at
 * offset 0, so the boot sector's hidden-sector count (the partition's start, which SYSLINUX's boot sector adds
 * to its sector numbers) is set back to the partition's real start afterwards, in the boot sector and in a
 * FAT32 backup boot sector. The reinstalled bank boots first when the other bank cannot boot, else second. */
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootloader/bank_dir.h"
#include "fat.h"
#include "fileio.h"
#include "fs.h"
#include "gpt.h"
#include "image-builder/disk.h"
#include "op_bank_int.h"

/* Sets the BPB's hidden-sector field (offset 0x1C) of the boot sector, and of the FAT32 backup boot sector, of
 * the staged volume in file path to hidden. */
static int set_hidden(const char *path, uint32_t hidden, struct rh_err *err)
{
	uint8_t sec[4096], le[4] = { (uint8_t)hidden, (uint8_t)(hidden >> 8), (uint8_t)(hidden >> 16),
				     (uint8_t)(hidden >> 24) };
	struct fat_bpb b;
	char why[128];
	int fd = open(path, O_RDWR | O_CLOEXEC), rc;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: %s", path, strerror(errno));
	rc = rh_pread_all(fd, sec, 512, 0);
	if (rc < 0 || fat_bpb_parse(sec, 512, &b, why, sizeof(why)) < 0) {
		rc = rh_errf(err, -EINVAL, "%s: the new bank's boot sector does not read back", path);
		goto out;
	}
	if (pwrite(fd, le, 4, 0x1C) != 4 || (b.bits == 32 && b.backup_boot_sector &&
	    pwrite(fd, le, 4, (off_t)b.backup_boot_sector * b.bytes_per_sector + 0x1C) != 4))
		rc = rh_errf(err, -EIO, "%s: %s", path, strerror(errno));
	else if (fsync(fd) < 0)
		rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
out:
	close(fd);
	return rc;
}

/* The updated value for the reinstalled bank n: below the other bank's when that one boots, else above. */
static uint64_t new_updated(struct repair_ctx *c, const struct wset *pending, int n)
{
	struct bootcfg *o = malloc(sizeof(*o));
	const struct scan_bank *sb = &c->scan->bank[2 - n];
	uint64_t u = 2;

	if (o && opb_cfg(c, pending, 3 - n, o, NULL) == 0) {
		if (sb->modules_ok && o->bootstate != BOOTSTATE_INVALID)
			u = o->updated > 0 ? o->updated - 1 : 0;
		else
			u = o->updated + 1;
	}
	free(o);
	return u;
}

int op_reinstall_bank(OP_ARGS)
{
	const struct scan_fat *f;
	struct bootcfg *cfg = malloc(sizeof(*cfg));
	struct stage s = { .path = "" };
	struct fatimg fi;
	struct disk_bank b;
	char copy[PATH_MAX] = "", guid[37], detail[128];
	int n = 1, rc;
	unsigned i;

	if (!cfg)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = opb_arg_bank(arg, &n, err);
	if (!rc)
		rc = opb_media_cfg(c, cfg, err);
	if (!rc)
		rc = bank_dir_check(c->media, cfg, err);
	if (rc < 0)
		goto out;
	f = opb_fat(c, n);
	if (!f->exists) {
		rc = rh_errf(err, -ENOENT, "%s: the GPT has no partition for bank %d", c->d->path, n);
		goto out;
	}
	for (i = 0; i < c->scan->gpt.disk.nparts; i++)
		if (c->scan->gpt.disk.parts[i].number == f->partno)
			gpt_guid_to_str(c->scan->gpt.disk.parts[i].unique_guid, guid);
	rc = fs_work_dir(c->work, "rescue-bank", copy, sizeof(copy), err);
	if (!rc)
		rc = bank_dir_copy(c->media, copy, cfg, err);
	if (!rc)
		rc = opb_stage(c, pending, n, &s, err);
	if (rc < 0)
		goto out;
	fi = stage_fatimg(&s);
	b = (struct disk_bank){ &fi, (unsigned)n, copy, cfg, new_updated(c, pending, n), guid, c->work };
	rc = disk_write_bank(&b, err);
	if (!rc)
		rc = set_hidden(s.path, (uint32_t)f->start, err);
	snprintf(detail, sizeof(detail), "from the rescue media, build %.60s", cfg->build[0] ? cfg->build : "?");
	if (!rc)
		rc = wset_add_file(w, s.label, "/", "write", 0, detail, err);
	if (!rc)
		rc = stage_diff(c->d, pending, &s, "reinstalled bank", w, err);
out:
	stage_close(&s);
	if (copy[0])
		fs_rm_rf(copy, NULL);
	free(cfg);
	return rc;
}
