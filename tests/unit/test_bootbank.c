/* test_bootbank.c: the pure parts of ramdisk/bank/bootbank.c (kernel command line, choosing the bank partitions,
 * partition device names) and mark-good / read on a plain directory standing in for a mounted bank. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "ramdisk/bank/bootbank.h"
#include "unit.h"

#define G1 "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define G2 "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define G3 "a1b2c3d4-0000-4000-8000-00000000beef"
#define G4 "deadbeef-1111-2222-3333-444455556666"
#define G_NONE "99999999-9999-4999-8999-999999999999"

static void test_cmdline(void)
{
	static const struct {
		const char *in;
		int rc;
		unsigned bank;
		int has_uuid;
		const char *uuid;
		const char *msg;   /* substring of the error */
	} t[] = {
		{ "", 0, 0, 0, "", NULL },
		{ "console=ttyS0 ramhost.bank=1\n", 0, 1, 0, "", NULL },
		{ "ramhost.bank=2 ramhost.bankuuid=" G1, 0, 2, 1, G1, NULL },
		{ "ramhost.bankuuid=0FC63DAF-8483-4772-8E79-3D69D8477DE4 ramhost.bank=1", 0, 1, 1, G1, NULL },
		{ "ramhost.bankuuid=\"" G2 "\"", 0, 0, 1, G2, NULL },
		{ "quiet\tramhost.bank=1\tramhost.bankuuid=" G1 " ramhost.bankuuid=" G2, 0, 1, 1, G2, NULL },
		{ "foo=\"ramhost.bank=x y\" ramhost.bank=2", 0, 2, 0, "", NULL },
		{ "ramhost.bankuuidx=1 ramhost.banks=3", 0, 0, 0, "", NULL },
		{ "ramhost.bank=x", -EINVAL, 0, 0, "", "'ramhost.bank=x' is not ramhost.bank=<0-9>" },
		{ "ramhost.bank=12", -EINVAL, 0, 0, "", "ramhost.bank=12" },
		{ "ramhost.bankuuid=", -EINVAL, 0, 0, "", "'ramhost.bankuuid=' is not" },
		{ "ramhost.bankuuid=0fc63daf-8483-4772-8e79-3d69d8477de", -EINVAL, 0, 0, "", "not ramhost.bankuuid" },
		{ "ramhost.bankuuid=0fc63daf-8483-4772-8e79-3d69d8477dex", -EINVAL, 0, 0, "", "8477dex" },
		{ "ramhost.bankuuid=0fc63daf+8483-4772-8e79-3d69d8477de4", -EINVAL, 0, 0, "", "not ramhost" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct bootbank_cmdline c = { 7, 7, "x" };
		struct rh_err err = { 0, "" };
		int rc = bootbank_cmdline_parse(t[i].in, strlen(t[i].in), &c, &err);

		CHECK(rc == t[i].rc);
		if (rc != t[i].rc)
			fprintf(stderr, "  row %zu: rc %d\n", i, rc);
		if (t[i].rc == 0) {
			CHECK(c.bank == t[i].bank);
			CHECK(c.has_uuid == t[i].has_uuid);
			if (t[i].has_uuid)
				CHECK_STR(c.uuid, t[i].uuid);
		} else {
			CHECK(c.bank == 7 && c.has_uuid == 7);   /* untouched on error */
			CHECK(strstr(err.msg, t[i].msg) != NULL);
			if (!strstr(err.msg, t[i].msg))
				fprintf(stderr, "  row %zu: '%s'\n", i, err.msg);
		}
	}
}

/* A disk described as "name:guid" pairs; partition numbers in order from 1 (0 entries skipped). */
struct part_row {
	uint32_t number;
	const char *name;
	const char *guid;
};

static void make_disk(struct gpt_disk *d, const struct part_row *p, unsigned n)
{
	unsigned i;

	memset(d, 0, sizeof(*d));
	d->block_size = 512;
	for (i = 0; i < n; i++) {
		d->parts[i].number = p[i].number;
		snprintf(d->parts[i].name, sizeof(d->parts[i].name), "%s", p[i].name);
		CHECK(gpt_guid_from_str(p[i].guid, d->parts[i].unique_guid) == 0);
		d->parts[i].type_guid[0] = 1;
	}
	d->nparts = n;
}

static void test_pick(void)
{
	static const struct part_row std[] = {
		{ 1, "ESP", G1 }, { 2, "bootbank", G2 }, { 3, "altbootbank", G3 }, { 4, "state", G4 },
	};
	static const struct part_row single[] = { { 1, "ESP", G1 }, { 2, "bootbank", G2 } };
	static const struct part_row gaps[] = { { 3, "altbootbank", G3 }, { 7, "bootbank", G2 } };
	static const struct part_row dup[] = { { 1, "bootbank", G1 }, { 2, "bootbank", G2 }, { 3, "altbootbank", G3 } };
	static const struct part_row caseful[] = { { 1, "BootBank", G2 }, { 2, "altbootbank", G3 } };
	static const struct {
		const struct part_row *parts;
		unsigned n;
		const char *uuid;
		int rc;
		int booted;
		uint32_t p1, p2;
		const char *msg;
	} t[] = {
		{ std, 4, G2, 0, 1, 2, 3, NULL },
		{ std, 4, G3, 0, 2, 2, 3, NULL },
		{ std, 4, G_NONE, -ENOENT, 0, 0, 0, NULL },
		{ std, 4, G4, -EINVAL, 0, 0, 0, "/dev/vda: partition 4 (GUID " G4 ") is named 'state', not 'bootbank'" },
		{ std, 4, G1, -EINVAL, 0, 0, 0, "is named 'ESP'" },
		{ single, 2, G2, 0, 1, 2, 0, NULL },
		{ gaps, 2, G2, 0, 1, 7, 3, NULL },
		{ gaps, 2, G3, 0, 2, 7, 3, NULL },
		{ dup, 3, G3, -EINVAL, 0, 0, 0, "/dev/vda: partitions 1 and 2 are both named 'bootbank'" },
		{ dup, 3, G_NONE, -ENOENT, 0, 0, 0, NULL },
		{ caseful, 2, G2, -EINVAL, 0, 0, 0, "named 'BootBank'" },
		{ std, 0, G2, -ENOENT, 0, 0, 0, NULL },
	};
	static struct gpt_disk d;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct bootbank_pick p = { 9, { 9, 9 } };
		struct rh_err err = { 0, "" };
		uint8_t g[16];
		int rc;

		make_disk(&d, t[i].parts, t[i].n);
		CHECK(gpt_guid_from_str(t[i].uuid, g) == 0);
		rc = bootbank_pick(&d, "/dev/vda", g, &p, &err);
		CHECK(rc == t[i].rc);
		if (rc != t[i].rc)
			fprintf(stderr, "  row %zu: rc %d (%s)\n", i, rc, err.msg);
		if (t[i].rc == 0) {
			CHECK(p.booted == t[i].booted && p.part[0] == t[i].p1 && p.part[1] == t[i].p2);
		} else {
			CHECK(p.booted == 9);
			if (t[i].msg && !strstr(err.msg, t[i].msg)) {
				fprintf(stderr, "  row %zu: '%s'\n", i, err.msg);
				CHECK(0);
			}
			if (!t[i].msg)
				CHECK(err.msg[0] == '\0');   /* "not on this disk" is not an error message */
		}
	}
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
		CHECK(bootbank_part_dev(t[i].disk, t[i].n, out, sizeof(out)) == 0);
		CHECK_STR(out, t[i].out);
	}
	CHECK(bootbank_part_dev("/dev/vda", 2, tiny, sizeof(tiny)) == -ENAMETOOLONG);
}

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

static void test_mark_dir(void)
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
		char dir[] = "/tmp/test_bootbank.XXXXXX", text[1024], *before, *after, *cp;
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
		rc = bootbank_mark_dir(dir, "BANK", &old, &changed, &err);
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
static void test_mark_dir_write_fails(void)
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
		char dir[] = "/tmp/test_bootbank.XXXXXX", text[1024], path[600], *after, *cp;
		struct rh_err err = { 0, "" };
		int old = 42, changed = 42, rc;

		CHECK(mkdtemp(dir) != NULL);
		snprintf(text, sizeof(text), cfg_text, 1);
		write_cfg(dir, text);
		snprintf(path, sizeof(path), "%s/%s", dir, t[i].blocker);
		CHECK(mkdir(path, 0755) == 0);
		rc = bootbank_mark_dir(dir, "/dev/ro1", &old, &changed, &err);
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
		char dir[] = "/tmp/test_bootbank.XXXXXX", cmd[100];
		struct bootbank_slot s;
		struct rh_err err = { 0, "" };

		memset(&s, 0, sizeof(s));
		CHECK(mkdtemp(dir) != NULL);
		if (t[i].text)
			write_cfg(dir, t[i].text);
		CHECK(bootbank_read_dir(dir, "L", &s, &err) == 0);
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

static void test_state_name(void)
{
	CHECK_STR(bootbank_state_name(0), "VALID");
	CHECK_STR(bootbank_state_name(1), "UPGRADING");
	CHECK_STR(bootbank_state_name(2), "DIRTY");
	CHECK_STR(bootbank_state_name(3), "INVALID");
	CHECK_STR(bootbank_state_name(-1), "VALID (absent)");
}

int main(void)
{
	RUN(test_cmdline);
	RUN(test_pick);
	RUN(test_part_dev);
	RUN(test_mark_dir);
	RUN(test_mark_dir_write_fails);
	RUN(test_read_dir);
	RUN(test_state_name);
	UNIT_EXIT();
}
