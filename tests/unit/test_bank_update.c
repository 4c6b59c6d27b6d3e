/* test_bank_update.c: `bootbank update`'s pure parts and its bank writer on plain directories (no root, no
 * FAT): the new boot.cfg, the source check, and a bank rewritten
 * from a source bootbank with old files removed, hashes read back, bootcfg.cpio and syslinux.cfg derived. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootcfg.h"
#include "fileio.h"
#include "ramdisk/bank/bank_update.h"
#include "sha256.h"
#include "unit.h"

static void test_update_cfg(void)
{
	static const struct {
		uint64_t current;
		int rc;
		uint64_t updated;
	} t[] = { { 0, 0, 1 }, { 2, 0, 3 }, { UINT64_MAX - 1, 0, UINT64_MAX }, { UINT64_MAX, -EOVERFLOW, 0 } };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		static struct bootcfg src, out;

		bootcfg_init(&src);
		src.bootstate = BOOTSTATE_VALID;
		src.updated = 9;
		snprintf(src.build, sizeof(src.build), "b-1");
		memset(&out, 0, sizeof(out));
		CHECK(bank_update_cfg(&src, t[i].current, &out) == t[i].rc);
		if (!t[i].rc) {
			CHECK(out.updated == t[i].updated && out.bootstate == BOOTSTATE_UPGRADING);
			CHECK_STR(out.build, "b-1");
		}
	}
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *get(const char *dir, const char *name)
{
	char path[512], *buf = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (rh_read_file(path, 1 << 20, &buf, &len, NULL) < 0)
		return NULL;
	return buf;
}

/* A source bootbank: vmlinuz, init.cpio, base.tdk with their hashes (base.tdk's wrong when bad). */
static void make_source(const char *dir, int bad, const char *build)
{
	static const char *const names[3] = { "vmlinuz", "init.cpio", "base.tdk" };
	char text[2048], hex[SHA256_HEX_LEN + 1];
	uint8_t h[SHA256_DIGEST_LEN];
	size_t used;
	int i;

	used = (size_t)snprintf(text, sizeof(text), "bootstate=0\nupdated=1\nbuild=%s\nkernel=vmlinuz\n"
						    "kernelopt=console=ttyS0\nmodules=init.cpio --- base.tdk\n", build);
	for (i = 0; i < 3; i++) {
		char content[64];

		snprintf(content, sizeof(content), "new %s of %s\n", names[i], build);
		put(dir, names[i], content);
		if (bad && i == 2)
			content[0] = 'N';
		sha256_buf(content, strlen(content), h);
		sha256_to_hex(h, hex);
		used += (size_t)snprintf(text + used, sizeof(text) - used, "hash.%s=sha256:%s\n", names[i], hex);
	}
	put(dir, "boot.cfg", text);
}

static void rm_rf(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

static void test_check_source(void)
{
	static const struct {
		int bad;
		const char *cfg;     /* NULL: the generated boot.cfg; else this one */
		int rc;
		const char *msg;     /* part of the error */
	} t[] = {
		{ 0, NULL, 0, NULL },
		{ 1, NULL, -EBADMSG, "base.tdk: SHA-256 mismatch: boot.cfg says " },
		{ 0, "kernel=../vmlinuz\n", -EINVAL, "kernel '../vmlinuz' is not a plain file name" },
		{ 0, "kernel=vmlinuz\nmodules=init.cpio --- boot.cfg\n", -EINVAL, "module 'boot.cfg' is not a plain file" },
		{ 0, "kernel=vmlinuz\nmodules=init.cpio --- gone.tdk\n", -ENOENT, "gone.tdk: No such file" },
		{ 0, "kernel=vmlinuz\n", -EINVAL, "no hash.vmlinuz line" },
		{ 0, "modules=init.cpio\n", -EINVAL, "no kernel= line" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char dir[] = "/tmp/test_bbupd.XXXXXX";
		static struct bootcfg cfg;
		struct rh_err err = { 0, "" };
		uint64_t bytes = 0;
		int rc;

		CHECK(mkdtemp(dir) != NULL);
		make_source(dir, t[i].bad, "b-2");
		if (t[i].cfg)
			put(dir, "boot.cfg", t[i].cfg);
		rc = bank_update_source_check(dir, &cfg, &bytes, &err);
		CHECK(rc == t[i].rc);
		if (t[i].msg && !strstr(err.msg, t[i].msg)) {
			fprintf(stderr, "  case %zu: error '%s' lacks '%s'\n", i, err.msg, t[i].msg);
			CHECK(0);
		}
		if (!t[i].rc)
			CHECK(cfg.nmodules == 2 && bytes > 0);
		rm_rf(dir);
	}
}

static void test_write_bank(void)
{
	static const struct {
		int syslinux;   /* the bank has /syslinux/ldlinux.sys */
	} t[] = { { 1 }, { 0 } };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char src[] = "/tmp/test_bbsrc.XXXXXX", dst[] = "/tmp/test_bbdst.XXXXXX", path[300];
		static struct bootcfg cfg, newcfg, back;
		struct bootcfg_error perr = { 0, NULL };
		struct rh_err err = { 0, "" };
		char *text, *sl;
		uint64_t bytes;
		size_t len = 0;
		int has = -1;

		CHECK(mkdtemp(src) && mkdtemp(dst));
		make_source(src, 0, "b-2");
		put(dst, "boot.cfg", "bootstate=0\nupdated=1\nkernel=vmlinuz\n");
		put(dst, "vmlinuz", "old kernel\n");
		put(dst, "old.tdk", "old tardisk\n");
		put(dst, "bootcfg.cpio", "old\n");
		if (t[i].syslinux) {
			snprintf(path, sizeof(path), "%s/syslinux", dst);
			CHECK(mkdir(path, 0755) == 0);
			put(dst, "syslinux/ldlinux.sys", "boot code\n");
			put(dst, "syslinux/syslinux.cfg", "old\n");
		}
		CHECK(bank_update_source_check(src, &cfg, &bytes, &err) == 0);
		CHECK(bank_update_cfg(&cfg, 4, &newcfg) == 0);
		CHECK(bank_update_write_bank(src, &newcfg, dst, "TESTBANK", 2, "0fc63daf-8483-4772-8e79-3d69d8477de4",
						 NULL, NULL, &has, &err) == 0);
		if (err.rc)
			fprintf(stderr, "  %s\n", err.msg);
		CHECK(has == t[i].syslinux);
		text = get(dst, "boot.cfg");
		CHECK(text && bootcfg_parse(text, strlen(text), &back, &perr) == 0);
		CHECK(back.updated == 5 && back.bootstate == BOOTSTATE_UPGRADING);
		CHECK_STR(back.build, "b-2");
		free(text);
		snprintf(path, sizeof(path), "%s/old.tdk", dst);
		CHECK(access(path, F_OK) < 0);
		snprintf(path, sizeof(path), "%s/boot.cfg.tmp", dst);
		CHECK(access(path, F_OK) < 0);
		text = get(dst, "base.tdk");
		CHECK_STR(text, "new base.tdk of b-2\n");
		free(text);
		snprintf(path, sizeof(path), "%s/bootcfg.cpio", dst);
		text = NULL;
		CHECK(rh_read_file(path, 1 << 20, &text, &len, NULL) == 0);
		CHECK(text && !strncmp(text, "070701", 6) && memmem(text, len, "bootstate=1\n", 12) &&
		      memmem(text, len, "updated=5\n", 10));
		free(text);
		sl = get(dst, "syslinux/syslinux.cfg");
		if (t[i].syslinux)
			CHECK(sl && strstr(sl, "KERNEL /vmlinuz\n") && strstr(sl, "INITRD /init.cpio,/base.tdk,/bootcfg.cpio") &&
			      strstr(sl, "ramhost.bank=2 ramhost.bankuuid=0fc63daf-8483-4772-8e79-3d69d8477de4"));
		else
			CHECK(sl == NULL);
		free(sl);
		rm_rf(src);
		rm_rf(dst);
	}
}

static void test_write_bank_no_space_writes_nothing(void)
{
	/* a bank in a tiny tmpfs is Linux-only and needs root; here: a source too big for a statvfs is not
	 * reachable without mounts, so only the commit order is checked: a missing source file fails before the
	 * old boot.cfg goes */
	char src[] = "/tmp/test_bbsrc.XXXXXX", dst[] = "/tmp/test_bbdst.XXXXXX", *text;
	static struct bootcfg cfg, newcfg;
	struct rh_err err = { 0, "" };
	uint64_t bytes;
	int has;

	CHECK(mkdtemp(src) && mkdtemp(dst));
	make_source(src, 0, "b-3");
	put(dst, "boot.cfg", "bootstate=0\nupdated=1\nkernel=vmlinuz\n");
	CHECK(bank_update_source_check(src, &cfg, &bytes, &err) == 0);
	CHECK(bank_update_cfg(&cfg, 1, &newcfg) == 0);
	snprintf(newcfg.modules[1].name, sizeof(newcfg.modules[1].name), "gone.tdk");
	CHECK(bank_update_write_bank(src, &newcfg, dst, "TESTBANK", 1, "0fc63daf-8483-4772-8e79-3d69d8477de4", NULL,
					 NULL, &has, &err) == -ENOENT);
	text = get(dst, "boot.cfg");
	CHECK_STR(text, "bootstate=0\nupdated=1\nkernel=vmlinuz\n");
	free(text);
	rm_rf(src);
	rm_rf(dst);
}

/* RAMHOST_FAIL_AT=bank-update:STEP at every step of the write: before "clear" the old boot.cfg is intact, from
 * "clear" on the bank has none (missing for every loader) and never a new one before "commit". */
static void test_write_bank_fault_injection(void)
{
	static const struct {
		const char *step;
		int old_cfg_kept;
	} t[] = {
		{ "format", 1 }, { "check-space", 1 }, { "clear", 1 }, { "copy", 0 }, { "derive", 0 }, { "commit", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char src[] = "/tmp/test_bbsrc.XXXXXX", dst[] = "/tmp/test_bbdst.XXXXXX", at[64], want[64], *text;
		static struct bootcfg cfg, newcfg;
		struct rh_err err = { 0, "" };
		uint64_t bytes;
		int has = 7;

		CHECK(mkdtemp(src) && mkdtemp(dst));
		make_source(src, 0, "b-4");
		put(dst, "boot.cfg", "bootstate=0\nupdated=1\nkernel=vmlinuz\n");
		CHECK(bank_update_source_check(src, &cfg, &bytes, &err) == 0);
		CHECK(bank_update_cfg(&cfg, 1, &newcfg) == 0);
		snprintf(at, sizeof(at), "bank-update:%s", t[i].step);
		setenv("RAMHOST_FAIL_AT", at, 1);
		CHECK(bank_update_write_bank(src, &newcfg, dst, "TESTBANK", 1, "0fc63daf-8483-4772-8e79-3d69d8477de4",
					     NULL, NULL, &has, &err) == -EIO);
		unsetenv("RAMHOST_FAIL_AT");
		snprintf(want, sizeof(want), "%s: failure injected", t[i].step);
		CHECK(strstr(err.msg, want) != NULL);
		CHECK(has == 7);
		text = get(dst, "boot.cfg");
		if (t[i].old_cfg_kept)
			CHECK(text && !strcmp(text, "bootstate=0\nupdated=1\nkernel=vmlinuz\n"));
		else
			CHECK(text == NULL);
		if ((text != NULL) != t[i].old_cfg_kept)
			fprintf(stderr, "  step %s: boot.cfg %s\n", t[i].step, text ? "present" : "absent");
		free(text);
		rm_rf(src);
		rm_rf(dst);
	}
}

int main(void)
{
	RUN(test_update_cfg);
	RUN(test_check_source);
	RUN(test_write_bank);
	RUN(test_write_bank_no_space_writes_nothing);
	RUN(test_write_bank_fault_injection);
	UNIT_EXIT();
}
