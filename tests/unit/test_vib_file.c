/* test_vib_file.c: vib_create / vib_open / vib_check on community VIBs built from plain files: the member
 * list, payload sizes and hashes filled in, a flipped payload byte and a truncated file refused, nothing left
 * behind by a failed create, and signing refused without a signed level. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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
	RUN(test_open_not_vib);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	UNIT_EXIT();
}
