/* test_tardisk_entries.c: the size cap (entries_size_check, one rule for every source) and the largest
 * directory that create reports before tar2sqfs runs (tardisk/entries.h), one row per case. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tardisk/entries.h"
#include "unit.h"

static int add(struct tdk_list *l, const char *path, uint32_t mode, uint64_t size, struct rh_err *err)
{
	struct tdk_ent e;

	memset(&e, 0, sizeof(e));
	e.path = strdup(path);
	e.mode = mode;
	e.size = size;
	return entries_add(l, &e, err);
}

static void test_size_cap_table(void)
{
	static const struct {
		uint64_t max, before, add;
		int rc;
	} rows[] = {
		{ 0, 5, ~0ull, 0 },                 /* no cap */
		{ 100, 0, 100, 0 },                 /* exactly at the cap */
		{ 100, 0, 101, -EFBIG },
		{ 100, 60, 40, 0 },
		{ 100, 60, 41, -EFBIG },
		{ 100, 0, ~0ull, -EFBIG },          /* a declared size near 2^64 does not wrap */
		{ 100, 100, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tdk_list l;
		struct rh_err err = { 0, "" };

		entries_init(&l, "src.tar");
		l.max_bytes = rows[i].max;
		l.bytes = rows[i].before;
		CHECK(entries_size_check(&l, "big", rows[i].add, &err) == rows[i].rc);
		if (rows[i].rc)
			CHECK(strstr(err.msg, "src.tar: entry 'big': ") == err.msg && strstr(err.msg, "(--max-size)"));
	}
}

/* entries_add applies the same cap to every regular file, whatever the source. */
static void test_add_respects_the_cap(void)
{
	struct tdk_list l;
	struct rh_err err = { 0, "" };

	entries_init(&l, "tree");
	l.max_bytes = 10;
	CHECK(add(&l, "a", S_IFREG | 0644, 6, &err) == 0);
	CHECK(add(&l, "d", S_IFDIR | 0755, 0, &err) == 0);
	CHECK(add(&l, "b", S_IFREG | 0644, 5, &err) == -EFBIG);
	CHECK_STR(err.msg, "tree: entry 'b': 5 bytes would take the content to 11 bytes, over the limit of 10 "
		  "(--max-size)");
	CHECK(add(&l, "c", S_IFREG | 0644, 4, &err) == 0);
	CHECK(l.bytes == 10 && l.n == 3);
	entries_free(&l);
}

static void test_largest_dir(void)
{
	static const char *const paths[] = { "etc", "etc/a", "etc/b", "usr", "usr/lib", "usr/lib/1",
					     "usr/lib/2", "usr/lib/3", "usr/lib/4", "x" };
	struct tdk_list l;
	struct rh_err err = { 0, "" };
	const char *big = NULL;
	size_t i;

	entries_init(&l, "t");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		CHECK(add(&l, paths[i], strchr(paths[i], '/') && strcmp(paths[i], "usr/lib") ? S_IFREG | 0644
			  : S_IFDIR | 0755, 0, &err) == 0);
	CHECK(entries_finish(&l, &err) == 0);
	CHECK(entries_largest_dir(&l, &big) == 4);
	CHECK_STR(big, "usr/lib");
	entries_free(&l);
	entries_init(&l, "t");
	CHECK(entries_largest_dir(&l, &big) == 0);
	CHECK_STR(big, "");
	entries_free(&l);
}

int main(void)
{
	RUN(test_size_cap_table);
	RUN(test_add_respects_the_cap);
	RUN(test_largest_dir);
	return unit_failed_total ? 1 : 0;
}
