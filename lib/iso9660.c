/* iso9660.c: read-only ISO9660 + Rock Ridge reader (see iso9660.h). Freestanding: no libc, no allocation.
 *
 * The loader runs this on whatever medium it was started from, so every field read from the device is checked
 * before it steers a read, and the work is bounded whatever the bytes say:
 *   - volume descriptors: "CD001", version 1, at most ISO_MAX_VD of them before the terminator (type 255), a
 *     primary one required; a Joliet SVD is only noted (the Rock Ridge names are what we match);
 *   - the PVD's logical block size must be 2048 (every offset here is in 2048-byte blocks; other sizes exist in
 *     the standard but not on real media, and accepting them would mean trusting one more field);
 *   - the root directory record: length 34, name "\0", directory flag, size in (0, ISO_MAX_DIR_SIZE], extent
 *     inside the volume space and the device, and its first record "." pointing back at itself;
 *   - every directory record: length >= 34 and inside the sector and the directory's size (records never span
 *     sectors), name length >= 1 and inside the record; a zero length byte ends the sector (padding);
 *   - every extent used (directory or file): inside the volume space size of the PVD and, when the device size
 *     is known, inside the device; directories at most ISO_MAX_DIR_SIZE bytes (bounds the scan);
 *   - multi-extent files (flag 0x80: pieces of one file in several records, the only way ISO9660 stores files
 *     of 4 GiB or more, since a record's size is 32 bits) are refused with -ENOTSUP rather than read partially;
 *   - SUSP (Rock Ridge) entries: length >= 4 and inside their area; NM names concatenated up to ISO_MAX_NAME;
 *     continuation areas (CE) inside one sector and followed at most ISO_MAX_CE times per record (a CE loop
 *     ends there); the SP entry must open the root "." record for Rock Ridge to be used at all;
 *   - lookups: at most ISO_MAX_DEPTH components and ISO_MAX_PATH bytes, ".." refused; together with the
 *     bounded directory size this bounds the work of one lookup even when directories point at each other
 *     (Rock Ridge CL relocation, or a forged extent) — there is no loop to follow, only a path to walk. */
#include "iso9660.h"

#define VD_PRIMARY 1
#define VD_SUPPLEMENTARY 2
#define VD_TERMINATOR 255
#define FLAG_DIR 0x02
#define FLAG_MULTI_EXTENT 0x80
#define REC_MIN 34u               /* 33 fixed bytes + a name of at least one byte */

#define SIG(a, b) ((unsigned)(a) << 8 | (unsigned)(b))

/* One directory record, decoded. */
struct rec {
	uint32_t lba, size;
	uint8_t flags;
	const uint8_t *iso_name;      /* points into fs->sector; valid until the next sector read */
	unsigned iso_len;
	int has_nm, nm_bad;           /* nm_bad: longer than ISO_MAX_NAME */
	unsigned nm_len;
	char nm[ISO_MAX_NAME + 1];
	int has_cl, is_re;            /* Rock Ridge relocation: CL child link, RE relocated directory */
	uint32_t cl_lba;
	int has_sp, has_rr;           /* for the root "." record at mount */
	uint32_t sp_skip;
};

static void zero(void *p, size_t n)
{
	volatile uint8_t *c = p;

	while (n--)
		*c++ = 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int name_eq(const char *a, unsigned alen, const char *b, unsigned blen)
{
	unsigned i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

/* The device callback, with a positive return (a broken callback) turned into -EIO. */
static int dev_read(struct iso_fs *fs, uint64_t off, void *buf, uint32_t len)
{
	int r = fs->read(fs->ctx, off, buf, len);

	return r < 0 ? r : r > 0 ? -ISO_EIO : 0;
}

/* Is the extent [lba, lba + size) inside the volume and the device? An empty extent is (nothing is read). */
static int extent_ok(const struct iso_fs *fs, uint32_t lba, uint32_t size)
{
	uint64_t end;

	if (!size)
		return 1;
	end = (uint64_t)lba + (size + (uint64_t)ISO_SECTOR - 1) / ISO_SECTOR;
	if (end > fs->volume_blocks)
		return 0;
	if (fs->size && end * ISO_SECTOR > fs->size)
		return 0;
	return 1;
}

/* Reads sector lba of the volume into buf, refusing sectors outside the volume or the device. */
static int read_sector(struct iso_fs *fs, uint32_t lba, uint8_t *buf)
{
	if (!extent_ok(fs, lba, ISO_SECTOR))
		return -ISO_EINVAL;
	return dev_read(fs, (uint64_t)lba * ISO_SECTOR, buf, ISO_SECTOR);
}

/* Walks the SUSP entries of one system use area (and its CE continuations) into r. Entries the reader does not
 * use are skipped by their length; a length under 4 or past the area is -EINVAL. */
static int walk_susp(struct iso_fs *fs, const uint8_t *area, uint32_t n, struct rec *r)
{
	const uint8_t *e;
	uint32_t pos, elen, ce_lba = 0, ce_off = 0, ce_len = 0, ces = 0, i, k;
	int have_ce, rc;

	for (;;) {
		have_ce = 0;
		/* fewer than 4 bytes left is padding (areas are padded to an even length) */
		for (pos = 0; pos + 4 <= n; pos += elen) {
			e = area + pos;
			elen = e[2];
			if (elen < 4 || elen > n - pos)
				return -ISO_EINVAL;
			switch (SIG(e[0], e[1])) {
			case SIG('S', 'P'):
				if (elen >= 7 && e[4] == 0xbe && e[5] == 0xef) {
					r->has_sp = 1;
					r->sp_skip = e[6];
				}
				break;
			case SIG('R', 'R'):
			case SIG('E', 'R'):
			case SIG('P', 'X'):
				r->has_rr = 1;
				break;
			case SIG('N', 'M'):
				if (elen < 5)
					return -ISO_EINVAL;
				r->has_rr = 1;
				if (e[4] & 0x06)      /* CURRENT / PARENT: the "." and ".." records */
					break;
				r->has_nm = 1;
				k = elen - 5;
				if (r->nm_len + k > ISO_MAX_NAME) {
					r->nm_bad = 1;
					break;
				}
				for (i = 0; i < k; i++)
					r->nm[r->nm_len++] = (char)e[5 + i];
				break;
			case SIG('C', 'E'):
				if (elen < 28)
					return -ISO_EINVAL;
				have_ce = 1;
				ce_lba = le32(e + 4);
				ce_off = le32(e + 12);
				ce_len = le32(e + 20);
				break;
			case SIG('C', 'L'):
				if (elen < 12)
					return -ISO_EINVAL;
				r->has_cl = 1;
				r->cl_lba = le32(e + 4);
				break;
			case SIG('R', 'E'):
				r->is_re = 1;
				break;
			case SIG('S', 'T'):
				pos = n;       /* terminator: the rest of the area is not SUSP */
				elen = 0;
				break;
			default:
				break;
			}
		}
		if (!have_ce)
			return 0;
		/* a continuation area lies inside one sector; a chain of them ends after ISO_MAX_CE */
		if (++ces > ISO_MAX_CE || ce_off >= ISO_SECTOR || ce_len > ISO_SECTOR - ce_off)
			return -ISO_EINVAL;
		rc = read_sector(fs, ce_lba, fs->ce);
		if (rc < 0)
			return rc;
		area = fs->ce + ce_off;
		n = ce_len;
	}
}

/* Decodes the record at rec (rlen bytes, already checked to hold its name) into *r; parses its SUSP area when
 * the volume has Rock Ridge (or `root_dot`: the root "." record at mount, whose area starts with SP). */
static int decode_record(struct iso_fs *fs, const uint8_t *rec, uint32_t rlen, int root_dot, struct rec *r)
{
	uint32_t name_len = rec[32], su, skip;
	uint64_t lba = (uint64_t)le32(rec + 2) + rec[1];   /* data follows the extended attribute record */

	zero(r, sizeof(*r));
	if (lba > 0xffffffffu)
		return -ISO_EINVAL;
	r->lba = (uint32_t)lba;
	r->size = le32(rec + 10);
	r->flags = rec[25];
	r->iso_name = rec + 33;
	r->iso_len = name_len;
	if (!root_dot && !fs->rock_ridge)
		return 0;
	su = 33 + name_len + !(name_len & 1);     /* the name is padded to an even offset */
	skip = root_dot ? 0 : fs->susp_skip;
	if (su + skip >= rlen)
		return 0;
	return walk_susp(fs, rec + su + skip, rlen - su - skip, r);
}

/* Does record r answer to the path component comp[0..clen)? The Rock Ridge name when there is one, else the
 * ISO9660 name without ";version" and without a trailing '.' (an extensionless "NAME." in ISO9660). */
static int rec_matches(const struct iso_fs *fs, const struct rec *r, const char *comp, unsigned clen)
{
	unsigned n = r->iso_len, i;

	if (fs->rock_ridge && r->has_nm)
		return !r->nm_bad && name_eq(r->nm, r->nm_len, comp, clen);
	for (i = 0; i < n; i++)
		if (r->iso_name[i] == ';') {
			n = i;
			break;
		}
	if (n && r->iso_name[n - 1] == '.')
		n--;
	return name_eq((const char *)r->iso_name, n, comp, clen);
}

/* The directory at lba, as given by its own "." record (for a Rock Ridge CL link, which gives only the LBA). */
static int dir_from_dot(struct iso_fs *fs, uint32_t lba, struct iso_file *ret)
{
	const uint8_t *s = fs->sector;
	int rc;

	rc = read_sector(fs, lba, fs->sector);
	if (rc < 0)
		return rc;
	if (s[0] < REC_MIN || s[32] != 1 || s[33] != 0 || !(s[25] & FLAG_DIR) || le32(s + 2) + (uint64_t)s[1] != lba)
		return -ISO_EINVAL;
	if (le32(s + 10) > ISO_MAX_DIR_SIZE || !extent_ok(fs, lba, le32(s + 10)))
		return -ISO_EINVAL;
	ret->lba = lba;
	ret->size = le32(s + 10);
	ret->is_dir = 1;
	return 0;
}

/* Finds comp[0..clen) in directory dir. Fills *ret on success; -ENOENT when absent. */
static int dir_find(struct iso_fs *fs, const struct iso_file *dir, const char *comp, unsigned clen,
		    struct iso_file *ret)
{
	struct rec r;
	uint32_t nsec, s, end, pos, rlen, name_len;
	const uint8_t *sec = fs->sector;
	int rc;

	if (dir->size > ISO_MAX_DIR_SIZE || !extent_ok(fs, dir->lba, dir->size))
		return -ISO_EINVAL;
	nsec = (dir->size + ISO_SECTOR - 1) / ISO_SECTOR;
	for (s = 0; s < nsec; s++) {
		rc = read_sector(fs, dir->lba + s, fs->sector);
		if (rc < 0)
			return rc;
		end = (s == nsec - 1 && dir->size % ISO_SECTOR) ? dir->size % ISO_SECTOR : ISO_SECTOR;
		for (pos = 0; pos < end; pos += rlen) {
			rlen = sec[pos];
			if (rlen == 0)
				break;        /* the rest of the sector is padding */
			if (rlen < REC_MIN || rlen > end - pos)
				return -ISO_EINVAL;
			name_len = sec[pos + 32];
			if (name_len == 0 || 33 + name_len > rlen)
				return -ISO_EINVAL;
			if (name_len == 1 && sec[pos + 33] <= 1)
				continue;     /* "." and ".." */
			rc = decode_record(fs, sec + pos, rlen, 0, &r);
			if (rc < 0)
				return rc;
			if (r.is_re)
				continue;     /* a relocated directory: reached through its CL link, not here */
			if (!rec_matches(fs, &r, comp, clen))
				continue;
			if (r.flags & FLAG_MULTI_EXTENT)
				return -ISO_ENOTSUP;
			if (r.has_cl)
				return dir_from_dot(fs, r.cl_lba, ret);
			if (!extent_ok(fs, r.lba, r.size))
				return -ISO_EINVAL;
			ret->lba = r.lba;
			ret->size = r.size;
			ret->is_dir = !!(r.flags & FLAG_DIR);
			return 0;
		}
	}
	return -ISO_ENOENT;
}

/* Checks the PVD in fs->sector and takes the volume size and the root directory from it. */
static int take_pvd(struct iso_fs *fs)
{
	const uint8_t *s = fs->sector, *root = fs->sector + 156;

	if (le16(s + 128) != ISO_SECTOR)
		return -ISO_EINVAL;
	fs->volume_blocks = le32(s + 80);
	if (root[0] != REC_MIN || root[32] != 1 || root[33] != 0 || !(root[25] & FLAG_DIR) || root[1] != 0)
		return -ISO_EINVAL;
	fs->root_lba = le32(root + 2);
	fs->root_size = le32(root + 10);
	if (!fs->root_size || fs->root_size > ISO_MAX_DIR_SIZE || !extent_ok(fs, fs->root_lba, fs->root_size))
		return -ISO_EINVAL;
	return 0;
}

/* Reads the root's "." record: it must point at the root itself; its SUSP area says whether Rock Ridge is used
 * (SP first, then RR/ER/PX/NM). A malformed SUSP area there only means no Rock Ridge. */
static int detect_rock_ridge(struct iso_fs *fs)
{
	struct rec r;
	const uint8_t *s = fs->sector;
	int rc;

	rc = read_sector(fs, fs->root_lba, fs->sector);
	if (rc < 0)
		return rc;
	if (s[0] < REC_MIN || s[32] != 1 || s[33] != 0 || le32(s + 2) != fs->root_lba)
		return -ISO_EINVAL;
	rc = decode_record(fs, s, s[0], 1, &r);
	if (rc == 0 && r.has_sp && r.has_rr) {
		fs->rock_ridge = 1;
		fs->susp_skip = r.sp_skip;
	}
	return rc == -ISO_EIO ? rc : 0;
}

int iso_mount(struct iso_fs *fs, iso_read_fn read, void *ctx, uint64_t size)
{
	const uint8_t *s;
	int rc, have_pvd = 0, done = 0;
	uint32_t i;

	if (!fs || !read)
		return -ISO_EINVAL;
	zero(fs, sizeof(*fs));
	fs->read = read;
	fs->ctx = ctx;
	fs->size = size;
	s = fs->sector;
	for (i = 0; i < ISO_MAX_VD && !done; i++) {
		if (size && (16 + i + 1) * (uint64_t)ISO_SECTOR > size)
			return -ISO_EINVAL;
		rc = dev_read(fs, (uint64_t)(16 + i) * ISO_SECTOR, fs->sector, ISO_SECTOR);
		if (rc < 0)
			return rc;
		if (s[1] != 'C' || s[2] != 'D' || s[3] != '0' || s[4] != '0' || s[5] != '1' || s[6] != 1)
			return -ISO_EINVAL;
		switch (s[0]) {
		case VD_TERMINATOR:
			done = 1;
			break;
		case VD_PRIMARY:
			if (!have_pvd) {
				rc = take_pvd(fs);
				if (rc < 0)
					return rc;
				have_pvd = 1;
			}
			break;
		case VD_SUPPLEMENTARY:
			/* Joliet: UCS-2 level 1, 2 or 3 escape sequence */
			if (s[88] == '%' && s[89] == '/' && (s[90] == '@' || s[90] == 'C' || s[90] == 'E'))
				fs->joliet = 1;
			break;
		default:
			break;        /* boot record (El Torito), partition descriptors */
		}
	}
	if (!done || !have_pvd)
		return -ISO_EINVAL;
	return detect_rock_ridge(fs);
}

int iso_lookup(struct iso_fs *fs, const char *path, struct iso_file *ret)
{
	struct iso_file cur, next;
	const char *p, *c;
	unsigned clen, depth = 0, n;
	int rc;

	if (!fs || !path || !ret || !fs->read)
		return -ISO_EINVAL;
	for (n = 0; path[n]; n++)
		if (n >= ISO_MAX_PATH)
			return -ISO_ENAMETOOLONG;
	cur.lba = fs->root_lba;
	cur.size = fs->root_size;
	cur.is_dir = 1;
	p = path;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		c = p;
		while (*p && *p != '/')
			p++;
		clen = (unsigned)(p - c);
		if (clen > ISO_MAX_NAME)
			return -ISO_ENAMETOOLONG;
		if (clen == 1 && c[0] == '.')
			continue;
		if (clen == 2 && c[0] == '.' && c[1] == '.')
			return -ISO_EINVAL;
		if (!cur.is_dir)
			return -ISO_ENOTDIR;
		if (++depth > ISO_MAX_DEPTH)
			return -ISO_ELOOP;
		rc = dir_find(fs, &cur, c, clen, &next);
		if (rc < 0)
			return rc;
		cur = next;
	}
	*ret = cur;
	return 0;
}

int iso_read(struct iso_fs *fs, const struct iso_file *f, uint64_t off, void *buf, uint32_t len)
{
	if (!fs || !f || !fs->read || (!buf && len))
		return -ISO_EINVAL;
	if (f->is_dir)
		return -ISO_EISDIR;
	if (off > f->size || len > f->size - off)
		return -ISO_EINVAL;
	if (!len)
		return 0;
	if (!extent_ok(fs, f->lba, f->size))
		return -ISO_EINVAL;
	return dev_read(fs, (uint64_t)f->lba * ISO_SECTOR + off, buf, len);
}
