/* test_bank_dir.c: bootloader/bank_dir.c on plain directories standing in for a bank: mark good (including
 * failed writes), read a bank's state, the state names, and which directories are banks ramhost wrote. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootloader/bank_dir.h"
#include "fileio.h"
#include "unit.h"

static const char cfg_text[] = "bootstate=%d\ntitle=ramhost test\ntimeout=5\nkernel=vmlinuz\n"
			       "kernelopt=console=ttyS0\nmodules=init.cpio --- base.tdk\nbuild=test-1\nupdated=2\n";

static void write_cfg(const char *dir, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/boot.cfg", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int touch_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	return close(fd);
}

static char *slurp(const char *dir, const char *name, size_t *ret_len)
{
	char path[600], *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (rh_read_file(path, 1 << 20, &buf, &len, NULL) < 0)
		return NULL;
	if (ret_len)
		*ret_len = len;
	return buf;
}

/* The boot.cfg inside dir/bootcfg.cpio (newc: header, "boot.cfg\0" padded, data). */
static char *cpio_bootcfg(const char *dir)
{
	size_t len, namesize, filesize, off;
	char *buf = slurp(dir, "bootcfg.cpio", &len), *out = NULL, hex[9] = { 0 };

	if (!buf || len < 110 || memcmp(buf, "070701", 6))
		goto out;
	memcpy(hex, buf + 54, 8);
	filesize = strtoul(hex, NULL, 16);
	memcpy(hex, buf + 94, 8);
	namesize = strtoul(hex, NULL, 16);
	off = (110 + namesize + 3) & ~(size_t)3;
	if (namesize != 9 || memcmp(buf + 110, "boot.cfg", 9) || off + filesize > len)
		goto out;
	out = strndup(buf + off, filesize);
out:
	free(buf);
	return out;
}

static void test_mark_good(void)
{
	static const struct {
		int state;        /* bootstate written; -1: no bootstate line; -2: garbage file; -3: no file */
		int rc;
		int old, changed;
		const char *msg;
	} t[] = {
		{ 1, 0, 1, 1, NULL },
		{ 2, 0, 2, 1, NULL },
		{ 3, 0, 3, 1, NULL },
		{ 0, 0, 0, 0, NULL },
		{ -1, 0, -1, 0, NULL },
		{ -2, -EINVAL, 0, 0, "BANK: boot.cfg: line 2: " },
		{ -3, -ENOENT, 0, 0, "BANK: boot.cfg: not found in the bank" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char dir[] = "/tmp/test_bank_dir.XXXXXX", text[1024], *before, *after, *cp;
		struct rh_err err = { 0, "" };
		int old = 42, changed = 42, rc;
		struct bootcfg *cfg = malloc(sizeof(*cfg));
		struct bootcfg_error perr;

		CHECK(mkdtemp(dir) != NULL);
		if (t[i].state >= 0)
			snprintf(text, sizeof(text), cfg_text, t[i].state);
		else if (t[i].state == -1)
			snprintf(text, sizeof(text), "%s", strchr(cfg_text, '\n') + 1);
		else
			snprintf(text, sizeof(text), "kernel=vmlinuz\nbootstate=7\n");
		if (t[i].state != -3)
			write_cfg(dir, text);
		before = slurp(dir, "boot.cfg", NULL);
		rc = bank_dir_mark_good(dir, "BANK", &old, &changed, &err);
		after = slurp(dir, "boot.cfg", NULL);
		CHECK(rc == t[i].rc);
		if (rc != t[i].rc)
			fprintf(stderr, "  row %zu: rc %d (%s)\n", i, rc, err.msg);
		if (t[i].rc == 0) {
			CHECK(old == t[i].old && changed == t[i].changed);
		} else {
			CHECK(old == 42 && changed == 42);
			CHECK(strstr(err.msg, t[i].msg) != NULL);
		}
		cp = cpio_bootcfg(dir);
		if (t[i].rc == 0 && t[i].changed) {
			CHECK(after && bootcfg_parse(after, strlen(after), cfg, &perr) == 0);
			CHECK(cfg->bootstate == 0 && cfg->updated == 2 && cfg->nmodules == 2);
			CHECK_STR(cfg->build, "test-1");
			CHECK(cp && after && !strcmp(cp, after));   /* bootcfg.cpio holds the new boot.cfg */
		} else {
			/* nothing written: the file is as it was and no bootcfg.cpio appeared */
			CHECK((!before && !after) || (before && after && !strcmp(before, after)));
			CHECK(cp == NULL);
		}
		free(cp);
		free(before);
		free(after);
		free(cfg);
		snprintf(text, sizeof(text), "rm -rf %s", dir);
		CHECK(system(text) == 0);
	}
}

/* Writes that fail: boot.cfg.tmp cannot be created (a directory is in the way; root or not), so the old boot.cfg
 * stays and no bootcfg.cpio appears; or bootcfg.cpio cannot be replaced after the commit, which is reported. */
static void test_mark_good_write_fails(void)
{
	static const struct {
		const char *blocker;
		int rc;
		const char *msg;
		int committed;
	} t[] = {
		{ "boot.cfg.tmp", -EISDIR, "/dev/ro1: cannot create /boot.cfg.tmp: Is a directory", 0 },
		{ "bootcfg.cpio.tmp", -EISDIR, "bootcfg.cpio.tmp: cannot create", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char dir[] = "/tmp/test_bank_dir.XXXXXX", text[1024], path[600], *after, *cp;
		struct rh_err err = { 0, "" };
		int old = 42, changed = 42, rc;

		CHECK(mkdtemp(dir) != NULL);
		snprintf(text, sizeof(text), cfg_text, 1);
		write_cfg(dir, text);
		snprintf(path, sizeof(path), "%s/%s", dir, t[i].blocker);
		CHECK(mkdir(path, 0755) == 0);
		rc = bank_dir_mark_good(dir, "/dev/ro1", &old, &changed, &err);
		CHECK(rc == t[i].rc);
		if (!strstr(err.msg, t[i].msg)) {
			fprintf(stderr, "  row %zu: '%s'\n", i, err.msg);
			CHECK(0);
		}
		CHECK(old == 42 && changed == 42);
		after = slurp(dir, "boot.cfg", NULL);
		cp = cpio_bootcfg(dir);
		CHECK(cp == NULL);
		if (t[i].committed)
			CHECK(after && strstr(after, "bootstate=0\n") && !strstr(after, "bootstate=1"));
		else
			CHECK(after && !strcmp(after, text));
		snprintf(path, sizeof(path), "%s/boot.cfg.tmp", dir);
		CHECK(t[i].committed ? access(path, F_OK) < 0 : 1);   /* no temporary left behind */
		free(after);
		free(cp);
		snprintf(text, sizeof(text), "rm -rf %s", dir);
		CHECK(system(text) == 0);
	}
}

static void test_read_dir(void)
{
	static const struct {
		const char *text;   /* NULL: no boot.cfg */
		int present, bootstate;
		uint64_t updated;
		const char *problem;
	} t[] = {
		{ "bootstate=1\nupdated=7\nbuild=b-7\nkernel=vmlinuz\n", 1, 1, 7, "" },
		{ "kernel=vmlinuz\n", 1, -1, 0, "" },
		{ NULL, 0, 0, 0, "no boot.cfg" },
		{ "kernel=vmlinuz\nupdated=x\n", 0, 0, 0, "L: boot.cfg: line 2: " },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char dir[] = "/tmp/test_bank_dir.XXXXXX", cmd[100];
		struct bank_dir_state s;
		struct rh_err err = { 0, "" };

		memset(&s, 0, sizeof(s));
		CHECK(mkdtemp(dir) != NULL);
		if (t[i].text)
			write_cfg(dir, t[i].text);
		CHECK(bank_dir_read(dir, "L", &s, &err) == 0);
		CHECK(s.readable == 1 && s.present == t[i].present);
		if (t[i].present) {
			CHECK(s.bootstate == t[i].bootstate && s.updated == t[i].updated);
			CHECK_STR(s.problem, "");
		} else {
			CHECK(!strncmp(s.problem, t[i].problem, strlen(t[i].problem)));
		}
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK(system(cmd) == 0);
	}
}

/* bank_dir_is_ramhost: what `image build --force` may replace — a boot.cfg that parses and only the files it names
 * (plus bootcfg.cpio), as regular files; anything else is refused with the reason. */
static void test_is_ramhost(void)
{
	static const struct {
		const char *files;   /* space-separated names to create as regular files, besides boot.cfg */
		const char *cfg;     /* NULL: no boot.cfg */
		int dir_named;       /* also create a directory named base.tdk */
		const char *why;     /* NULL: accepted */
	} t[] = {
		{ "vmlinuz init.cpio base.tdk bootcfg.cpio", "kernel=vmlinuz\nmodules=init.cpio --- base.tdk\n", 0, NULL },
		{ "vmlinuz", "kernel=vmlinuz\nmodules=init.cpio --- base.tdk\n", 0, NULL },     /* files may be missing */
		{ "vmlinuz notes.txt", "kernel=vmlinuz\n", 0, "'notes.txt' is not named in its boot.cfg" },
		{ "vmlinuz", "kernel=vmlinuz\nmodules=base.tdk\n", 1, "'base.tdk' is not a regular file" },
		{ "vmlinuz .bashrc", NULL, 0, "boot.cfg" },
		{ "vmlinuz", "kernel=vmlinuz\ntimeout=soon\n", 0, "boot.cfg:2: timeout=" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char dir[] = "/tmp/test_bank_dir.XXXXXX", path[600], cmd[100], names[200], *n, *save = NULL;
		struct rh_err err = { 0, "" };
		int rc;

		CHECK(mkdtemp(dir) != NULL);
		snprintf(names, sizeof(names), "%s", t[i].files);
		for (n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
			snprintf(path, sizeof(path), "%s/%s", dir, n);
			CHECK(touch_file(path) == 0);
		}
		if (t[i].cfg)
			write_cfg(dir, t[i].cfg);
		if (t[i].dir_named) {
			snprintf(path, sizeof(path), "%s/base.tdk", dir);
			CHECK(mkdir(path, 0755) == 0);
		}
		rc = bank_dir_is_ramhost(dir, &err);
		if (!t[i].why) {
			CHECK(rc == 0);
		} else if (rc != -EPERM || !strstr(err.msg, "not a bootbank ramhost wrote") || !strstr(err.msg, t[i].why)) {
			fprintf(stderr, "  case %zu: rc %d '%s'\n", i, rc, err.msg);
			CHECK(0);
		}
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK(system(cmd) == 0);
	}
}

static void test_state_name(void)
{
	CHECK_STR(bank_dir_state_name(0), "VALID");
	CHECK_STR(bank_dir_state_name(1), "UPGRADING");
	CHECK_STR(bank_dir_state_name(2), "DIRTY");
	CHECK_STR(bank_dir_state_name(3), "INVALID");
	CHECK_STR(bank_dir_state_name(-1), "VALID (absent)");
}

int main(void)
{
	RUN(test_mark_good);
	RUN(test_mark_good_write_fails);
	RUN(test_read_dir);
	RUN(test_state_name);
	RUN(test_is_ramhost);
	UNIT_EXIT();
}
