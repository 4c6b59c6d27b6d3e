/* test_vib_live.c: the parts of a live VIB install that run without root: the overlay layer list edits, the
 * /etc defaults merge (new, unchanged default replaced, user change kept with .vib-new, undo, unmerge) on plain
 * directories, and the booted bank's module add/remove on a plain directory (boot.cfg, bootcfg.cpio, syslinux.cfg,
 * the wrapped module's hash, a failure before the commit leaves the bank as it was). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootcfg.h"
#include "cpio.h"
#include "fileio.h"
#include "ramdisk/state/state_sticky.h"
#include "unit.h"
#include "vib/live/live.h"

static void test_lowers_edit(void)
{
	static const struct {
		const char *cur, *layer;
		int add, rc;
		const char *want;
	} t[] = {
		{ "/run/ramhost/tardisks/extras/usr:/run/ramhost/tardisks/base/usr", "/run/ramhost/tardisks/hello/usr", 1,
		  3, "/run/ramhost/tardisks/hello/usr:/run/ramhost/tardisks/extras/usr:/run/ramhost/tardisks/base/usr" },
		{ "/run/ramhost/tardisks/base/usr:/run/ramhost/empty", "/run/ramhost/tardisks/hello/usr", 1, 2,
		  "/run/ramhost/tardisks/hello/usr:/run/ramhost/tardisks/base/usr" },
		{ "", "/run/ramhost/tardisks/hello/opt", 1, 1, "/run/ramhost/tardisks/hello/opt" },
		{ "/a/usr:/b/usr", "/a/usr", 1, -EEXIST, NULL },
		{ "/run/ramhost/tardisks/hello/usr:/run/ramhost/tardisks/base/usr", "/run/ramhost/tardisks/hello", 0, 1,
		  "/run/ramhost/tardisks/base/usr" },
		{ "/run/ramhost/tardisks/hello2/usr:/run/ramhost/tardisks/base/usr", "/run/ramhost/tardisks/hello", 0,
		  -ENOENT, NULL },
		{ "/run/ramhost/tardisks/hello/opt", "/run/ramhost/tardisks/hello", 0, 0, "" },
	};
	char out[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = live_lowers_edit(t[i].cur, t[i].layer, t[i].add, out, sizeof(out));
		CHECK(rc == t[i].rc);
		if (t[i].want && rc >= 0)
			CHECK_STR(out, t[i].want);
	}
	CHECK(live_lowers_edit("/a/usr", "/b/usr", 1, out, 8) == -E2BIG);
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	*strrchr(p, '/') = '\0';
	rh_mkdir_p(p, 0755, NULL);
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *get(const char *dir, const char *name)
{
	static char buf[65536];
	char p[4096], *b = NULL;
	size_t len = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (rh_read_file(p, sizeof(buf) - 1, &b, &len, NULL) < 0)
		return NULL;
	memcpy(buf, b, len);
	buf[len] = '\0';
	free(b);
	return buf;
}

static void test_etc_merge(void)
{
	char tmpl[] = "/tmp/test_vib_live.XXXXXX", root[256], base[256], pay[256], cmd[300];
	const char *lowers[] = { base, NULL };
	struct live_etc_log log = { NULL, 0, 0 };
	struct rh_err err = { 0 };
	unsigned kept = 0;
	char *s;

	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(root, sizeof(root), "%s/root", tmpl);
	snprintf(base, sizeof(base), "%s/base", tmpl);
	snprintf(pay, sizeof(pay), "%s/pay", tmpl);
	put(base, "etc/a.conf", "base a\n");       /* default, unchanged on the host */
	put(base, "etc/b.conf", "base b\n");       /* default the user changed */
	put(root, "etc/a.conf", "base a\n");
	put(root, "etc/b.conf", "user b\n");
	put(root, "etc/other", "x\n");
	put(pay, "etc/a.conf", "vib a\n");
	put(pay, "etc/b.conf", "vib b\n");
	put(pay, "etc/new.d/c.conf", "vib c\n");
	put(pay, "etc/n.conf", "vib n\n");
	CHECK(live_etc_merge(root, pay, lowers, &log, &err) == 0);
	CHECK(log.n == 4);
	CHECK((s = get(root, "etc/a.conf")) && !strcmp(s, "vib a\n"));
	CHECK((s = get(root, "etc/b.conf")) && !strcmp(s, "user b\n"));
	CHECK((s = get(root, "etc/b.conf.vib-new")) && !strcmp(s, "vib b\n"));
	CHECK((s = get(root, "etc/new.d/c.conf")) && !strcmp(s, "vib c\n"));
	CHECK((s = get(root, "etc/n.conf")) && !strcmp(s, "vib n\n"));
	/* undo: exactly as before */
	CHECK(live_etc_undo(root, &log, &err) == 0);
	CHECK((s = get(root, "etc/a.conf")) && !strcmp(s, "base a\n"));
	CHECK((s = get(root, "etc/b.conf")) && !strcmp(s, "user b\n"));
	CHECK(get(root, "etc/b.conf.vib-new") == NULL);
	CHECK(get(root, "etc/new.d/c.conf") == NULL);
	CHECK(get(root, "etc/n.conf") == NULL);
	CHECK((s = get(root, "etc/other")) && !strcmp(s, "x\n"));
	/* merge again, change n.conf, unmerge: defaults back, the changed file kept */
	CHECK(live_etc_merge(root, pay, lowers, &log, &err) == 0);
	put(root, "etc/n.conf", "user n\n");
	CHECK(live_etc_unmerge(root, pay, lowers, &kept, &err) == 0);
	CHECK(kept == 2);   /* b.conf (the user's all along) and n.conf */
	CHECK((s = get(root, "etc/a.conf")) && !strcmp(s, "base a\n"));
	CHECK((s = get(root, "etc/n.conf")) && !strcmp(s, "user n\n"));
	CHECK(get(root, "etc/new.d/c.conf") == NULL);
	CHECK(get(root, "etc/b.conf.vib-new") == NULL);
	live_etc_log_free(&log);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	CHECK(system(cmd) == 0);
}

static void test_bank(void)
{
	char tmpl[] = "/tmp/test_vib_live_bank.XXXXXX", tdk[300], cmd[400], *s;
	const char cfg[] = "title=t\nkernel=vmlinuz\nkernelopt=console=ttyS0\nmodules=init.cpio --- base.tdk\n"
			   "build=demo-1.0\nupdated=1\nbootstate=0\n";
	struct live_bank_edit e;
	struct bootcfg parsed;
	struct bootcfg_error berr;
	struct rh_err err = { 0 };
	const struct bootcfg_file *f;
	uint8_t want[32];
	FILE *fp;
	int fd;

	CHECK(mkdtemp(tmpl) != NULL);
	put(tmpl, "boot.cfg", cfg);
	put(tmpl, "syslinux/ldlinux.sys", "x");
	put(tmpl, "syslinux/syslinux.cfg", "old\n");
	put(tmpl, "base.tdk", "base");
	snprintf(tdk, sizeof(tdk), "%s/hello.tdk.src", tmpl);
	fp = fopen(tdk, "w");
	CHECK(fp != NULL);
	if (fp) {
		fputs("hello tardisk bytes", fp);
		fclose(fp);
	}
	memset(&e, 0, sizeof(e));
	snprintf(tdk, sizeof(tdk), "%s/src/hello.tdk", tmpl);
	put(tmpl, "src/hello.tdk", "hello tardisk bytes");
	e.add_tdk[0] = tdk;
	e.vibs_cpio = "VIBS1";
	e.vibs_len = 5;
	CHECK(live_bank_apply_dir(tmpl, "test", 1, "0123", &e, &err) == 0);
	s = get(tmpl, "boot.cfg");
	CHECK(s && strstr(s, "modules=init.cpio --- base.tdk --- hello.tdk --- vibs.cpio"));
	CHECK(s && bootcfg_parse(s, strlen(s), &parsed, &berr) == 0);
	f = bootcfg_find_module(&parsed, "hello.tdk");
	fd = open(tdk, O_RDONLY);
	CHECK(f && fd >= 0 && cpio_wrap_sha256("tardisks", "hello.tdk", fd, 19, want, &err) == 0 &&
	      !memcmp(want, f->sha256, 32));
	if (fd >= 0)
		close(fd);
	CHECK((s = get(tmpl, "syslinux/syslinux.cfg")) && strstr(s, "hello.tdk") && strstr(s, "vibs.cpio"));
	CHECK(get(tmpl, "bootcfg.cpio") != NULL);
	CHECK((s = get(tmpl, "vibs.cpio")) && !strcmp(s, "VIBS1"));
	/* the same payload again: refused before anything is written, the bank unchanged */
	e.vibs_cpio = "VIBS2";
	CHECK(live_bank_apply_dir(tmpl, "test", 1, "0123", &e, &err) == -EEXIST);
	CHECK((s = get(tmpl, "boot.cfg")) && strstr(s, "hello.tdk --- vibs.cpio"));
	CHECK(get(tmpl, "vibs-1.cpio") == NULL);
	/* remove: the module and the old vibs.cpio go, a fresh vibs name comes */
	memset(&e, 0, sizeof(e));
	e.remove[0] = "hello.tdk";
	e.vibs_cpio = "VIBS3";
	e.vibs_len = 5;
	CHECK(live_bank_apply_dir(tmpl, "test", 1, "0123", &e, &err) == 0);
	s = get(tmpl, "boot.cfg");
	CHECK(s && strstr(s, "modules=init.cpio --- base.tdk --- vibs-1.cpio") && !strstr(s, "hello"));
	CHECK(get(tmpl, "hello.tdk") == NULL && get(tmpl, "vibs.cpio") == NULL);
	CHECK((s = get(tmpl, "vibs-1.cpio")) && !strcmp(s, "VIBS3"));
	CHECK((s = get(tmpl, "syslinux/syslinux.cfg")) && !strstr(s, "hello.tdk") && strstr(s, "vibs-1.cpio"));
	/* added again with the module hash its verified descriptor gives: boot.cfg records that hash, the module
	 * is not hashed a second time (a made-up digest shows which one was used) */
	memset(&e, 0, sizeof(e));
	memset(want, 0x5a, sizeof(want));
	e.add_tdk[0] = tdk;
	e.add_sha256[0] = want;
	e.vibs_cpio = "VIBS4";
	e.vibs_len = 5;
	CHECK(live_bank_apply_dir(tmpl, "test", 1, "0123", &e, &err) == 0);
	s = get(tmpl, "boot.cfg");
	CHECK(s && bootcfg_parse(s, strlen(s), &parsed, &berr) == 0);
	f = bootcfg_find_module(&parsed, "hello.tdk");
	CHECK(f && f->has_sha256 && !memcmp(f->sha256, want, 32));
	CHECK((s = get(tmpl, "hello.tdk")) != NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	CHECK(system(cmd) == 0);
}

/* `ramhost state` takes the installed VIBs' sticky files (run/ramhost/vibs/sticky.list) as patterns too. */
static void test_vib_sticky_list(void)
{
	char tmpl[] = "/tmp/test_vib_live_sticky.XXXXXX", cmd[300];
	struct state_patterns pats = { 0, 0, NULL };
	struct rh_err err = { 0 };

	CHECK(mkdtemp(tmpl) != NULL);
	put(tmpl, "run/ramhost/sticky.list", "/etc/hostname\n");
	put(tmpl, "run/ramhost/vibs/sticky.list", "# sticky files of the installed VIBs\n/etc/hello.conf\n");
	CHECK(state_patterns_load(tmpl, &pats, &err) == 0);
	CHECK(state_patterns_match(&pats, "/etc/hostname"));
	CHECK(state_patterns_match(&pats, "/etc/hello.conf"));
	CHECK(!state_patterns_match(&pats, "/etc/other.conf"));
	state_patterns_free(&pats);
	put(tmpl, "run/ramhost/vibs/sticky.list", "relative/path\n");
	CHECK(state_patterns_load(tmpl, &pats, &err) < 0);
	CHECK(strstr(err.msg, "vibs/sticky.list") != NULL);
	state_patterns_free(&pats);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	RUN(test_lowers_edit);
	RUN(test_etc_merge);
	RUN(test_bank);
	RUN(test_vib_sticky_list);
	UNIT_EXIT();
}
