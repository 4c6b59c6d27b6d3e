/* test_gpt.c: the GPT reader against sgdisk's tables (512-byte blocks) and tables built here (4096-byte blocks,
 * more than 128 partitions, odd names), with one row per damage: the primary's header, CRCs, MyLBA, entry
 * geometry, usable range, entries — each must fall back to the backup — and both damaged. GUID text both ways. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpt.h"
#include "gpt_write.h"
#include "unit.h"

struct mem {
	uint8_t *p;
	size_t n;
	unsigned reads;
	int fail;
};

static int mem_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct mem *m = ctx;

	m->reads++;
	if (m->fail || off > m->n || len > m->n - off)
		return -EIO;
	memcpy(buf, m->p + off, len);
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Recomputes the entries CRC and the header CRC of the header at lba (after a test changed a field, so that
 * the field itself is what gets checked, not the CRC). */
static void fix_crcs(uint8_t *img, size_t n, uint32_t bs, uint64_t lba)
{
	uint8_t *h = img + lba * bs;
	uint64_t ent = get64(h + 72);
	uint64_t len = (uint64_t)get32(h + 80) * get32(h + 84);

	if (ent * bs + len <= n)   /* an array past the image keeps its old CRC */
		put32(h + 88, gpt_crc32(0, img + ent * bs, len));
	put32(h + 16, 0);
	put32(h + 16, gpt_crc32(0, h, get32(h + 12)));
}

static const char *disk_guid = "8b1c0d5e-3f6a-4e2b-9c7d-0123456789ab";
static const char *p2_guid = "11111111-2222-4333-8444-555555555555";

/* An 8 MiB sgdisk image: ESP (legacy BIOS bootable), bootbank, altbootbank, state — the ramhost layout. */
static uint8_t *sgdisk_image(size_t *ret_n)
{
	char dir[] = "/tmp/test_gpt.XXXXXX", cmd[1024], path[64];
	uint8_t *p = NULL;
	FILE *f;
	size_t n = 8u << 20;

	if (!mkdtemp(dir))
		return NULL;
	snprintf(path, sizeof(path), "%s/disk.img", dir);
	snprintf(cmd, sizeof(cmd),
		 "truncate -s %zu '%s' && sgdisk -U %s -n 1:2048:+2M -t 1:EF00 -c 1:ESP -A 1:set:2 "
		 "-n 2:0:+2M -t 2:0700 -c 2:bootbank -u 2:%s -n 3:0:+2M -t 3:0700 -c 3:altbootbank "
		 "-n 4:0:0 -t 4:8300 -c 4:state '%s' >/dev/null",
		 n, path, disk_guid, p2_guid, path);
	if (system(cmd) == 0 && (f = fopen(path, "rb"))) {
		p = malloc(n);
		if (p && fread(p, 1, n, f) != n) {
			free(p);
			p = NULL;
		}
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0 && p) {
		free(p);
		p = NULL;
	}
	*ret_n = n;
	return p;
}

enum damage {
	D_NONE, D_SIG, D_HDR_CRC, D_REVISION, D_HDR_SIZE_SMALL, D_HDR_SIZE_BIG, D_MYLBA, D_ENTRY_SIZE_SMALL,
	D_ENTRY_SIZE_ODD, D_ENTRY_COUNT_ZERO, D_ENTRY_COUNT_HUGE, D_ENTRIES_PAST_DISK, D_ENTRIES_ON_HEADER,
	D_USABLE_ON_HEADER, D_USABLE_ON_ENTRIES, D_USABLE_PAST_DISK, D_USABLE_REVERSED, D_ENTRY_CRC,
	D_PART_PAST_USABLE, D_PART_REVERSED, D_NO_MBR, D_BACKUP_ONLY_BAD, D_BOTH, D_BOTH_ENTRIES, D_TRUNCATED,
};

/* Applies damage d to the primary (or as named) of a 512-byte sgdisk image; fields changed get their CRCs
 * recomputed so that the field check, not the CRC, is what refuses them. */
static void apply(struct mem *m, enum damage d)
{
	const uint32_t bs = 512;
	uint8_t *h = m->p + bs, *b = m->p + m->n - bs;
	uint64_t last = m->n / bs - 1;
	int fix = 1;

	switch (d) {
	case D_NONE: fix = 0; break;
	case D_SIG: h[0] = 'X'; fix = 0; break;
	case D_HDR_CRC: h[20] ^= 1; fix = 0; break;            /* a reserved byte: only the CRC notices */
	case D_REVISION: put32(h + 8, 0x00020000); break;
	case D_HDR_SIZE_SMALL: put32(h + 12, 91); break;
	case D_HDR_SIZE_BIG: put32(h + 12, 513); fix = 0; break;
	case D_MYLBA: put64(h + 24, 2); break;
	case D_ENTRY_SIZE_SMALL: put32(h + 84, 120); break;
	case D_ENTRY_SIZE_ODD: put32(h + 84, 132); break;
	case D_ENTRY_COUNT_ZERO: put32(h + 80, 0); break;
	case D_ENTRY_COUNT_HUGE: put32(h + 80, 1u << 20); break;
	case D_ENTRIES_PAST_DISK: put64(h + 72, last - 3); break;
	case D_ENTRIES_ON_HEADER: put64(h + 72, 1); break;
	case D_USABLE_ON_HEADER: put64(h + 40, 1); break;
	case D_USABLE_ON_ENTRIES: put64(h + 40, 20); break;
	case D_USABLE_PAST_DISK: put64(h + 48, last + 1); break;
	case D_USABLE_REVERSED: put64(h + 40, get64(h + 48) + 1); break;
	case D_ENTRY_CRC: m->p[2 * bs + 56] ^= 1; fix = 0; break;  /* a byte of p1's name */
	case D_PART_PAST_USABLE: put64(m->p + 2 * bs + 128 * 3 + 40, get64(h + 48) + 1); break;
	case D_PART_REVERSED: put64(m->p + 2 * bs + 32, get64(m->p + 2 * bs + 40) + 1); break;
	case D_NO_MBR: memset(m->p, 0, bs); fix = 0; break;
	case D_BACKUP_ONLY_BAD: b[0] = 'X'; fix = 0; break;
	case D_BOTH: h[0] = 'X'; b[0] = 'X'; fix = 0; break;
	case D_BOTH_ENTRIES: m->p[2 * bs] ^= 1; m->p[get64(b + 72) * bs] ^= 1; fix = 0; break;
	case D_TRUNCATED: m->n -= 1 << 20; fix = 0; break;
	}
	if (fix)
		fix_crcs(m->p, m->n, bs, 1);
}

static void check_layout(const struct gpt_disk *g)
{
	char s[37];

	CHECK(g->block_size == 512 && g->last_lba == (8u << 20) / 512 - 1);
	CHECK(g->nparts == 4 && g->num_entries == 128);
	gpt_guid_to_str(g->disk_guid, s);
	CHECK_STR(s, disk_guid);
	CHECK_STR(g->parts[0].name, "ESP");
	CHECK_STR(g->parts[1].name, "bootbank");
	CHECK_STR(g->parts[2].name, "altbootbank");
	CHECK_STR(g->parts[3].name, "state");
	for (unsigned i = 0; i < 4 && i < g->nparts; i++)
		CHECK(g->parts[i].number == i + 1);
	gpt_guid_to_str(g->parts[0].type_guid, s);
	CHECK_STR(s, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
	gpt_guid_to_str(g->parts[1].type_guid, s);
	CHECK_STR(s, "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7");
	gpt_guid_to_str(g->parts[3].type_guid, s);
	CHECK_STR(s, "0fc63daf-8483-4772-8e79-3d69d8477de4");
	gpt_guid_to_str(g->parts[1].unique_guid, s);
	CHECK_STR(s, p2_guid);
	CHECK(g->parts[0].first_lba == 2048 && g->parts[0].last_lba == 2048 + 4096 - 1);
	CHECK(g->parts[1].first_lba == 6144 && g->parts[1].last_lba == 6144 + 4096 - 1);
	CHECK(g->parts[0].attributes == GPT_ATTR_LEGACY_BIOS_BOOTABLE && g->parts[1].attributes == 0);
	CHECK(g->parts[3].last_lba == g->last_usable_lba && g->last_usable_lba == g->last_lba - 33);
}

static void test_sgdisk_damage(void)
{
	static const struct {
		const char *what;
		enum damage d;
		int rc, used_backup;
	} rows[] = {
		{ "pristine", D_NONE, 0, 0 },
		{ "signature", D_SIG, 0, 1 },
		{ "header CRC", D_HDR_CRC, 0, 1 },
		{ "revision 2.0", D_REVISION, 0, 1 },
		{ "header size 91", D_HDR_SIZE_SMALL, 0, 1 },
		{ "header size past the block", D_HDR_SIZE_BIG, 0, 1 },
		{ "MyLBA 2", D_MYLBA, 0, 1 },
		{ "entry size 120", D_ENTRY_SIZE_SMALL, 0, 1 },
		{ "entry size 132", D_ENTRY_SIZE_ODD, 0, 1 },
		{ "no entries", D_ENTRY_COUNT_ZERO, 0, 1 },
		{ "a million entries", D_ENTRY_COUNT_HUGE, 0, 1 },
		{ "entries past the disk", D_ENTRIES_PAST_DISK, 0, 1 },
		{ "entries on the header", D_ENTRIES_ON_HEADER, 0, 1 },
		{ "usable range on the header", D_USABLE_ON_HEADER, 0, 1 },
		{ "usable range on the entries", D_USABLE_ON_ENTRIES, 0, 1 },
		{ "usable range past the disk", D_USABLE_PAST_DISK, 0, 1 },
		{ "usable range reversed", D_USABLE_REVERSED, 0, 1 },
		{ "entries CRC", D_ENTRY_CRC, 0, 1 },
		{ "partition past the usable range", D_PART_PAST_USABLE, 0, 1 },
		{ "partition first > last", D_PART_REVERSED, 0, 1 },
		{ "no protective MBR", D_NO_MBR, 0, 0 },
		{ "backup damaged, primary good", D_BACKUP_ONLY_BAD, 0, 0 },
		{ "both headers", D_BOTH, -GPT_EINVAL, 0 },
		{ "both entry arrays", D_BOTH_ENTRIES, -GPT_EINVAL, 0 },
		{ "disk shorter than the table says", D_TRUNCATED, -GPT_EINVAL, 0 },
	};
	struct mem pristine = { 0 }, m;
	static struct gpt_disk g;
	unsigned i;
	int r;

	pristine.p = sgdisk_image(&pristine.n);
	CHECK(pristine.p != NULL);
	if (!pristine.p)
		return;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		m = pristine;
		m.p = malloc(pristine.n);
		memcpy(m.p, pristine.p, pristine.n);
		apply(&m, rows[i].d);
		memset(&g, 0xa5, sizeof(g));
		r = gpt_read(mem_read, &m, 512, m.n / 512, &g);
		if (r != rows[i].rc || (r == 0 && g.used_backup != rows[i].used_backup))
			fprintf(stderr, "  %s: %d (backup %d), expected %d (backup %d)\n", rows[i].what, r,
				r == 0 ? g.used_backup : -1, rows[i].rc, rows[i].used_backup);
		CHECK(r == rows[i].rc);
		if (r == 0) {
			CHECK(g.used_backup == rows[i].used_backup);
			CHECK(g.primary_ok == !rows[i].used_backup && g.backup_ok == rows[i].used_backup);
			check_layout(&g);
		}
		CHECK(m.reads < 200);
		free(m.p);
	}
	/* arguments and the device */
	CHECK(gpt_read(mem_read, &pristine, 1024, pristine.n / 1024, &g) == -GPT_ENOTSUP);
	CHECK(gpt_read(mem_read, &pristine, 512, 3, &g) == -GPT_ENOTSUP);
	CHECK(gpt_read(mem_read, &pristine, 512, UINT64_MAX / 256, &g) == -GPT_ENOTSUP);
	CHECK(gpt_read(mem_read, &pristine, 4096, pristine.n / 4096, &g) == -GPT_EINVAL);  /* 512-byte table */
	pristine.fail = 1;
	CHECK(gpt_read(mem_read, &pristine, 512, pristine.n / 512, &g) == -EIO);
	free(pristine.p);
}

/* Builds a GPT in img (blocks of bs bytes, n_blocks) with `count` entries of esz bytes, nused used ones (1 block
 * each from first usable), names from names[] (UTF-16 units, NUL-terminated) or "pN". Both headers. */
static void build(uint8_t *img, uint32_t bs, uint64_t n_blocks, uint32_t count, uint32_t esz, unsigned nused,
		  const uint16_t *name)
{
	uint64_t last = n_blocks - 1, ent_blocks = ((uint64_t)count * esz + bs - 1) / bs;
	uint64_t first_usable = 2 + ent_blocks, last_usable = last - 1 - ent_blocks;
	uint8_t *e;
	int side;

	memset(img, 0, n_blocks * bs);
	for (unsigned i = 0; i < nused; i++) {
		e = img + 2 * bs + (size_t)i * esz;
		e[0] = 0xaf, e[15] = (uint8_t)(i + 1);       /* some type */
		e[16] = (uint8_t)i, e[31] = 0x77;
		put64(e + 32, first_usable + i);
		put64(e + 40, first_usable + i);
		if (name)
			for (unsigned k = 0; k < 36 && name[k]; k++)
				e[56 + 2 * k] = (uint8_t)name[k], e[57 + 2 * k] = (uint8_t)(name[k] >> 8);
		else
			e[56] = 'p', e[58] = (uint8_t)('0' + i % 10);
	}
	memcpy(img + (last - ent_blocks) * bs, img + 2 * bs, ent_blocks * bs);
	for (side = 0; side < 2; side++) {
		uint64_t my = side ? last : 1, alt = side ? 1 : last, ent = side ? last - ent_blocks : 2;
		uint8_t *h = img + my * bs;

		memcpy(h, "EFI PART", 8);
		put32(h + 8, 0x00010000);
		put32(h + 12, 92);
		put64(h + 24, my);
		put64(h + 32, alt);
		put64(h + 40, first_usable);
		put64(h + 48, last_usable);
		memset(h + 56, 0x42, 16);
		put64(h + 72, ent);
		put32(h + 80, count);
		put32(h + 84, esz);
		fix_crcs(img, n_blocks * bs, bs, my);
	}
}

/* Built tables: 4096-byte blocks, an entry size that straddles blocks, more than 128 used entries, names. */
static void test_built(void)
{
	static const uint16_t ascii[] = { 'b', 'o', 'o', 't', 0 };
	static const uint16_t latin[] = { 'c', 0xe9, 0 };                         /* é */
	static const uint16_t pair[] = { 0xd83d, 0xde00, '!', 0 };                /* U+1F600 */
	static const uint16_t lone[] = { 'a', 0xdc00, 'b', 0xd800, 0 };           /* unpaired surrogates */
	static const uint16_t ctl[] = { 'x', 0x1b, '[', 0x7f, 0 };
	static uint16_t euro[37];                                                  /* 36 x U+20AC */
	static const struct {
		const char *what;
		uint32_t bs, count, esz;
		unsigned nused;
		const uint16_t *name;
		int rc;
		const char *want_name;
	} rows[] = {
		{ "4096-byte blocks", 4096, 128, 128, 3, ascii, 0, "boot" },
		{ "512, 136-byte entries across blocks", 512, 100, 136, 7, NULL, 0, "p0" },
		{ "4096, 4096-byte entries", 4096, 4, 4096, 4, NULL, 0, "p0" },
		{ "128 used entries", 512, 128, 128, 128, NULL, 0, "p0" },
		{ "129 used entries", 512, 256, 128, 129, NULL, -GPT_ENOTSUP, NULL },
		{ "256 entries, 3 used", 512, 256, 128, 3, NULL, 0, "p0" },
		{ "Latin-1 name", 512, 128, 128, 1, latin, 0, "c\xc3\xa9" },
		{ "surrogate pair", 512, 128, 128, 1, pair, 0, "\xf0\x9f\x98\x80!" },
		{ "lone surrogates", 512, 128, 128, 1, lone, 0, "a?b?" },
		{ "control characters", 512, 128, 128, 1, ctl, 0, "x?[?" },
		{ "36 three-byte characters", 512, 128, 128, 1, euro, 0, NULL },
	};
	static struct gpt_disk g;
	struct mem m;
	unsigned i, k;
	int r;

	for (k = 0; k < 36; k++)
		euro[k] = 0x20ac;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.n = (size_t)rows[i].bs * 1024;
		m.p = malloc(m.n);
		build(m.p, rows[i].bs, 1024, rows[i].count, rows[i].esz, rows[i].nused, rows[i].name);
		r = gpt_read(mem_read, &m, rows[i].bs, 1024, &g);
		if (r != rows[i].rc)
			fprintf(stderr, "  %s: %d, expected %d\n", rows[i].what, r, rows[i].rc);
		CHECK(r == rows[i].rc);
		if (r == 0) {
			CHECK(!g.used_backup && g.nparts == rows[i].nused && g.block_size == rows[i].bs);
			CHECK(g.parts[g.nparts - 1].number == rows[i].nused);
			if (rows[i].want_name)
				CHECK_STR(g.parts[0].name, rows[i].want_name);
			else     /* cut at a character boundary: 24 x 3 bytes */
				CHECK(strlen(g.parts[0].name) == 72 &&
				      memcmp(g.parts[0].name + 69, "\xe2\x82\xac", 3) == 0);
		}
		free(m.p);
	}
}

/* gpt_new_layout + gpt_entry_put (what `ramhost image disk` and rescue's find-partitions write) make, sector for
 * sector, the table sgdisk makes of the same partitions: main header and array, backup array and header. */
static void test_new_matches_sgdisk(void)
{
	static const char *const names[4] = { "ESP", "bootbank", "altbootbank", "state" };
	const char *types[4] = { GPT_TYPE_ESP, GPT_TYPE_BASIC_DATA, GPT_TYPE_BASIC_DATA, GPT_TYPE_LINUX_FS };
	const size_t eb = GPT_NEW_ENTRIES * GPT_NEW_ENTRY_SIZE;
	struct gpt_hdr h, hb;
	struct gpt_disk g;
	struct mem m = { 0 };
	uint8_t *img, guid[16];
	size_t n = 0;
	uint64_t last;
	uint32_t crc;
	unsigned i;

	m.p = sgdisk_image(&n);
	CHECK(m.p != NULL);
	if (!m.p)
		return;
	m.n = n;
	last = n / 512 - 1;
	CHECK(gpt_read(mem_read, &m, 512, n / 512, &g) == 0 && g.nparts == 4);
	img = calloc(1, n);
	uint8_t *ents = calloc(1, eb);
	for (i = 0; i < 4 && i < g.nparts; i++) {
		struct gpt_new_part p = { .first_lba = g.parts[i].first_lba, .last_lba = g.parts[i].last_lba,
					  .attributes = i == 0 ? GPT_ATTR_LEGACY_BIOS_BOOTABLE : 0, .name = names[i] };

		CHECK(gpt_guid_from_str(types[i], p.type_guid) == 0);
		memcpy(p.unique_guid, g.parts[i].unique_guid, 16);
		gpt_entry_put(ents, GPT_NEW_ENTRY_SIZE, i, &p);
	}
	CHECK(gpt_guid_from_str(disk_guid, guid) == 0);
	gpt_new_layout(n / 512, 512, guid, &h, &hb);
	CHECK(h.first_usable == 34 && h.last_usable == last - 33 && hb.entries_lba == last - 32 && hb.my_lba == last);
	crc = gpt_crc32(0, ents, eb);
	gpt_hdr_put(img + 512, 512, &h, crc);
	memcpy(img + h.entries_lba * 512, ents, eb);
	memcpy(img + hb.entries_lba * 512, ents, eb);
	gpt_hdr_put(img + hb.my_lba * 512, 512, &hb, crc);
	CHECK(memcmp(img + 512, m.p + 512, 33 * 512) == 0);
	CHECK(memcmp(img + (last - 32) * 512, m.p + (last - 32) * 512, 33 * 512) == 0);
	/* the names, cut at 36 characters */
	{
		struct gpt_new_part p = { .name = "0123456789abcdefghijklmnopqrstuvwxyzXYZ" };
		gpt_entry_put(ents, GPT_NEW_ENTRY_SIZE, 5, &p);
		CHECK(ents[5 * 128 + 56 + 2 * 35] == 'z' && ents[5 * 128 + 127] == 0);
	}
	/* a random GUID marked version 4 */
	memset(guid, 0xff, 16);
	gpt_guid_mark_v4(guid);
	CHECK(guid[7] == 0x4f && guid[8] == 0xbf);
	free(ents);
	free(img);
	free(m.p);
}

static void test_guid_text(void)
{
	static const struct {
		const char *s;
		int rc;
		uint8_t bytes[16];
		const char *canon;
	} rows[] = {
		{ "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", 0,
		  { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b },
		  "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" },
		{ "00000000-0000-0000-0000-000000000000", 0, { 0 }, "00000000-0000-0000-0000-000000000000" },
		{ "c12a7328-f81f-11d2-ba4b-00a0c93ec93", -GPT_EINVAL, { 0 }, NULL },
		{ "c12a7328-f81f-11d2-ba4b-00a0c93ec93b0", -GPT_EINVAL, { 0 }, NULL },
		{ "c12a7328f81f-11d2-ba4b-00a0c93ec93b0", -GPT_EINVAL, { 0 }, NULL },
		{ "c12a7328-f81f-11d2-ba4b_00a0c93ec93b", -GPT_EINVAL, { 0 }, NULL },
		{ "g12a7328-f81f-11d2-ba4b-00a0c93ec93b", -GPT_EINVAL, { 0 }, NULL },
		{ "c12a7328-f81f-11d2-ba4b-00a0c93ec9 b", -GPT_EINVAL, { 0 }, NULL },
		{ "", -GPT_EINVAL, { 0 }, NULL },
		{ "c", -GPT_EINVAL, { 0 }, NULL },
	};
	uint8_t g[16];
	char s[37];
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(g, 0xee, 16);
		CHECK(gpt_guid_from_str(rows[i].s, g) == rows[i].rc);
		if (rows[i].rc)
			continue;
		CHECK(memcmp(g, rows[i].bytes, 16) == 0);
		gpt_guid_to_str(g, s);
		CHECK_STR(s, rows[i].canon);
	}
	CHECK(gpt_guid_from_str(NULL, g) == -GPT_EINVAL);
}

static void test_crc32(void)
{
	CHECK(gpt_crc32(0, "123456789", 9) == 0xcbf43926u);
	CHECK(gpt_crc32(0, "", 0) == 0);
	CHECK(gpt_crc32(gpt_crc32(0, "1234", 4), "56789", 5) == 0xcbf43926u);
}

int main(void)
{
	RUN(test_crc32);
	RUN(test_guid_text);
	RUN(test_sgdisk_damage);
	RUN(test_built);
	RUN(test_new_matches_sgdisk);
	UNIT_EXIT();
}
