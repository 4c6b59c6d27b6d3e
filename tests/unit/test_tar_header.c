/* test_tar_header.c: lib/tar_header.c — ustar fields and checksum, the prefix/name split, the pax cases (path,
 * linkpath, size, uid/gid, mtime, xattrs, hdrcharset), the self-counting record length, refusals, and every
 * case read back through libarchive's reader. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tar_header.h"
#include "unit.h"

static uint64_t field_octal(const uint8_t *h, size_t off, size_t width)
{
	char tmp[16];

	memcpy(tmp, h + off, width);
	tmp[width] = '\0';
	return strtoull(tmp, NULL, 8);
}

static int checksum_ok(const uint8_t *h)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return field_octal(h, 148, 7) == sum && h[154] == '\0' && h[155] == ' ';
}

/* Checks that every record of the pax data (len bytes) says its own length and has a key=value form. */
static int records_ok(const char *d, size_t len)
{
	size_t off = 0;

	while (off < len) {
		char *end;
		unsigned long n = strtoul(d + off, &end, 10);

		if (n == 0 || off + n > len || *end != ' ' || d[off + n - 1] != '\n' || !memchr(end, '=', n))
			return 0;
		off += n;
	}
	return off == len;
}

/* Formats e followed by its data (zeros), the end blocks, into a malloc'd archive. */
static uint8_t *archive_of(const struct tar_entry *e, size_t *ret_len)
{
	size_t hl = 0, len;
	uint64_t data = e->size > (1 << 20) ? 0 : e->size; /* 8 GiB entries: the header only */
	uint8_t *buf;

	if (tar_header_size(e, &hl, NULL) < 0)
		return NULL;
	len = hl + (size_t)data + tar_data_pad(data) + (size_t)tar_end_len(hl + data + tar_data_pad(data), 512);
	buf = calloc(1, len);
	if (buf && tar_header_format(e, buf, len, &hl, NULL) < 0) {
		free(buf);
		return NULL;
	}
	*ret_len = len;
	return buf;
}

/* Whether e has the xattr name = value (len bytes). */
static int xattr_in(const struct tar_entry *e, const char *name, const void *value, size_t len)
{
	size_t i;

	for (i = 0; i < e->n_xattrs; i++)
		if (!strcmp(e->xattrs[i].name, name))
			return e->xattrs[i].len == len && !memcmp(e->xattrs[i].value, value, len);
	return 0;
}

/* Reads the first entry of the archive of e back with libarchive and compares what the entry says. */
static int reads_back(const struct tar_entry *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	size_t len = 0, nx = 0;
	uint8_t *buf = archive_of(e, &len);
	int ok = 0;

	if (!a || !buf)
		goto out;
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK || archive_read_next_header(a, &ae) != ARCHIVE_OK)
		goto out;
	ok = !strcmp(archive_entry_pathname(ae), e->path) && (uint64_t)archive_entry_uid(ae) == e->uid &&
	     (uint64_t)archive_entry_gid(ae) == e->gid && archive_entry_mtime(ae) == e->mtime &&
	     (archive_entry_perm(ae) & 07777) == (e->mode & 07777) && (uint64_t)archive_entry_size(ae) == e->size;
	if (e->type == TAR_SYMLINK)
		ok = ok && archive_entry_symlink(ae) && !strcmp(archive_entry_symlink(ae), e->linkpath);
	if (e->type == TAR_HARDLINK)
		ok = ok && archive_entry_hardlink(ae) && !strcmp(archive_entry_hardlink(ae), e->linkpath);
	if (e->type == TAR_DIR)
		ok = ok && archive_entry_filetype(ae) == AE_IFDIR;
	if (e->type == TAR_CHR || e->type == TAR_BLK)
		ok = ok && archive_entry_filetype(ae) == (e->type == TAR_CHR ? AE_IFCHR : AE_IFBLK) &&
		     archive_entry_rdevmajor(ae) == e->devmajor && archive_entry_rdevminor(ae) == e->devminor;
	if (e->type == TAR_FIFO)
		ok = ok && archive_entry_filetype(ae) == AE_IFIFO;
	archive_entry_xattr_reset(ae);
	for (;;) {
		const char *k;
		const void *v;
		size_t vl;

		if (archive_entry_xattr_next(ae, &k, &v, &vl) != ARCHIVE_OK)
			break;
		ok = ok && xattr_in(e, k, v, vl);   /* libarchive hands them back in its own order */
		nx++;
	}
	ok = ok && nx == e->n_xattrs;
	if (e->size <= (1 << 20))
		ok = ok && archive_read_next_header(a, &ae) == ARCHIVE_EOF;
out:
	if (a)
		archive_read_free(a);
	free(buf);
	return ok;
}

static void test_ustar_fields(void)
{
	struct tar_entry e = { .path = "etc/hostname", .type = TAR_REG, .mode = 0100644, .uid = 1000, .gid = 100,
			       .mtime = 1700000000, .size = 13 };
	uint8_t h[512];
	size_t len = 0;

	CHECK(tar_header_format(&e, h, sizeof(h), &len, NULL) == 0);
	CHECK(len == 512);
	CHECK_STR((char *)h, "etc/hostname");
	CHECK_STR((char *)h + 100, "0000644");
	CHECK_STR((char *)h + 108, "0001750");
	CHECK_STR((char *)h + 116, "0000144");
	CHECK_STR((char *)h + 124, "00000000015");
	CHECK(field_octal(h, 136, 12) == 1700000000);
	CHECK(h[156] == '0');
	CHECK(!memcmp(h + 257, "ustar\0" "00", 8));
	CHECK(h[265] == 0 && h[297] == 0); /* numeric owners only */
	CHECK(checksum_ok(h));
	CHECK(reads_back(&e));
}

static void test_types(void)
{
	static const struct tar_xattr xa[] = {
		{ "user.color", "blue", 4 },
		{ "security.capability", "\x01\x00\x00\x02\0\0=\n", 8 }, /* binary, NUL, '=' and newline */
		{ "user.empty", "", 0 },
	};
	static const struct tar_entry rows[] = {
		{ .path = "usr", .type = TAR_DIR, .mode = 0755 },
		{ .path = "usr/lib/", .type = TAR_DIR, .mode = 0755 },
		{ .path = "usr/bin/sh", .linkpath = "dash", .type = TAR_SYMLINK, .mode = 0777 },
		{ .path = "usr/bin/b", .linkpath = "usr/bin/a", .type = TAR_HARDLINK, .mode = 0755 },
		{ .path = "dev/null", .type = TAR_CHR, .mode = 0666, .devmajor = 1, .devminor = 3 },
		{ .path = "dev/sda", .type = TAR_BLK, .mode = 0660, .gid = 6, .devmajor = 8, .devminor = 1048575 },
		{ .path = "run/fifo", .type = TAR_FIFO, .mode = 0600 },
		{ .path = "bin/su", .type = TAR_REG, .mode = 04755, .size = 1000 },
		{ .path = "etc/x", .type = TAR_REG, .mode = 0644, .size = 5, .xattrs = xa, .n_xattrs = 3 },
		{ .path = "caf\xc3\xa9/\xff\xfe", .type = TAR_REG, .mode = 0644 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!reads_back(&rows[i]))
			fprintf(stderr, "  row %zu (%s)\n", i, rows[i].path);
		CHECK(reads_back(&rows[i]));
	}
}

/* A path of n bytes: components of 9 letters and a '/', or without any '/' when flat. */
static char *long_path(size_t n, int flat, char c)
{
	char *p = malloc(n + 1);
	size_t i;

	for (i = 0; p && i < n; i++)
		p[i] = (!flat && i % 10 == 9 && i + 1 < n) ? '/' : c;
	if (p)
		p[n] = '\0';
	return p;
}

static void test_pax_cases(void)
{
	char *split = long_path(250, 0, 'a'), *flat = long_path(101, 1, 'b'), *huge = long_path(5000, 0, 'c');
	char *link = long_path(101, 0, 'd'), *nonascii = long_path(300, 1, '\xe9');
	char *prefix_only = long_path(150, 1, 'e');
	const struct {
		struct tar_entry e;
		size_t len;          /* the header bytes; 512: ustar alone */
		const char *record;  /* a record the pax data holds, or NULL */
	} rows[] = {
		{ { .path = split, .type = TAR_REG }, 512, NULL },
		{ { .path = flat, .type = TAR_REG }, 1536, "path=" },
		{ { .path = huge, .type = TAR_DIR }, 512 + 512 * 11, "path=" },
		{ { .path = "l", .linkpath = link, .type = TAR_SYMLINK }, 1536, "linkpath=" },
		{ { .path = "big", .type = TAR_REG, .size = 1ULL << 33 }, 1536, "19 size=8589934592\n" },
		{ { .path = "big", .type = TAR_REG, .size = (1ULL << 33) - 1 }, 512, NULL },
		{ { .path = "u", .type = TAR_REG, .uid = 07777777 }, 512, NULL },
		{ { .path = "u", .type = TAR_REG, .uid = 07777777 + 1 }, 1536, "uid=2097152\n" },
		{ { .path = "g", .type = TAR_REG, .gid = 4294967295u }, 1536, "gid=4294967295\n" },
		{ { .path = "t", .type = TAR_REG, .mtime = -1 }, 1536, "12 mtime=-1\n" },
		{ { .path = "t", .type = TAR_REG, .mtime = 077777777777LL }, 512, NULL },
		{ { .path = "t", .type = TAR_REG, .mtime = 077777777777LL + 1 }, 1536, "mtime=8589934592\n" },
		{ { .path = nonascii, .type = TAR_REG }, 1536, "hdrcharset=BINARY\n" },
		{ { .path = prefix_only, .type = TAR_REG }, 1536, "path=" }, /* no '/': no split */
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct tar_entry *e = &rows[i].e;
		size_t len = 0, got = 0;
		uint8_t *buf;

		CHECK(tar_header_size(e, &len, NULL) == 0);
		if (len != rows[i].len)
			fprintf(stderr, "  row %zu: %zu bytes, expected %zu\n", i, len, rows[i].len);
		CHECK(len == rows[i].len);
		buf = calloc(1, len);
		CHECK(buf && tar_header_format(e, buf, len, &got, NULL) == 0 && got == len);
		if (buf && got == len) {
			CHECK(checksum_ok(buf + len - 512));
			if (len > 512) {
				uint64_t n = field_octal(buf, 124, 12);

				CHECK(buf[156] == 'x' && checksum_ok(buf));
				CHECK(n + tar_data_pad(n) + 1024 == len);
				CHECK(records_ok((char *)buf + 512, (size_t)n));
				CHECK(rows[i].record && memmem(buf + 512, (size_t)n, rows[i].record, strlen(rows[i].record)));
			}
		}
		free(buf);
		CHECK(reads_back(e));
	}
	/* the split: prefix holds the leading components, name the rest */
	{
		uint8_t h[512];
		size_t got;

		CHECK(tar_header_format(&rows[0].e, h, sizeof(h), &got, NULL) == 0);
		CHECK(strlen((char *)h + 345) <= 155 && h[0] && strnlen((char *)h, 100) <= 100);
		CHECK(!memcmp(split, h + 345, strlen((char *)h + 345)) && split[strlen((char *)h + 345)] == '/');
	}
	free(split);
	free(flat);
	free(huge);
	free(link);
	free(nonascii);
	free(prefix_only);
}

/* Record lengths across the digit boundaries: a linkpath of each length from 100 to 1100 reads back. */
static void test_record_lengths(void)
{
	size_t n;

	for (n = 101; n <= 1100; n++) {
		char *t = long_path(n, 0, 'z');
		struct tar_entry e = { .path = "l", .linkpath = t, .type = TAR_SYMLINK, .mode = 0777 };
		size_t len = 0;
		uint8_t *buf = NULL;

		CHECK(t && tar_header_size(&e, &len, NULL) == 0 && (buf = calloc(1, len)));
		if (buf && tar_header_format(&e, buf, len, &len, NULL) == 0) {
			uint64_t pl = field_octal(buf, 124, 12);

			if (!records_ok((char *)buf + 512, (size_t)pl) || !reads_back(&e))
				fprintf(stderr, "  linkpath of %zu bytes\n", n);
			CHECK(records_ok((char *)buf + 512, (size_t)pl));
			CHECK(reads_back(&e));
		}
		free(buf);
		free(t);
	}
}

static void test_refused(void)
{
	static const struct tar_xattr eq = { "user.a=b", "v", 1 }, empty = { "", "v", 1 };
	static const struct tar_entry rows[] = {
		{ .path = "", .type = TAR_REG },
		{ .path = NULL, .type = TAR_REG },
		{ .path = "a", .type = 'x' },
		{ .path = "a/", .type = TAR_REG },
		{ .path = "a", .type = 0 },
		{ .path = "a", .type = TAR_SYMLINK },
		{ .path = "a", .type = TAR_HARDLINK, .linkpath = "" },
		{ .path = "a", .type = TAR_REG, .linkpath = "b" },
		{ .path = "a", .type = TAR_DIR, .size = 1 },
		{ .path = "a", .type = TAR_CHR, .devmajor = 07777777 + 1 },
		{ .path = "a", .type = TAR_REG, .xattrs = &eq, .n_xattrs = 1 },
		{ .path = "a", .type = TAR_REG, .xattrs = &empty, .n_xattrs = 1 },
	};
	struct tar_entry ok = { .path = "a", .type = TAR_REG };
	struct rh_err err = { 0, "" };
	uint8_t buf[1024];
	size_t i, len = 7;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rh_err_clear(&err);
		CHECK(tar_header_size(&rows[i], &len, &err) == -EINVAL && len == 7);
		CHECK(tar_header_format(&rows[i], buf, sizeof(buf), &len, &err) == -EINVAL && len == 7);
		CHECK(err.msg[0]);
	}
	rh_err_clear(&err);
	CHECK(tar_header_format(&ok, buf, 511, &len, &err) == -ENOSPC && len == 7);
	CHECK(strstr(err.msg, "'a'") != NULL);
}

static void test_padding(void)
{
	static const struct {
		uint64_t written, record, end;
	} rows[] = {
		{ 0, 512, 1024 },       { 512, 512, 1024 },     { 1536, 512, 1024 },     { 0, 10240, 10240 },
		{ 512, 10240, 9728 },   { 9216, 10240, 1024 },  { 9728, 10240, 10752 }, { 10240, 10240, 10240 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK(tar_end_len(rows[i].written, rows[i].record) == rows[i].end);
	CHECK(tar_data_pad(0) == 0 && tar_data_pad(1) == 511 && tar_data_pad(512) == 0 && tar_data_pad(513) == 511);
	CHECK(tar_data_pad(1ULL << 33) == 0);
}

/* The same entry gives the same bytes. */
static void test_deterministic(void)
{
	static const struct tar_xattr xa = { "user.k", "v", 1 };
	struct tar_entry e = { .path = "x", .linkpath = NULL, .type = TAR_REG, .mode = 0644, .uid = 1u << 30,
			       .mtime = -5, .size = 3, .xattrs = &xa, .n_xattrs = 1 };
	uint8_t a[2048], b[2048];
	size_t la = 0, lb = 0;

	memset(a, 0xaa, sizeof(a));
	memset(b, 0x55, sizeof(b));
	CHECK(tar_header_format(&e, a, sizeof(a), &la, NULL) == 0);
	CHECK(tar_header_format(&e, b, sizeof(b), &lb, NULL) == 0);
	CHECK(la == lb && !memcmp(a, b, la));
}

int main(void)
{
	RUN(test_ustar_fields);
	RUN(test_types);
	RUN(test_pax_cases);
	RUN(test_record_lengths);
	RUN(test_refused);
	RUN(test_padding);
	RUN(test_deterministic);
	UNIT_EXIT();
}
