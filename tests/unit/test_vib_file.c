/* test_vib_file.c: vib_create / vib_open / vib_check on community VIBs built from plain files: the member
 * list, payload sizes and both hashes filled in (the boot-module one equal to the hash of cpio_wrap_file's
 * bytes), a flipped payload byte and a truncated file refused, the boot-module checksum checked when given and
 * the plain one when not (both by vib_check_plain's second look), nothing left behind by a failed create, and signing refused without a signed level. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "sha256.h"
#include "vib/ar.h"
#include "vib/vibfile.h"
#include "unit.h"

static char dir[] = "/tmp/test_vib_file.XXXXXX";
static char p1[256], p2[256], out[256];

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && write(fd, data, len) == (ssize_t)len);
	close(fd);
}

static void make_desc(struct vib_desc *d, size_t npay)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->name, "hello");
	strcpy(d->version, "1.0");
	strcpy(d->vendor, "v");
	d->description = strdup("");
	d->level = VIB_LEVEL_COMMUNITY;
	d->payloads = calloc(npay, sizeof(*d->payloads));
	d->npayloads = npay;
	strcpy(d->payloads[0].name, "hello");
	if (npay > 1)
		strcpy(d->payloads[1].name, "a-long-payload-name-over-15");
}

static void test_create_open_check(void)
{
	struct vib_desc d;
	struct vib_file *v = calloc(1, sizeof(*v));
	struct rh_err err = { 0 };
	const char *paths[] = { p1, p2 };
	enum vib_level level = VIB_LEVEL_CERTIFIED;

	make_desc(&d, 2);
	CHECK(vib_create(out, &d, paths, NULL, NULL, &err) == 0);
	CHECK(d.payloads[0].size == 5 && d.payloads[1].size == 0);
	CHECK(d.payloads[0].sha256[0] == 0x2c); /* sha256("hello") = 2cf24dba... */
	CHECK(vib_open(out, v, &err) == 0);
	CHECK_STR(v->desc.name, "hello");
	CHECK(v->desc.npayloads == 2 && v->payload_member[0].size == 5);
	CHECK(!memcmp(v->map + v->payload_member[0].offset, "hello", 5));
	CHECK(v->sig_member.size == 0);
	CHECK(vib_check(v, NULL, NULL, 1, &level, &err) == 0 && level == VIB_LEVEL_COMMUNITY);
	vib_close(v);
	vib_close(v); /* safe twice */

	/* flip one payload byte: the hash no longer matches */
	{
		int fd = open(out, O_RDWR);
		struct vib_file *w = calloc(1, sizeof(*w));
		uint64_t off;

		CHECK(vib_open(out, w, &err) == 0);
		off = w->payload_member[0].offset;
		vib_close(w);
		CHECK(pwrite(fd, "J", 1, (off_t)off) == 1);
		close(fd);
		CHECK(vib_open(out, w, &err) == 0);
		rh_err_clear(&err);
		CHECK(vib_check(w, NULL, NULL, 1, &level, &err) == -EBADMSG);
		CHECK(strstr(err.msg, "payload hello: SHA-256 mismatch") != NULL);
		vib_close(w);
		free(w);
	}
	/* truncated: refused at open, naming the file */
	CHECK(truncate(out, 200) == 0);
	rh_err_clear(&err);
	CHECK(vib_open(out, v, &err) < 0 && strstr(err.msg, out));
	vib_desc_free(&d);
	free(v);
}

static void test_create_refusals(void)
{
	struct vib_desc d;
	struct rh_err err = { 0 };
	char bad_out[300];
	const char *paths[] = { "/nonexistent/payload" };

	snprintf(bad_out, sizeof(bad_out), "%s/refused.vib", dir);
	make_desc(&d, 1);
	CHECK(vib_create(bad_out, &d, paths, NULL, NULL, &err) < 0 && strstr(err.msg, "/nonexistent/payload"));
	d.level = VIB_LEVEL_PARTNER;
	rh_err_clear(&err);
	paths[0] = p1;
	CHECK(vib_create(bad_out, &d, paths, NULL, NULL, &err) == -EINVAL && strstr(err.msg, "needs a signature"));
	d.level = VIB_LEVEL_COMMUNITY;
	rh_err_clear(&err);
	CHECK(vib_create(bad_out, &d, paths, "k.pem", "c.pem", &err) == -EINVAL);
	CHECK(access(bad_out, F_OK) != 0);
	vib_desc_free(&d);
}

/* A community .vib at path with descriptor d and the payload bytes (one payload), written by hand. */
static void write_vib(const char *path, const struct vib_desc *d, const char *payload, size_t len)
{
	struct rh_err err = { 0 };
	char *xml = NULL;
	size_t xlen = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && vib_desc_write(d, &xml, &xlen, &err) == 0);
	CHECK(ar_write_start(fd, path, &err) == 0 && ar_write_member(fd, path, "descriptor.xml", xml, xlen, 0, &err) == 0 &&
	      ar_write_member(fd, path, "sig.pkcs7", "", 0, 0, &err) == 0 &&
	      ar_write_member(fd, path, "hello.tdk", payload, len, 0, &err) == 0);
	free(xml);
	close(fd);
}

static int check_vib(const char *path, struct rh_err *err)
{
	struct vib_file *v = calloc(1, sizeof(*v));
	enum vib_level level;
	int rc = vib_open(path, v, err);

	if (rc == 0)
		rc = vib_check(v, NULL, NULL, 1, &level, err);
	vib_close(v);
	free(v);
	return rc;
}

/* The boot-module checksum is the SHA-256 of the bytes cpio_wrap_file writes for NAME.tdk; when a descriptor
 * gives it, it is the one checked (a wrong one refused even with the plain one right); without it the plain one
 * is checked (VIBs written before it existed). */
static void test_boot_module_checksum(void)
{
	struct vib_desc d;
	struct rh_err err = { 0 };
	const char *paths[] = { p1 };
	char wrapped[300], path[300];
	uint8_t want[32], *buf = malloc(4096);
	int in = open(p1, O_RDONLY), fd;
	ssize_t n = -1;

	snprintf(wrapped, sizeof(wrapped), "%s/hello.cpio", dir);
	snprintf(path, sizeof(path), "%s/hand.vib", dir);
	fd = open(wrapped, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(in >= 0 && fd >= 0 && cpio_wrap_file(fd, "tardisks", "hello.tdk", in, 5, &err) == 0);
	CHECK(buf && (n = pread(fd, buf, 4096, 0)) > 5);
	sha256_buf(buf, n > 0 ? (size_t)n : 0, want);
	close(in);
	close(fd);
	make_desc(&d, 1);
	CHECK(vib_create(out, &d, paths, NULL, NULL, &err) == 0);
	CHECK(d.payloads[0].has_module_sha256 && !memcmp(d.payloads[0].module_sha256, want, 32));
	CHECK(check_vib(out, &err) == 0);
	/* a wrong boot-module checksum, the plain one right: refused */
	d.payloads[0].module_sha256[0] ^= 1;
	write_vib(path, &d, "hello", 5);
	rh_err_clear(&err);
	CHECK(check_vib(path, &err) == -EBADMSG && strstr(err.msg, "payload hello: SHA-256 mismatch") &&
	      strstr(err.msg, "as the boot module"));
	/* the boot-module checksum right, the plain one wrong: vib_check passes (one pass, the module one), `vib
	 * verify`'s vib_check_plain refuses */
	d.payloads[0].module_sha256[0] ^= 1;
	d.payloads[0].sha256[0] ^= 1;
	write_vib(path, &d, "hello", 5);
	rh_err_clear(&err);
	CHECK(check_vib(path, &err) == 0);
	{
		struct vib_file *v = calloc(1, sizeof(*v));

		CHECK(v && vib_open(path, v, &err) == 0);
		CHECK(vib_check_plain(v, &err) == -EBADMSG && strstr(err.msg, "payload hello: SHA-256 mismatch") &&
		      !strstr(err.msg, "boot module"));
		vib_close(v);
		free(v);
	}
	d.payloads[0].sha256[0] ^= 1;
	/* no boot-module checksum: the plain one decides */
	d.payloads[0].has_module_sha256 = false;
	write_vib(path, &d, "hello", 5);
	rh_err_clear(&err);
	CHECK(check_vib(path, &err) == 0);
	write_vib(path, &d, "jello", 5);
	CHECK(check_vib(path, &err) == -EBADMSG && !strstr(err.msg, "boot module"));
	vib_desc_free(&d);
	free(buf);
}

static void test_open_not_vib(void)
{
	struct vib_file *v = calloc(1, sizeof(*v));
	struct rh_err err = { 0 };
	char path[300];

	snprintf(path, sizeof(path), "%s/junk", dir);
	const char junk[] = "!<arch>\nthis is not a header at all, and not even close to sixty bytes long, is it";

	write_file(path, junk, strlen(junk));
	CHECK(vib_open(path, v, &err) == -EBADMSG);
	rh_err_clear(&err);
	CHECK(vib_open(dir, v, &err) < 0); /* a directory */
	rh_err_clear(&err);
	CHECK(vib_open("/nonexistent.vib", v, &err) == -ENOENT);
	free(v);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	snprintf(p1, sizeof(p1), "%s/p1", dir);
	snprintf(p2, sizeof(p2), "%s/p2", dir);
	snprintf(out, sizeof(out), "%s/out.vib", dir);
	write_file(p1, "hello", 5);
	write_file(p2, "", 0);
	RUN(test_create_open_check);
	RUN(test_create_refusals);
	RUN(test_boot_module_checksum);
	RUN(test_open_not_vib);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	UNIT_EXIT();
}
