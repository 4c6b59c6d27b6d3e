/* test_fs_rm.c: fs_rm_one_fs_at (lib/host/fs.h), the removal init runs on the initramfs after the root switch:
 * it counts the bytes it freed (a hard-linked file once), and leaves a mount point below the tree, with the
 * directories holding it, untouched. The mount is made in a private mount namespace (root, as make check runs). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "unit.h"

static char top[256];

static void put(const char *rel, size_t size)
{
	char p[512], *buf = calloc(1, size + 1);
	int fd;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && buf);
	if (fd >= 0 && buf)
		CHECK(write(fd, buf, size) == (ssize_t)size);
	if (fd >= 0)
		close(fd);
	free(buf);
}

static void mk(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	CHECK(mkdir(p, 0755) == 0);
}

static int exists(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	return lstat(p, &st) == 0;
}

/* A tree of files (one hard-linked twice, a symlink) counts each file's bytes once and goes entirely. */
static void test_counts_freed_bytes(void)
{
	struct rh_err err = { 0 };
	uint64_t freed = 0;
	char p[512], q[512];
	int fd;

	mk("a");
	mk("a/lib");
	put("a/init", 1000);
	put("a/lib/mod.ko", 5000);
	snprintf(p, sizeof(p), "%s/a/lib/mod.ko", top);
	snprintf(q, sizeof(q), "%s/a/lib/mod-link.ko", top);
	CHECK(link(p, q) == 0);
	snprintf(q, sizeof(q), "%s/a/sh", top);
	CHECK(symlink("init", q) == 0);
	fd = open(top, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	CHECK(fs_rm_one_fs_at(fd, "a", "initramfs", &freed, &err) == 0);
	CHECK(freed == 6000);
	CHECK(!exists("a"));
	close(fd);
}

/* A file system mounted below the tree is left as it is, and so are the directories down to it. */
static void test_stays_on_one_fs(void)
{
	struct rh_err err = { 0 };
	uint64_t freed = 0;
	char mnt[512];
	int fd;

	mk("b");
	mk("b/keep");
	mk("b/keep/mnt");
	put("b/gone", 300);
	put("b/keep/gone-too", 200);
	snprintf(mnt, sizeof(mnt), "%s/b/keep/mnt", top);
	CHECK(mount("tmpfs", mnt, "tmpfs", 0, "size=1m") == 0);
	put("b/keep/mnt/other-fs", 100);
	fd = open(top, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	CHECK(fs_rm_one_fs_at(fd, "b", "initramfs", &freed, &err) == 0);
	CHECK(freed == 500);
	CHECK(!exists("b/gone") && !exists("b/keep/gone-too"));
	CHECK(exists("b/keep/mnt/other-fs"));
	CHECK(umount(mnt) == 0);
	CHECK(fs_rm_one_fs_at(fd, "b", "initramfs", &freed, &err) == 0);
	CHECK(!exists("b"));
	close(fd);
}

int main(void)
{
	snprintf(top, sizeof(top), "/tmp/test_fs_rm.XXXXXX");
	if (!mkdtemp(top) || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("FAIL test_fs_rm_setup (%s: needs root for a private mount namespace)\n", strerror(errno));
		return 1;
	}
	RUN(test_counts_freed_bytes);
	RUN(test_stays_on_one_fs);
	fs_rm_rf(top, NULL);
	UNIT_EXIT();
}
