/* test_oci_split.c: tardisk_create_layers (tardisk/oci/oci_split.c), `oci-layers = split`: each layer's image
 * holds what the layer changed, with overlayfs whiteouts and opaque directories for what it removed, so that
 * the images laid over each other in order (tardisk_skeleton reads them the way overlayfs does) give the tree
 * tardisk_create makes of the whole image, for whiteouts, opaque directories (also of the root), paths replaced
 * by another type, a directory whited out and made again, a whiteout after its own layer's child, and hard
 * links inside and across layers. Also: the layer keys (the lowest layer's depends on its own digest only), a
 * cached layer not written, a hostile upper layer leaving nothing, and overlayfs's own xattrs refused in a
 * source. Layouts from tests/fixtures/oci/mkimage.py. (tests/integration/oci.sh mounts the images with the
 * kernel's overlayfs; tests/system/test_debian.py boots them.) */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovl.h"
#include "tardisk/tardisk.h"
#include "oci_fixture.h"
#include "unit.h"

static char dir[] = "/tmp/test_oci_split.XXXXXX";

static const char *layout(const char *name, const char *plan)
{
	return oci_fixture(dir, name, plan);
}

#define MAXL 8

struct ask {
	const char *name;                        /* images go to dir/NAME.I.tdk */
	unsigned n;
	uint8_t keys[MAXL][SHA256_DIGEST_LEN];
	int skip0;                               /* answer "cached" for layer 0 */
	unsigned asked;
};

static int ask_layer(void *ctx, unsigned i, unsigned n, const uint8_t key[SHA256_DIGEST_LEN], char *out, size_t cap,
		     struct rh_err *err)
{
	struct ask *a = ctx;

	(void)err;
	CHECK(i < MAXL && i == a->asked);
	a->asked++;
	a->n = n;
	memcpy(a->keys[i], key, SHA256_DIGEST_LEN);
	if (i == 0 && a->skip0)
		return 1;
	snprintf(out, cap, "%s/%s.%u.tdk", dir, a->name, i);
	return 0;
}

static int split(const char *src, struct ask *a, long long mtime, struct rh_err *err)
{
	struct tardisk_create_opts o = { .src = src, .mtime = mtime };
	struct tardisk_layers_opts lo = { ask_layer, a };

	a->asked = 0;
	rh_err_clear(err);
	return tardisk_create_layers(&o, &lo, err);
}

static char *lines[4096];
static size_t nlines;
static const char *walk_root;

static int add_line(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	char buf[600], target[300] = "";
	ssize_t n;

	(void)flag;
	(void)f;
	if (!strcmp(path, walk_root) || nlines == 4096)
		return 0;
	if (S_ISLNK(st->st_mode) && (n = readlink(path, target, sizeof(target) - 1)) > 0)
		target[n] = '\0';
	snprintf(buf, sizeof(buf), "%s %o %s", path + strlen(walk_root) + 1, (unsigned)st->st_mode, target);
	lines[nlines++] = strdup(buf);
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The tree at root as sorted "path mode [target]" lines, joined by '\n' (static). */
static const char *tree(const char *root)
{
	static char out[65536];

	nlines = 0;
	walk_root = root;
	CHECK(nftw(root, add_line, 16, FTW_PHYS) == 0);
	qsort(lines, nlines, sizeof(*lines), by_str);
	out[0] = '\0';
	for (size_t i = 0; i < nlines; i++) {
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s\n", lines[i]);
		free(lines[i]);
	}
	return out;
}

static char listing[2048];

static int add_path(void *ctx, const struct tardisk_entry *e)
{
	(void)ctx;
	snprintf(listing + strlen(listing), sizeof(listing) - strlen(listing), "%s ", e->path);
	return 0;
}

/* The paths of layer i of NAME, space-separated (static). */
static const char *paths_of(const char *name, unsigned i)
{
	char img[300];
	struct tardisk *t = NULL;
	struct rh_err err = { 0 };

	snprintf(img, sizeof(img), "%s/%s.%u.tdk", dir, name, i);
	listing[0] = '\0';
	CHECK(tardisk_open(img, &t, &err) == 0);
	if (t)
		CHECK(tardisk_walk(t, add_path, NULL, &err) == 0);
	tardisk_close(t);
	return listing;
}

/* Image NAME from PLAN, split and merged: the layers' skeletons over each other equal the merged one's. */
static void same_as_merged(const char *name, const char *plan, struct ask *a)
{
	char merged[300], lay[300], skm[300], skl[300], img[300];
	char want[65536];
	struct tardisk_create_opts o = { .out = merged, .mtime = 1700000000 };
	struct rh_err err = { 0 };
	const char *src = layout(name, plan);

	memset(a, 0, sizeof(*a));
	a->name = name;
	snprintf(merged, sizeof(merged), "%s/%s.tdk", dir, name);
	o.src = src;
	CHECK(tardisk_create(&o, &err) == 0);
	CHECK(split(src, a, 1700000000, &err) == 0);
	if (err.msg[0])
		fprintf(stderr, "  %s: %s\n", name, err.msg);
	snprintf(skm, sizeof(skm), "%s/%s.m", dir, name);
	snprintf(skl, sizeof(skl), "%s/%s.l", dir, name);
	CHECK(mkdir(skm, 0755) == 0 && mkdir(skl, 0755) == 0);
	CHECK(tardisk_skeleton(merged, skm, NULL, &err) == 0);
	snprintf(want, sizeof(want), "%s", tree(skm));
	for (unsigned i = 0; i < a->n; i++) {
		snprintf(lay, sizeof(lay), "%s/%s.%u.tdk", dir, name, i);
		CHECK(tardisk_skeleton(lay, skl, NULL, &err) == 0);
	}
	snprintf(img, sizeof(img), "%s", tree(skl));
	if (strcmp(want, img))
		fprintf(stderr, "  %s: merged:\n%s  layered:\n%s", name, want, img);
	CHECK(!strcmp(want, img) && want[0]);
}

static uint32_t entry_mode, entry_rdev;
static int entry_opaque;

static int find_entry(void *ctx, const struct tardisk_entry *e)
{
	if (strcmp(e->path, ctx))
		return 0;
	entry_mode = e->mode;
	entry_rdev = e->rdev_major << 20 | e->rdev_minor;
	for (size_t k = 0; k < e->n_xattrs; k++)
		if (!strcmp(e->xattrs[k].key, OVL_OPAQUE_XATTR))
			entry_opaque = ovl_is_opaque_value(e->xattrs[k].value, e->xattrs[k].value_len);
	return 0;
}

/* The mode of path in layer i of NAME (0: absent); entry_opaque says whether it is opaque. */
static uint32_t mode_in(const char *name, unsigned i, const char *path)
{
	char img[300];
	struct tardisk *t = NULL;
	struct rh_err err = { 0 };

	snprintf(img, sizeof(img), "%s/%s.%u.tdk", dir, name, i);
	entry_mode = entry_rdev = 0;
	entry_opaque = 0;
	CHECK(tardisk_open(img, &t, &err) == 0);
	if (t)
		CHECK(tardisk_walk(t, find_entry, (void *)path, &err) == 0);
	tardisk_close(t);
	return entry_mode;
}

static int is_whiteout(const char *name, unsigned i, const char *path)
{
	return S_ISCHR(mode_in(name, i, path)) && entry_rdev == 0;
}

static void test_layers_as_merged(void)
{
	struct ask a;
	char img[300];

	/* whiteout + the same name again, opaque dir, whiteout of a file, link in its layer, dir replaced by file */
	same_as_merged("p1", "{\"layers\":[[[\"d\",\"d\"],[\"f\",\"d/old\",\"o\"],[\"f\",\"x\",\"lower\"],"
			     "[\"f\",\"gone\",\"g\"],[\"d\",\"r\"],[\"f\",\"r/in\",\"i\"]],"
			     "[[\"f\",\"x\",\"upper\"],[\"f\",\".wh.x\",\"\"],[\"f\",\"d/.wh..wh..opq\",\"\"],"
			     "[\"f\",\"d/new\",\"n\"],[\"f\",\".wh.gone\",\"\"],[\"h\",\"x2\",\"x\"],[\"f\",\"r\",\"file\"]]],"
			     "\"gzip\":true}", &a);
	CHECK(a.n == 2);
	CHECK_STR(paths_of("p1", 1), "d d/new gone r x x2 ");
	CHECK(is_whiteout("p1", 1, "gone"));
	CHECK(S_ISDIR(mode_in("p1", 1, "d")) && entry_opaque);
	CHECK(S_ISREG(mode_in("p1", 1, "r")));
	/* a file replaced by a directory; a directory whited out and made again; a whiteout of a directory */
	same_as_merged("p2", "{\"layers\":[[[\"f\",\"a\",\"A\"],[\"d\",\"d\"],[\"f\",\"d/old\",\"o\"],[\"d\",\"w\"],"
			     "[\"d\",\"w/b\"],[\"f\",\"w/b/c\",\"c\"],[\"f\",\"w/k\",\"k\"]],"
			     "[[\"d\",\"a\"],[\"f\",\"a/b\",\"B\"],[\"f\",\".wh.d\",\"\"],[\"d\",\"d\"],[\"f\",\"d/new\",\"n\"],"
			     "[\"f\",\"w/.wh.b\",\"\"]]]}", &a);
	CHECK(S_ISDIR(mode_in("p2", 1, "d")) && entry_opaque);
	CHECK(is_whiteout("p2", 1, "w/b"));
	CHECK(mode_in("p2", 1, "w/b/c") == 0);    /* only the topmost removed path gets a whiteout */
	CHECK(S_ISDIR(mode_in("p2", 1, "w")) && !entry_opaque);
	/* the root made opaque; then a whiteout after its own layer's child; then a hard link to a lower file */
	same_as_merged("p3", "{\"layers\":[[[\"f\",\"a\",\"A\"],[\"d\",\"b\"],[\"f\",\"b/c\",\"c\"]],"
			     "[[\"f\",\".wh..wh..opq\",\"\"],[\"d\",\"b\"],[\"f\",\"b/old\",\"o\"],[\"f\",\"z\",\"Z\"]],"
			     "[[\"f\",\"b/new\",\"n\"],[\"f\",\".wh.b\",\"\"],[\"h\",\"z2\",\"z\"]]]}", &a);
	CHECK(a.n == 3);
	CHECK(is_whiteout("p3", 1, "a"));
	CHECK(S_ISDIR(mode_in("p3", 1, "b")) && entry_opaque);
	CHECK(S_ISDIR(mode_in("p3", 2, "b")) && entry_opaque);   /* .wh.b after b/new: b made opaque, not removed */
	CHECK(S_ISREG(mode_in("p3", 2, "z2")));                  /* a link across layers: a copy */
	snprintf(img, sizeof(img), "%s/p3.2.tdk", dir);
	{
		struct tardisk *t = NULL;
		struct rh_err err = { 0 };
		char tmp[300];
		FILE *f;
		char data[8] = "";

		snprintf(tmp, sizeof(tmp), "%s/z2.data", dir);
		f = fopen(tmp, "w+");
		CHECK(f && tardisk_open(img, &t, &err) == 0);
		if (f && t) {
			CHECK(tardisk_cat(t, "z2", fileno(f), &err) == 0);
			rewind(f);
			CHECK(fgets(data, sizeof(data), f) != NULL);
		}
		CHECK_STR(data, "Z");
		tardisk_close(t);
		if (f)
			fclose(f);
	}
}

static void test_keys_cache_and_refusal(void)
{
	struct ask a, b, c, d;
	struct rh_err err = { 0 };
	char src1[300], cmd[700];
	const char *src;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	a.name = "ka";
	b.name = "kb";
	c.name = "kc";
	d.name = "kd";
	CHECK(split(layout("ka", "{\"layers\":[[[\"f\",\"base\",\"B\"]],[[\"f\",\"a\",\"A\"]]]}"), &a, 1700000000, &err) == 0);
	CHECK(split(layout("kb", "{\"layers\":[[[\"f\",\"base\",\"B\"]],[[\"f\",\"b\",\"B\"]]]}"), &b, 1700000000, &err) == 0);
	CHECK(split(layout("kc", "{\"layers\":[[[\"f\",\"base\",\"C\"]],[[\"f\",\"a\",\"A\"]]]}"), &c, 1700000000, &err) == 0);
	CHECK(!memcmp(a.keys[0], b.keys[0], SHA256_DIGEST_LEN));     /* a shared lowest layer: one key */
	CHECK(memcmp(a.keys[1], b.keys[1], SHA256_DIGEST_LEN));
	CHECK(memcmp(a.keys[0], c.keys[0], SHA256_DIGEST_LEN));
	CHECK(memcmp(a.keys[1], c.keys[1], SHA256_DIGEST_LEN));      /* the same layer over another one: another key */
	snprintf(cmd, sizeof(cmd), "cmp -s %s/ka.0.tdk %s/kb.0.tdk", dir, dir);
	CHECK(system(cmd) == 0);                                       /* and the same bytes */
	/* the clamp is in the key */
	d.name = "kd";
	CHECK(split(layout("kd", "{\"layers\":[[[\"f\",\"base\",\"B\"]],[[\"f\",\"a\",\"A\"]]]}"), &d, 1700000001, &err) == 0);
	CHECK(memcmp(a.keys[0], d.keys[0], SHA256_DIGEST_LEN));
	/* layer 0 cached: not written, and layer 1 the same bytes as before */
	memset(&d, 0, sizeof(d));
	d.name = "kcache";
	d.skip0 = 1;
	snprintf(src1, sizeof(src1), "oci:%s/ka", dir);
	CHECK(split(src1, &d, 1700000000, &err) == 0);
	snprintf(cmd, sizeof(cmd), "test ! -e %s/kcache.0.tdk && cmp -s %s/ka.1.tdk %s/kcache.1.tdk", dir, dir, dir);
	CHECK(system(cmd) == 0);
	/* a hostile layer 2: nothing written, not even layer 1 */
	memset(&d, 0, sizeof(d));
	d.name = "bad";
	src = layout("bad", "{\"layers\":[[[\"l\",\"l\",\"/etc\"]],[[\"f\",\"l/x\",\"x\"]]]}");
	CHECK(split(src, &d, 1700000000, &err) == -EINVAL && strstr(err.msg, "which is a symlink"));
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s | grep '^bad\\.[0-9]\\|^\\.bad')\"", dir);
	CHECK(system(cmd) == 0);
}

static void test_overlay_xattr_refused(void)
{
	char out[300];
	struct rh_err err = { 0 };
	struct tardisk_create_opts o = { .out = out, .mtime = 1700000000 };

	snprintf(out, sizeof(out), "%s/x.tdk", dir);
	o.src = layout("xa", "{\"layers\":[[[\"dx\",\"d\",{\"trusted.overlay.opaque\":\"y\"}]]]}");
	CHECK(tardisk_create(&o, &err) == -EPERM && strstr(err.msg, "overlayfs's own metadata"));
	CHECK(access(out, F_OK) < 0);
	o.src = layout("xb", "{\"layers\":[[[\"dx\",\"d\",{\"user.fine\":\"y\"}]]]}");
	CHECK(tardisk_create(&o, &err) == 0);
}

int main(void)
{
	char cmd[300];

	CHECK(mkdtemp(dir) != NULL);
	RUN(test_layers_as_merged);
	RUN(test_keys_cache_and_refusal);
	RUN(test_overlay_xattr_refused);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	UNIT_EXIT();
}
