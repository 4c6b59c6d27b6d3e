/* test_initconf.c: init.conf parser, table-driven. */
#include <errno.h>
#include <string.h>

#include "ramdisk/init/initconf.h"
#include "unit.h"

#define ROOT "ramdisk=root / 33554432 8192\n"

static void test_initconf_errors(void)
{
	static const struct {
		const char *text;
		int rc;
		const char *msg;  /* substring of the error message */
	} cases[] = {
		{ ROOT, 0, NULL },
		{ "# comment\n\n  kver = 6.1.0-56-amd64  \nkmod=kernel/fs/squashfs/squashfs.ko\n" ROOT, 0, NULL },
		{ ROOT "bogus=1\n", -EINVAL, "init.conf: line 2: unknown key 'bogus'" },
		{ ROOT "just text\n", -EINVAL, "line 2: line is not key=value" },
		{ ROOT "=x\n", -EINVAL, "line 2: empty key" },
		{ "kmod=kernel/a.ko\n" ROOT, -EINVAL, "kmod=/dkmod=/omod= lines but no kver=" },
		{ "kver=1\nkver=2\n" ROOT, -EINVAL, "line 2: kver= is given twice" },
		{ "kver=a/b\n" ROOT, -EINVAL, "line 1: kver= is not a kernel release" },
		{ "kver=1\nkmod=/abs/a.ko\n" ROOT, -EINVAL, "line 2: kmod= is not a clean relative path" },
		{ "kver=1\nkmod=kernel/../a.ko\n" ROOT, -EINVAL, "line 2: kmod=" },
		{ "kver=1\nkmod=kernel/a.ko.xz\n" ROOT, -EINVAL, "line 2: kmod=" },
		{ "kver=1\ndkmod=kernel/../a.ko\n" ROOT, -EINVAL, "line 2: dkmod= is not a clean relative path" },
		{ "dkmod=kernel/a.ko\n" ROOT, -EINVAL, "kmod=/dkmod=/omod= lines but no kver=" },
		{ "omod=kernel/a.ko\n" ROOT, -EINVAL, "kmod=/dkmod=/omod= lines but no kver=" },
		{ "kver=1\nomod=/kernel/a.ko\n" ROOT, -EINVAL, "line 2: omod= is not a clean relative path" },
		{ "ramdisk=etc /etc 100 10\n", -EINVAL, "no ramdisk= line for '/'" },
		{ ROOT "ramdisk=etc /etc 100\n", -EINVAL, "line 2: ramdisk= needs 4 fields" },
		{ ROOT "ramdisk=etc etc 100 10\n", -EINVAL, "line 2: ramdisk mount point is not a clean absolute path" },
		{ ROOT "ramdisk=etc /etc/ 100 10\n", -EINVAL, "line 2: ramdisk mount point" },
		{ ROOT "ramdisk=etc /a//b 100 10\n", -EINVAL, "line 2: ramdisk mount point" },
		{ ROOT "ramdisk=etc /a/../b 100 10\n", -EINVAL, "line 2: ramdisk mount point" },
		{ ROOT "ramdisk=etc /etc 0 10\n", -EINVAL, "line 2: ramdisk size is not a number of bytes above 0" },
		{ ROOT "ramdisk=etc /etc 1x 10\n", -EINVAL, "line 2: ramdisk size" },
		{ ROOT "ramdisk=etc /etc 99999999999999999999 10\n", -EINVAL, "line 2: ramdisk size" },
		{ ROOT "ramdisk=etc /etc 100 0\n", -EINVAL, "line 2: ramdisk inode limit" },
		{ ROOT "ramdisk=e/t /etc 100 1\n", -EINVAL, "line 2: ramdisk name" },
		{ ROOT "ramdisk=root /etc 100 1\n", -EINVAL, "line 2: ramdisk name 'root' is used twice" },
		{ ROOT "ramdisk=r2 / 100 1\n", -EINVAL, "line 2: two ramdisks mounted at '/'" },
		{ ROOT "init=sbin/init\n", -EINVAL, "line 2: init= is not a clean absolute path" },
		{ ROOT "init=/\n", -EINVAL, "line 2: init=" },
		{ ROOT "init=/a\ninit=/b\n", -EINVAL, "line 3: init= is given twice" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct initconf c;
		struct rh_err err = { 0 };
		size_t len = strlen(cases[i].text);
		int rc;

		rc = initconf_parse(cases[i].text, len, "init.conf", &c, &err);
		if (rc != cases[i].rc || (cases[i].msg && !strstr(err.msg, cases[i].msg)))
			fprintf(stderr, "  case %zu: rc %d, message '%s'\n", i, rc, err.msg);
		CHECK(rc == cases[i].rc);
		if (cases[i].msg)
			CHECK(strstr(err.msg, cases[i].msg) != NULL);
	}
}

static void test_initconf_nul(void)
{
	static const char text[] = ROOT "kver=a\0b\n";
	struct initconf c;
	struct rh_err err = { 0 };

	CHECK(initconf_parse(text, sizeof(text) - 1, "init.conf", &c, &err) == -EINVAL);
	CHECK(strstr(err.msg, "init.conf: line 2: NUL byte") != NULL);
}

static void test_initconf_full(void)
{
	static const char text[] = "kver=6.1.0-56-amd64\n"
				   "kmod=kernel/fs/squashfs/squashfs.ko\n"
				   "kmod=kernel/drivers/block/loop.ko\n"
				   "kmod=kernel/fs/overlayfs/overlay.ko\n"
				   "dkmod=kernel/drivers/virtio/virtio.ko\n"
				   "dkmod=kernel/drivers/block/virtio_blk.ko\n"
				   "omod=usr/lib/ramhost/ondemand-modules/6.1.0-56-amd64/kernel/drivers/ata/ata_piix.ko\n"
				   "ramdisk=root / 33554432 8192\n"
				   "ramdisk=etc /etc 8388608 2048\n"
				   "ramdisk=var /var 67108864 8192\r\n"
				   "init=/usr/lib/systemd/systemd\n";
	struct initconf c;
	struct rh_err err = { 0 };

	CHECK(initconf_parse(text, sizeof(text) - 1, "x", &c, &err) == 0);
	CHECK_STR(c.kver, "6.1.0-56-amd64");
	CHECK(c.nkmods == 6);
	CHECK_STR(c.kmods[1], "kernel/drivers/block/loop.ko");
	CHECK(c.where[2] == INITCONF_KMOD_CPIO && c.where[3] == INITCONF_KMOD_DRIVERS);
	CHECK(c.where[4] == INITCONF_KMOD_DRIVERS && c.where[5] == INITCONF_KMOD_ONDEMAND);
	CHECK_STR(c.kmods[4], "kernel/drivers/block/virtio_blk.ko");
	CHECK_STR(c.kmods[5], "usr/lib/ramhost/ondemand-modules/6.1.0-56-amd64/kernel/drivers/ata/ata_piix.ko");
	CHECK(c.nramdisks == 3);
	CHECK_STR(c.ramdisks[2].name, "var");
	CHECK_STR(c.ramdisks[2].mountpoint, "/var");
	CHECK(c.ramdisks[2].size == 67108864);
	CHECK(c.ramdisks[2].inodes == 8192);
	CHECK(initconf_root(&c) == &c.ramdisks[0]);
	CHECK_STR(c.init, "/usr/lib/systemd/systemd");
	/* default init */
	CHECK(initconf_parse(ROOT, strlen(ROOT), "x", &c, &err) == 0);
	CHECK_STR(c.init, "/sbin/init");
}

int main(void)
{
	RUN(test_initconf_errors);
	RUN(test_initconf_nul);
	RUN(test_initconf_full);
	UNIT_EXIT();
}
