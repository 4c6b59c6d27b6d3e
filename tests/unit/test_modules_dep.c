/* test_modules_dep.c: modules.dep / modules.builtin parsing and dependency resolution (image-builder/modules_dep.c). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "image-builder/modules_dep.h"
#include "unit.h"

/* A small fake kernel: a diamond (top -> left, right -> bottom), a cycle (c1 -> c2 -> c1), a module whose
 * dependency has no line, compressed files, and names with '-' and '_'. */
static const char dep[] =
	"kernel/fs/squashfs/squashfs.ko:\n"
	"kernel/drivers/block/loop.ko:\n"
	"kernel/fs/overlayfs/overlay.ko:\n"
	"kernel/top.ko: kernel/left.ko kernel/right.ko kernel/bottom.ko\n"
	"kernel/left.ko: kernel/bottom.ko\n"
	"kernel/right.ko: kernel/bottom.ko\n"
	"kernel/bottom.ko:\n"
	"kernel/c1.ko: kernel/c2.ko\n"
	"kernel/c2.ko: kernel/c1.ko\n"
	"kernel/orphan.ko: kernel/gone.ko\n"
	"kernel/net/virtio_net.ko.xz: kernel/net/net_failover.ko.zst\n"
	"kernel/net/net_failover.ko.zst:\n"
	"kernel/usb/usb-storage.ko: kernel/builtin_dep.ko\n";
static const char builtin[] = "kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\nkernel/builtin_dep.ko\n";

static int load(struct modules_dep *db)
{
	struct rh_err err;

	rh_err_clear(&err);
	if (modules_dep_parse(db, dep, sizeof(dep) - 1, "modules.dep", &err) < 0 ||
	    modules_dep_add_builtin(db, builtin, sizeof(builtin) - 1, &err) < 0) {
		fprintf(stderr, "  %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void test_normalize(void)
{
	static const struct {
		const char *in, *want; /* want NULL: -EINVAL */
	} rows[] = {
		{ "squashfs", "squashfs" },
		{ "kernel/fs/squashfs/squashfs.ko", "squashfs" },
		{ "virtio-net", "virtio_net" },
		{ "a/b/usb-storage.ko.xz", "usb_storage" },
		{ "x.ko.zst", "x" },
		{ "x.ko.gz", "x" },
		{ "dir/", NULL },
		{ "", NULL },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[64];
		int rc = modules_dep_normalize(rows[i].in, strlen(rows[i].in), out);
		if (rows[i].want ? (rc || strcmp(out, rows[i].want)) : rc != -EINVAL) {
			fprintf(stderr, "  normalize '%s': rc %d '%s'\n", rows[i].in, rc, rc ? "" : out);
			unit_failed_now = 1;
		}
	}
}

static void test_plain_path(void)
{
	char out[64];

	CHECK(modules_dep_plain_path("kernel/a.ko.xz", out, sizeof(out)) == 0);
	CHECK_STR(out, "kernel/a.ko");
	CHECK(modules_dep_plain_path("kernel/a.ko.zst", out, sizeof(out)) == 0);
	CHECK_STR(out, "kernel/a.ko");
	CHECK(modules_dep_plain_path("kernel/a.ko", out, sizeof(out)) == 0);
	CHECK_STR(out, "kernel/a.ko");
	CHECK(modules_dep_plain_path("kernel/a.ko", out, 4) == -ENAMETOOLONG);
}

/* Resolves names and compares the load order (module names joined by ' ') or the error. */
static void test_resolve(void)
{
	static const struct {
		const char *names[4];
		const char *want;     /* load order, or NULL for an error */
		const char *want_err; /* substring of the error */
	} rows[] = {
		{ { "squashfs", "loop", "overlay" }, "squashfs loop overlay", NULL },
		{ { "top" }, "bottom left right top", NULL },                  /* diamond: bottom once, first */
		{ { "left", "top" }, "bottom left right top", NULL },          /* already loaded: not twice */
		{ { "squashfs", "squashfs" }, "squashfs", NULL },
		{ { "virtio-net" }, "net_failover virtio_net", NULL },          /* '-' == '_', compressed */
		{ { "usb_storage" }, "usb_storage", NULL },                     /* builtin dependency skipped */
		{ { "ext4", "loop" }, "loop", NULL },                           /* built in: nothing to load */
		{ { "crc32c-generic" }, "", NULL },
		{ { "c1" }, NULL, "dependency cycle: c1 -> c2 -> c1" },
		{ { "top", "c2" }, NULL, "dependency cycle: c2 -> c1 -> c2" },
		{ { "nosuch" }, NULL, "kernel module 'nosuch' is neither in modules.dep nor built in" },
		{ { "orphan" }, NULL, "modules.dep:10: orphan depends on kernel/gone.ko, which has no line" },
	};
	struct modules_dep db;
	unsigned i, j;

	if (load(&db) < 0) {
		unit_failed_now = 1;
		return;
	}
	CHECK(db.nmods == 13);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned n = 0, *order = NULL, nn = 0;
		char got[256] = "";
		struct rh_err err;
		int rc;

		while (nn < 4 && rows[i].names[nn])
			nn++;
		rh_err_clear(&err);
		rc = modules_dep_resolve(&db, rows[i].names, nn, &order, &n, &err);
		if (rc == 0)
			for (j = 0; j < n; j++)
				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", j ? " " : "",
					 db.mods[order[j]].name);
		if (rows[i].want ? (rc || strcmp(got, rows[i].want)) : (rc >= 0 || !strstr(err.msg, rows[i].want_err))) {
			fprintf(stderr, "  row %u: rc %d order '%s' error '%s'\n", i, rc, got, err.msg);
			unit_failed_now = 1;
		}
		free(order);
	}
	modules_dep_free(&db);
}

/* The boot set: the required three, the disk drivers the kernel has as files (the fake kernel has only
 * usb-storage; virtio_blk and the others are absent and skipped), then the profile's extras in order. Network
 * drivers are not boot modules (udev or the coldplug pass loads them): virtio_net only as an extra. */
static void test_boot_names(void)
{
	static const struct {
		const char *extra[3];
		const char *want;
	} rows[] = {
		{ { NULL }, "squashfs loop overlay usb-storage" },
		{ { "top", "virtio-net" }, "squashfs loop overlay usb-storage top virtio-net" },
		{ { "ext4" }, "squashfs loop overlay usb-storage ext4" },
	};
	const char *names[MODULES_DEP_NREQUIRED + MODULES_DEP_NDISK + 3];
	struct modules_dep db;
	unsigned i, j, n, ne;

	if (load(&db) < 0) {
		unit_failed_now = 1;
		return;
	}
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char got[256] = "";
		for (ne = 0; ne < 3 && rows[i].extra[ne]; ne++)
			;
		modules_dep_boot_names(&db, rows[i].extra, ne, names, &n);
		for (j = 0; j < n; j++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", j ? " " : "", names[j]);
		if (strcmp(got, rows[i].want)) {
			fprintf(stderr, "  row %u: '%s', want '%s'\n", i, got, rows[i].want);
			unit_failed_now = 1;
		}
	}
	/* every disk driver of the contract is in the list */
	for (i = 0; i < MODULES_DEP_NDISK; i++)
		CHECK(modules_dep_disk[i][0]);
	modules_dep_free(&db);
}

static void test_find_and_builtin(void)
{
	struct modules_dep db;

	if (load(&db) < 0) {
		unit_failed_now = 1;
		return;
	}
	CHECK(modules_dep_find(&db, "squashfs") == 0);
	CHECK_STR(db.mods[modules_dep_find(&db, "usb_storage")].path, "kernel/usb/usb-storage.ko");
	CHECK(modules_dep_find(&db, "ext4") == -ENOENT);
	CHECK(modules_dep_is_builtin(&db, "ext4"));
	CHECK(modules_dep_is_builtin(&db, "crc32c-generic"));
	CHECK(!modules_dep_is_builtin(&db, "loop"));
	modules_dep_free(&db);
	modules_dep_free(&db); /* safe twice */
}

static void test_bad_files(void)
{
	static const struct {
		const char *text;
		const char *want;
	} rows[] = {
		{ "kernel/a.ko: x\nno colon here\n", "modules.dep:2: expected 'path.ko: dependencies...'" },
		{ "/abs/a.ko:\n", "modules.dep:1: bad module path '/abs/a.ko'" },
		{ "kernel/../../etc/a.ko:\n", "modules.dep:1: bad module path" },
		{ "kernel//a.ko:\n", "modules.dep:1: bad module path" },
		{ ":\n", "modules.dep:1: bad module path ''" },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct modules_dep db;
		struct rh_err err;
		int rc;

		rh_err_clear(&err);
		rc = modules_dep_parse(&db, rows[i].text, strlen(rows[i].text), "modules.dep", &err);
		if (rc >= 0 || !strstr(err.msg, rows[i].want)) {
			fprintf(stderr, "  row %u: rc %d '%s'\n", i, rc, err.msg);
			unit_failed_now = 1;
		}
		modules_dep_free(&db);
	}
}

/* Compressed modules are stored decompressed: the .ko.xz written with xz comes back byte for byte. */
static void test_decompress(void)
{
	char dir[] = "/tmp/test_modules_dep.XXXXXX", cmd[256], path[128];
	static const char payload[] = "\x7f" "ELF fake module payload, long enough to compress a little bit";
	void *buf = NULL;
	size_t len = 0;
	struct rh_err err;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/m.ko", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(payload, 1, sizeof(payload) - 1, f);
	fclose(f);
	rh_err_clear(&err);
	CHECK(modules_dep_read_file(path, &buf, &len, &err) == 0 && len == sizeof(payload) - 1 &&
	      !memcmp(buf, payload, len));
	free(buf);
	buf = NULL;
	snprintf(cmd, sizeof(cmd), "xz -k %s/m.ko && zstd -q %s/m.ko -o %s/m.ko.zst", dir, dir, dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "  xz/zstd not available\n");
		unit_failed_now = 1;
	} else {
		const char *ext[] = { "xz", "zst" };
		for (unsigned i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/m.ko.%s", dir, ext[i]);
			rh_err_clear(&err);
			CHECK(modules_dep_read_file(path, &buf, &len, &err) == 0 && len == sizeof(payload) - 1 &&
			      !memcmp(buf, payload, len));
			free(buf);
			buf = NULL;
		}
		/* a corrupt or fake .ko.xz is an error naming the file */
		static const char *const bad[] = { "\xfd" "7zXZ\0 corrupt xz stream", "not compressed at all" };
		for (unsigned i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/bad%u.ko.xz", dir, i);
			f = fopen(path, "w");
			if (f) {
				fwrite(bad[i], 1, i ? strlen(bad[i]) : 24, f);
				fclose(f);
			}
			rh_err_clear(&err);
			buf = NULL;
			CHECK(modules_dep_read_file(path, &buf, &len, &err) < 0 && strstr(err.msg, "ko.xz"));
			free(buf);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	RUN(test_normalize);
	RUN(test_plain_path);
	RUN(test_resolve);
	RUN(test_find_and_builtin);
	RUN(test_boot_names);
	RUN(test_bad_files);
	RUN(test_decompress);
	UNIT_EXIT();
}
