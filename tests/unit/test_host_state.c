/* test_host_state.c: the server's per-host state store: accept keeps 3, refuses damaged, oversized and stale
 * uploads with the store unchanged, newest skips a damaged newest file, the sweep removes cut-off uploads. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "pxe-server/host_state.h"
#include "state_fixture.h"
#include "unit.h"

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
#define HOSTDIR "/hosts/52-54-00-12-34-56"

static int put_upload(const char *sd, const uint8_t *buf, size_t len, char path[PATH_MAX])
{
	struct rh_err err = { 0, "" };
	int fd, rc = pxe_host_state_upload_open(sd, mac, path, &fd, &err);

	if (rc < 0)
		return rc;
	rc = len ? (write(fd, buf, len) == (ssize_t)len ? 0 : -EIO) : 0;
	close(fd);
	return rc;
}

static int accept_buf(const char *sd, const uint8_t *buf, size_t len, uint64_t max, uint64_t *gen,
		      struct rh_err *err)
{
	char path[PATH_MAX];
	int rc = put_upload(sd, buf, len, path);

	if (rc < 0)
		return rc;
	rc = pxe_host_state_accept(sd, mac, path, max, 3, gen, err);
	CHECK(access(path, F_OK) < 0);   /* the upload is gone in every case */
	return rc;
}


/* The names in the test host's store directory. */
static void host_listing(const char *sd, char *out, size_t cap)
{
	char d[PATH_MAX];

	snprintf(d, sizeof(d), "%s" HOSTDIR, sd);
	fixture_listing(d, out, cap);
}

static void workdir(char *sd, size_t cap)
{
	struct rh_err err = { 0, "" };

	CHECK(fs_work_dir(NULL, "test_host_state", sd, cap, &err) == 0);
}

static void test_accept_keep3(void)
{
	char sd[512], names[1024], path[PATH_MAX];
	uint8_t buf[256];
	uint64_t gen = 0, g;
	struct rh_err err = { 0, "" };
	struct stat st;

	workdir(sd, sizeof(sd));
	CHECK(pxe_host_state_newest(sd, mac, &gen, path, &err) == -ENOENT);
	for (g = 1; g <= 4; g++) {
		size_t len = fixture_gen(buf, g);

		rh_err_clear(&err);
		CHECK(accept_buf(sd, buf, len, 1 << 20, &gen, &err) == 0);
		CHECK(gen == g);
	}
	host_listing(sd, names, sizeof(names));
	CHECK_STR(names, "state-00000002.rhs state-00000003.rhs state-00000004.rhs ");
	rh_err_clear(&err);
	CHECK(pxe_host_state_newest(sd, mac, &gen, path, &err) == 0);
	CHECK(gen == 4 && strstr(path, HOSTDIR "/state-00000004.rhs"));
	snprintf(path, sizeof(path), "%s" HOSTDIR, sd);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);
	snprintf(path, sizeof(path), "%s" HOSTDIR "/state-00000004.rhs", sd);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* a generation not above the newest is refused; a gap is fine */
	rh_err_clear(&err);
	CHECK(accept_buf(sd, buf, fixture_gen(buf, 4), 1 << 20, &gen, &err) == -ESTALE);
	CHECK(strstr(err.msg, "generation 4 is not newer than generation 4") != NULL);
	rh_err_clear(&err);
	CHECK(accept_buf(sd, buf, fixture_gen(buf, 9), 1 << 20, &gen, &err) == 0 && gen == 9);
	host_listing(sd, names, sizeof(names));
	CHECK_STR(names, "state-00000003.rhs state-00000004.rhs state-00000009.rhs ");
	fs_rm_rf(sd, &err);
}

static void test_accept_refused(void)
{
	static const struct {
		const char *what;
		int op;          /* 0 flip a byte, 1 truncate, 2 extend, 3 zero length, 4 over max */
		int rc;
		const char *msg;
	} cases[] = {
		{ "flipped payload byte", 0, -EBADMSG, "SHA-256 mismatch" },
		{ "truncated", 1, -EBADMSG, "truncated" },
		{ "extended", 2, -EBADMSG, "no RHSTFOOT magic" },
		{ "zero length", 3, -EBADMSG, "shorter than the 80-byte footer" },
		{ "over max", 4, -EFBIG, "over the limit of 64" },
	};
	char sd[512], before[1024], after[1024];
	uint8_t buf[256];
	uint64_t gen = 0;
	size_t i;

	workdir(sd, sizeof(sd));
	for (i = 1; i <= 2; i++) {
		struct rh_err err = { 0, "" };

		CHECK(accept_buf(sd, buf, fixture_gen(buf, i), 1 << 20, &gen, &err) == 0);
	}
	host_listing(sd, before, sizeof(before));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rh_err err = { 0, "" };
		size_t len = fixture_gen(buf, 3);
		uint64_t max = 1 << 20;
		int rc;

		if (cases[i].op == 0)
			buf[2] ^= 0x20;
		else if (cases[i].op == 1)
			len -= 1;
		else if (cases[i].op == 2)
			buf[len++] = 'x';
		else if (cases[i].op == 3)
			len = 0;
		else
			max = 64;
		rc = accept_buf(sd, buf, len, max, &gen, &err);
		if (rc != cases[i].rc || !strstr(err.msg, cases[i].msg))
			fprintf(stderr, "  case '%s': rc %d, message '%s'\n", cases[i].what, rc, err.msg);
		CHECK(rc == cases[i].rc && strstr(err.msg, cases[i].msg));
		host_listing(sd, after, sizeof(after));
		CHECK_STR(after, before);
	}
	{
		struct rh_err err = { 0, "" };

		fs_rm_rf(sd, &err);
	}
}

static void test_newest_skips_damaged(void)
{
	char sd[512], path[PATH_MAX];
	uint8_t buf[256];
	uint64_t gen = 0;
	struct rh_err err = { 0, "" };
	size_t len;

	workdir(sd, sizeof(sd));
	CHECK(accept_buf(sd, buf, fixture_gen(buf, 1), 1 << 20, &gen, &err) == 0);
	CHECK(accept_buf(sd, buf, fixture_gen(buf, 2), 1 << 20, &gen, &err) == 0);
	/* generation 3 damaged on the server's disk, and a file whose footer names another number */
	len = fixture_gen(buf, 3);
	buf[0] ^= 1;
	snprintf(path, sizeof(path), "%s" HOSTDIR "/state-00000003.rhs", sd);
	CHECK(fs_write_file(path, buf, len, 0600, &err) == 0);
	len = fixture_gen(buf, 2);
	snprintf(path, sizeof(path), "%s" HOSTDIR "/state-00000004.rhs", sd);
	CHECK(fs_write_file(path, buf, len, 0600, &err) == 0);
	CHECK(pxe_host_state_newest(sd, mac, &gen, path, &err) == 0);
	CHECK(gen == 2 && strstr(path, "state-00000002.rhs"));
	/* none verifies: -ENOENT naming the newest damaged one */
	snprintf(path, sizeof(path), "%s" HOSTDIR "/state-00000002.rhs", sd);
	unlink(path);
	snprintf(path, sizeof(path), "%s" HOSTDIR "/state-00000001.rhs", sd);
	unlink(path);
	rh_err_clear(&err);
	CHECK(pxe_host_state_newest(sd, mac, &gen, path, &err) == -ENOENT);
	CHECK(strstr(err.msg, "none of the 2 generations verifies") && strstr(err.msg, "state-00000004.rhs"));
	/* an upload below a damaged number is refused: numbers are never reused */
	rh_err_clear(&err);
	CHECK(accept_buf(sd, buf, fixture_gen(buf, 4), 1 << 20, &gen, &err) == -ESTALE);
	fs_rm_rf(sd, &err);
}

static void test_sweep(void)
{
	char sd[512], path[PATH_MAX], names[1024];
	uint8_t buf[256];
	uint64_t gen = 0;
	unsigned removed = 0;
	struct rh_err err = { 0, "" };

	workdir(sd, sizeof(sd));
	CHECK(pxe_host_state_sweep(sd, &removed, &err) == 0 && removed == 0);   /* no hosts/ yet */
	CHECK(accept_buf(sd, buf, fixture_gen(buf, 1), 1 << 20, &gen, &err) == 0);
	CHECK(put_upload(sd, buf, 10, path) == 0);                               /* cut off by a crash */
	snprintf(path, sizeof(path), "%s" HOSTDIR "/state-00000002.rhs.tmp-abcdef", sd);
	CHECK(fs_write_file(path, buf, 3, 0600, &err) == 0);
	CHECK(pxe_host_state_sweep(sd, &removed, &err) == 0 && removed == 2);
	host_listing(sd, names, sizeof(names));
	CHECK_STR(names, "state-00000001.rhs ");
	fs_rm_rf(sd, &err);
}

int main(void)
{
	RUN(test_accept_keep3);
	RUN(test_accept_refused);
	RUN(test_newest_skips_damaged);
	RUN(test_sweep);
	UNIT_EXIT();
}
