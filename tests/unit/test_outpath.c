/* test_outpath.c: the output rule (lib/host/outpath.h) in a temporary directory, one row per case: the output,
 * --force, the inputs, and the error code and message part expected. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "outpath.h"
#include "unit.h"

static char top[256];

static void put(const char *rel)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

static void setup(void)
{
	char a[512], b[512];

	snprintf(top, sizeof(top), "%s/test_outpath.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	CHECK(mkdtemp(top) != NULL);
	CHECK(chdir(top) == 0);
	put("src.tar");
	put("old.tdk");
	CHECK(mkdir("dir", 0755) == 0);
	CHECK(mkdir("dir/sub", 0755) == 0);
	put("dir/sub/in.txt");
	snprintf(a, sizeof(a), "%s/src.tar", top);
	snprintf(b, sizeof(b), "%s/hard.tar", top);
	CHECK(link(a, b) == 0);
	CHECK(symlink("src.tar", "soft.tar") == 0);
	CHECK(symlink("nowhere", "dangling") == 0);
	CHECK(symlink("dir", "dirlink") == 0);
	CHECK(mkfifo("fifo", 0644) == 0);
}

static void file_rule(void)
{
	static const char *const in[] = { NULL, "missing.tar", "src.tar" };
	static const struct {
		const char *out;
		int force, rc;
		const char *msg;
	} rows[] = {
		{ "", 1, -EINVAL, "-o \"\": the output path is empty" },
		{ NULL, 1, -EINVAL, "the output path is empty" },
		{ "new.tdk", 0, 0, NULL },
		{ "dir/new.tdk", 0, 0, NULL },
		{ "nodir/new.tdk", 1, -ENOENT, "nodir/new.tdk: cannot write into nodir: No such file" },
		{ "src.tar/x.tdk", 1, -ENOTDIR, "src.tar/x.tdk: src.tar is not a directory" },
		{ "old.tdk", 0, -EEXIST, "old.tdk: exists (use --force to replace it)" },
		{ "old.tdk", 1, 0, NULL },
		{ "dir", 1, -EISDIR, "dir: is a directory" },
		{ "dirlink", 1, -EISDIR, "dirlink: is a directory" },
		{ "fifo", 1, -EINVAL, "fifo: exists and is not a regular file" },
		{ "dangling", 0, -EEXIST, "dangling: exists (use --force" },
		{ "dangling", 1, 0, NULL },
		{ "src.tar", 1, -EINVAL, "src.tar: is the input src.tar itself" },
		{ "./src.tar", 0, -EINVAL, "./src.tar: is the input src.tar itself" },
		{ "hard.tar", 1, -EINVAL, "hard.tar: is the input src.tar itself" },
		{ "soft.tar", 1, -EINVAL, "soft.tar: is the input src.tar itself" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err = { 0 };
		int rc = outpath_check(rows[i].out, rows[i].force, in, 3, &err);

		if (rc != rows[i].rc || (rows[i].msg && !strstr(err.msg, rows[i].msg)))
			fprintf(stderr, "  row %zu (%s): rc %d, '%s'\n", i, rows[i].out ? rows[i].out : "NULL", rc,
				err.msg);
		CHECK(rc == rows[i].rc);
		CHECK(!rows[i].msg || strstr(err.msg, rows[i].msg));
	}
}

/* An input given through a symlink is the file it points to. */
static void input_via_symlink(void)
{
	static const char *const in[] = { "soft.tar" };
	struct rh_err err = { 0 };

	CHECK(outpath_check("src.tar", 1, in, 1, &err) == -EINVAL);
	CHECK(strstr(err.msg, "src.tar: is the input soft.tar itself") != NULL);
}

static void dir_rule(void)
{
	static const char *const in[] = { "dir/sub/in.txt", "missing" };
	static const struct {
		const char *out;
		int rc;
		const char *msg;
	} rows[] = {
		{ "", -EINVAL, "the output path is empty" },
		{ "newdir", 0, NULL },
		{ "old.tdk", -ENOTDIR, "old.tdk: exists and is not a directory" },
		{ "dir", -EINVAL, "dir: holds the input dir/sub/in.txt" },
		{ "dir/sub", -EINVAL, "dir/sub: holds the input dir/sub/in.txt" },
		{ "dirlink", -EINVAL, "dirlink: holds the input" },
		{ ".", -EINVAL, ".: holds the input" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err = { 0 };
		int rc = outpath_check_dir(rows[i].out, in, 2, &err);

		if (rc != rows[i].rc || (rows[i].msg && !strstr(err.msg, rows[i].msg)))
			fprintf(stderr, "  row %zu (%s): rc %d, '%s'\n", i, rows[i].out, rc, err.msg);
		CHECK(rc == rows[i].rc);
		CHECK(!rows[i].msg || strstr(err.msg, rows[i].msg));
	}
	CHECK(outpath_check_dir("dir", NULL, 0, NULL) == 0);
}

int main(void)
{
	setup();
	RUN(file_rule);
	RUN(input_via_symlink);
	RUN(dir_rule);
	CHECK(chdir("/") == 0);
	fs_rm_rf(top, NULL);
	UNIT_EXIT();
}
