/* test_filecache.c: pxe-server/filecache.c: one mapping per file shared by its users (device + inode + size +
 * mtime), a replaced file mapped anew while the old mapping lives on, refcounts down to the unmapping, an empty
 * file, and refusals of what is not a regular file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pxe-server/filecache.h"
#include "unit.h"

static char dir[64];

static void put_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static const char *at(const char *name)
{
	static char path[128];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void test_shared_and_refcounted(void)
{
	struct pxe_filecache *c;
	struct pxe_filecache_stats st;
	struct pxe_fmap *a, *b, *n;
	struct rh_err err = { 0 };

	CHECK(pxe_filecache_new(&c) == 0);
	put_file("k", "kernel bytes");
	CHECK(pxe_filecache_open(c, at("k"), &a, &err) == 0);
	CHECK(pxe_filecache_open(c, at("k"), &b, &err) == 0);
	CHECK(a == b);
	CHECK(pxe_fmap_size(a) == 12 && !memcmp(pxe_fmap_data(a), "kernel bytes", 12));
	pxe_filecache_get_stats(c, &st);
	CHECK(st.maps == 1 && st.refs == 2 && st.mapped == 1 && st.shared == 1);
	/* replaced by a rename: a new mapping for new users, the old one stays for the old */
	put_file("k.new", "new kernel bytes");
	{
		char from[128];

		snprintf(from, sizeof from, "%s", at("k.new"));
		CHECK(rename(from, at("k")) == 0);
	}
	CHECK(pxe_filecache_open(c, at("k"), &n, &err) == 0);
	CHECK(n != a && pxe_fmap_size(n) == 16 && !memcmp(pxe_fmap_data(n), "new kernel bytes", 16));
	CHECK(!memcmp(pxe_fmap_data(a), "kernel bytes", 12));
	pxe_filecache_get_stats(c, &st);
	CHECK(st.maps == 2 && st.refs == 3);
	pxe_filecache_put(c, a);
	pxe_filecache_put(c, b);
	pxe_filecache_get_stats(c, &st);
	CHECK(st.maps == 1 && st.refs == 1);
	pxe_filecache_put(c, n);
	pxe_filecache_put(c, NULL);
	pxe_filecache_get_stats(c, &st);
	CHECK(st.maps == 0 && st.refs == 0 && st.mapped == 2);
	pxe_filecache_free(c);
}

static void test_empty_and_refused(void)
{
	struct pxe_filecache *c;
	struct pxe_fmap *m = NULL;
	struct rh_err err = { 0 };

	CHECK(pxe_filecache_new(&c) == 0);
	put_file("empty", "");
	CHECK(pxe_filecache_open(c, at("empty"), &m, &err) == 0);
	CHECK(m && pxe_fmap_size(m) == 0 && pxe_fmap_data(m) == NULL);
	pxe_filecache_put(c, m);
	CHECK(pxe_filecache_open(c, at("missing"), &m, &err) == -ENOENT);
	CHECK(strstr(err.msg, "missing") != NULL);
	rh_err_clear(&err);
	CHECK(pxe_filecache_open(c, dir, &m, &err) == -EISDIR);
	CHECK(strstr(err.msg, "not a regular file") != NULL);
	pxe_filecache_free(c);
}

int main(void)
{
	char cmd[128];

	snprintf(dir, sizeof dir, "/tmp/test_filecache.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(test_shared_and_refcounted);
	RUN(test_empty_and_refused);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	UNIT_EXIT();
}
