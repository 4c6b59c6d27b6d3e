/* test_iso9660.c: the loader's ISO9660 reader against xorriso's output (the committed fixtures of
 * tests/fixtures/iso9660/ and images made here at run time: Rock Ridge + Joliet, plain ISO9660, the ramhost ISO
 * options, 255-byte names, a directory of many sectors, deep paths) and against damaged images (one row per
 * corruption: the error expected and a bound on the reads it took). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iso9660.h"
#include "unit.h"

/* An image in memory as the device; counts the callback's calls. */
struct mem {
	uint8_t *p;
	size_t n;
	unsigned reads;
	int fail;          /* every read fails with -EIO */
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

static uint8_t *load(const char *path, size_t *ret_n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n);
		if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		*ret_n = (size_t)n;
	}
	fclose(f);
	return p;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static const char *fixture(const char *name)
{
	static char path[4096];
	const char *top = getenv("TOP");

	snprintf(path, sizeof(path), "%s/tests/fixtures/iso9660/%s", top ? top : ".", name);
	return path;
}

/* The fixture contents (make-fixtures.sh). */
static const char bootcfg_txt[] = "bootstate=0\ntitle=fixture\nkernel=vmlinuz\nmodules=init.cpio --- base.tdk\n"
				  "updated=2\n";

static uint8_t vmlinuz_byte(unsigned i)
{
	return (uint8_t)(65 + (i * 7) % 26);
}

/* Looks path up and reads it whole; returns the lookup/read code, the file in *ret_f and its bytes in out. */
static int lookup_read(struct iso_fs *fs, const char *path, struct iso_file *ret_f, uint8_t *out, size_t cap)
{
	int r = iso_lookup(fs, path, ret_f);

	if (r < 0 || ret_f->is_dir)
		return r;
	if (ret_f->size > cap)
		return -E2BIG;
	return iso_read(fs, ret_f, 0, out, ret_f->size);
}

#define DEEP "/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/deep.txt"
#define LONG "a-rather-long-file-name-that-iso9660-level-one-cannot-hold.tdk"

static void test_fixture_lookups(void)
{
	static const struct {
		const char *iso, *path;
		int rc;
		const char *content;    /* NULL: not compared; "" with is_dir: a directory */
		int is_dir;
		long size;              /* -1: not compared */
	} rows[] = {
		{ "rr.iso", "/bootbank/boot.cfg", 0, bootcfg_txt, 0, -1 },
		{ "rr.iso", "bootbank/boot.cfg", 0, bootcfg_txt, 0, -1 },
		{ "rr.iso", "//bootbank/./boot.cfg", 0, bootcfg_txt, 0, -1 },
		{ "rr.iso", "/BOOTBANK/Boot.Cfg", 0, bootcfg_txt, 0, -1 },
		{ "rr.iso", "/bootbank/vmlinuz", 0, NULL, 0, 5000 },
		{ "rr.iso", "/bootbank/" LONG, 0, "long\n", 0, -1 },
		{ "rr.iso", DEEP, 0, "deep\n", 0, -1 },
		{ "rr.iso", "/MixedCase.Txt", 0, "mixed\n", 0, -1 },
		{ "rr.iso", "/mixedcase.txt", 0, "mixed\n", 0, -1 },
		{ "rr.iso", "/EFI/BOOT/BOOTX64.EFI", 0, "efi\n", 0, -1 },
		{ "rr.iso", "/bootbank/empty", 0, "", 0, 0 },
		{ "rr.iso", "/", 0, NULL, 1, -1 },
		{ "rr.iso", "", 0, NULL, 1, -1 },
		{ "rr.iso", "/bootbank", 0, NULL, 1, -1 },
		{ "rr.iso", "/bootbank/", 0, NULL, 1, -1 },
		{ "rr.iso", "/bootbank/nope", -ISO_ENOENT, NULL, 0, -1 },
		{ "rr.iso", "/bootbank/boot.cf", -ISO_ENOENT, NULL, 0, -1 },
		{ "rr.iso", "/bootbank/boot.cfg.", -ISO_ENOENT, NULL, 0, -1 },
		{ "rr.iso", "/bootbank/boot.cfg;1", -ISO_ENOENT, NULL, 0, -1 },   /* RR name has no version */
		{ "rr.iso", "/bootbank/boot.cfg/x", -ISO_ENOTDIR, NULL, 0, -1 },
		{ "rr.iso", "/bootbank/../bootbank/boot.cfg", -ISO_EINVAL, NULL, 0, -1 },
		{ "plain.iso", "/bootbank/boot.cfg", 0, bootcfg_txt, 0, -1 },
		{ "plain.iso", "/BOOTBANK/BOOT.CFG", 0, bootcfg_txt, 0, -1 },
		{ "plain.iso", "/bootbank/vmlinuz", 0, NULL, 0, 5000 },      /* ISO name "VMLINUZ.;1" */
		{ "plain.iso", "/bootbank/vmlinuz.", -ISO_ENOENT, NULL, 0, -1 },
		{ "plain.iso", "/bootbank/empty", 0, "", 0, 0 },
		{ "plain.iso", "/EFI/BOOT/BOOTX64.EFI", 0, "efi\n", 0, -1 },
		{ "plain.iso", "/bootbank/" LONG, -ISO_ENOENT, NULL, 0, -1 },  /* level 1: 8.3 names only */
		{ "plain.iso", "/MIXEDCAS.TXT", 0, "mixed\n", 0, -1 },
		{ "plain.iso", "/D1/D2/D3/D4/D5/D6/D7/D8/D9/D10/DEEP.TXT", 0, "deep\n", 0, -1 },
	};
	static uint8_t out[8192];
	struct iso_fs fs;
	struct iso_file f;
	struct mem m = { 0 };
	const char *loaded = NULL;
	unsigned i;
	int r;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!loaded || strcmp(loaded, rows[i].iso)) {
			free(m.p);
			memset(&m, 0, sizeof(m));
			m.p = load(fixture(rows[i].iso), &m.n);
			CHECK(m.p != NULL);
			if (!m.p)
				return;
			loaded = rows[i].iso;
			CHECK(iso_mount(&fs, mem_read, &m, m.n) == 0);
			CHECK(fs.rock_ridge == !strcmp(loaded, "rr.iso"));
			CHECK(fs.joliet == !strcmp(loaded, "rr.iso"));
		}
		memset(out, 0, sizeof(out));
		r = lookup_read(&fs, rows[i].path, &f, out, sizeof(out));
		if (r != rows[i].rc)
			fprintf(stderr, "  row %u %s %s: %d, expected %d\n", i, rows[i].iso, rows[i].path, r,
				rows[i].rc);
		CHECK(r == rows[i].rc);
		if (r < 0)
			continue;
		CHECK(f.is_dir == rows[i].is_dir);
		if (rows[i].size >= 0)
			CHECK(f.size == (uint32_t)rows[i].size);
		if (rows[i].content) {
			CHECK(f.size == strlen(rows[i].content));
			CHECK(memcmp(out, rows[i].content, strlen(rows[i].content)) == 0);
		}
	}
	free(m.p);
}

/* iso_read at offsets across sector boundaries, the end of the file, and the refusals. */
static void test_read_ranges(void)
{
	static const struct {
		uint64_t off;
		uint32_t len;
		int rc;
	} rows[] = {
		{ 0, 1, 0 }, { 0, 5000, 0 }, { 2047, 2, 0 }, { 2040, 2960, 0 }, { 4999, 1, 0 }, { 5000, 0, 0 },
		{ 0, 0, 0 }, { 4999, 2, -ISO_EINVAL }, { 5000, 1, -ISO_EINVAL }, { 5001, 0, -ISO_EINVAL },
		{ UINT64_MAX, 1, -ISO_EINVAL }, { 1, UINT32_MAX, -ISO_EINVAL },
	};
	static uint8_t out[5000];
	struct mem m = { 0 };
	struct iso_fs fs;
	struct iso_file f, d;
	unsigned i, j;
	int ok, r;

	m.p = load(fixture("rr.iso"), &m.n);
	CHECK(m.p && iso_mount(&fs, mem_read, &m, m.n) == 0);
	CHECK(m.p && iso_lookup(&fs, "/bootbank/vmlinuz", &f) == 0);
	if (!m.p)
		return;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(out, 0, sizeof(out));
		r = iso_read(&fs, &f, rows[i].off, out, rows[i].len);
		if (r != rows[i].rc)
			fprintf(stderr, "  row %u: %d, expected %d\n", i, r, rows[i].rc);
		CHECK(r == rows[i].rc);
		if (rows[i].rc)
			continue;
		for (ok = 1, j = 0; j < rows[i].len; j++)
			if (out[j] != vmlinuz_byte((unsigned)rows[i].off + j))
				ok = 0;
		CHECK(ok);
	}
	CHECK(iso_lookup(&fs, "/bootbank", &d) == 0);
	CHECK(iso_read(&fs, &d, 0, out, 1) == -ISO_EISDIR);
	/* a failing device: the callback's error comes back */
	m.fail = 1;
	CHECK(iso_read(&fs, &f, 0, out, 1) == -EIO);
	CHECK(iso_lookup(&fs, "/bootbank/boot.cfg", &d) == -EIO);
	CHECK(iso_mount(&fs, mem_read, &m, m.n) == -EIO);
	free(m.p);
}

/* Makes a tree under dir/tree: a 255-byte name, a directory of 300 files (many sectors), a 20-level path with a
 * file at depth 16. Returns 0 or -1. */
static int make_tree(const char *dir)
{
	static const char deep[] = "l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12/l13/l14/l15/l16/l17/l18/l19/l20";
	char path[8192], name[256];
	int i;

	snprintf(path, sizeof(path), "mkdir -p '%s/tree/many' '%s/tree/%s'", dir, dir, deep);
	if (system(path))
		return -1;
	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "%s/tree/many/file-number-%03d.txt", dir, i);
		snprintf(name, sizeof(name), "content of %d\n", i);
		if (write_file(path, name, strlen(name)))
			return -1;
	}
	memset(name, 'n', 251);
	memcpy(name + 251, ".txt", 5);
	snprintf(path, sizeof(path), "%s/tree/%s", dir, name);
	if (write_file(path, "255\n", 4))
		return -1;
	snprintf(path, sizeof(path), "%s/tree/l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12/l13/l14/l15/f.txt", dir);
	return write_file(path, "l15\n", 4);
}

/* xorriso's images of make_tree's tree, for each option set the loader may meet. */
static void test_generated(void)
{
	static const struct {
		const char *opts;
		int rr;
	} isos[] = {
		{ "-R -J", 1 },
		{ "-R", 1 },
		{ "-J --norock", 0 },
		{ "--norock", 0 },
		{ "-R -J -l -N -allow-lowercase -allow-multidot -d", 1 },
	};
	static const struct {
		const char *path;
		int rr_rc, plain_rc;    /* expected with and without Rock Ridge */
		const char *content;
	} rows[] = {
		{ "/many/file-number-000.txt", 0, -ISO_ENOENT, "content of 0\n" },
		{ "/many/file-number-150.txt", 0, -ISO_ENOENT, "content of 150\n" },
		{ "/many/file-number-299.txt", 0, -ISO_ENOENT, "content of 299\n" },
		{ "/many/file-number-300.txt", -ISO_ENOENT, -ISO_ENOENT, NULL },
		{ "/l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12/l13/l14/l15/f.txt", 0, 0, "l15\n" },   /* "F.TXT;1" */
		{ "/l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12/l13/l14/l15/l16", 0, 0, NULL },
		{ "/l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12/l13/l14/l15/l16/l17", -ISO_ELOOP, -ISO_ELOOP, NULL },
		{ "/l1/./l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12/l13/l14/l15/l16", 0, 0, NULL },
	};
	char dir[] = "/tmp/test_iso9660.XXXXXX", cmd[8192], iso[4200], name[300];
	static uint8_t out[4096];
	struct mem m;
	struct iso_fs fs;
	struct iso_file f;
	unsigned i, j;
	int r, want;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(make_tree(dir) == 0);
	memset(name, 'n', 251);
	memcpy(name + 251, ".txt", 5);
	for (i = 0; i < sizeof(isos) / sizeof(isos[0]); i++) {
		snprintf(iso, sizeof(iso), "%s/x.iso", dir);
		snprintf(cmd, sizeof(cmd), "xorriso -as mkisofs -quiet %s -o '%s' '%s/tree' 2>/dev/null", isos[i].opts,
			 iso, dir);
		CHECK(system(cmd) == 0);
		memset(&m, 0, sizeof(m));
		m.p = load(iso, &m.n);
		CHECK(m.p != NULL);
		if (!m.p)
			continue;
		/* the size known and unknown (0): the volume space size bounds the extents alone */
		for (j = 0; j < 2; j++) {
			CHECK(iso_mount(&fs, mem_read, &m, j ? 0 : m.n) == 0);
			CHECK(fs.rock_ridge == isos[i].rr);
			for (r = 0; r < (int)(sizeof(rows) / sizeof(rows[0])); r++) {
				want = isos[i].rr ? rows[r].rr_rc : rows[r].plain_rc;
				memset(out, 0, sizeof(out));
				if (lookup_read(&fs, rows[r].path, &f, out, sizeof(out)) != want) {
					fprintf(stderr, "  '%s' %s: expected %d\n", isos[i].opts, rows[r].path, want);
					CHECK(0);
				}
				if (want == 0 && rows[r].content)
					CHECK(f.size == strlen(rows[r].content) &&
					      memcmp(out, rows[r].content, f.size) == 0);
			}
			/* the 255-byte Rock Ridge name (NM split over entries or continuation areas) */
			want = isos[i].rr ? 0 : -ISO_ENOENT;
			snprintf(cmd, sizeof(cmd), "/%s", name);
			CHECK(lookup_read(&fs, cmd, &f, out, sizeof(out)) == want);
			if (want == 0)
				CHECK(f.size == 4 && memcmp(out, "255\n", 4) == 0);
			cmd[256] = 'x';    /* a 256-byte component cannot be any name */
			cmd[257] = '\0';
			CHECK(iso_lookup(&fs, cmd, &f) == -ISO_ENAMETOOLONG);
		}
		free(m.p);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

/* Where the record named `name` (ISO9660 name, compared up to its length, case-insensitively) starts in the
 * directory extent at lba of img; 0 when absent. */
static size_t find_rec(const uint8_t *img, size_t n, uint32_t lba, uint32_t size, const char *name)
{
	size_t base = (size_t)lba * 2048, pos = 0, nl = strlen(name);

	while (pos < size && base + pos + 34 <= n) {
		const uint8_t *r = img + base + pos;

		if (r[0] == 0) {
			pos = (pos / 2048 + 1) * 2048;
			continue;
		}
		if (r[32] >= nl && strncasecmp((const char *)r + 33, name, nl) == 0)
			return base + pos;
		pos += r[0];
	}
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Puts a SUSP entry CE(lba, off, len) then ST at p. */
static void put_ce(uint8_t *p, uint32_t lba, uint32_t off, uint32_t len)
{
	memset(p, 0, 32);
	p[0] = 'C', p[1] = 'E', p[2] = 28, p[3] = 1;
	put32(p + 4, lba);
	put32(p + 12, off);
	put32(p + 20, len);
	p[28] = 'S', p[29] = 'T', p[30] = 4, p[31] = 1;
}

enum damage {
	D_NONE, D_MAGIC, D_VD_VERSION, D_BLOCK_SIZE, D_NO_TERMINATOR, D_ROOT_LEN, D_ROOT_EXTENT, D_ROOT_NOT_DIR,
	D_ROOT_DOT, D_ROOT_HUGE, D_REC_SHORT, D_REC_PAST_SECTOR, D_NAME_PAST_REC, D_MULTI_EXTENT, D_FILE_EXTENT,
	D_SUSP_LEN, D_SUSP_PAST, D_CE_OFFSET, D_CE_LOOP, D_DIR_HUGE, D_DIR_CYCLE, D_TRUNCATED, D_VOLUME_SMALL,
	D_NM_SHORT, D_NM_EMPTY,
};

/* Applies one damage to a copy of rr.iso (m->p); the pristine lookup results give the places to hit. */
static void apply(struct mem *m, enum damage d, const struct iso_file *root, const struct iso_file *bb,
		  const struct iso_file *mixed)
{
	uint8_t *p = m->p, *pvd = m->p + 16 * 2048, *r;
	size_t o = find_rec(p, m->n, bb->lba, bb->size, "boot.cfg");
	size_t ob = find_rec(p, m->n, root->lba, root->size, "bootbank");
	unsigned i, su;

	r = p + o;
	su = 33 + r[32] + !(r[32] & 1);
	switch (d) {
	case D_NONE: break;
	case D_MAGIC: pvd[3] = 'X'; break;
	case D_VD_VERSION: pvd[6] = 2; break;
	case D_BLOCK_SIZE: pvd[128] = 0, pvd[129] = 2; break;   /* 512 */
	case D_NO_TERMINATOR:
		for (i = 17; i < 64 && i < m->n / 2048; i++)
			if (p[i * 2048] == 255)
				p[i * 2048] = 0;   /* the descriptor after it is not a descriptor */
		break;
	case D_ROOT_LEN: pvd[156] = 33; break;
	case D_ROOT_EXTENT: put32(pvd + 158, 0xfffffff0u); break;
	case D_ROOT_NOT_DIR: pvd[156 + 25] = 0; break;
	case D_ROOT_DOT: put32(p + root->lba * 2048 + 2, root->lba + 1); break;
	case D_ROOT_HUGE: put32(pvd + 166, 0x7fffffffu); break;
	case D_REC_SHORT: r[0] = 20; break;
	case D_REC_PAST_SECTOR: r[0] = 255; break;
	case D_NAME_PAST_REC: r[32] = (uint8_t)(r[0] - 32); break;
	case D_MULTI_EXTENT: r[25] |= 0x80; break;
	case D_FILE_EXTENT: put32(r + 2, (uint32_t)(m->n / 2048) - 1), put32(r + 10, 1u << 20); break;
	case D_SUSP_LEN: r[su + 2] = 2; break;
	case D_SUSP_PAST: r[su + 2] = 250; break;
	case D_CE_OFFSET: put_ce(r + su, mixed->lba, 4000, 28); break;
	case D_CE_LOOP:
		/* the continuation area at the start of MixedCase.Txt's data holds a CE to itself */
		put_ce(r + su, mixed->lba, 0, 32);
		put_ce(p + mixed->lba * 2048, mixed->lba, 0, 32);
		break;
	case D_DIR_HUGE: put32(p + ob + 10, 0x7ffff000u); break;
	case D_DIR_CYCLE: put32(p + ob + 2, root->lba), put32(p + ob + 10, root->size); break;
	case D_TRUNCATED: m->n = (size_t)(bb->lba + 1) * 2048; break;   /* the files' data is cut off */
	case D_VOLUME_SMALL: put32(pvd + 80, bb->lba + 1); break;
	case D_NM_SHORT: r[su] = 'N', r[su + 1] = 'M', r[su + 2] = 4; break;
	case D_NM_EMPTY:
		/* an NM entry with an empty name, then ST: the Rock Ridge name "" replaces the ISO name */
		r[su] = 'N', r[su + 1] = 'M', r[su + 2] = 5, r[su + 3] = 1, r[su + 4] = 0;
		r[su + 5] = 'S', r[su + 6] = 'T', r[su + 7] = 4, r[su + 8] = 1;
		break;
	}
}

/* Damaged copies of rr.iso: each row a damage, the mount result, the lookup result for /bootbank/boot.cfg (when
 * mounted), and a bound on the callback's calls for the whole row. */
static void test_damaged(void)
{
	static const struct {
		const char *what;
		enum damage d;
		int mount_rc, lookup_rc;
	} rows[] = {
		{ "pristine", D_NONE, 0, 0 },
		{ "CD001 magic", D_MAGIC, -ISO_EINVAL, 0 },
		{ "descriptor version", D_VD_VERSION, -ISO_EINVAL, 0 },
		{ "block size 512", D_BLOCK_SIZE, -ISO_EINVAL, 0 },
		{ "no terminator", D_NO_TERMINATOR, -ISO_EINVAL, 0 },
		{ "root record length", D_ROOT_LEN, -ISO_EINVAL, 0 },
		{ "root extent past the volume", D_ROOT_EXTENT, -ISO_EINVAL, 0 },
		{ "root not a directory", D_ROOT_NOT_DIR, -ISO_EINVAL, 0 },
		{ "root '.' elsewhere", D_ROOT_DOT, -ISO_EINVAL, 0 },
		{ "root size 2 GiB", D_ROOT_HUGE, -ISO_EINVAL, 0 },
		{ "record length 20", D_REC_SHORT, 0, -ISO_EINVAL },
		{ "record past its sector", D_REC_PAST_SECTOR, 0, -ISO_EINVAL },
		{ "name past its record", D_NAME_PAST_REC, 0, -ISO_EINVAL },
		{ "multi-extent file", D_MULTI_EXTENT, 0, -ISO_ENOTSUP },
		{ "file extent past the volume", D_FILE_EXTENT, 0, -ISO_EINVAL },
		{ "SUSP entry length 2", D_SUSP_LEN, 0, -ISO_EINVAL },
		{ "SUSP entry past the record", D_SUSP_PAST, 0, -ISO_EINVAL },
		{ "CE offset past its sector", D_CE_OFFSET, 0, -ISO_EINVAL },
		{ "CE chain loop", D_CE_LOOP, 0, -ISO_EINVAL },
		{ "directory size 2 GiB", D_DIR_HUGE, 0, -ISO_EINVAL },
		{ "directory pointing at the root", D_DIR_CYCLE, 0, -ISO_ENOENT },
		{ "device truncated", D_TRUNCATED, 0, -ISO_EINVAL },
		{ "volume size smaller than the files", D_VOLUME_SMALL, 0, -ISO_EINVAL },
		{ "NM entry without its flags byte", D_NM_SHORT, 0, -ISO_EINVAL },
		{ "empty NM name", D_NM_EMPTY, 0, -ISO_ENOENT },
	};
	struct mem pristine = { 0 }, m;
	struct iso_fs fs;
	struct iso_file root, bb, mixed, f;
	unsigned i;
	int r;

	pristine.p = load(fixture("rr.iso"), &pristine.n);
	CHECK(pristine.p != NULL);
	if (!pristine.p)
		return;
	CHECK(iso_mount(&fs, mem_read, &pristine, pristine.n) == 0);
	CHECK(iso_lookup(&fs, "/", &root) == 0);
	CHECK(iso_lookup(&fs, "/bootbank", &bb) == 0);
	CHECK(iso_lookup(&fs, "/MixedCase.Txt", &mixed) == 0);
	CHECK(find_rec(pristine.p, pristine.n, bb.lba, bb.size, "boot.cfg") != 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		m = pristine;
		m.p = malloc(pristine.n);
		memcpy(m.p, pristine.p, pristine.n);
		m.reads = 0;
		apply(&m, rows[i].d, &root, &bb, &mixed);
		r = iso_mount(&fs, mem_read, &m, m.n);
		if (r != rows[i].mount_rc)
			fprintf(stderr, "  %s: mount %d, expected %d\n", rows[i].what, r, rows[i].mount_rc);
		CHECK(r == rows[i].mount_rc);
		if (r == 0) {
			r = iso_lookup(&fs, "/bootbank/boot.cfg", &f);
			if (r == 0)
				r = iso_read(&fs, &f, 0, m.p, 0);
			if (r != rows[i].lookup_rc)
				fprintf(stderr, "  %s: lookup %d, expected %d\n", rows[i].what, r, rows[i].lookup_rc);
			CHECK(r == rows[i].lookup_rc);
			/* a cycle is a path to walk, not a loop: the depth bound ends it */
			if (rows[i].d == D_DIR_CYCLE)
				CHECK(iso_lookup(&fs, "/bootbank/bootbank/bootbank/bootbank/bootbank/bootbank/bootbank/"
						 "bootbank/bootbank/bootbank/bootbank/bootbank/bootbank/bootbank/"
						 "bootbank/bootbank/bootbank/bootbank", &f) == -ISO_ELOOP);
		}
		CHECK(m.reads < 1000);
		free(m.p);
	}
	free(pristine.p);
}

int main(void)
{
	RUN(test_fixture_lookups);
	RUN(test_read_ranges);
	RUN(test_generated);
	RUN(test_damaged);
	UNIT_EXIT();
}
