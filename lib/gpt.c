/* gpt.c: GUID Partition Table reader (see gpt.h). Freestanding: no libc, no allocation, no globals.
 *
 * What is checked, and why (the same list as systemd-boot's and the Linux kernel's GPT code, plus bounds this
 * reader needs because it runs before any OS on untrusted disks):
 *   - signature "EFI PART" and revision 1.0: anything else is not a GPT we understand;
 *   - header size in [92, block size]: the CRC covers HeaderSize bytes, which must be inside the block read;
 *   - header CRC32 (computed with the CRC field zeroed): a torn or bit-rotted header is not trusted;
 *   - MyLBA equals the LBA the header was read from: a header copied to the wrong place (or an old backup found
 *     at LBA 1) describes another layout;
 *   - FirstUsableLBA <= LastUsableLBA <= the disk's last LBA, and the usable range holds neither LBA 0 (MBR),
 *     the header, nor the entry array: partitions must not be able to overwrite the table that describes them;
 *   - entry size >= 128 and a multiple of 8 (UEFI: 128 * 2^n), at most GPT_MAX_ENTRY_SIZE; entry count in
 *     [1, GPT_MAX_ENTRIES]: both bound the work done on a hostile header, and the product cannot overflow;
 *   - the entry array lies inside the disk, and its CRC32 matches the header's: a header is only as good as the
 *     array it vouches for, so a bad array also sends us to the backup;
 *   - every used entry has FirstLBA <= LastLBA inside the usable range;
 *   - at most GPT_MAX_PARTS used entries (more is -GPT_ENOTSUP: refused rather than silently truncated).
 * Any failure of the primary (LBA 1) makes us try the backup (the last LBA), checked the same way. */
#include "gpt.h"
#include "hex.h"

#define ENTRY_MIN 128u
#define HDR_MIN 92u
#define BLOCK_MAX 4096u

static const uint8_t gpt_sig[8] = { 'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T' };

static void zero(void *p, size_t n)
{
	volatile uint8_t *c = p;

	while (n--)
		*c++ = 0;
}

static void copy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Nibble-at-a-time CRC32 (reflected polynomial 0xEDB88320): a 64-byte constant table instead of 1 KiB, fast
 * enough for a few KiB of GPT. */
uint32_t gpt_crc32(uint32_t crc, const void *buf, size_t len)
{
	static const uint32_t t[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ t[crc & 15];
		crc = (crc >> 4) ^ t[crc & 15];
	}
	return ~crc;
}

/* Appends the code point c as UTF-8 to out (cap bytes before the NUL), or stops: returns 0 when it does not fit
 * (the name is then cut at a character boundary). */
static int put_utf8(char *out, unsigned *pos, unsigned cap, uint32_t c)
{
	uint8_t b[4];
	unsigned n, i;

	if (c < 0x80) {
		b[0] = (uint8_t)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (uint8_t)(0xc0 | c >> 6);
		b[1] = (uint8_t)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (uint8_t)(0xe0 | c >> 12);
		b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | c >> 18);
		b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (*pos + n > cap)
		return 0;
	for (i = 0; i < n; i++)
		out[(*pos)++] = (char)b[i];
	return 1;
}

/* The 36 UTF-16LE units at p, up to the first NUL, as UTF-8 in out[73]. Control characters and unpaired
 * surrogates become '?' (the loader prints these names on the console). */
static void name_to_utf8(const uint8_t *p, char out[73])
{
	unsigned i = 0, pos = 0;
	uint32_t c, lo;

	while (i < 36) {
		c = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
		i++;
		if (!c)
			break;
		if (c >= 0xd800 && c <= 0xdbff && i < 36) {
			lo = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			} else {
				c = '?';
			}
		} else if ((c >= 0xd800 && c <= 0xdfff) || c < 0x20 || c == 0x7f) {
			c = '?';
		}
		if (!put_utf8(out, &pos, 72, c))
			break;
	}
	out[pos] = '\0';
}

static int guid_is_zero(const uint8_t *g)
{
	unsigned i;

	for (i = 0; i < 16; i++)
		if (g[i])
			return 0;
	return 1;
}

/* Reading context for one disk. */
struct disk {
	gpt_read_fn read;
	void *ctx;
	uint32_t bs;
	uint64_t last_lba;
};

/* Does [a0, a1] intersect [b0, b1]? (inclusive LBA ranges) */
static int overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 <= b1 && b0 <= a1;
}

/* Reads and checks the entry array described by a valid header; fills ret's parts. The array is streamed one
 * block at a time through the CRC, and each entry's first 128 bytes are gathered in `ent` (an entry may span
 * two blocks when the entry size does not divide the block size). */
static int read_entries(const struct disk *d, uint64_t lba, uint32_t count, uint32_t esz, uint32_t want_crc,
			uint64_t first_usable, uint64_t last_usable, struct gpt_disk *ret, const char **why)
{
	uint8_t blk[BLOCK_MAX], ent[ENTRY_MIN];
	uint64_t total = (uint64_t)count * esz, done = 0;
	uint32_t crc = 0, idx = 0, in_ent = 0, chunk, i;
	struct gpt_part *p;
	int r;

	ret->nparts = 0;
	while (done < total) {
		chunk = total - done < d->bs ? (uint32_t)(total - done) : d->bs;
		r = d->read(d->ctx, (lba + done / d->bs) * d->bs, blk, chunk);
		if (r < 0) {
			*why = "entry array: read failed";
			return r;
		}
		crc = gpt_crc32(crc, blk, chunk);
		for (i = 0; i < chunk; i++) {
			if (in_ent < ENTRY_MIN)
				ent[in_ent] = blk[i];
			if (++in_ent < esz)
				continue;
			/* one whole entry in ent[] */
			in_ent = 0;
			idx++;
			if (guid_is_zero(ent))
				continue;
			if (ret->nparts >= GPT_MAX_PARTS) {
				*why = "entry array: more used entries than supported";
				return -GPT_ENOTSUP;
			}
			p = &ret->parts[ret->nparts];
			p->number = idx;
			copy(p->type_guid, ent, 16);
			copy(p->unique_guid, ent + 16, 16);
			p->first_lba = le64(ent + 32);
			p->last_lba = le64(ent + 40);
			p->attributes = le64(ent + 48);
			name_to_utf8(ent + 56, p->name);
			/* a partition outside the usable range would overlap the tables or run off the disk */
			if (p->first_lba > p->last_lba || p->first_lba < first_usable || p->last_lba > last_usable) {
				*why = "entry array: a partition outside the usable range";
				return -GPT_EINVAL;
			}
			ret->nparts++;
		}
		done += chunk;
	}
	if (crc != want_crc) {
		*why = "entry array: CRC32 mismatch";
		return -GPT_EINVAL;
	}
	return 0;
}

/* Reads the header at `lba` and its entries into *ret; 0 when everything checks out (see the top comment). *why
 * gets a static phrase naming the first check that failed. */
static int try_header(const struct disk *d, uint64_t lba, struct gpt_disk *ret, const char **why)
{
	uint8_t h[BLOCK_MAX];
	uint32_t hsz, hcrc, count, esz, i;
	uint64_t my_lba, first_usable, last_usable, ent_lba, ent_blocks, ent_last;
	int r;

	*why = "header: read failed";
	r = d->read(d->ctx, lba * d->bs, h, d->bs);
	if (r < 0)
		return r;
	*why = "header: no \"EFI PART\" signature";
	for (i = 0; i < 8; i++)
		if (h[i] != gpt_sig[i])
			return -GPT_EINVAL;
	*why = "header: revision is not 1.0";
	if (le32(h + 8) != 0x00010000u)
		return -GPT_EINVAL;
	*why = "header: bad header size";
	hsz = le32(h + 12);
	if (hsz < HDR_MIN || hsz > d->bs)
		return -GPT_EINVAL;
	*why = "header: CRC32 mismatch";
	hcrc = le32(h + 16);
	h[16] = h[17] = h[18] = h[19] = 0;
	if (gpt_crc32(0, h, hsz) != hcrc)
		return -GPT_EINVAL;
	my_lba = le64(h + 24);
	first_usable = le64(h + 40);
	last_usable = le64(h + 48);
	ent_lba = le64(h + 72);
	count = le32(h + 80);
	esz = le32(h + 84);
	*why = "header: MyLBA is not where the header is";
	if (my_lba != lba)
		return -GPT_EINVAL;
	*why = "header: bad entry size or count";
	if (esz < ENTRY_MIN || esz % 8 || esz > GPT_MAX_ENTRY_SIZE || count < 1 || count > GPT_MAX_ENTRIES)
		return -GPT_EINVAL;
	ent_blocks = ((uint64_t)count * esz + d->bs - 1) / d->bs;
	/* entry array inside the disk (checked so that ent_last cannot wrap), off LBA 0 and the header */
	*why = "header: entry array outside the disk or over the header";
	if (ent_lba < 1 || ent_lba > d->last_lba || ent_blocks > d->last_lba - ent_lba + 1)
		return -GPT_EINVAL;
	ent_last = ent_lba + ent_blocks - 1;
	if (overlaps(ent_lba, ent_last, lba, lba))
		return -GPT_EINVAL;
	*why = "header: bad usable range";
	if (first_usable > last_usable || last_usable > d->last_lba || first_usable < 1)
		return -GPT_EINVAL;
	if (overlaps(first_usable, last_usable, lba, lba) ||
	    overlaps(first_usable, last_usable, ent_lba, ent_last))
		return -GPT_EINVAL;
	r = read_entries(d, ent_lba, count, esz, le32(h + 88), first_usable, last_usable, ret, why);
	if (r < 0)
		return r;
	*why = "";
	copy(ret->disk_guid, h + 56, 16);
	ret->first_usable_lba = first_usable;
	ret->last_usable_lba = last_usable;
	ret->num_entries = count;
	ret->alternate_lba = le64(h + 32);
	ret->entries_lba = ent_lba;
	return 0;
}

/* Checks the arguments both readers take and fills *d; *why names what is wrong. */
static int disk_init(struct disk *d, gpt_read_fn read, void *ctx, uint32_t block_size, uint64_t disk_blocks,
		     const void *ret, const char **why)
{
	*why = "no read function or no result";
	if (!read || !ret)
		return -GPT_EINVAL;
	*why = "block size is neither 512 nor 4096";
	if (block_size != 512 && block_size != 4096)
		return -GPT_ENOTSUP;
	/* MBR + primary header + one entry block + backup header at least; and byte offsets must fit 64 bits */
	*why = "disk too small for a GPT";
	if (disk_blocks < 4 || disk_blocks > UINT64_MAX / block_size)
		return -GPT_ENOTSUP;
	d->read = read;
	d->ctx = ctx;
	d->bs = block_size;
	d->last_lba = disk_blocks - 1;
	return 0;
}

int gpt_read(gpt_read_fn read, void *ctx, uint32_t block_size, uint64_t disk_blocks, struct gpt_disk *ret)
{
	struct disk d;
	const char *why;
	int r, r2;

	r = disk_init(&d, read, ctx, block_size, disk_blocks, ret, &why);
	if (r < 0)
		return r;
	/* parse into *ret directly (it is overwritten only through here), then fix the summary fields */
	zero(ret, sizeof(*ret));
	r = try_header(&d, 1, ret, &why);
	if (r == 0) {
		ret->primary_ok = 1;
	} else {
		zero(ret, sizeof(*ret));
		r2 = try_header(&d, d.last_lba, ret, &why);
		if (r2 < 0) {
			zero(ret, sizeof(*ret));
			/* report the primary's failure, unless only the backup could be read at all */
			return r == -GPT_EIO && r2 != -GPT_EIO ? r2 : r;
		}
		ret->backup_ok = 1;
		ret->used_backup = 1;
	}
	ret->block_size = block_size;
	ret->last_lba = d.last_lba;
	return 0;
}

/* Copies the static phrase s into why (cap bytes, NUL-terminated, cut when too long). */
static void why_copy(char *why, size_t cap, const char *s)
{
	size_t i = 0;

	if (!why || !cap)
		return;
	while (s[i] && i + 1 < cap) {
		why[i] = s[i];
		i++;
	}
	why[i] = '\0';
}

int gpt_read_copy(gpt_read_fn read, void *ctx, uint32_t block_size, uint64_t disk_blocks, uint64_t lba,
		  struct gpt_disk *ret, char *why, size_t cap)
{
	struct disk d;
	const char *w = "";
	int r;

	r = disk_init(&d, read, ctx, block_size, disk_blocks, ret, &w);
	if (r == 0 && (lba < 1 || lba > d.last_lba)) {
		w = "header: its LBA is beyond the disk's end";
		r = -GPT_EINVAL;
	}
	if (r == 0) {
		zero(ret, sizeof(*ret));
		r = try_header(&d, lba, ret, &w);
	}
	if (r < 0) {
		if (ret)
			zero(ret, sizeof(*ret));
		why_copy(why, cap, w);
		return r;
	}
	why_copy(why, cap, "");
	ret->primary_ok = lba == 1;
	ret->backup_ok = lba != 1;
	ret->used_backup = lba != 1;
	ret->block_size = block_size;
	ret->last_lba = d.last_lba;
	return 0;
}

void gpt_guid_to_str(const uint8_t g[16], char out[37])
{
	/* byte order of the text groups: 4 bytes LE, 2 LE, 2 LE, then 2 + 6 in disk order */
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	unsigned i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex_digits[g[order[i]] >> 4];
		out[o++] = hex_digits[g[order[i]] & 15];
	}
	out[o] = '\0';
}

int gpt_guid_from_str(const char *s, uint8_t out[16])
{
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t g[16];
	unsigned i, pos = 0;
	int hi, lo;

	if (!s || !out)
		return -GPT_EINVAL;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			if (s[pos] != '-')
				return -GPT_EINVAL;
			pos++;
		}
		hi = hex_value(s[pos]);
		if (hi < 0)
			return -GPT_EINVAL;
		lo = hex_value(s[pos + 1]);   /* s[pos] was not NUL, so s[pos + 1] is readable */
		if (lo < 0)
			return -GPT_EINVAL;
		pos += 2;
		g[order[i]] = (uint8_t)(hi << 4 | lo);
	}
	if (s[pos] != '\0')
		return -GPT_EINVAL;
	copy(out, g, 16);
	return 0;
}
