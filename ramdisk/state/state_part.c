/* state_part.c: find the state partition of the boot disk: the GPT partition named "state" on the disk that
 * holds the bank partition whose unique GUID the loader passed as ramhost.bankuuid (see state_store.h). The
 * disks are those of lib/host/disks.h, the command line is read by lib/cmdline.h. */
#include "state_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "disks.h"
#include "fileio.h"
#include "sysroot.h"

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

/* The bankuuid of the kernel command line into uuid; -ENOENT with *why when there is none. */
static int booted_bank_uuid(uint8_t uuid[16], char *why, size_t whycap, struct rh_err *err)
{
	struct cmdline cl;
	char *buf = NULL;
	size_t len;
	int rc;

	rc = rh_read_file(sysroot_proc_cmdline(), 64 << 10, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = cmdline_parse(buf, len, CMDLINE_BANK | CMDLINE_BANKUUID, &cl, err);
	free(buf);
	if (rc < 0)
		return rc;
	if (!cl.has_uuid) {
		snprintf(why, whycap, "no ramhost.bankuuid on the kernel command line (booted from read-only media)");
		return -ENOENT;
	}
	snprintf(why, whycap, "no disk holds the bank partition %s", cl.uuid);
	gpt_guid_from_str(cl.uuid, uuid);
	return 0;
}

int state_part_find(char *ret_dev, size_t cap, char *why, size_t whycap, struct rh_err *err)
{
	struct gpt_disk *d = malloc(sizeof(*d));
	char **v = NULL, gwhy[128];
	uint8_t uuid[16];
	unsigned n = 0, i;
	uint32_t partno;
	int rc;

	if (!d)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = booted_bank_uuid(uuid, why, whycap, err);
	if (rc < 0)
		goto out;
	if (disks_list(0, &v, &n, NULL) < 0)
		n = 0;   /* no /sys/block: no disk holds it */
	rc = -ENOENT;
	for (i = 0; i < n; i++) {
		int prc;

		if (disks_read_gpt(v[i], d, gwhy, sizeof(gwhy)) < 0)
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
		if (disks_part_dev(v[i], partno, ret_dev, cap) < 0) {
			rc = rh_errf(err, -ENAMETOOLONG, "%s: device name too long", v[i]);
			break;
		}
		rc = 0;
		break;
	}
out:
	disks_free(v, n);
	free(d);
	return rc;
}
