/* fat.c: the FAT12/16/32 boot sector, the FAT and file contents (see fat.h); directories are fat_dir.c's.
 *
 * Follows Microsoft's "FAT: General Overview of On-Disk Format" (fatgen103, 2000): the type comes from the count
 * of data clusters alone (< 4085 FAT12, < 65525 FAT16, else FAT32); a FAT32 layout (BPB_FATSz16 == 0) with too
 * few clusters, or a FAT12/16 layout with too many, is refused rather than guessed at, because readers disagree
 * on such volumes. Everything else is bounded by what the boot sector promises and the window the caller gives:
 * the FATs and the data area lie inside total_sectors, total_sectors inside the window, a FAT holds an entry for
 * every cluster, and cluster numbers outside 2..clusters+1 are errors. Cluster chains are checked before their
 * data is read, with Brent's cycle detection (constant memory): a loop ends the walk with -ELOOP after the
 * clusters before it repeated, however long the chain. FAT 1 is the one read (as Linux does; a FAT32 volume that
 * turned mirroring off to use another FAT is rare, and fat_health reports FATs that differ). No allocation: the
 * FAT is read through a 512-byte window on the caller's stack, data in runs of contiguous clusters of at most
 * FAT_DATA_BUF bytes. */
#include "fat.h"
#include "fat_int.h"
#include "le.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define FAT_DATA_BUF 8192u

static int bad(char *why, size_t cap, const char *fmt, unsigned long long a, unsigned long long b)
{
	if (why && cap)
		snprintf(why, cap, fmt, a, b);
	return -EINVAL;
}

/* The BPB fields as read, before the derived values are checked. */
static int bpb_fields(const uint8_t *b, struct fat_bpb *r, int *fat32_layout, char *why, size_t cap)
{
	uint16_t bps = le16(b + 11), roots = le16(b + 17), tot16 = le16(b + 19), fat16 = le16(b + 22);
	uint8_t spc = b[13];

	if (!((b[0] == 0xEB && b[2] == 0x90) || b[0] == 0xE9))
		return bad(why, cap, "no jump instruction at byte 0 (%#llx): not a FAT boot sector", b[0], 0);
	if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
		return bad(why, cap, "bytes per sector %llu (512, 1024, 2048 or 4096)", bps, 0);
	if (!spc || (spc & (spc - 1)) || (uint32_t)spc * bps > 65536)
		return bad(why, cap, "sectors per cluster %llu (a power of two, clusters of at most 64 KiB)", spc, 0);
	if (!le16(b + 14))
		return bad(why, cap, "reserved sectors 0", 0, 0);
	if (b[16] != 1 && b[16] != 2)
		return bad(why, cap, "number of FATs %llu (1 or 2)", b[16], 0);
	if (b[21] != 0xF0 && b[21] < 0xF8)
		return bad(why, cap, "media descriptor %#llx (0xF0 or 0xF8..0xFF)", b[21], 0);
	r->bytes_per_sector = bps;
	r->sectors_per_cluster = spc;
	r->reserved_sectors = le16(b + 14);
	r->nfats = b[16];
	r->root_entries = roots;
	r->total_sectors = tot16 ? tot16 : le32(b + 32);
	r->fat_sectors = fat16 ? fat16 : le32(b + 36);
	r->hidden_sectors = le32(b + 28);
	r->cluster_bytes = (uint32_t)spc * bps;
	*fat32_layout = fat16 == 0;
	if (!r->total_sectors)
		return bad(why, cap, "total sectors 0", 0, 0);
	if (!r->fat_sectors)
		return bad(why, cap, "sectors per FAT 0", 0, 0);
	if (*fat32_layout && roots)
		return bad(why, cap, "root directory entries %llu on a FAT32 layout (must be 0)", roots, 0);
	if (!*fat32_layout && !roots)
		return bad(why, cap, "root directory entries 0 on a FAT12/16 layout", 0, 0);
	return 0;
}

/* The extended boot record: serial and label when its signature (0x29) says they are there; FAT32 fields. */
static void bpb_extended(const uint8_t *b, int fat32_layout, struct fat_bpb *r)
{
	const uint8_t *x = b + (fat32_layout ? 64 : 36);
	int i;

	if (fat32_layout) {
		r->root_cluster = le32(b + 44);
		r->fsinfo_sector = le16(b + 48) == 0xFFFF ? 0 : le16(b + 48);
		r->backup_boot_sector = le16(b + 50) == 0xFFFF ? 0 : le16(b + 50);
	}
	memset(r->label, 0, sizeof(r->label));
	if (x[2] == 0x29) {
		r->serial = le32(x + 3);
		for (i = 0; i < 11; i++)
			r->label[i] = x[7 + i] >= 0x20 && x[7 + i] < 0x7F ? (char)x[7 + i] : '_';
		for (i = 10; i >= 0 && r->label[i] == ' '; i--)
			r->label[i] = '\0';
	}
	r->boot_signature_ok = b[510] == 0x55 && b[511] == 0xAA;
}

/* Where the regions are, how many clusters, which type, and that the FAT can hold them all. */
static int bpb_layout(struct fat_bpb *r, int fat32_layout, char *why, size_t cap)
{
	uint64_t bps = r->bytes_per_sector, root_secs, data_start, fat_need;

	root_secs = ((uint64_t)r->root_entries * 32 + bps - 1) / bps;
	data_start = r->reserved_sectors + (uint64_t)r->nfats * r->fat_sectors + root_secs;
	if (data_start >= r->total_sectors)
		return bad(why, cap, "reserved sectors, FATs and root directory (%llu sectors) fill the volume's %llu",
			   data_start, r->total_sectors);
	r->clusters = (uint32_t)((r->total_sectors - data_start) / r->sectors_per_cluster);
	r->bits = r->clusters < 4085 ? 12 : r->clusters < 65525 ? 16 : 32;
	if (fat32_layout && r->bits != 32)
		return bad(why, cap, "a FAT32 layout with %llu clusters (FAT32 has at least 65525)", r->clusters, 0);
	if (!fat32_layout && r->bits == 32)
		return bad(why, cap, "a FAT12/16 layout with %llu clusters (at most 65524)", r->clusters, 0);
	if (!r->clusters || r->clusters > 0x0FFFFFF5u)
		return bad(why, cap, "%llu data clusters", r->clusters, 0);
	fat_need = r->bits == 12 ? ((uint64_t)r->clusters + 2) * 3 / 2 + 1 : ((uint64_t)r->clusters + 2) * (r->bits / 8);
	if (fat_need > (uint64_t)r->fat_sectors * bps)
		return bad(why, cap, "sectors per FAT %llu: too few for %llu clusters", r->fat_sectors, r->clusters);
	if (r->bits == 32 && (r->root_cluster < 2 || r->root_cluster > r->clusters + 1))
		return bad(why, cap, "root cluster %llu outside 2..%llu", r->root_cluster, r->clusters + 1ull);
	r->fat_offset = (uint64_t)r->reserved_sectors * bps;
	r->root_offset = r->bits == 32 ? 0 : (r->reserved_sectors + (uint64_t)r->nfats * r->fat_sectors) * bps;
	r->data_offset = data_start * bps;
	return 0;
}

int fat_bpb_parse(const uint8_t *buf, size_t len, struct fat_bpb *ret, char *why, size_t cap)
{
	struct fat_bpb r;
	int fat32_layout = 0, rc;

	if (!buf || len < 512)
		return bad(why, cap, "boot sector of %llu bytes (512 needed)", len, 0);
	memset(&r, 0, sizeof(r));
	rc = bpb_fields(buf, &r, &fat32_layout, why, cap);
	if (rc)
		return rc;
	bpb_extended(buf, fat32_layout, &r);
	rc = bpb_layout(&r, fat32_layout, why, cap);
	if (rc)
		return rc;
	*ret = r;
	return 0;
}

int fat_vread(struct fat_volume *v, uint64_t off, void *buf, uint32_t len)
{
	if (off > v->size || len > v->size - off) {
		snprintf(v->why, sizeof(v->why), "read of %u bytes at %llu: past the volume's %llu bytes", len,
			 (unsigned long long)off, (unsigned long long)v->size);
		return -EINVAL;
	}
	if (v->read(v->ctx, off, buf, len)) {
		snprintf(v->why, sizeof(v->why), "read of %u bytes at %llu failed", len, (unsigned long long)off);
		return -EIO;
	}
	return 0;
}

int fat_open(struct fat_volume *v, fat_read_fn read, void *ctx, uint64_t size)
{
	uint8_t b[512];
	int rc;

	memset(v, 0, sizeof(*v));
	v->read = read;
	v->ctx = ctx;
	v->size = size;
	if (size < 512) {
		snprintf(v->why, sizeof(v->why), "a volume of %llu bytes (less than one sector)", (unsigned long long)size);
		return -EINVAL;
	}
	rc = fat_vread(v, 0, b, sizeof(b));
	if (rc)
		return rc;
	rc = fat_bpb_parse(b, sizeof(b), &v->bpb, v->why, sizeof(v->why));
	if (rc)
		return rc;
	if ((uint64_t)v->bpb.total_sectors * v->bpb.bytes_per_sector > size) {
		snprintf(v->why, sizeof(v->why), "total sectors %u of %u bytes: larger than the partition's %llu bytes",
			 v->bpb.total_sectors, v->bpb.bytes_per_sector, (unsigned long long)size);
		return -EINVAL;
	}
	return 0;
}

int fat_entry(struct fat_volume *v, struct fat_cache *c, uint32_t n, uint32_t *ret)
{
	const struct fat_bpb *b = &v->bpb;
	uint64_t off = b->bits == 12 ? n + n / 2 : (uint64_t)n * (b->bits / 8);
	uint64_t win = b->fat_offset + (off & ~(uint64_t)(FAT_WIN - 1));
	uint32_t at = (uint32_t)(off & (FAT_WIN - 1)), val;
	uint8_t two[2];
	int rc;

	if (!c->valid || c->off != win) {
		rc = fat_vread(v, win, c->buf, FAT_WIN); /* inside the FAT: its size is a multiple of 512 */
		if (rc)
			return rc;
		c->off = win;
		c->valid = 1;
	}
	if (b->bits == 32) {
		*ret = le32(c->buf + at) & 0x0FFFFFFFu;
		return 0;
	}
	if (b->bits == 16) {
		*ret = le16(c->buf + at);
		return 0;
	}
	if (at + 1 < FAT_WIN) {
		val = le16(c->buf + at);
	} else { /* a FAT12 entry across two windows */
		rc = fat_vread(v, win + at, two, 2);
		if (rc)
			return rc;
		val = le16(two);
	}
	*ret = n & 1 ? val >> 4 : val & 0xFFF;
	return 0;
}

int fat_cluster_ok(const struct fat_volume *v, uint32_t n)
{
	return n >= 2 && n <= v->bpb.clusters + 1;
}

int fat_next(struct fat_volume *v, struct fat_cache *c, uint32_t n, uint32_t *ret)
{
	uint32_t val, top = v->bpb.bits == 12 ? 0xFFF : v->bpb.bits == 16 ? 0xFFFF : 0x0FFFFFFF;
	int rc = fat_entry(v, c, n, &val);

	if (rc)
		return rc;
	if (val >= top - 7) {
		*ret = 0;
		return 1;
	}
	if (val == top - 8)
		snprintf(v->why, sizeof(v->why), "cluster %u of a chain is marked bad", n);
	else if (val == 0)
		snprintf(v->why, sizeof(v->why), "cluster %u of a chain is marked free", n);
	else if (!fat_cluster_ok(v, val))
		snprintf(v->why, sizeof(v->why), "cluster %u points to %u, outside 2..%u", n, val, v->bpb.clusters + 1);
	else {
		*ret = val;
		return 0;
	}
	return -EINVAL;
}

/* Steps n clusters along a chain already checked. */
static int chain_skip(struct fat_volume *v, struct fat_cache *c, uint32_t from, uint32_t n, uint32_t *ret)
{
	int rc;

	while (n--) {
		rc = fat_next(v, c, from, &from);
		if (rc)
			return rc < 0 ? rc : -EINVAL;
	}
	*ret = from;
	return 0;
}

/* The loop's first cluster index mu, given its length lam (Brent's second phase). */
static int chain_mu(struct fat_volume *v, struct fat_cache *c, uint32_t first, uint32_t lam, uint32_t *ret)
{
	uint32_t t = first, h, mu = 0;
	int rc = chain_skip(v, c, first, lam, &h);

	while (!rc && t != h) {
		rc = chain_skip(v, c, t, 1, &t);
		if (!rc)
			rc = chain_skip(v, c, h, 1, &h);
		mu++;
	}
	*ret = mu;
	return rc;
}

int fat_chain_check(struct fat_volume *v, struct fat_cache *c, uint32_t first, uint32_t need, uint32_t *ret_good)
{
	uint32_t power = 1, lam = 1, tort = first, hare = first, mu;
	uint64_t steps = 1, limit = 4 * (uint64_t)need + 4;
	int rc;

	*ret_good = 0;
	if (!fat_cluster_ok(v, first)) {
		snprintf(v->why, sizeof(v->why), "chain starts at cluster %u, outside 2..%u", first, v->bpb.clusters + 1);
		return -EINVAL;
	}
	for (; steps <= limit; steps++) {
		rc = fat_next(v, c, hare, &hare);
		if (rc) {  /* the end of the chain or a damaged entry after `steps` clusters */
			*ret_good = steps < need ? (uint32_t)steps : need;
			return rc < 0 && steps < need ? rc : 0;
		}
		if (hare == tort) {
			rc = chain_mu(v, c, first, lam, &mu);
			if (rc)
				return rc;
			if ((uint64_t)mu + lam >= need) {
				*ret_good = need;
				return 0;
			}
			*ret_good = mu + lam;
			snprintf(v->why, sizeof(v->why), "the chain from cluster %u loops after %u clusters", first, mu + lam);
			return -ELOOP;
		}
		if (power == lam) {
			tort = hare;
			power *= 2;
			lam = 0;
		}
		lam++;
	}
	*ret_good = need; /* no loop within the first need clusters: they are distinct */
	return 0;
}

/* Delivers len bytes read at off in pieces that do not cross a cluster boundary (pos: offset in the file). */
static int deliver(struct fat_volume *v, uint64_t off, uint32_t len, uint8_t *buf,
		   int (*fn)(void *fctx, const void *buf, size_t len), void *fctx)
{
	uint32_t cb = v->bpb.cluster_bytes, done = 0, piece;
	int rc = fat_vread(v, off, buf, len);

	if (rc)
		return rc;
	while (done < len) {
		piece = cb - (uint32_t)((off + done - v->bpb.data_offset) % cb);
		if (piece > len - done)
			piece = len - done;
		rc = fn(fctx, buf + done, piece);
		if (rc)
			return rc;
		done += piece;
	}
	return 0;
}

/* Streams the first `left` bytes of the chain from first (good clusters, checked), merging contiguous clusters
 * into reads of up to FAT_DATA_BUF bytes. */
static int stream(struct fat_volume *v, struct fat_cache *c, uint32_t first, uint32_t good, uint64_t left,
		  int (*fn)(void *fctx, const void *buf, size_t len), void *fctx)
{
	uint8_t buf[FAT_DATA_BUF];
	uint32_t cb = v->bpb.cluster_bytes, i = 0, cur = first, run, last, nxt;
	uint64_t off, n;
	int rc;

	while (i < good && left) {
		run = 1;
		last = cur;
		nxt = 0;
		while (i + run < good) {
			rc = chain_skip(v, c, last, 1, &nxt);
			if (rc)
				return rc;
			if (nxt != last + 1 || (uint64_t)(run + 1) * cb > FAT_DATA_BUF)
				break;
			last = nxt;
			run++;
		}
		off = v->bpb.data_offset + (uint64_t)(cur - 2) * cb;
		n = (uint64_t)run * cb < left ? (uint64_t)run * cb : left;
		left -= n;
		while (n) {
			uint32_t chunk = n < FAT_DATA_BUF ? (uint32_t)n : FAT_DATA_BUF;
			rc = deliver(v, off, chunk, buf, fn, fctx);
			if (rc)
				return rc;
			off += chunk;
			n -= chunk;
		}
		i += run;
		cur = nxt;
	}
	return 0;
}

int fat_read(struct fat_volume *v, const struct fat_dirent *e, int (*fn)(void *fctx, const void *buf, size_t len),
	     void *fctx)
{
	struct fat_cache c = { 0 };
	uint64_t need = ((uint64_t)e->size + v->bpb.cluster_bytes - 1) / v->bpb.cluster_bytes;
	uint32_t good;
	int rc, rc_chain;

	if (e->is_dir)
		return -EISDIR;
	if (!e->size)
		return 0;
	rc_chain = fat_chain_check(v, &c, e->first_cluster, (uint32_t)need, &good);
	rc = stream(v, &c, e->first_cluster, good, e->size, fn, fctx);
	if (rc)
		return rc;
	if (rc_chain)
		return rc_chain;
	if (good < need) {
		snprintf(v->why, sizeof(v->why), "'%.60s': a chain of %u clusters for %u bytes", e->name, good, e->size);
		return -EINVAL;
	}
	return 0;
}

int fat_free_bytes(struct fat_volume *v, uint64_t *ret)
{
	struct fat_cache c = { 0 };
	uint64_t n, free_clusters = 0;
	uint32_t val;
	int rc;

	for (n = 2; n <= (uint64_t)v->bpb.clusters + 1; n++) {
		rc = fat_entry(v, &c, (uint32_t)n, &val);
		if (rc)
			return rc;
		free_clusters += val == 0;
	}
	*ret = free_clusters * v->bpb.cluster_bytes;
	return 0;
}

/* 1 when the len bytes at a and at b are equal, 0 when not, or a negative errno. */
static int same_bytes(struct fat_volume *v, uint64_t a, uint64_t b, uint64_t len)
{
	uint8_t x[1024], y[1024];
	uint32_t n;
	int rc;

	while (len) {
		n = len < sizeof(x) ? (uint32_t)len : (uint32_t)sizeof(x);
		rc = fat_vread(v, a, x, n);
		if (!rc)
			rc = fat_vread(v, b, y, n);
		if (rc)
			return rc;
		if (memcmp(x, y, n))
			return 0;
		a += n;
		b += n;
		len -= n;
	}
	return 1;
}

int fat_health(struct fat_volume *v, int *ret_dirty, int *ret_fats_differ, int *ret_backup)
{
	const struct fat_bpb *b = &v->bpb;
	uint64_t fat_bytes = (uint64_t)b->fat_sectors * b->bytes_per_sector;
	struct fat_cache c = { 0 };
	int dirty = 0, differ = 0, backup = -1, rc;
	uint32_t e1;
	uint8_t s0[512];

	rc = fat_vread(v, 0, s0, sizeof(s0));
	if (rc)
		return rc;
	dirty = (s0[b->bits == 32 ? 65 : 37] & 1) != 0; /* the state byte Linux and Windows set while mounted */
	if (b->bits != 12) {
		rc = fat_entry(v, &c, 1, &e1);
		if (rc)
			return rc;
		dirty |= !(e1 & (b->bits == 16 ? 0x8000u : 0x08000000u));
	}
	if (b->nfats == 2) {
		rc = same_bytes(v, b->fat_offset, b->fat_offset + fat_bytes, fat_bytes);
		if (rc < 0)
			return rc;
		differ = !rc;
	}
	if (b->bits == 32 && b->backup_boot_sector && b->backup_boot_sector < b->reserved_sectors) {
		rc = same_bytes(v, 0, (uint64_t)b->backup_boot_sector * b->bytes_per_sector, b->bytes_per_sector);
		if (rc < 0)
			return rc;
		backup = rc;
	}
	*ret_dirty = dirty;
	*ret_fats_differ = differ;
	*ret_backup = backup;
	return 0;
}
