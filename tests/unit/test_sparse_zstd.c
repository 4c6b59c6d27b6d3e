/* test_sparse_zstd.c: image-builder/sparse_zstd.c. A sparse file with data at its start, in its middle (across
 * the 1 MiB chunk size), at its end and after a trailing hole decompresses to the same bytes; so do an empty
 * file and a file with no hole; a missing source or an unwritable destination fails naming the file and leaves
 * no output. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "err.h"
#include "fileio.h"
#include "image-builder/sparse_zstd.h"
#include "unit.h"

static char dir[] = "/tmp/test_sparse_zstd.XXXXXX";

/* size bytes at path: holes, with n islands of data at offs[i] of lens[i] bytes (a pattern from the offset). */
static int make_file(const char *path, uint64_t size, const uint64_t *offs, const uint64_t *lens, unsigned n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	unsigned i;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		uint8_t *b = malloc(lens[i]);
		for (uint64_t k = 0; k < lens[i]; k++)
			b[k] = (uint8_t)((offs[i] + k) * 131 + 7);
		if (pwrite(fd, b, lens[i], (off_t)offs[i]) != (ssize_t)lens[i])
			return -1;
		free(b);
	}
	return close(fd);
}

/* 1 when zst decompresses to exactly the bytes of path. */
static int same(const char *path, const char *zst)
{
	char *a = NULL, *c = NULL;
	size_t alen = 0, clen = 0;
	struct rh_err e = { 0 };
	int ok = 0;

	if (rh_read_file(path, 64u << 20, &a, &alen, &e) == 0 && rh_read_file(zst, 64u << 20, &c, &clen, &e) == 0) {
		unsigned long long n = ZSTD_getFrameContentSize(c, clen);
		char *d = malloc(alen + 1);

		ok = n == alen && ZSTD_decompress(d, alen + 1, c, clen) == alen && !memcmp(a, d, alen);
		free(d);
	}
	free(a);
	free(c);
	return ok;
}

static void test_round_trip(void)
{
	static const struct {
		const char *what;
		uint64_t size;
		unsigned n;
		uint64_t offs[3], lens[3];
	} rows[] = {
		{ "empty", 0, 0, { 0 }, { 0 } },
		{ "all hole", 5u << 20, 0, { 0 }, { 0 } },
		{ "no hole", 3u << 20, 1, { 0 }, { 3u << 20 } },
		{ "islands", 9u << 20, 3, { 0, (3u << 20) - 100, (9u << 20) - 4096 }, { 4096, 1u << 20, 4096 } },
		{ "trailing hole", 7u << 20, 1, { 1u << 20 }, { 12345 } },
	};
	char src[64], dst[64];
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err e = { 0 };

		snprintf(src, sizeof(src), "%s/src", dir);
		snprintf(dst, sizeof(dst), "%s/dst.zst", dir);
		CHECK(make_file(src, rows[i].size, rows[i].offs, rows[i].lens, rows[i].n) == 0);
		CHECK(sparse_zstd(src, dst, 3, &e) == 0);
		if (!same(src, dst))
			fprintf(stderr, "  %s: not the same bytes\n", rows[i].what);
		CHECK(same(src, dst));
	}
}

static void test_errors(void)
{
	struct rh_err e = { 0 };
	char src[64], dst[64];

	snprintf(src, sizeof(src), "%s/missing", dir);
	snprintf(dst, sizeof(dst), "%s/out.zst", dir);
	CHECK(sparse_zstd(src, dst, 3, &e) == -ENOENT);
	CHECK(strstr(e.msg, "missing") != NULL);
	CHECK(access(dst, F_OK) < 0);
	rh_err_clear(&e);
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(dst, sizeof(dst), "%s/no/such/dir.zst", dir);
	CHECK(sparse_zstd(src, dst, 3, &e) < 0);
	CHECK(strstr(e.msg, "dir.zst") != NULL);
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(dir))
		return 1;
	RUN(test_round_trip);
	RUN(test_errors);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	UNIT_EXIT();
}
