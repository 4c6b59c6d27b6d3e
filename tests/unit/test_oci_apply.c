/* test_oci_apply.c: tardisk_create on oci: sources (tardisk/oci/oci_layout.c, oci_apply.c), run here so the
 * sanitizer build covers them: layouts written by tests/fixtures/oci/mkimage.py, applied with whiteouts, opaque
 * directories, hard links across layers and replaced paths, and refused when hostile; every refusal names the
 * image, and leaves no output. (tests/integration/oci.sh checks the same against umoci's own unpack.) */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "tardisk/tardisk.h"
#include "oci_fixture.h"
#include "unit.h"

static char dir[] = "/tmp/test_oci_apply.XXXXXX";

static const char *layout(const char *name, const char *plan)
{
	return oci_fixture(dir, name, plan);
}

static int build(const char *src, const char *out, struct rh_err *err)
{
	struct tardisk_create_opts o = { .src = src, .out = out, .mtime = 1700000000 };

	rh_err_clear(err);
	return tardisk_create(&o, err);
}

static char listing[1024];
static uint32_t x_inode, x2_inode;

static int add_name(void *ctx, const struct tardisk_entry *e)
{
	(void)ctx;
	snprintf(listing + strlen(listing), sizeof(listing) - strlen(listing), "%s ", e->path);
	if (!strcmp(e->path, "x"))
		x_inode = e->inode;
	if (!strcmp(e->path, "x2"))
		x2_inode = e->inode;
	return 0;
}

/* The paths of img's entries, space-separated. */
static const char *names(const char *img)
{
	struct tardisk *t = NULL;
	struct rh_err err = { 0 };

	listing[0] = '\0';
	CHECK(tardisk_open(img, &t, &err) == 0);
	if (t)
		CHECK(tardisk_walk(t, add_name, NULL, &err) == 0);
	tardisk_close(t);
	return listing;
}

static void test_apply(void)
{
	char out[300];
	struct rh_err err = { 0 };
	const char *src = layout("a", "{\"layers\":[[[\"d\",\"d\"],[\"f\",\"d/old\",\"o\"],[\"f\",\"x\",\"lower\"],"
				      "[\"f\",\"gone\",\"g\"],[\"d\",\"r\"],[\"f\",\"r/in\",\"i\"]],"
				      "[[\"f\",\"x\",\"upper\"],[\"f\",\".wh.x\",\"\"],[\"f\",\"d/.wh..wh..opq\",\"\"],"
				      "[\"f\",\"d/new\",\"n\"],[\"f\",\".wh.gone\",\"\"],[\"h\",\"x2\",\"x\"],[\"f\",\"r\",\"file\"]]],"
				      "\"gzip\":true}");

	snprintf(out, sizeof(out), "%s/a.tdk", dir);
	CHECK(build(src, out, &err) == 0);
	if (err.msg[0])
		fprintf(stderr, "  %s\n", err.msg);
	CHECK_STR(names(out), "d d/new r x x2 ");   /* r: the file that replaced a directory and what was in it */
	CHECK(x_inode && x_inode == x2_inode);      /* x2: a hard link to this layer's x */
}

static void test_refused(void)
{
	static const struct { const char *plan, *msg; } bad[] = {
		{ "{\"damage\":\"flip-layer\",\"layers\":[[[\"f\",\"a\",\"A\"]]]}", "(tampered or damaged)" },
		{ "{\"layers\":[[[\"l\",\"l\",\"/etc\"]],[[\"f\",\"l/x\",\"x\"]]]}", "which is a symlink" },
		{ "{\"layers\":[[[\"f\",\"a\",\"A\"]],[[\"f\",\".wh.a\",\"\"]],[[\"h\",\"b\",\"a\"]]]}", "which no layer has" },
		{ "{\"layers\":[[[\"d\",\"d\"]],[[\"h\",\"b\",\"d\"]]]}", "a directory" },
		{ "{\"platforms\":[\"arm64\"],\"layers\":[[[\"f\",\"a\",\"A\"]]]}", "it has: linux/arm64" },
	};
	char out[300], name[16];
	struct rh_err err = { 0 };

	snprintf(out, sizeof(out), "%s/bad.tdk", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "bad%zu", i);
		const char *src = layout(name, bad[i].plan);
		int rc = build(src, out, &err);

		if (rc == 0 || !strstr(err.msg, bad[i].msg) || !strstr(err.msg, src + 4) || access(out, F_OK) == 0) {
			fprintf(stderr, "  %s: rc %d, '%s' (want '%s')\n", name, rc, err.msg, bad[i].msg);
			CHECK(0);
		}
	}
}

int main(void)
{
	char cmd[300];

	CHECK(mkdtemp(dir) != NULL);
	RUN(test_apply);
	RUN(test_refused);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	UNIT_EXIT();
}
