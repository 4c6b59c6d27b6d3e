/* test_usage.c: what ramhost df reads and prints (ramdisk/usage.c): /proc/mounts lookup and size formatting. */
#include <string.h>

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
	RUN(test_usage_format_size);
	UNIT_EXIT();
}
