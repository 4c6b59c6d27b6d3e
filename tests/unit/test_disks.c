/* test_disks.c: lib/host/disks.c, table-driven: which /sys/block names are candidates, the scan of a fake
 * /sys/block (RAMHOST_SYS_BLOCK) and its RAMHOST_DISKS override, partition device names, and the GPT reader's
 * reasons on what is not a disk. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disks.h"
#include "fs.h"
#include "unit.h"

static void test_skipped(void)
{
	static const struct {
		const char *name;
		unsigned flags;
		int skipped;
	} t[] = {
		{ "vda", 0, 0 },       { "sda", 0, 0 },        { "nvme0n1", 0, 0 },  { "mmcblk0", 0, 0 },
		{ "xvda", 0, 0 },      { "loop0", 0, 1 },      { "ram0", 0, 1 },     { "zram0", 0, 1 },
		{ "fd0", 0, 1 },       { "sr0", 0, 1 },        { "md127", 0, 1 },    { "dm-0", 0, 1 },
		{ "nbd3", 0, 1 },      { ".", 0, 1 },          { "..", 0, 1 },       { "sr0", DISKS_CDS, 0 },
		{ "loop0", DISKS_CDS, 1 }, { "dm-1", DISKS_CDS, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK(disks_skipped(t[i].name, t[i].flags) == t[i].skipped);
		if (disks_skipped(t[i].name, t[i].flags) != t[i].skipped)
			fprintf(stderr, "  row %zu: %s\n", i, t[i].name);
	}
}

static void test_list(void)
{
	static const char *const entries[] = { "vdb", "loop0", "sr0", "vda", "dm-0", "md0", "nbd0", "nvme0n1" };
	static const struct {
		const char *env;     /* RAMHOST_DISKS, NULL: unset */
		unsigned flags;
		const char *want;    /* the list joined by blanks */
	} t[] = {
		{ NULL, 0, "/dev/nvme0n1 /dev/vda /dev/vdb" },
		{ NULL, DISKS_CDS, "/dev/nvme0n1 /dev/sr0 /dev/vda /dev/vdb" },
		{ "", 0, "/dev/nvme0n1 /dev/vda /dev/vdb" },
		{ "/dev/loop3", 0, "/dev/loop3" },
		{ "/tmp/b.img, /dev/loop1\t/dev/vda", 0, "/tmp/b.img /dev/loop1 /dev/vda" },
	};
	char dir[PATH_MAX], path[PATH_MAX + 32], joined[256];
	struct rh_err err = { 0, "" };
	size_t i, k;

	CHECK(fs_work_dir(NULL, "test-disks", dir, sizeof(dir), &err) == 0);
	for (k = 0; k < sizeof(entries) / sizeof(entries[0]); k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, entries[k]);
		CHECK(mkdir(path, 0755) == 0);
	}
	setenv("RAMHOST_SYS_BLOCK", dir, 1);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char **v = NULL;
		unsigned n = 0, j;

		if (t[i].env)
			setenv("RAMHOST_DISKS", t[i].env, 1);
		else
			unsetenv("RAMHOST_DISKS");
		CHECK(disks_list(t[i].flags, &v, &n, &err) == 0);
		joined[0] = '\0';
		for (j = 0; j < n; j++)
			snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s", j ? " " : "", v[j]);
		CHECK_STR(joined, t[i].want);
		disks_free(v, n);
	}
	unsetenv("RAMHOST_DISKS");
	snprintf(path, sizeof(path), "%s/nonexistent", dir);
	setenv("RAMHOST_SYS_BLOCK", path, 1);
	{
		char **v = NULL;
		unsigned n = 0;

		CHECK(disks_list(0, &v, &n, &err) == -ENOENT);
		CHECK(strstr(err.msg, "cannot list block devices") != NULL);
	}
	unsetenv("RAMHOST_SYS_BLOCK");
	fs_rm_rf(dir, NULL);
}

static void test_part_dev(void)
{
	static const struct {
		const char *disk;
		uint32_t n;
		const char *out;
	} t[] = {
		{ "/dev/vda", 2, "/dev/vda2" },
		{ "/dev/sdb", 12, "/dev/sdb12" },
		{ "/dev/loop3", 2, "/dev/loop3p2" },
		{ "/dev/nvme0n1", 1, "/dev/nvme0n1p1" },
		{ "/dev/mmcblk0", 3, "/dev/mmcblk0p3" },
	};
	char out[64], tiny[8];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK(disks_part_dev(t[i].disk, t[i].n, out, sizeof(out)) == 0);
		CHECK_STR(out, t[i].out);
	}
	CHECK(disks_part_dev("/dev/vda", 2, tiny, sizeof(tiny)) == -ENAMETOOLONG);
}

static void test_read_gpt(void)
{
	static struct gpt_disk d;
	char dir[PATH_MAX], path[PATH_MAX + 32], why[128];
	struct rh_err err = { 0, "" };
	FILE *f;

	CHECK(fs_work_dir(NULL, "test-disks", dir, sizeof(dir), &err) == 0);
	snprintf(path, sizeof(path), "%s/missing.img", dir);
	CHECK(disks_read_gpt(path, &d, why, sizeof(why)) == -ENOENT);
	CHECK(strstr(why, "No such file") != NULL);
	snprintf(path, sizeof(path), "%s/zero.img", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		CHECK(ftruncate(fileno(f), 1 << 20) == 0);
		fclose(f);
	}
	CHECK(disks_read_gpt(path, &d, why, sizeof(why)) < 0);
	CHECK_STR(why, "no GPT");
	fs_rm_rf(dir, NULL);
}

int main(void)
{
	RUN(test_skipped);
	RUN(test_list);
	RUN(test_part_dev);
	RUN(test_read_gpt);
	UNIT_EXIT();
}
