/* test_usage.c: what ramhost df reads and prints (ramdisk/usage.c): /proc/mounts lookup and size formatting. */
#include <string.h>

#include "procmounts.h"
#include "ramdisk/usage.h"
#include "unit.h"

static void test_procmounts_find(void)
{
	static const char mounts[] = "root / tmpfs rw,size=32768k 0 0\n"
				     "etc /etc tmpfs rw 0 0\n"
				     "/dev/loop0 /run/ramhost/tardisks/base squashfs ro 0 0\n"
				     "x /mnt/with\\040space ext4 rw 0 0\n"
				     "etc /etc overlay ro 0 0\n"
				     "short-line\n"
				     "a /last tmpfs rw 0 0";
	static const struct {
		const char *mp;
		int found;
		const char *fstype;
	} cases[] = {
		{ "/", 1, "tmpfs" },
		{ "/etc", 1, "overlay" }, /* the last of stacked mounts is the visible one */
		{ "/run/ramhost/tardisks/base", 1, "squashfs" },
		{ "/mnt/with space", 1, "ext4" },
		{ "/mnt/with\\040space", 0, "" },
		{ "/var", 0, "" },
		{ "/last", 1, "tmpfs" },
		{ "short-line", 0, "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char fst[64] = "";
		int found = procmounts_find(mounts, sizeof(mounts) - 1, cases[i].mp, fst, sizeof(fst));

		CHECK(found == cases[i].found);
		CHECK_STR(fst, cases[i].fstype);
	}
}

/* the iterator ramhost df reads the overlays with: every field, options included; a line with a NUL or too few
 * fields is skipped */
static void test_procmounts_next(void)
{
	static const char mounts[] = "overlay /usr overlay ro,relatime,lowerdir=/a/usr:/b/usr 0 0\n"
				     "bad /x\\000y tmpfs rw 0 0\n"
				     "nul /n\0ul tmpfs rw 0 0\n"
				     "two fields\n"
				     "src /a\\040b tmpfs\n";
	struct procmount m;
	size_t pos = 0;

	CHECK(procmounts_next(mounts, sizeof(mounts) - 1, &pos, &m) == 1);
	CHECK_STR(m.source, "overlay");
	CHECK_STR(m.mountpoint, "/usr");
	CHECK_STR(m.options, "ro,relatime,lowerdir=/a/usr:/b/usr");
	CHECK(procmounts_next(mounts, sizeof(mounts) - 1, &pos, &m) == 1);
	CHECK_STR(m.mountpoint, "/a b");
	CHECK_STR(m.fstype, "tmpfs");
	CHECK_STR(m.options, "");
	CHECK(procmounts_next(mounts, sizeof(mounts) - 1, &pos, &m) == 0);
	CHECK(pos == sizeof(mounts) - 1);
}

static void test_usage_format_size(void)
{
	static const struct {
		unsigned long long v;
		int human;
		const char *out;
	} cases[] = {
		{ 0, 0, "0" },          { 33554432, 0, "33554432" }, { 0, 1, "0" },
		{ 1023, 1, "1023" },    { 1024, 1, "1.0K" },         { 1536, 1, "1.5K" },
		{ 33554432, 1, "32.0M" }, { 1073741824, 1, "1.0G" }, { 18446744073709551615ull, 1, "16.0E" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[32];

		usage_format_size(cases[i].v, cases[i].human, out, sizeof(out));
		CHECK_STR(out, cases[i].out);
	}
}

int main(void)
{
	RUN(test_procmounts_find);
	RUN(test_procmounts_next);
	RUN(test_usage_format_size);
	UNIT_EXIT();
}
