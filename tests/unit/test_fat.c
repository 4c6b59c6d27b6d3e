/* test_fat.c: the FAT reader against volumes made by mkfs.fat (FAT12, FAT16, FAT32; 512- and 4096-byte
 * sectors) and filled by mtools: nested directories, long and non-ASCII names, a directory of several clusters,
 * an empty file, a file of many clusters and a fragmented one, each read back and hashed against its source;
 * names looked up in any case and by their 8.3 alias; free space against mdir's; health of a clean volume. Then
 * damage, one row each, on a copy in memory: a loop in the FAT, a chain too short, a free or out-of-range
 * cluster, a size past the chain, a looping directory, broken long names, dirty flags, differing FATs, a changed
 * backup boot sector, every boot sector field zero or huge (the why names the field), a volume larger than its
 * window, and a failing read. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fat.h"
#include "sha256.h"
#include "unit.h"

static char dir[] = "/tmp/test_fat.XXXXXX";

struct mem {
	uint8_t *p;
	size_t n;
	int fd;            /* >= 0: read the file instead */
	unsigned fail_at;  /* non-zero: the fail_at-th read fails */
	unsigned reads;
};

static int mem_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct mem *m = ctx;

	if (m->fail_at && ++m->reads >= m->fail_at)
		return -EIO;
	if (m->fd >= 0)
		return pread(m->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
	if (off > m->n || len > m->n - off)
		return -EIO;
	memcpy(buf, m->p + off, len);
	return 0;
}

/* Deterministic bytes for source file number k. */
static void fill(uint8_t *p, size_t n, unsigned k)
{
	uint32_t x = 2463534242u + k;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static int write_src(const char *name, size_t n, unsigned k)
{
	char path[512];
	uint8_t *p = malloc(n + 1);
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/src/%s", dir, name);
	fill(p, n, k);
	f = fopen(path, "wb");
	ok = f && fwrite(p, 1, n, f) == n;
	if (f)
		ok &= fclose(f) == 0;
	free(p);
	return ok ? 0 : -1;
}

/* The files of every volume: name on the volume, size, content seed. */
static const struct {
	const char *src, *path;
	size_t size;
} files[] = {
	{ "frag", "/frag.bin", 40000 },
	{ "hello.txt", "/hello.txt", 100 },
	{ "empty", "/empty", 0 },
	{ "big.bin", "/big.bin", 300 * 1024 + 7 },
	{ "boot.efi", "/EFI/BOOT/BOOTX64.EFI", 70000 },
	{ "deep.txt", "/d1/d2/d3/deep.txt", 4097 },
	{ "long", "/A long file name with spaces.txt", 12345 },
	{ "uni", "/\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9-\xe5\x90\x8d\xe5\x89\x8d" ".dat", 33 },
};
#define NFILES (sizeof(files) / sizeof(files[0]))
#define NMANY 40

/* Makes dir/vol.img: mkfs.fat with these options, then frag.bin written into the holes left by deleted files
 * (so that its chain is not contiguous), the other files, and 40 long names in /many. */
static int make_volume(int bits, unsigned sector, unsigned mib, unsigned cluster_bytes)
{
	char cmd[8192];
	size_t n = 0;
	unsigned i;

	n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
			      "set -e; cd '%s'; export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8; rm -f vol.img; "
			      "truncate -s %uM vol.img; mkfs.fat -F %d -S %u -s %u -i 1234abcd vol.img >/dev/null 2>&1; "
			      "mmd -i vol.img ::/EFI ::/EFI/BOOT ::/d1 ::/d1/d2 ::/d1/d2/d3 ::/many; ",
			      dir, mib, bits, sector, cluster_bytes / sector);
	for (i = 0; i < 6; i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "head -c %u /dev/zero > h%u; mcopy -i vol.img h%u ::/; ",
				      2 * cluster_bytes, i, i);
	n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "mdel -i vol.img ::/h1 ::/h3; ");
	for (i = 0; i < NFILES; i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "mcopy -i vol.img 'src/%s' '::%s'; ", files[i].src,
				      files[i].path);
	for (i = 0; i < NMANY; i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
				      "echo %u > 'src/many %02u'; mcopy -i vol.img 'src/many %02u' "
				      "'::/many/long name number %02u of the many.txt'; ", i, i, i, i);
	if (n >= sizeof(cmd) - 1)
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

struct hash {
	struct sha256_ctx ctx;
	uint64_t bytes;
	size_t max_block;
};

static int hash_fn(void *fctx, const void *buf, size_t len)
{
	struct hash *h = fctx;

	sha256_update(&h->ctx, buf, len);
	h->bytes += len;
	if (len > h->max_block)
		h->max_block = len;
	return 0;
}

static int count_fn(void *fctx, const struct fat_dirent *e)
{
	unsigned *n = fctx;

	(*n)++;
	return strstr(e->name, "of the many.txt") ? 0 : 100;
}

/* Reads path and compares it with source k's bytes. */
static void check_file(struct fat_volume *v, unsigned k)
{
	struct fat_dirent e;
	struct hash h;
	uint8_t want[32], got[32], *p = malloc(files[k].size + 1);
	int rc;

	fill(p, files[k].size, k);
	sha256_buf(p, files[k].size, want);
	free(p);
	memset(&h, 0, sizeof(h));
	sha256_init(&h.ctx);
	rc = fat_lookup(v, files[k].path, &e);
	if (rc)
		fprintf(stderr, "  %d-bit: %s: %d (%s)\n", v->bpb.bits, files[k].path, rc, v->why);
	CHECK(rc == 0 && !e.is_dir && e.size == files[k].size);
	CHECK(fat_read(v, &e, hash_fn, &h) == 0);
	sha256_final(&h.ctx, got);
	CHECK(h.bytes == files[k].size && !memcmp(want, got, 32) && h.max_block <= v->bpb.cluster_bytes);
}

/* mdir's "N bytes free" line. */
static uint64_t mdir_free(void)
{
	char cmd[512], line[256];
	uint64_t v = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "cd '%s' && MTOOLS_SKIP_CHECK=1 mdir -i vol.img ::/ | tr -d ' ' | grep bytesfree",
		 dir);
	f = popen(cmd, "r");
	if (f && fgets(line, sizeof(line), f))
		v = strtoull(line, NULL, 10);
	if (f)
		pclose(f);
	return v;
}

static void check_names(struct fat_volume *v)
{
	struct fat_dirent e;
	unsigned n = 0;

	CHECK(fat_lookup(v, "/efi/boot/bootx64.efi", &e) == 0 && e.size == 70000);
	CHECK(fat_lookup(v, "EFI//Boot/", &e) == 0 && e.is_dir);
	CHECK(fat_lookup(v, "/ALONGF~1.TXT", &e) == 0 && e.size == 12345);
	CHECK_STR(e.name, "A long file name with spaces.txt");
	CHECK(fat_lookup(v, "/", &e) == 0 && e.is_dir);
	CHECK(fat_lookup(v, "/nope", &e) == -ENOENT);
	CHECK(fat_lookup(v, "/hello.txt/x", &e) == -ENOTDIR);
	CHECK(fat_list(v, "/hello.txt", count_fn, &n) == -ENOTDIR);
	CHECK(fat_lookup(v, "/many", &e) == 0 && fat_read(v, &e, hash_fn, NULL) == -EISDIR);
	CHECK(fat_list(v, "/many", count_fn, &n) == 0 && n == NMANY);
	n = 0;
	CHECK(fat_list(v, "/", count_fn, &n) == 100 && n == 1); /* the callback's value stops the walk */
	{
		char longc[300];
		memset(longc, 'x', sizeof(longc));
		longc[0] = '/';
		longc[299] = '\0';
		CHECK(fat_lookup(v, longc, &e) == -ENAMETOOLONG);
	}
}

static void test_volumes(void)
{
	static const struct {
		int bits;
		unsigned sector, mib, cluster;
	} rows[] = {
		{ 12, 512, 2, 1024 }, { 16, 512, 16, 2048 },  { 32, 512, 40, 512 },
		{ 12, 4096, 8, 4096 }, { 16, 4096, 64, 4096 }, { 32, 4096, 300, 4096 },
	};
	char path[512];
	unsigned i, k;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mem m = { NULL, 0, -1, 0, 0 };
		struct fat_volume v;
		struct stat st;
		uint64_t fb = 0;
		int dirty = 9, differ = 9, backup = 9;

		CHECK(make_volume(rows[i].bits, rows[i].sector, rows[i].mib, rows[i].cluster) == 0);
		snprintf(path, sizeof(path), "%s/vol.img", dir);
		m.fd = open(path, O_RDONLY);
		CHECK(m.fd >= 0 && fstat(m.fd, &st) == 0);
		CHECK(fat_open(&v, mem_read, &m, (uint64_t)st.st_size) == 0);
		if (v.bpb.bits != rows[i].bits)
			fprintf(stderr, "  row %u: %d bits: %s\n", i, v.bpb.bits, v.why);
		CHECK(v.bpb.bits == rows[i].bits && v.bpb.bytes_per_sector == rows[i].sector);
		CHECK(v.bpb.cluster_bytes == rows[i].cluster && v.bpb.serial == 0x1234abcd);
		CHECK(v.bpb.boot_signature_ok && v.bpb.nfats == 2);
		for (k = 0; k < NFILES; k++)
			check_file(&v, k);
		check_names(&v);
		CHECK(fat_free_bytes(&v, &fb) == 0 && fb == mdir_free());
		CHECK(fat_health(&v, &dirty, &differ, &backup) == 0);
		CHECK(dirty == 0 && differ == 0 && backup == (rows[i].bits == 32 ? 1 : -1));
		close(m.fd);
	}
}

/* The FAT12 volume (or FAT32 with bits 32), made once, as a fresh copy in memory, opened. */
static uint8_t *load(int bits, struct mem *m, struct fat_volume *v)
{
	static uint8_t *img[2];
	static size_t len[2];
	int k = bits == 32;

	if (!img[k]) {
		char path[512];
		struct stat st;
		int fd;

		CHECK(make_volume(k ? 32 : 12, 512, k ? 40 : 2, k ? 512 : 1024) == 0);
		snprintf(path, sizeof(path), "%s/vol.img", dir);
		fd = open(path, O_RDONLY);
		if (fd < 0 || fstat(fd, &st) != 0)
			return NULL;
		len[k] = (size_t)st.st_size;
		img[k] = malloc(len[k]);
		CHECK(img[k] && pread(fd, img[k], len[k], 0) == (ssize_t)len[k]);
		close(fd);
	}
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->n = len[k];
	m->p = malloc(m->n);
	memcpy(m->p, img[k], m->n);
	CHECK(fat_open(v, mem_read, m, m->n) == 0);
	return m->p;
}

/* Sets FAT12 entry n (both FATs, or only FAT 1 when one is 1). */
static void set12(struct mem *m, const struct fat_volume *v, uint32_t n, uint32_t val, int one)
{
	for (int k = 0; k < (one ? 1 : 2); k++) {
		uint8_t *f = m->p + v->bpb.fat_offset + (uint64_t)k * v->bpb.fat_sectors * v->bpb.bytes_per_sector;
		uint8_t *p = f + n + n / 2;
		if (n & 1) {
			p[0] = (uint8_t)((p[0] & 0x0F) | (val & 0x0F) << 4);
			p[1] = (uint8_t)(val >> 4);
		} else {
			p[0] = (uint8_t)val;
			p[1] = (uint8_t)((p[1] & 0xF0) | ((val >> 8) & 0x0F));
		}
	}
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xFFFF);
	put16(p + 2, v >> 16);
}

static void test_damaged_chains(void)
{
	static const struct {
		const char *what;
		int link;          /* which link of big.bin's chain to change (0 = the first cluster's entry) */
		int to;            /* -1: cluster 0 of the chain (a loop to the start); -2: itself; -3: EOC; -4: free;
				      -5: out of range; -6: bad */
		int rc;
		unsigned clusters; /* delivered before the error */
	} rows[] = {
		{ "loop to the start", 2, -1, -ELOOP, 3 },
		{ "self loop", 0, -2, -ELOOP, 1 },
		{ "self loop later", 5, -2, -ELOOP, 6 },
		{ "chain too short", 1, -3, -EINVAL, 2 },
		{ "free cluster", 3, -4, -EINVAL, 4 },
		{ "out of range", 0, -5, -EINVAL, 1 },
		{ "bad cluster", 4, -6, -EINVAL, 5 },
	};
	struct fat_volume v;
	struct fat_dirent e;
	struct mem m;
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct hash h;
		uint32_t c, first, at, val;
		int rc;

		if (!load(12, &m, &v))
			return;
		CHECK(fat_lookup(&v, "/big.bin", &e) == 0);
		first = at = e.first_cluster;
		for (int k = 0; k < rows[i].link; k++) {
			c = m.p[v.bpb.fat_offset + at + at / 2] | m.p[v.bpb.fat_offset + at + at / 2 + 1] << 8;
			at = at & 1 ? c >> 4 : c & 0xFFF;
		}
		val = rows[i].to == -1 ? first : rows[i].to == -2 ? at : rows[i].to == -3 ? 0xFFF :
		      rows[i].to == -4 ? 0 : rows[i].to == -5 ? v.bpb.clusters + 2 : 0xFF7;
		set12(&m, &v, at, val, 0);
		memset(&h, 0, sizeof(h));
		sha256_init(&h.ctx);
		rc = fat_read(&v, &e, hash_fn, &h);
		if (rc != rows[i].rc || h.bytes != rows[i].clusters * v.bpb.cluster_bytes)
			fprintf(stderr, "  row '%s': %d, %llu bytes (%s)\n", rows[i].what, rc, (unsigned long long)h.bytes,
				v.why);
		CHECK(rc == rows[i].rc && h.bytes == rows[i].clusters * v.bpb.cluster_bytes);
		free(m.p);
	}
	/* a size past the end of an intact chain, and a first cluster out of range */
	if (!load(12, &m, &v))
		return;
	CHECK(fat_lookup(&v, "/hello.txt", &e) == 0);
	{
		struct hash h = { .bytes = 0 };
		e.size += 5 * v.bpb.cluster_bytes;
		sha256_init(&h.ctx);
		CHECK(fat_read(&v, &e, hash_fn, &h) == -EINVAL && h.bytes == v.bpb.cluster_bytes);
		CHECK(strstr(v.why, "chain of 1 clusters") != NULL);
		e.first_cluster = v.bpb.clusters + 2;
		CHECK(fat_read(&v, &e, hash_fn, &h) == -EINVAL);
		e.first_cluster = 0;
		CHECK(fat_read(&v, &e, hash_fn, &h) == -EINVAL);
	}
	/* a directory whose chain loops: the walk ends, the entries before were seen */
	{
		unsigned n = 0;
		CHECK(fat_lookup(&v, "/many", &e) == 0);
		set12(&m, &v, e.first_cluster, e.first_cluster, 0);
		CHECK(fat_list(&v, "/many", count_fn, &n) == -ELOOP && n > 0 && n < NMANY);
	}
	free(m.p);
	/* FAT32: 28-bit entries, the top 4 bits ignored; a loop back from the 10th cluster; bad cluster 0x0FFFFFF7 */
	if (!load(32, &m, &v))
		return;
	CHECK(fat_lookup(&v, "/big.bin", &e) == 0);
	{
		uint8_t *f = m.p + v.bpb.fat_offset;
		uint32_t at = e.first_cluster + 9;
		struct hash h = { .bytes = 0 };

		CHECK(f[4 * at] == (uint8_t)(at + 1)); /* written contiguously by mtools */
		f[4 * at + 3] |= 0xF0;                  /* reserved bits: still the next cluster */
		sha256_init(&h.ctx);
		CHECK(fat_read(&v, &e, hash_fn, &h) == 0 && h.bytes == e.size);
		put32(f + 4 * at, 0xF0000000u | e.first_cluster);
		h.bytes = 0;
		CHECK(fat_read(&v, &e, hash_fn, &h) == -ELOOP && h.bytes == 10ull * v.bpb.cluster_bytes);
		put32(f + 4 * at, 0x0FFFFFF7u);
		h.bytes = 0;
		CHECK(fat_read(&v, &e, hash_fn, &h) == -EINVAL && h.bytes == 10ull * v.bpb.cluster_bytes);
		CHECK(strstr(v.why, "bad") != NULL);
	}
	free(m.p);
}

/* Byte offset of the 8.3 entry named raw11 (11 bytes) in the image, or 0. */
static size_t find_short(const struct mem *m, const char *raw11)
{
	for (size_t i = 32; i + 32 <= m->n; i += 32)
		if (!memcmp(m->p + i, raw11, 11))
			return i;
	return 0;
}

static void test_long_names(void)
{
	static const struct {
		const char *what;
		int delta;        /* entry before the 8.3 one */
		int byte;
		uint8_t value;
	} rows[] = {
		{ "checksum", -32, 13, 0xFF },
		{ "ordinal gap", -32, 0, 0x03 },
		{ "type byte", -32, 12, 0x01 },
		{ "cluster field", -32, 26, 0x01 },
		{ "lone low surrogate", -32, 2, 0xDC },
		{ "slash in the name", -32, 1, '/' },
		{ "deleted first entry", -96, 0, 0xE5 },
	};
	struct fat_volume v;
	struct fat_dirent e;
	struct mem m;
	size_t at;
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!load(12, &m, &v))
			return;
		at = find_short(&m, "ALONGF~1TXT");
		CHECK(at >= 96);
		if (rows[i].byte == 13)
			m.p[at - 32 + 13] ^= 0xFF;
		else if (rows[i].byte == 0 && rows[i].value == 0x03)
			m.p[at - 32] = 0x03; /* the entry of ordinal 1 says 3: the sequence 3|0x40, 2, 3 breaks */
		else
			m.p[at + rows[i].delta + rows[i].byte] = rows[i].value;
		if (rows[i].value == 0xDC)
			m.p[at + rows[i].delta + 1] = 0x00;
		CHECK(fat_lookup(&v, "/ALONGF~1.TXT", &e) == 0);
		if (strcmp(e.name, "ALONGF~1.TXT"))
			fprintf(stderr, "  row '%s': '%s'\n", rows[i].what, e.name);
		CHECK_STR(e.name, "ALONGF~1.TXT");
		CHECK(fat_lookup(&v, "/A long file name with spaces.txt", &e) == -ENOENT);
		free(m.p);
	}
}

static void test_health(void)
{
	struct fat_volume v;
	struct mem m;
	int dirty, differ, backup;

	if (!load(32, &m, &v))
		return;
	CHECK(fat_health(&v, &dirty, &differ, &backup) == 0 && !dirty && !differ && backup == 1);
	m.p[65] |= 1; /* the boot sector's state byte */
	CHECK(fat_health(&v, &dirty, &differ, &backup) == 0 && dirty && !differ && backup == 0);
	m.p[65] &= 0xFE;
	m.p[v.bpb.fat_offset + 7] &= 0xF7; /* FAT entry 1: clean-shutdown bit 27 clear */
	CHECK(fat_health(&v, &dirty, &differ, &backup) == 0 && dirty && differ && backup == 1);
	m.p[v.bpb.fat_offset + 7] |= 0x08;
	m.p[v.bpb.fat_offset + (uint64_t)v.bpb.fat_sectors * 512 + 100] ^= 1; /* FAT 2 only */
	CHECK(fat_health(&v, &dirty, &differ, &backup) == 0 && !dirty && differ && backup == 1);
	m.p[6 * 512 + 3] ^= 1; /* the backup boot sector */
	CHECK(fat_health(&v, &dirty, &differ, &backup) == 0 && backup == 0);
	free(m.p);
	if (!load(12, &m, &v))
		return;
	m.p[37] |= 1;
	CHECK(fat_health(&v, &dirty, &differ, &backup) == 0 && dirty && !differ && backup == -1);
	m.fail_at = 1;
	m.reads = 0;
	CHECK(fat_health(&v, &dirty, &differ, &backup) == -EIO);
	free(m.p);
}

static void test_boot_sector(void)
{
	static const struct {
		const char *what;
		int fat32;
		unsigned off, width;
		uint32_t value;
		const char *why;       /* a word the reason must hold */
	} rows[] = {
		{ "jump", 0, 0, 1, 0, "jump" },
		{ "bytes per sector 0", 0, 11, 2, 0, "bytes per sector" },
		{ "bytes per sector 3000", 0, 11, 2, 3000, "bytes per sector" },
		{ "sectors per cluster 0", 0, 13, 1, 0, "sectors per cluster" },
		{ "sectors per cluster 3", 0, 13, 1, 3, "sectors per cluster" },
		{ "reserved 0", 0, 14, 2, 0, "reserved sectors" },
		{ "no FAT", 0, 16, 1, 0, "number of FATs" },
		{ "three FATs", 0, 16, 1, 3, "number of FATs" },
		{ "root entries 0", 0, 17, 2, 0, "root directory entries" },
		{ "total 0", 0, 19, 2, 0, "total sectors" },
		{ "media", 0, 21, 1, 0x12, "media" },
		{ "FAT12 with FAT size 0 is a FAT32 layout", 0, 22, 2, 0, "FAT32 layout" },
		{ "FAT size huge", 0, 22, 2, 0xFFFF, "fill the volume" },
		{ "FAT too small", 0, 22, 2, 1, "too few" },
		{ "FAT32 root entries", 1, 17, 2, 512, "root directory entries" },
		{ "FAT32 FAT size 0", 1, 36, 4, 0, "sectors per FAT" },
		{ "FAT32 root cluster 0", 1, 44, 4, 0, "root cluster" },
		{ "FAT32 root cluster huge", 1, 44, 4, 0x0FFFFFF0, "root cluster" },
		{ "FAT32 total huge", 1, 32, 4, 0xFFFFFFFF, "data clusters" },
		{ "FAT32 with few clusters", 1, 32, 4, 60000, "FAT32" },
	};
	struct fat_volume v;
	struct mem m12, m32;
	uint8_t save[512];
	unsigned i;

	if (!load(32, &m32, &v) || !load(12, &m12, &v))
		return;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mem *m = rows[i].fat32 ? &m32 : &m12;
		uint8_t *p = m->p + rows[i].off;
		int rc;

		memcpy(save, m->p, 512);
		if (rows[i].width == 1)
			p[0] = (uint8_t)rows[i].value;
		else if (rows[i].width == 2)
			put16(p, rows[i].value);
		else
			put32(p, rows[i].value);
		rc = fat_open(&v, mem_read, m, m->n);
		if (rc != -EINVAL || !strstr(v.why, rows[i].why))
			fprintf(stderr, "  row '%s': %d '%s'\n", rows[i].what, rc, v.why);
		CHECK(rc == -EINVAL && strstr(v.why, rows[i].why));
		memcpy(m->p, save, 512);
		CHECK(fat_open(&v, mem_read, m, m->n) == 0);
	}
	/* a volume larger than its window, a window smaller than a sector, a failing read */
	CHECK(fat_open(&v, mem_read, &m12, m12.n - 512) == -EINVAL && strstr(v.why, "partition"));
	CHECK(fat_open(&v, mem_read, &m12, 100) == -EINVAL);
	m12.fail_at = 1;
	CHECK(fat_open(&v, mem_read, &m12, m12.n) == -EIO && strstr(v.why, "failed"));
	m12.fail_at = 0;
	{
		char why[64];
		struct fat_bpb b;
		CHECK(fat_bpb_parse(m12.p, 511, &b, why, sizeof(why)) == -EINVAL);
		CHECK(fat_bpb_parse(m12.p, 512, &b, NULL, 0) == 0 && b.bits == 12);
		/* a FAT12/16 layout with FAT32's cluster count: 40 MiB of 512-byte clusters */
		memcpy(save, m12.p, 512);
		save[13] = 1;
		put16(save + 19, 0);
		put32(save + 32, 81920);
		put16(save + 22, 320);
		CHECK(fat_bpb_parse(save, 512, &b, why, sizeof(why)) == -EINVAL && strstr(why, "FAT12/16"));
	}
	free(m12.p);
	free(m32.p);
}

int main(void)
{
	char cmd[512];

	if (!mkdtemp(dir))
		return 1;
	snprintf(cmd, sizeof(cmd), "%s/src", dir);
	mkdir(cmd, 0755);
	for (unsigned k = 0; k < NFILES; k++)
		if (write_src(files[k].src, files[k].size, k))
			return 1;
	RUN(test_volumes);
	RUN(test_damaged_chains);
	RUN(test_long_names);
	RUN(test_health);
	RUN(test_boot_sector);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	UNIT_EXIT();
}
