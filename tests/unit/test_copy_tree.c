/* test_copy_tree.c: the tree copy (lib/host/copy_tree.h) in a temporary directory: types, modes, times, merge
 * order. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "copy_tree.h"
#include "fs.h"
#include "ovl.h"
#include "unit.h"

static char top[256];

static void put(const char *rel, const char *text, unsigned mode)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	CHECK(chmod(p, mode) == 0);
}

static void mk(const char *rel, unsigned mode)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	CHECK(mkdir(p, mode) == 0);
	CHECK(chmod(p, mode) == 0);
}

static const char *get(const char *rel)
{
	static char buf[256];
	char p[512];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return "(missing)";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static unsigned mode_of(const char *rel)
{
	struct stat st;
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	return lstat(p, &st) < 0 ? 0 : (unsigned)st.st_mode;
}

static void test_copy_layers(void)
{
	struct rh_err err = { 0 };
	char src1[512], src2[512], dst[512], lnk[512], p[512];
	struct timespec ts[2] = { { 1000000, 0 }, { 1234567, 0 } };
	struct stat st;
	ssize_t n;

	CHECK(fs_work_dir(NULL, "ramhost-copy", top, sizeof(top), NULL) == 0);
	mk("l1", 0755);
	mk("l1/etc", 0755);
	mk("l1/etc/sub", 0700);
	put("l1/etc/a", "base-a", 0644);
	put("l1/etc/b", "base-b", 04755);
	put("l1/etc/sub/c", "base-c", 0600);
	put("l1/etc/replaced-by-dir", "file", 0644);
	snprintf(p, sizeof(p), "%s/l1/etc/link", top);
	CHECK(symlink("a", p) == 0);
	snprintf(p, sizeof(p), "%s/l1/etc/fifo", top);
	CHECK(mkfifo(p, 0640) == 0);
	snprintf(p, sizeof(p), "%s/l1/etc/a", top);
	CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
	mk("l2", 0755);
	mk("l2/etc", 0750);
	put("l2/etc/b", "extra-b", 0644);
	mk("l2/etc/replaced-by-dir", 0755);
	put("l2/etc/replaced-by-dir/x", "x", 0644);

	snprintf(src1, sizeof(src1), "%s/l1/etc", top);
	snprintf(src2, sizeof(src2), "%s/l2/etc", top);
	snprintf(dst, sizeof(dst), "%s/out", top);
	CHECK(copy_tree(src1, dst, &err) == 0);
	CHECK(copy_tree(src2, dst, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK_STR(get("out/a"), "base-a");
	CHECK_STR(get("out/b"), "extra-b");
	CHECK((mode_of("out/b") & 07777) == 0644);
	CHECK_STR(get("out/sub/c"), "base-c");
	CHECK((mode_of("out/sub") & 07777) == 0700);
	CHECK((mode_of("out") & 07777) == 0750); /* the later layer's directory mode wins */
	CHECK(S_ISDIR(mode_of("out/replaced-by-dir")));
	CHECK_STR(get("out/replaced-by-dir/x"), "x");
	CHECK(S_ISFIFO(mode_of("out/fifo")));
	CHECK(S_ISLNK(mode_of("out/link")));
	snprintf(lnk, sizeof(lnk), "%s/out/link", top);
	n = readlink(lnk, p, sizeof(p));
	CHECK(n == 1 && p[0] == 'a');
	snprintf(p, sizeof(p), "%s/out/a", top);
	CHECK(stat(p, &st) == 0 && st.st_mtim.tv_sec == 1234567);

	/* a symlink at the destination is replaced, never followed */
	CHECK(copy_tree(src1, lnk, &err) == 0);
	CHECK(S_ISDIR(mode_of("out/link")));
	CHECK_STR(get("out/a"), "base-a");

	CHECK(copy_tree("/nonexistent/ramhost", dst, &err) == -ENOENT);
	CHECK(strstr(err.msg, "/nonexistent/ramhost") != NULL);
	CHECK(fs_rm_rf(top, NULL) == 0);
	CHECK(access(top, F_OK) < 0);
}

static void whiteout(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	CHECK(mknod(p, S_IFCHR, makedev(0, 0)) == 0);
}

static void opaque(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	CHECK(setxattr(p, OVL_OPAQUE_XATTR, OVL_OPAQUE_VALUE, 1, 0) == 0);
}

/* copy_tree_layer: a layer's whiteouts remove, its opaque directories replace (the top one too, keeping the
 * directory itself, which may be a mount point); plain copy_tree keeps a 0/0 device as a device. */
static void test_copy_layer_whiteouts(void)
{
	struct rh_err err = { 0 };
	char l1[512], l2[512], l3[512], dst[512];
	struct stat st0, st1;

	CHECK(fs_work_dir(NULL, "ramhost-copy-wh", top, sizeof(top), NULL) == 0);
	mk("l1", 0755);
	put("l1/a", "a", 0644);
	put("l1/gone", "g", 0644);
	mk("l1/gdir", 0755);
	put("l1/gdir/x", "x", 0644);
	mk("l1/opq", 0755);
	put("l1/opq/low", "low", 0644);
	mk("l2", 0755);
	whiteout("l2/gone");
	whiteout("l2/gdir");
	whiteout("l2/ghost");
	mk("l2/opq", 0755);
	opaque("l2/opq");
	put("l2/opq/up", "up", 0644);
	put("l2/new", "n", 0644);
	mk("l3", 0755);
	opaque("l3");
	put("l3/only", "o", 0644);
	snprintf(l1, sizeof(l1), "%s/l1", top);
	snprintf(l2, sizeof(l2), "%s/l2", top);
	snprintf(l3, sizeof(l3), "%s/l3", top);
	snprintf(dst, sizeof(dst), "%s/out", top);
	CHECK(copy_tree_layer(l1, dst, &err) == 0);
	CHECK(copy_tree_layer(l2, dst, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK_STR(get("out/a"), "a");
	CHECK_STR(get("out/new"), "n");
	CHECK(mode_of("out/gone") == 0 && mode_of("out/gdir") == 0 && mode_of("out/ghost") == 0);
	CHECK_STR(get("out/opq/up"), "up");
	CHECK(mode_of("out/opq/low") == 0);
	CHECK(stat(dst, &st0) == 0);
	CHECK(copy_tree_layer(l3, dst, &err) == 0);
	CHECK(stat(dst, &st1) == 0 && st0.st_ino == st1.st_ino);
	CHECK_STR(get("out/only"), "o");
	CHECK(mode_of("out/a") == 0 && mode_of("out/opq") == 0);
	snprintf(dst, sizeof(dst), "%s/plain", top);
	CHECK(copy_tree(l2, dst, &err) == 0);
	CHECK(S_ISCHR(mode_of("plain/gone")));
	CHECK(fs_rm_rf(top, NULL) == 0);
}

/* copy_layers_file: the file the layers show at a path, as overlayfs would (live VIB removal restores it). */
static void test_layers_file(void)
{
	char l1[512], l2[512], l3[512], got[600], want[600];
	const char *layers[4];

	CHECK(fs_work_dir(NULL, "ramhost-copy-lf", top, sizeof(top), NULL) == 0);
	mk("l1", 0755);
	put("l1/a", "1", 0644);
	put("l1/b", "1", 0644);
	mk("l1/d", 0755);
	put("l1/d/x", "1", 0644);
	mk("l1/o", 0755);
	put("l1/o/y", "1", 0644);
	put("l1/o/z", "1", 0644);
	mk("l2", 0755);
	whiteout("l2/a");
	whiteout("l2/d");
	mk("l2/o", 0755);
	opaque("l2/o");
	put("l2/o/z", "2", 0644);
	mk("l3", 0755);
	put("l3/b", "3", 0644);
	snprintf(l1, sizeof(l1), "%s/l1", top);
	snprintf(l2, sizeof(l2), "%s/l2", top);
	snprintf(l3, sizeof(l3), "%s/l3", top);
	layers[0] = l1, layers[1] = l2, layers[2] = l3, layers[3] = NULL;
	copy_layers_file(layers, "a", got, sizeof(got));
	CHECK_STR(got, "");                       /* whited out */
	copy_layers_file(layers, "d/x", got, sizeof(got));
	CHECK_STR(got, "");                       /* its directory whited out */
	copy_layers_file(layers, "o/y", got, sizeof(got));
	CHECK_STR(got, "");                       /* below an opaque directory */
	copy_layers_file(layers, "o/z", got, sizeof(got));
	snprintf(want, sizeof(want), "%s/o/z", l2);
	CHECK_STR(got, want);
	copy_layers_file(layers, "b", got, sizeof(got));
	snprintf(want, sizeof(want), "%s/b", l3);
	CHECK_STR(got, want);                     /* the topmost */
	layers[2] = NULL;
	copy_layers_file(layers, "b", got, sizeof(got));
	snprintf(want, sizeof(want), "%s/b", l1);
	CHECK_STR(got, want);
	copy_layers_file(layers, "o", got, sizeof(got));
	CHECK_STR(got, "");                       /* a directory is no file */
	CHECK(fs_rm_rf(top, NULL) == 0);
}

/* Pages of f that are in the page cache (mincore on a mapping, which reads nothing in). */
static size_t resident_pages(const char *f, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (len + page - 1) / page, i, res = 0;
	unsigned char vec[256];
	int fd = open(f, O_RDONLY);
	void *m;

	CHECK(fd >= 0 && n <= sizeof(vec));
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK(mincore(m, len, vec) == 0);
	for (i = 0; i < n; i++)
		res += vec[i] & 1;
	munmap(m, len);
	close(fd);
	return res;
}

/* A copied file's source pages leave the page cache (init's /etc and /var copies out of the tardisks would
 * otherwise stay cached twice). Needs a file system with a page cache to drop: tmpfs has none, so the test
 * works beside the build tree when $TMPDIR is tmpfs. */
static void test_copy_drops_source_cache(void)
{
	static char data[256 << 10];
	struct rh_err err = { 0 };
	char src[512], dst[512], f[600];
	struct statfs sf;
	struct stat st;
	const char *base = NULL;
	int fd;

	CHECK(statfs(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", &sf) == 0);
	if ((unsigned long)sf.f_type == TMPFS_MAGIC || (unsigned long)sf.f_type == RAMFS_MAGIC)
		base = ".";
	CHECK(fs_work_dir(base, "ramhost-copy-cache", top, sizeof(top), NULL) == 0);
	CHECK(statfs(top, &sf) == 0 && (unsigned long)sf.f_type != TMPFS_MAGIC);
	memset(data, 'x', sizeof(data));
	mk("src", 0755);
	snprintf(f, sizeof(f), "%s/src/big", top);
	fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, data, sizeof(data)) == (ssize_t)sizeof(data));
	CHECK(fsync(fd) == 0);   /* clean pages: the kind a read leaves, and the kind advice can drop */
	close(fd);
	CHECK(resident_pages(f, sizeof(data)) > 0);   /* written, so cached: the check below can fail */
	snprintf(src, sizeof(src), "%s/src", top);
	snprintf(dst, sizeof(dst), "%s/dst", top);
	CHECK(copy_tree(src, dst, &err) == 0);
	CHECK(resident_pages(f, sizeof(data)) == 0);
	CHECK((mode_of("dst/big") & S_IFMT) == S_IFREG && strspn(get("dst/big"), "x") == 255);
	snprintf(f, sizeof(f), "%s/dst/big", top);
	CHECK(stat(f, &st) == 0 && st.st_size == (off_t)sizeof(data));
	CHECK(fs_rm_rf(top, NULL) == 0);
}

int main(void)
{
	RUN(test_copy_layers);
	RUN(test_copy_layer_whiteouts);
	RUN(test_layers_file);
	RUN(test_copy_drops_source_cache);
	UNIT_EXIT();
}
