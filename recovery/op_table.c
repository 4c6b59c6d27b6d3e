/* op_table.c: the repairs of sector 0 and the GPT: fix-pmbr, fix-mbr --generic, fix-gpt (see ops.h). Each
 * builds the sectors it wants and adds only those that differ from what the disk (with the plan so far) holds.
 *
 * fix-gpt works from the copy that verifies (scan.h: main_ok / backup_ok): the other copy is rebuilt from it
 * with its own LBAs, and on a grown disk (the backup is not at the last LBA) the main header's AlternateLBA and
 * LastUsableLBA follow the disk's end, the backup moves there, the stale backup header is zeroed and the
 * protective MBR's 0xEE entry grows with it. The partition entries are never changed: both copies get the
 * verified array byte for byte. */
#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "gpt.h"
#include "gpt_write.h"
#include "mbr.h"
#include "stage.h"

#define SYSLINUX_GPTMBR "/usr/lib/syslinux/mbr/gptmbr.bin"
#define SYSLINUX_MBR "/usr/lib/syslinux/mbr/mbr.bin"

/* Reads the first 440 bytes of a boot code file (gptmbr.bin, mbr.bin). */
static int read_code(const char *path, uint8_t code[MBR_CODE_LEN], struct rh_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = rh_read_file(path, 4096, &buf, &len, err);

	if (rc < 0)
		return rh_err_append(err, rc, "(the boot code comes from syslinux-common)");
	if (len < MBR_CODE_LEN)
		rc = rh_errf(err, -EINVAL, "%s: shorter than %u bytes of MBR boot code", path, MBR_CODE_LEN);
	else
		memcpy(code, buf, MBR_CODE_LEN);
	free(buf);
	return rc;
}

/* Adds sector lba = want when the disk (with pending) holds something else. Returns 1 when added, 0 when equal. */
static int put_sector(struct repair_ctx *c, const struct wset *pending, uint64_t lba, const uint8_t *want,
		      const char *why, struct wset *w, struct rh_err *err)
{
	uint8_t have[4096];
	uint32_t bs = c->d->sector;
	int rc = stage_read(c->d, pending, lba * bs, have, bs, err);

	if (rc < 0)
		return rc;
	if (!memcmp(have, want, bs))
		return 0;
	rc = wset_add(w, lba * bs, want, bs, why, err);
	return rc < 0 ? rc : 1;
}

/* The sector-0 rewrite both MBR repairs share: keep the disk signature and the partition entries unless protective
 * is set (then a fresh protective MBR), put code in. */
static int write_mbr(struct repair_ctx *c, const struct wset *pending, const uint8_t code[MBR_CODE_LEN],
		     int protective, const char *why, struct wset *w, struct rh_err *err)
{
	uint8_t sec[4096];
	struct mbr m;
	int rc = stage_read(c->d, pending, 0, sec, c->d->sector, err);

	if (rc < 0)
		return rc;
	mbr_parse(sec, c->d->sector, &m);
	if (protective) {
		uint8_t fresh[MBR_SIZE];
		mbr_build_protective(fresh, code, m.disk_signature, c->d->sectors);
		memcpy(sec, fresh, MBR_SIZE);
	} else {
		memcpy(sec, code, MBR_CODE_LEN);
		sec[510] = 0x55;
		sec[511] = 0xAA;
	}
	rc = put_sector(c, pending, 0, sec, why, w, err);
	return rc == 0 ? -EALREADY : rc < 0 ? rc : 0;
}

/* Another system's boot code in sector 0 is only replaced with --force. */
static int foreign_code(struct repair_ctx *c, const struct mbr *m, struct rh_err *err)
{
	if (c->force || m->code == MBR_CODE_ZERO || m->code == MBR_CODE_GPTMBR || m->code == MBR_CODE_SYSLINUX)
		return 0;
	return rh_errf(err, -EPERM, "%s: sector 0 holds %s boot code, another system's loader; it is kept (give "
			"--force to replace it)", c->d->path, mbr_code_name(m->code));
}

int op_fix_pmbr(OP_ARGS)
{
	const struct mbr *m = &c->scan->mbr.mbr;
	uint8_t code[MBR_CODE_LEN];
	const char *src = c->gptmbr ? c->gptmbr : SYSLINUX_GPTMBR;
	int rc;

	(void)arg;
	if (!c->scan->gpt.have)
		return rh_errf(err, -ENOENT, "%s: no GPT copy verifies, so a protective MBR would protect nothing; run "
				"fix-gpt or find-partitions first", c->d->path);
	rc = foreign_code(c, m, err);
	if (rc < 0)
		return rc;
	if (m->hybrid && !c->force)
		return rh_errf(err, -EPERM, "%s: sector 0 is a hybrid MBR (a GPT and classic partition entries for another "
			       "system); a protective MBR would drop those entries: give --force to replace it",
			       c->d->path);
	rc = read_code(src, code, err);
	if (rc < 0)
		return rc;
	return write_mbr(c, pending, code, 1, "protective MBR with gptmbr boot code", w, err);
}

int op_fix_mbr_generic(OP_ARGS)
{
	const struct mbr *m = &c->scan->mbr.mbr;
	uint8_t code[MBR_CODE_LEN];
	int gpt = c->scan->gpt.have;
	int rc;

	(void)arg;
	rc = foreign_code(c, m, err);
	if (rc < 0)
		return rc;
	rc = read_code(gpt ? (c->gptmbr ? c->gptmbr : SYSLINUX_GPTMBR) : SYSLINUX_MBR, code, err);
	if (rc < 0)
		return rc;
	return write_mbr(c, pending, code, 0, gpt ? "MBR boot code (gptmbr)" : "MBR boot code (syslinux mbr)", w,
			 err);
}

/* The verified copy's header and entry array, read from the disk as pending leaves it. */
struct gpt_src {
	struct gpt_hdr h;
	uint8_t *ents;
	size_t ents_len;
};

static int read_src(struct repair_ctx *c, const struct wset *pending, struct gpt_src *s, struct rh_err *err)
{
	const struct scan_gpt *g = &c->scan->gpt;
	uint32_t bs = c->d->sector;
	uint64_t lba = g->main_ok ? 1 : g->backup_lba;
	uint8_t blk[4096];
	int rc = stage_read(c->d, pending, lba * bs, blk, bs, err);

	if (rc < 0)
		return rc;
	if (gpt_hdr_get(blk, bs, &s->h) < 0)
		return rh_errf(err, -EINVAL, "%s: the GPT header at LBA %" PRIu64 " no longer reads as one", c->d->path,
			       lba);
	s->ents_len = (size_t)(gpt_entry_sectors(&s->h, bs) * bs);
	if (!s->ents_len || s->ents_len > (size_t)GPT_MAX_ENTRIES * GPT_MAX_ENTRY_SIZE)
		return rh_errf(err, -EINVAL, "%s: the GPT at LBA %" PRIu64 " has no entry array", c->d->path, lba);
	s->ents = calloc(1, s->ents_len);
	if (!s->ents)
		return rh_errf(err, -ENOMEM, "out of memory");
	return stage_read(c->d, pending, s->h.entries_lba * bs, s->ents, s->ents_len, err);
}

/* Adds the entry array at lba and the header h at h.my_lba when they differ from the disk. Returns the number
 * of parts added (0..2) or a negative errno. */
static int put_copy(struct repair_ctx *c, const struct wset *pending, const struct gpt_src *s,
		    const struct gpt_hdr *h, const char *what, struct wset *w, struct rh_err *err)
{
	uint32_t bs = c->d->sector;
	uint32_t crc = gpt_crc32(0, s->ents, (size_t)s->h.num_entries * s->h.entry_size);
	uint8_t blk[4096], *have = malloc(s->ents_len);
	char why[WSET_WHY];
	int rc, n = 0;

	if (!have)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = stage_read(c->d, pending, h->entries_lba * bs, have, s->ents_len, err);
	if (rc < 0)
		goto out;
	if (memcmp(have, s->ents, s->ents_len)) {
		snprintf(why, sizeof(why), "GPT %s partition entries", what);
		rc = wset_add(w, h->entries_lba * bs, s->ents, s->ents_len, why, err);
		if (rc < 0)
			goto out;
		n++;
	}
	gpt_hdr_put(blk, bs, h, crc);
	snprintf(why, sizeof(why), "GPT %s header", what);
	rc = put_sector(c, pending, h->my_lba, blk, why, w, err);
	if (rc > 0)
		n++;
out:
	free(have);
	return rc < 0 ? rc : n;
}

/* On a grown disk: zero the stale backup header and let the protective MBR's entry cover the disk. */
static int grown_extras(struct repair_ctx *c, const struct wset *pending, struct wset *w, struct rh_err *err)
{
	const struct scan_gpt *g = &c->scan->gpt;
	uint32_t bs = c->d->sector;
	uint8_t blk[4096];
	struct mbr m;
	int rc, n = 0;

	if (g->backup_lba > 1 && g->backup_lba < c->d->sectors - 1) {
		rc = stage_read(c->d, pending, g->backup_lba * bs, blk, bs, err);
		if (rc < 0)
			return rc;
		if (!memcmp(blk, "EFI PART", 8)) {
			memset(blk, 0, bs);
			rc = wset_add(w, g->backup_lba * bs, blk, bs, "stale GPT backup header (before the disk grew)",
				      err);
			if (rc < 0)
				return rc;
			n++;
		}
	}
	rc = stage_read(c->d, pending, 0, blk, bs, err);
	if (rc < 0)
		return rc;
	mbr_parse(blk, bs, &m);
	if (m.protective && m.signature_ok) {
		uint8_t fresh[MBR_SIZE];
		mbr_build_protective(fresh, blk, m.disk_signature, c->d->sectors);
		memcpy(blk + 446, fresh + 446, 64);
		rc = put_sector(c, pending, 0, blk, "protective MBR size (the disk grew)", w, err);
		if (rc < 0)
			return rc;
		n += rc;
	}
	return n;
}

int op_fix_gpt(OP_ARGS)
{
	const struct scan_gpt *g = &c->scan->gpt;
	uint64_t last = c->d->sectors - 1, esec;
	struct gpt_src s = { .ents = NULL };
	struct gpt_hdr mh, bh;
	int rc, n = 0;

	(void)arg;
	if (!g->have)
		return rh_errf(err, -ENOENT, "%s: neither GPT copy verifies; fix-gpt needs one (find-partitions looks "
				"for the partitions themselves)", c->d->path);
	rc = read_src(c, pending, &s, err);
	if (rc < 0)
		goto out;
	esec = gpt_entry_sectors(&s.h, c->d->sector);
	if (last < 2 + 2 * esec + 1 || s.h.last_usable > last - esec - 1) {
		rc = rh_errf(err, -ENOSPC, "%s: the GPT's usable area ends at LBA %" PRIu64 ", past the room before the "
			     "backup at the disk's end (LBA %" PRIu64 "): the disk is smaller than the table says",
			     c->d->path, s.h.last_usable, last);
		goto out;
	}
	mh = s.h;
	mh.my_lba = 1;
	mh.alt_lba = last;
	if (!g->main_ok)
		mh.entries_lba = 2;
	if (g->backup_not_at_end)
		mh.last_usable = last - esec - 1;
	bh = mh;
	bh.my_lba = last;
	bh.alt_lba = 1;
	bh.entries_lba = last - esec;
	rc = put_copy(c, pending, &s, &mh, "main", w, err);
	if (rc < 0)
		goto out;
	n += rc;
	rc = put_copy(c, pending, &s, &bh, "backup", w, err);
	if (rc < 0)
		goto out;
	n += rc;
	if (g->backup_not_at_end) {
		rc = grown_extras(c, pending, w, err);
		if (rc < 0)
			goto out;
		n += rc;
	}
	rc = n ? 0 : -EALREADY;
out:
	free(s.ents);
	return rc;
}
