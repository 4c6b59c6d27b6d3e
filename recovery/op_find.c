/* op_find.c: find-partitions: both GPT copies are gone; look for the file systems themselves and propose a
 * table (testdisk's job, for ramhost's own layout).
 *
 * ramhost's partitions start on MiB boundaries (image-builder/disk.h), so the disk is probed at every MiB: a
 * FAT boot sector (lib/fat.h) labelled RH-ESP, RHBANK1 or RHBANK2, or an ext4 superblock (magic 0xEF53 at 1024 +
 * 0x38) labelled RHSTATE. Each found file system's size (rounded up to a MiB) is the partition's, and the probe
 * continues after it, so a 64 GiB disk costs one sector read per MiB of free space. The table gets the names,
 * types and attributes `image disk` gives; the bank partitions get back their unique GUIDs from their own
 * /syslinux/syslinux.cfg (ramhost.bankuuid=, which the loaders and state finder look for), the state partition
 * from its ext4 UUID (disk.c makes them equal); the ESP and the disk get new ones (boot-entries then points the
 * firmware at the new ESP GUID). Both copies and a protective MBR are written: only after the operator's
 * confirmation (repair --yes or the typed yes), since a wrong table is worse than none. Anything that is not
 * ramhost's is not guessed at: a disk with no ramhost file system is -ENOENT. */
#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fat.h"
#include "gpt.h"
#include "gpt_write.h"
#include "le.h"
#include "mbr.h"
#include "partfs.h"
#include "stage.h"

#define MIB (1024u * 1024u)
#define NENT GPT_NEW_ENTRIES
#define ESZ GPT_NEW_ENTRY_SIZE

static const struct {
	const char *label, *name, *type;
} kinds[4] = {
	{ "RH-ESP", "ESP", GPT_TYPE_ESP },
	{ "RHBANK1", "bootbank", GPT_TYPE_BASIC_DATA },
	{ "RHBANK2", "altbootbank", GPT_TYPE_BASIC_DATA },
	{ "RHSTATE", "state", GPT_TYPE_LINUX_FS },
};

struct found {
	int kind;                 /* index in kinds */
	uint64_t first, last;     /* LBAs */
	uint8_t guid[16];
	int have_guid;
};

/* An ext4 superblock at off: its size in bytes, label and UUID (as a GPT GUID: disk.c makes the ext4 UUID equal
 * to the partition's, whose text form is the same). */
static int probe_ext4(struct repair_ctx *c, const struct wset *pending, uint64_t off, uint64_t *ret_bytes,
		      char label[17], uint8_t guid[16])
{
	uint8_t sb[1024];
	char text[37];
	uint64_t blocks;
	uint32_t logsz;
	const uint8_t *u;

	if (stage_read(c->d, pending, off + 1024, sb, sizeof(sb), NULL) < 0 || sb[0x38] != 0x53 || sb[0x39] != 0xEF)
		return 0;
	logsz = (uint32_t)sb[0x18] | (uint32_t)sb[0x19] << 8;
	blocks = (uint64_t)sb[4] | (uint64_t)sb[5] << 8 | (uint64_t)sb[6] << 16 | (uint64_t)sb[7] << 24 |
		 (uint64_t)sb[0x150] << 32 | (uint64_t)sb[0x151] << 40;
	if (logsz > 6 || !blocks)
		return 0;
	*ret_bytes = blocks << (10 + logsz);
	memcpy(label, sb + 0x78, 16);
	label[16] = '\0';
	u = sb + 0x68;
	snprintf(text, sizeof(text), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return gpt_guid_from_str(text, guid) == 0 ? 1 : 0;
}

/* A bank's GUID from its /syslinux/syslinux.cfg (ramhost.bankuuid=). */
static int bank_guid(struct repair_ctx *c, const struct wset *pending, uint64_t off, uint64_t len, uint8_t guid[16])
{
	struct partfs p;
	char *buf = NULL, *at;
	size_t n = 0;
	int ok = 0;

	if (partfs_open(&p, c->d, pending, off, len, "bank", NULL) < 0 ||
	    partfs_read(&p, "/syslinux/syslinux.cfg", 64 * 1024, &buf, &n, NULL) < 0)
		return 0;
	at = strstr(buf, "ramhost.bankuuid=");
	if (at && strlen(at) >= 17 + 36) {
		char g[37];
		memcpy(g, at + 17, 36);
		g[36] = '\0';
		ok = gpt_guid_from_str(g, guid) == 0;
	}
	free(buf);
	return ok;
}

/* Probes the disk at every MiB; fills f (up to 4, one per kind). Returns how many were found. */
static int probe(struct repair_ctx *c, const struct wset *pending, struct found f[4])
{
	uint64_t off = MIB, end = c->d->size - MIB, bytes;
	uint32_t bs = c->d->sector;
	int n = 0, k;

	while (off < end && n < 4) {
		uint8_t sec[4096];
		struct fat_bpb b;
		char label[17] = "";
		uint8_t guid[16];
		int got = 0;

		if (stage_read(c->d, pending, off, sec, bs, NULL) == 0 && fat_bpb_parse(sec, bs, &b, NULL, 0) == 0) {
			bytes = (uint64_t)b.total_sectors * b.bytes_per_sector;
			snprintf(label, sizeof(label), "%s", b.label);
			got = 1;
		} else if (probe_ext4(c, pending, off, &bytes, label, guid)) {
			got = 2;
		}
		for (k = 0; got && k < 4; k++) {
			if (strcmp(label, kinds[k].label) || (k == 3) != (got == 2))
				continue;
			bytes = (bytes + MIB - 1) / MIB * MIB;
			if (!bytes || bytes > end - off)
				break;
			f[n].kind = k;
			f[n].first = off / bs;
			f[n].last = (off + bytes) / bs - 1;
			f[n].have_guid = k == 3 ? 1 : (k == 1 || k == 2) ? bank_guid(c, pending, off, bytes, guid) : 0;
			memcpy(f[n].guid, guid, 16);
			n++;
			off += bytes - MIB;
			break;
		}
		off += MIB;
	}
	return n;
}

/* The entry array for the partitions found (numbered by kind: ESP 1, banks 2 and 3, state 4). */
static int build_entries(const struct found *f, int n, uint8_t *ents, struct rh_err *err)
{
	int i;

	memset(ents, 0, NENT * ESZ);
	for (i = 0; i < n; i++) {
		struct gpt_new_part p = { .first_lba = f[i].first, .last_lba = f[i].last,
					  .attributes = f[i].kind == 0 ? GPT_ATTR_LEGACY_BIOS_BOOTABLE : 0,
					  .name = kinds[f[i].kind].name };

		if (gpt_guid_from_str(kinds[f[i].kind].type, p.type_guid) < 0)
			return rh_errf(err, -EINVAL, "bad type GUID");
		if (f[i].have_guid)
			memcpy(p.unique_guid, f[i].guid, 16);
		else if (getrandom(p.unique_guid, 16, 0) != 16)
			return rh_errf(err, -EIO, "getrandom failed");
		else
			gpt_guid_mark_v4(p.unique_guid);
		gpt_entry_put(ents, ESZ, (uint32_t)f[i].kind, &p);
	}
	return 0;
}

int op_find_partitions(OP_ARGS)
{
	struct found f[4];
	uint32_t bs = c->d->sector;
	uint8_t *ents = NULL, blk[4096], guid[16];
	struct gpt_hdr h, hb;
	uint32_t crc;
	struct mbr m;
	int n, rc, i;

	(void)arg;
	if (c->scan->gpt.have)
		return -EALREADY;
	n = probe(c, pending, f);
	if (n == 0)
		return rh_errf(err, -ENOENT, "%s: no ramhost file system found at any MiB boundary (RH-ESP, RHBANK1, "
			       "RHBANK2, RHSTATE): nothing to rebuild a table from", c->d->path);
	ents = calloc(NENT, ESZ);
	if (!ents)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = build_entries(f, n, ents, err);
	if (rc < 0)
		goto out;
	if (getrandom(guid, 16, 0) != 16) {
		rc = rh_errf(err, -EIO, "getrandom failed");
		goto out;
	}
	gpt_guid_mark_v4(guid);
	gpt_new_layout(c->d->sectors, bs, guid, &h, &hb);
	for (i = 0; i < n; i++)
		if (f[i].first < h.first_usable || f[i].last > h.last_usable) {
			rc = rh_errf(err, -ERANGE, "%s: %s found at LBA %" PRIu64 "-%" PRIu64 ", outside the room a GPT "
				     "leaves", c->d->path, kinds[f[i].kind].name, f[i].first, f[i].last);
			goto out;
		}
	crc = gpt_crc32(0, ents, NENT * ESZ);
	rc = wset_add(w, 2 * (uint64_t)bs, ents, NENT * ESZ, "GPT main partition entries (found partitions)", err);
	gpt_hdr_put(blk, bs, &h, crc);
	if (!rc)
		rc = wset_add(w, (uint64_t)bs, blk, bs, "GPT main header (found partitions)", err);
	if (!rc)
		rc = wset_add(w, hb.entries_lba * bs, ents, NENT * ESZ, "GPT backup partition entries", err);
	gpt_hdr_put(blk, bs, &hb, crc);
	if (!rc)
		rc = wset_add(w, hb.my_lba * bs, blk, bs, "GPT backup header", err);
	if (!rc)
		rc = stage_read(c->d, pending, 0, blk, bs, err);
	if (!rc) {
		uint8_t fresh[MBR_SIZE];
		mbr_parse(blk, bs, &m);
		mbr_build_protective(fresh, blk, m.disk_signature, c->d->sectors);
		if (memcmp(blk, fresh, MBR_SIZE)) {
			memcpy(blk, fresh, MBR_SIZE);
			rc = wset_add(w, 0, blk, bs, "protective MBR (found partitions)", err);
		}
	}
	for (i = 0; !rc && i < n; i++) {
		char what[96];
		snprintf(what, sizeof(what), "LBA %" PRIu64 "-%" PRIu64 "%s", f[i].first, f[i].last,
			 f[i].have_guid ? ", its own GUID" : ", a new GUID");
		rc = wset_add_file(w, "GPT", kinds[f[i].kind].name, "write", 0, what, err);
	}
out:
	free(ents);
	return rc;
}
