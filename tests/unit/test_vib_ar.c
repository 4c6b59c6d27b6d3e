/* test_vib_ar.c: ar archives written and read back (short, long and odd-sized members), GNU long names, and
 * hostile archives: bad magic, truncated header, truncated member, oversized size, unsafe names. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "vib/ar.h"
#include "unit.h"

/* Writes members to a temp file and reads the file back into *ret (malloc'd). */
static size_t build(char **ret, int with_fd_member)
{
	char path[] = "/tmp/test_vib_ar.XXXXXX";
	int fd = mkstemp(path), src;
	struct rh_err err = { 0 };
	char srcpath[] = "/tmp/test_vib_ar_src.XXXXXX";
	off_t len;

	CHECK(fd >= 0);
	CHECK(ar_write_start(fd, path, &err) == 0);
	CHECK(ar_write_member(fd, path, "descriptor.xml", "<vib/>", 6, 1700000000, &err) == 0);
	CHECK(ar_write_member(fd, path, "sig.pkcs7", "", 0, 0, &err) == 0);
	CHECK(ar_write_member(fd, path, "a-very-long-payload-name.tdk", "odd", 3, 0, &err) == 0);
	if (with_fd_member) {
		src = mkstemp(srcpath);
		CHECK(src >= 0);
		char big[100001];

		memset(big, 'x', sizeof(big));
		CHECK(write(src, big, sizeof(big)) == (ssize_t)sizeof(big));
		CHECK(ar_write_member_fd(fd, path, "big.tdk", src, sizeof(big), 0, &err) == 0);
		/* the source is shorter than claimed: an error naming the member */
		CHECK(ar_write_member_fd(fd, path, "short.tdk", src, sizeof(big) + 10, 0, &err) < 0);
		CHECK(strstr(err.msg, "short.tdk") != NULL);
		close(src);
		unlink(srcpath);
	}
	len = with_fd_member ? lseek(fd, 0, SEEK_CUR) : lseek(fd, 0, SEEK_END);
	*ret = malloc((size_t)len);
	CHECK(pread(fd, *ret, (size_t)len, 0) == len);
	close(fd);
	unlink(path);
	return (size_t)len;
}

static void test_roundtrip(void)
{
	char *buf;
	size_t len = build(&buf, 0);
	uint64_t pos = 0;
	struct ar_member m;
	struct rh_err err = { 0 };
	const char *names[] = { "descriptor.xml", "sig.pkcs7", "a-very-long-payload-name.tdk" };
	const char *data[] = { "<vib/>", "", "odd" };
	int i = 0, r;

	while ((r = ar_next(buf, len, &pos, &m, &err)) > 0) {
		CHECK(i < 3);
		if (i >= 3)
			break;
		CHECK_STR(m.name, names[i]);
		CHECK(m.size == strlen(data[i]));
		CHECK(!memcmp(buf + m.offset, data[i], m.size));
		i++;
	}
	CHECK(r == 0);
	CHECK(i == 3);
	CHECK(pos == len);
	CHECK(ar_find(buf, len, "sig.pkcs7", &m, &err) == 0 && m.size == 0);
	CHECK(ar_find(buf, len, "descriptor.xml", &m, &err) == 0 && m.mtime == 1700000000 && m.mode == 0100644);
	CHECK(ar_find(buf, len, "nope", &m, &err) == -ENOENT);
	free(buf);
}

static void test_fd_member(void)
{
	char *buf;
	size_t len = build(&buf, 1);
	struct ar_member m;
	struct rh_err err = { 0 };

	CHECK(ar_find(buf, len, "big.tdk", &m, &err) == 0);
	CHECK(m.size == 100001 && buf[m.offset] == 'x' && buf[m.offset + m.size - 1] == 'x');
	free(buf);
}

/* One hand-made header: name[16] then the numeric fields. */
static size_t hdr(char *out, const char *name16, const char *size10, const char *data, size_t dlen)
{
	char h[61];

	snprintf(h, sizeof(h), "%-16s%-12s%-6s%-6s%-8s%-10s`\n", name16, "0", "0", "0", "100644", size10);
	memcpy(out, h, 60);
	memcpy(out + 60, data, dlen);
	return 60 + dlen;
}

static const struct {
	const char *what, *name, *size, *data;
	int trunc;       /* bytes cut off the end */
	int rc;          /* of the first ar_next after the magic */
	const char *msg; /* in the error */
} hostile[] = {
	{ "truncated member", "a.tdk/", "10", "12345", 0, -EBADMSG, "past the end" },
	{ "oversized size", "a.tdk/", "9999999999", "x", 0, -EBADMSG, "past the end" },
	{ "size not a number", "a.tdk/", "12x", "x", 0, -EBADMSG, "not a number" },
	{ "negative size", "a.tdk/", "-1", "x", 0, -EBADMSG, "not a number" },
	{ "name with slash", "../etc/passwd/", "1", "x", 0, -EBADMSG, "unsafe member name" },
	{ "dotdot name", "../", "1", "x", 0, -EBADMSG, "unsafe member name" },
	{ "dot name", "./", "1", "x", 0, -EBADMSG, "unsafe member name" },
	{ "slash inside", "a/b/", "1", "x", 0, -EBADMSG, "unsafe member name" },
	{ "empty name", "/ ", "1", "x", 0, 0, NULL }, /* "/" is the symbol table: skipped */
	{ "long name without table", "/0", "1", "x", 0, -EBADMSG, "name table" },
	{ "BSD name longer than data", "#1/20", "3", "abc", 0, -EBADMSG, "BSD name" },
	{ "BSD name with slash", "#1/4", "5", "a/b.x", 0, -EBADMSG, "unsafe member name" },
	{ "truncated header", "a.tdk/", "1", "x", 30, -EBADMSG, "truncated member header" },
	{ "good", "a.tdk/", "1", "x", 0, 1, NULL },
	{ "good BSD", "#1/5", "6", "b.tdkX", 0, 1, NULL },
};

static void test_hostile(void)
{
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char buf[256];
		size_t len = 8;
		uint64_t pos = 0;
		struct ar_member m;
		struct rh_err err = { 0 };
		int r;

		memcpy(buf, "!<arch>\n", 8);
		len += hdr(buf + 8, hostile[i].name, hostile[i].size, hostile[i].data, strlen(hostile[i].data));
		len -= (size_t)hostile[i].trunc;
		r = ar_next(buf, len, &pos, &m, &err);
		if (r != hostile[i].rc || (hostile[i].msg && !strstr(err.msg, hostile[i].msg))) {
			fprintf(stderr, "  %s: rc %d (want %d) msg '%s'\n", hostile[i].what, r, hostile[i].rc, err.msg);
			CHECK(0);
		}
		if (r == 1)
			CHECK(m.offset + m.size <= len);
	}
}

static void test_bad_magic(void)
{
	uint64_t pos = 0;
	struct ar_member m;
	struct rh_err err = { 0 };

	CHECK(ar_next("!<arch>", 7, &pos, &m, &err) == -EBADMSG);
	pos = 0;
	CHECK(ar_next("!<arch>X", 8, &pos, &m, &err) == -EBADMSG);
	CHECK(strstr(err.msg, "bad magic") != NULL);
	pos = 0;
	CHECK(ar_next("!<arch>\n", 8, &pos, &m, &err) == 0); /* empty archive */
}

/* GNU long names: a "//" table after the "/" symbol table, members "/0" and "/14" */
static void test_gnu_longnames(void)
{
	char buf[512];
	size_t len = 8;
	const char table[] = "payload-one.tdk/\nsecond-long-name.tdk/\n";
	uint64_t pos = 0;
	struct ar_member m;
	struct rh_err err = { 0 };

	memcpy(buf, "!<arch>\n", 8);
	len += hdr(buf + len, "/", "4", "\0\0\0\0", 4);
	len += hdr(buf + len, "//", "39", table, 39);
	buf[len++] = '\n';
	len += hdr(buf + len, "/0", "2", "ab", 2);
	len += hdr(buf + len, "/17", "1", "c", 1);
	buf[len++] = '\n';
	CHECK(ar_next(buf, len, &pos, &m, &err) == 1);
	CHECK_STR(m.name, "payload-one.tdk");
	CHECK(m.size == 2 && !memcmp(buf + m.offset, "ab", 2));
	CHECK(ar_next(buf, len, &pos, &m, &err) == 1);
	CHECK_STR(m.name, "second-long-name.tdk");
	CHECK(ar_next(buf, len, &pos, &m, &err) == 0);
	/* an offset past the table */
	len = 8 + 4 + 60 + 39 + 1 + 60;
	len += hdr(buf + len, "/99", "1", "c", 1);
	pos = 0;
	CHECK(ar_find(buf, len, "x", &m, &err) == -EBADMSG);
}

/* the writer refuses what the reader would */
static void test_write_refuses(void)
{
	struct rh_err err = { 0 };
	int fd = open("/dev/null", O_WRONLY);

	CHECK(ar_write_member(fd, "/dev/null", "../x", "", 0, 0, &err) == -EINVAL);
	CHECK(ar_write_member(fd, "/dev/null", "a/b", "", 0, 0, &err) == -EINVAL);
	CHECK(ar_write_member(fd, "/dev/null", "", "", 0, 0, &err) == -EINVAL);
	CHECK(strstr(err.msg, "/dev/null") != NULL);
	close(fd);
}

int main(void)
{
	RUN(test_roundtrip);
	RUN(test_fd_member);
	RUN(test_hostile);
	RUN(test_bad_magic);
	RUN(test_gnu_longnames);
	RUN(test_write_refuses);
	UNIT_EXIT();
}
