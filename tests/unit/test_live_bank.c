/* test_live_bank.c: vib/live/live_bank.c's edit of a bank directory as a transaction: RAMHOST_FAIL_AT=
 * live-bank:STEP at every step, table-driven. Before "commit" a failure leaves the bank as it was (boot.cfg,
 * bootcfg.cpio and syslinux.cfg byte for byte, no new module file); after it the edit stays. (The edit itself
 * is tested in test_vib_live.c.) */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootloader/bank_dir.h"
#include "bootloader/syslinux_cfg.h"
#include "fileio.h"
#include "fs.h"
#include "unit.h"
#include "vib/live/live.h"

static const char cfg_text[] = "title=t\nkernel=vmlinuz\nkernelopt=console=ttyS0\nmodules=init.cpio --- base.tdk\n"
			       "build=demo-1.0\nupdated=1\nbootstate=0\n";

static void put(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[PATH_MAX + 64], *slash;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	slash = strrchr(path, '/');
	*slash = '\0';
	CHECK(rh_mkdir_p(path, 0755, NULL) == 0);
	*slash = '/';
	CHECK(fs_write_file(path, buf, len, 0644, NULL) == 0);
}

/* dir/name's bytes, NUL-terminated (NULL when missing), its length into *ret_len. */
static char *get(const char *dir, const char *name, size_t *ret_len)
{
	char path[PATH_MAX], *buf = NULL;

	if (fs_join(path, sizeof(path), dir, name, NULL) < 0 || rh_read_file(path, 1 << 20, &buf, ret_len, NULL) < 0)
		return NULL;
	return buf;
}

static int same(const char *dir, const char *name, const char *want, size_t want_len)
{
	size_t len = 0;
	char *got = get(dir, name, &len);
	int ok = got && len == want_len && !memcmp(got, want, len);

	free(got);
	return ok;
}

static void test_fault_injection(void)
{
	static const struct {
		const char *step;
		int committed;
	} t[] = {
		{ "read", 0 },   { "add", 0 },          { "vibs", 0 },   { "format", 0 }, { "bootcfg-module", 0 },
		{ "syslinux-cfg", 0 }, { "commit", 0 }, { "prune", 1 },
	};
	struct syslinux_cfg_opts so = { "", 1, BANK_DIR_BOOTCFG_MODULE, "0 115200", "0123", NULL, NULL };
	static struct bootcfg old;
	struct bootcfg_error berr = { 0, NULL };
	char sl[16384];
	long sllen;
	size_t i;

	CHECK(bootcfg_parse(cfg_text, sizeof(cfg_text) - 1, &old, &berr) == 0);
	sllen = syslinux_cfg_format(&old, &so, sl, sizeof(sl));
	CHECK(sllen > 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]) && sllen > 0; i++) {
		char dir[PATH_MAX], at[64], want[64], src[PATH_MAX + 32], *cpio, *s;
		struct rh_err err = { 0, "" };
		struct live_bank_edit e;
		size_t cpio_len = 0, cpio_len_unused;

		CHECK(fs_work_dir(NULL, "test-live-bank", dir, sizeof(dir), &err) == 0);
		put(dir, "boot.cfg", cfg_text, sizeof(cfg_text) - 1);
		put(dir, "syslinux/ldlinux.sys", "x", 1);
		put(dir, "syslinux/syslinux.cfg", sl, (size_t)sllen);
		put(dir, "base.tdk", "base", 4);
		put(dir, "src/hello.tdk", "hello tardisk bytes", 19);
		CHECK(bank_dir_write_bootcfg_module(dir, cfg_text, sizeof(cfg_text) - 1, &err) == 0);
		cpio = get(dir, BANK_DIR_BOOTCFG_MODULE, &cpio_len);
		memset(&e, 0, sizeof(e));
		snprintf(src, sizeof(src), "%s/src/hello.tdk", dir);
		e.add_tdk[0] = src;
		e.vibs_cpio = "VIBS1";
		e.vibs_len = 5;
		snprintf(at, sizeof(at), "live-bank:%s", t[i].step);
		setenv("RAMHOST_FAIL_AT", at, 1);
		CHECK(live_bank_apply_dir(dir, "test", 1, "0123", &e, &err) == -EIO);
		unsetenv("RAMHOST_FAIL_AT");
		snprintf(want, sizeof(want), "%s: failure injected", t[i].step);
		CHECK(strstr(err.msg, want) != NULL);
		s = get(dir, "boot.cfg", &cpio_len_unused);
		if (t[i].committed) {
			CHECK(s && strstr(s, "hello.tdk --- vibs.cpio"));
			CHECK(access(strcat(strcpy(src, dir), "/hello.tdk"), F_OK) == 0);
		} else {
			CHECK(same(dir, "boot.cfg", cfg_text, sizeof(cfg_text) - 1));
			CHECK(cpio && same(dir, BANK_DIR_BOOTCFG_MODULE, cpio, cpio_len));
			CHECK(same(dir, "syslinux/syslinux.cfg", sl, (size_t)sllen));
			CHECK(access(strcat(strcpy(src, dir), "/hello.tdk"), F_OK) < 0);
			CHECK(access(strcat(strcpy(src, dir), "/vibs.cpio"), F_OK) < 0);
		}
		if (unit_failed_now)
			fprintf(stderr, "  step %s: %s\n", t[i].step, err.msg);
		free(s);
		free(cpio);
		fs_rm_rf(dir, NULL);
	}
}

int main(void)
{
	RUN(test_fault_injection);
	UNIT_EXIT();
}
