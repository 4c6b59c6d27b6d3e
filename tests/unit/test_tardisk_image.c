/* test_tardisk_image.c: tardisk_create() from a small tree, then the image read back bare and inside the
 * real boot-module wrapper (lib/host/cpio.h cpio_wrap_file), entry by entry. Needs tar2sqfs in PATH. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "fs.h"
#include "tardisk/tardisk.h"
#include "unit.h"

static const struct file_row {
	const char *path;
	const char *content;  /* NULL: a directory */
	unsigned mode;
} tree[] = {
	{ "etc", NULL, 0755 },
	{ "etc/hostname", "demo\n", 0644 },
	{ "usr", NULL, 0755 },
	{ "usr/bin", NULL, 0755 },
	{ "usr/bin/run", "#!/bin/sh\n", 04755 },
	{ "var", NULL, 0700 },
};

static char dir[128];

static int make_tree(void)
{
	char p[512];
	size_t i;

	for (i = 0; i < sizeof(tree) / sizeof(tree[0]); i++) {
		snprintf(p, sizeof(p), "%s/src/%s", dir, tree[i].path);
		if (!tree[i].content) {
			if (mkdir(p, tree[i].mode) < 0 || chmod(p, tree[i].mode) < 0)
				return -1;
		} else {
			int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd < 0 || write(fd, tree[i].content, strlen(tree[i].content)) < 0 ||
			    fchmod(fd, tree[i].mode) < 0)
				return -1;
			close(fd);
		}
	}
	snprintf(p, sizeof(p), "%s/src/etc/localtime", dir);
	return symlink("/usr/share/zoneinfo/UTC", p);
}

struct seen {
	int n;
	int ok[sizeof(tree) / sizeof(tree[0])];
	int symlink_ok;
};

static int check_entry(void *ctx, const struct tardisk_entry *e)
{
	struct seen *s = ctx;
	size_t i;

	s->n++;
	if (!strcmp(e->path, "etc/localtime"))
		s->symlink_ok = S_ISLNK(e->mode) && e->link_target && !strcmp(e->link_target, "/usr/share/zoneinfo/UTC");
	for (i = 0; i < sizeof(tree) / sizeof(tree[0]); i++)
		if (!strcmp(e->path, tree[i].path))
			s->ok[i] = (e->mode & 07777) == tree[i].mode && e->uid == 0 && e->gid == 0 &&
				   e->mtime == 1234 &&
				   (tree[i].content ? S_ISREG(e->mode) && e->size == strlen(tree[i].content)
						    : S_ISDIR(e->mode));
	return 0;
}

static void check_image(const char *path, int wrapped)
{
	struct tardisk_verify_report r;
	struct rh_err err = { 0 };
	struct tardisk *td = NULL;
	struct seen s = { 0 };
	char out[256], catp[256];
	size_t i;
	int fd, n;

	CHECK(tardisk_open(path, &td, &err) == 0);
	if (!td) {
		fprintf(stderr, "  %s: %s\n", path, err.msg);
		return;
	}
	CHECK(tardisk_info(td)->cpio_wrapped == wrapped);
	CHECK(strcmp(tardisk_info(td)->compressor_name, "zstd") == 0);
	CHECK(tardisk_walk(td, check_entry, &s, &err) == 0);
	CHECK(s.n == 7);
	CHECK(s.symlink_ok);
	for (i = 0; i < sizeof(tree) / sizeof(tree[0]); i++) {
		if (!s.ok[i])
			fprintf(stderr, "  %s: entry %s wrong or missing\n", path, tree[i].path);
		CHECK(s.ok[i]);
	}
	snprintf(catp, sizeof(catp), "%s/cat.out", dir);
	fd = open(catp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(tardisk_cat(td, "/usr/bin/run", fd, &err) == 0);
	n = (int)pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	CHECK_STR(out, "#!/bin/sh\n");
	rh_err_clear(&err);
	CHECK(tardisk_cat(td, "etc/nothere", fd, &err) == -ENOENT);
	CHECK(strstr(err.msg, "etc/nothere") != NULL);
	close(fd);
	CHECK(tardisk_verify(td, &r, &err) == 0);
	CHECK(r.entries == 7 && r.files == 2 && r.dirs == 4 && r.symlinks == 1);
	tardisk_close(td);
}

static void test_create_and_read_back(void)
{
	struct tardisk_create_opts o = { 0 };
	struct rh_err err = { 0 };
	char src[256], img[256], mod[256];
	struct stat st;
	int in, out;

	CHECK(fs_work_dir(NULL, "ramhost-tdk-unit", dir, sizeof(dir), NULL) == 0);
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(img, sizeof(img), "%s/base.img", dir);
	snprintf(mod, sizeof(mod), "%s/base.tdk", dir);
	CHECK(mkdir(src, 0755) == 0);
	CHECK(make_tree() == 0);
	o.src = src;
	o.out = img;
	o.mtime = 1234;
	if (tardisk_create(&o, &err)) {
		fprintf(stderr, "  create: %s\n", err.msg);
		CHECK(0);
		return;
	}
	check_image(img, 0);
	/* The bootbank's module: the image inside the canonical cpio wrapper. */
	in = open(img, O_RDONLY);
	out = open(mod, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(in >= 0 && out >= 0 && fstat(in, &st) == 0);
	CHECK(cpio_wrap_file(out, "tardisks", "base.tdk", in, (uint64_t)st.st_size, &err) == 0);
	close(in);
	close(out);
	check_image(mod, 1);
}

static void test_refused_leaves_nothing(void)
{
	static const char *bad[] = { "/nonexistent/src", NULL };
	struct tardisk_create_opts o = { .mtime = 0 };
	struct rh_err err = { 0 };
	char out[256];

	snprintf(out, sizeof(out), "%s/never.img", dir);
	o.src = bad[0];
	o.out = out;
	CHECK(tardisk_create(&o, &err) < 0);
	CHECK(strstr(err.msg, "/nonexistent/src") != NULL);
	CHECK(access(out, F_OK) < 0);
}

int main(void)
{
	RUN(test_create_and_read_back);
	RUN(test_refused_leaves_nothing);
	fs_rm_rf(dir, NULL);
	UNIT_EXIT();
}
