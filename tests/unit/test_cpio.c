/* test_cpio.c: the newc writer and the canonical module wrapper, checked against GNU cpio's reading of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "fs.h"
#include "unit.h"

static char tmpdir[128];

static int make_file(const char *name, size_t size)
{
	char path[256];
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (i = 0; i < size; i++) {
		char c = (char)('a' + i % 26);
		if (write(fd, &c, 1) != 1)
			return -1;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void test_header_layout(void)
{
	static const struct {
		const char *name;
		long len; /* 110 + name + NUL, rounded up to 4 */
	} rows[] = { { "a", 112 }, { "ab", 116 }, { "abc", 116 }, { "abcd", 116 }, { "abcdef", 120 } };
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		long n = cpio_newc_header(buf, sizeof(buf), 7, S_IFREG | 0644, 1, 5, 0, 0, rows[i].name);
		CHECK(n == rows[i].len);
		CHECK(memcmp(buf, "070701", 6) == 0);
		CHECK(memcmp(buf + 6, "00000007", 8) == 0);            /* ino */
		CHECK(memcmp(buf + 14, "000081A4", 8) == 0);           /* mode */
		CHECK(strcmp(buf + 110, rows[i].name) == 0);
	}
	CHECK(cpio_newc_header(buf, sizeof(buf), 1, 0, 1, 0, 0, 0, "") == -EINVAL);
	CHECK(cpio_newc_header(buf, 100, 1, 0, 1, 0, 0, 0, "name") == -E2BIG);
}

/* For every size around the 4-byte padding, the hash init recomputes equals the hash of the written module. */
static void test_wrap_hash_matches(void)
{
	size_t sizes[] = { 0, 1, 2, 3, 4, 5, 65535, 65536, 65537, 200003 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char out[256];
		uint8_t want[32], got[32];
		struct rh_err err = { 0 };
		struct stat st;
		char *buf;
		int in = make_file("payload", sizes[i]), ofd;

		snprintf(out, sizeof(out), "%s/module.cpio", tmpdir);
		ofd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
		CHECK(cpio_wrap_file(ofd, "tardisks", "base.tdk", in, sizes[i], &err) == 0);
		CHECK(fstat(ofd, &st) == 0);
		buf = malloc((size_t)st.st_size + 1);
		CHECK(pread(ofd, buf, (size_t)st.st_size, 0) == st.st_size);
		sha256_buf(buf, (size_t)st.st_size, want);
		CHECK(cpio_wrap_sha256("tardisks", "base.tdk", in, sizes[i], got, &err) == 0);
		CHECK(memcmp(want, got, 32) == 0);
		/* one changed byte of the payload changes the hash */
		if (sizes[i]) {
			CHECK(pwrite(in, "#", 1, (off_t)(sizes[i] / 2)) == 1);
			CHECK(cpio_wrap_sha256("tardisks", "base.tdk", in, sizes[i], got, &err) == 0);
			CHECK(memcmp(want, got, 32) != 0);
		}
		/* a file shorter than announced is an error, not a short hash */
		CHECK(cpio_wrap_sha256("tardisks", "base.tdk", in, sizes[i] + 10, got, &err) == -EIO);
		free(buf);
		close(in);
		close(ofd);
	}
}

/* GNU cpio reads what the writer wrote, with the right types and contents. */
static void test_gnu_cpio_reads_it(void)
{
	char path[256], cmd[512], line[256];
	struct cpio_writer w;
	struct rh_err err = { 0 };
	FILE *p;
	int fd, n = 0;

	snprintf(path, sizeof(path), "%s/all.cpio", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cpio_writer_init(&w, fd, path);
	CHECK(cpio_add_dir(&w, "etc", 0755, &err) == 0);
	CHECK(cpio_add_buf(&w, "etc/hello", 0644, "hello\n", 6, &err) == 0);
	CHECK(cpio_add_symlink(&w, "etc/link", "hello", &err) == 0);
	CHECK(cpio_add_dir(&w, "dev", 0755, &err) == 0);
	CHECK(cpio_add_node(&w, "dev/console", S_IFCHR | 0600, 5, 1, &err) == 0);
	CHECK(cpio_add_node(&w, "dev/bad", S_IFREG | 0600, 5, 1, &err) == -EINVAL);
	CHECK(cpio_finish(&w, &err) == 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "cpio -itv --quiet < %s", path);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	while (p && fgets(line, sizeof(line), p)) {
		n++;
		if (strstr(line, "dev/console"))
			CHECK(line[0] == 'c' && strstr(line, "5,") != NULL);
		if (strstr(line, "etc/link"))
			CHECK(line[0] == 'l' && strstr(line, "-> hello") != NULL);
		if (strstr(line, "etc/hello"))
			CHECK(line[0] == '-' && strstr(line, " 6 ") != NULL);
	}
	CHECK(p && pclose(p) == 0);
	CHECK(n == 5);
}

int main(void)
{
	if (fs_work_dir(NULL, "ramhost-test-cpio", tmpdir, sizeof(tmpdir), NULL) < 0)
		return 1;
	RUN(test_header_layout);
	RUN(test_wrap_hash_matches);
	RUN(test_gnu_cpio_reads_it);
	if (fs_rm_rf(tmpdir, NULL) < 0)
		return 1;
	UNIT_EXIT();
}
