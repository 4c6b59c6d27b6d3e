/* test_prehash.c: ramdisk/init/prehash.c. Every *.tdk module of boot.cfg gets the digest cpio_wrap_sha256 gives
 * it (what verify_tardisks compares with boot.cfg); a missing file, a directory and a module that is not a
 * tardisk get none, so verify_tardisks hashes (and reports) them itself. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "fs.h"
#include "ramdisk/init/prehash.h"
#include "unit.h"

static void test_digests(void)
{
	char dir[] = "/tmp/test_prehash.XXXXXX", path[128], cmd[160];
	static struct bootcfg cfg;
	static struct prehash ph;
	static const char *const names[] = { "base.tdk", "missing.tdk", "init.cpio", "sub/extras.tdk", "adir.tdk" };
	uint8_t got[SHA256_DIGEST_LEN], want[SHA256_DIGEST_LEN];
	struct rh_err err = { 0 };
	unsigned i;
	int fd;

	if (!mkdtemp(dir))
		return;
	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < 5; i++)
		snprintf(cfg.modules[i].name, sizeof(cfg.modules[i].name), "%s", names[i]);
	cfg.nmodules = 5;
	snprintf(path, sizeof(path), "%s/base.tdk", dir);
	CHECK(fs_write_file(path, "squashfs image bytes\n", 21, 0644, &err) == 0);
	snprintf(path, sizeof(path), "%s/init.cpio", dir);
	CHECK(fs_write_file(path, "cpio\n", 5, 0644, &err) == 0);
	snprintf(path, sizeof(path), "%s/extras.tdk", dir);
	CHECK(fs_write_file(path, "another image\n", 14, 0644, &err) == 0);
	snprintf(path, sizeof(path), "%s/adir.tdk", dir);
	CHECK(mkdir(path, 0755) == 0);
	prehash_start(&ph, &cfg, dir + 1);   /* the folder below / */
	CHECK(ph.started);
	for (i = 0; i < 5; i++) {
		int have = prehash_get(&ph, i, got) == 0;

		CHECK(have == (i == 0 || i == 3));
		if (!have)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, i == 0 ? "base.tdk" : "extras.tdk");
		fd = open(path, O_RDONLY);
		CHECK(cpio_wrap_sha256(dir + 1, i == 0 ? "base.tdk" : "extras.tdk", fd,
				       i == 0 ? 21 : 14, want, &err) == 0);
		close(fd);
		CHECK(memcmp(got, want, sizeof(got)) == 0);
	}
	CHECK(prehash_get(&ph, BOOTCFG_MAX_MODULES, got) < 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	RUN(test_digests);
	UNIT_EXIT();
}
