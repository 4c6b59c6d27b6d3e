/* test_answer.c: the answer file, the installer's kernel options, BootOrder (the load option itself is
 * test_efiload.c's), the skeleton's GPT moved to a larger disk, disk signatures and root's shadow line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpt.h"
#include "image-builder/answer.h"
#include "image-builder/efivar.h"
#include "image-builder/install.h"
#include "image-builder/install_gpt.h"
#include "image-builder/install_seed.h"
#include "unit.h"

static void test_answer_rows(void)
{
	static const struct {
		const char *text;
		int rc;
		const char *msg;     /* substring of the error */
	} rows[] = {
		{ "", 0, NULL },
		{ "# only a comment\n\n", 0, NULL },
		{ "hostname = web-01.example\n", 0, NULL },
		{ "disk = auto\nafter = reboot\n", 0, NULL },
		{ "disk = /dev/vdb\n", 0, NULL },
		{ "rootpw = $6$salt$hash\n", 0, NULL },
		{ "rootpw = !\n", 0, NULL },
		{ "sticky = /etc/motd << hi\\nthere\n", 0, NULL },
		{ "sticky = /etc/ssh/key < /install/key\n", 0, NULL },
		{ "hostname = -bad\n", -EINVAL, ":1: hostname '-bad'" },
		{ "hostname = a_b\n", -EINVAL, "hostname" },
		{ "\n\ncolour = red\n", -EINVAL, ":3: unknown key 'colour'" },
		{ "disk = vdb\n", -EINVAL, "disk 'vdb'" },
		{ "disk = /dev/../etc/passwd\n", -EINVAL, "disk" },
		{ "rootpw = secret\n", -EINVAL, "crypt hash" },
		{ "rootpw = $6$a:b$c\n", -EINVAL, "crypt hash" },
		{ "after = halt\n", -EINVAL, "after 'halt'" },
		{ "hostname\n", -EINVAL, "key = value" },
		{ "hostname =\n", -EINVAL, "key = value" },
		{ "sticky = /etc/motd\n", -EINVAL, "sticky needs" },
		{ "sticky = etc/motd << x\n", -EINVAL, "not an absolute" },
		{ "sticky = /etc/../root/x << x\n", -EINVAL, "'..'" },
		{ "sticky = /usr/bin/x << x\n", -EINVAL, "under /usr" },
		{ "sticky = /tmp/x << x\n", -EINVAL, "under /tmp" },
		{ "sticky = /etc/x << bad\\q\n", -EINVAL, "bad escape" },
		{ "sticky = /etc/x < relative\n", -EINVAL, "not an absolute path on the medium" },
		{ "sticky = /etc/dir/ << x\n", -EINVAL, "directory" },
	};
	struct answer *a = malloc(sizeof(*a));
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err e = { 0 };
		int rc = answer_parse(rows[i].text, strlen(rows[i].text), "ks.cfg", a, &e);
		if (rc != rows[i].rc || (rows[i].msg && !strstr(e.msg, rows[i].msg))) {
			fprintf(stderr, "  row %u: rc %d msg '%s'\n", i, rc, e.msg);
			CHECK(0);
		}
	}
	free(a);
}

static void test_answer_values(void)
{
	static const char text[] = "  hostname = h1 \ndisk = /dev/sdb\nrootpw = $6$s$h\n"
				   "sticky = /etc/motd << a\\tb\\\\\nsticky = /root/.profile < /install/profile\n"
				   "after = reboot\n";
	struct answer *a = malloc(sizeof(*a));
	struct rh_err e = { 0 };

	CHECK(answer_parse(text, strlen(text), "ks", a, &e) == 0);
	CHECK_STR(a->hostname, "h1");
	CHECK(a->has_disk);
	CHECK_STR(a->disk, "/dev/sdb");
	CHECK_STR(a->rootpw, "$6$s$h");
	CHECK(a->after == ANSWER_REBOOT);
	CHECK(a->nsticky == 2);
	CHECK_STR(a->sticky[0].path, "/etc/motd");
	CHECK(a->sticky[0].len == 5 && !memcmp(a->sticky[0].text, "a\tb\\\n", 5));
	CHECK_STR(a->sticky[1].source, "/install/profile");
	CHECK(answer_parse("bad\n", 4, "ks", a, &e) < 0 && a->nsticky == 0 && !a->hostname[0]);
	free(a);
}

static void test_cmdline(void)
{
	static const struct {
		const char *line;
		int rc, install;
		const char *disk, *ks;
	} rows[] = {
		{ "console=ttyS0 ramhost.bank=1", 0, 0, "", "" },
		{ "ramhost.install=auto", 0, 1, "auto", "" },
		{ "a ramhost.install=/dev/vdb ramhost.ks=/install/ks.cfg\n", 0, 1, "/dev/vdb", "/install/ks.cfg" },
		{ "x=\"a b\" ramhost.install=auto", 0, 1, "auto", "" },
		{ "ramhost.install=vdb", -EINVAL, 0, "", "" },
		{ "ramhost.install=", -EINVAL, 0, "", "" },
		{ "ramhost.install=auto ramhost.ks=ks.cfg", -EINVAL, 0, "", "" },
		{ "ramhost.ks=/../x", -EINVAL, 0, "", "" },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct install_cmdline c;
		struct rh_err e = { 0 };
		int rc = install_cmdline_parse(rows[i].line, strlen(rows[i].line), &c, &e);
		CHECK(rc == rows[i].rc);
		if (!rc) {
			CHECK(c.install == rows[i].install);
			CHECK_STR(c.disk, rows[i].disk);
			CHECK_STR(c.ks, rows[i].ks);
		}
	}
}

static void test_bootorder(void)
{
	static const struct {
		uint8_t old[8];
		size_t oldlen;
		uint16_t num;
		long len;
		uint8_t want[8];
	} rows[] = {
		{ { 0 }, 0, 3, 2, { 3, 0 } },
		{ { 1, 0, 2, 0 }, 4, 3, 6, { 3, 0, 1, 0, 2, 0 } },
		{ { 1, 0, 3, 0, 2, 0 }, 6, 3, 6, { 3, 0, 1, 0, 2, 0 } },
		{ { 3, 0 }, 2, 3, 2, { 3, 0 } },
		{ { 1, 0, 9 }, 3, 0x1234, 4, { 0x34, 0x12, 1, 0 } },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t out[16];
		long n = efivar_bootorder_prepend(rows[i].old, rows[i].oldlen, rows[i].num, out, sizeof(out));
		CHECK(n == rows[i].len && !memcmp(out, rows[i].want, (size_t)rows[i].len));
	}
	{
		uint8_t out[3], old[4] = { 1, 0, 2, 0 };
		CHECK(efivar_bootorder_prepend(old, 4, 3, out, sizeof(out)) == -E2BIG);
	}
}

/* A skeleton GPT as `ramhost image disk` writes it: pMBR, header, 128 entries of 128 bytes, 4 partitions. */
static void make_skeleton(uint8_t *head, uint64_t sectors)
{
	uint8_t *h = head + 512, *e = head + 1024;
	uint32_t crc;
	unsigned i;

	memset(head, 0, INSTALL_GPT_HEAD);
	head[450] = 0xee;
	head[510] = 0x55;
	head[511] = 0xaa;
	memcpy(h, "EFI PART", 8);
	h[10] = 1;            /* revision 1.0 */
	h[12] = 92;           /* header size */
	h[24] = 1;            /* MyLBA */
	for (i = 0; i < 8; i++) {
		h[32 + i] = (uint8_t)((sectors - 1) >> (8 * i));
		h[48 + i] = (uint8_t)((sectors - 34) >> (8 * i));
	}
	h[40] = 34;           /* FirstUsableLBA */
	h[72] = 2;            /* entries at LBA 2 */
	h[80] = 128;          /* 128 entries */
	h[84] = 128;          /* of 128 bytes */
	for (i = 0; i < 4; i++) {
		uint64_t first = 2048 + (uint64_t)i * 4096, last = first + 4095;
		unsigned b;
		e[i * 128] = (uint8_t)(0x10 + i); /* type GUID, non-zero */
		e[i * 128 + 16] = 0x77;           /* unique GUID, replaced */
		for (b = 0; b < 8; b++) {
			e[i * 128 + 32 + b] = (uint8_t)(first >> (8 * b));
			e[i * 128 + 40 + b] = (uint8_t)(last >> (8 * b));
		}
	}
	crc = gpt_crc32(0, e, 128 * 128);
	memcpy(h + 88, &crc, 4);
	crc = gpt_crc32(0, h, 92);
	memcpy(h + 16, &crc, 4);
}

struct img {
	uint8_t *b;
	uint64_t len;
};

static int img_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct img *m = ctx;
	if (off + len > m->len)
		return -5;
	memcpy(buf, m->b + off, len);
	return 0;
}

static void test_gpt_relocate(void)
{
	const uint64_t skel = 20480, dev = 65536; /* sectors */
	uint8_t guids[5][16], tail[INSTALL_GPT_TAIL];
	struct img m = { calloc(dev, 512), dev * 512 };
	struct gpt_disk *g = malloc(sizeof(*g));
	struct rh_err e = { 0 };
	uint64_t sectors = 0;
	unsigned i;

	make_skeleton(m.b, skel);
	CHECK(install_gpt_check(m.b, INSTALL_GPT_HEAD, &sectors, &e) == 0 && sectors == skel);
	for (i = 0; i < 5; i++)
		memset(guids[i], 0x40 + (int)i, 16);
	CHECK(install_gpt_relocate(m.b, dev, guids, tail, &e) == 0);
	memcpy(m.b + (dev - 33) * 512, tail, sizeof(tail));
	/* the primary reads back with the new GUIDs and the disk's size */
	CHECK(gpt_read(img_read, &m, 512, dev, g) == 0);
	CHECK(g->nparts == 4 && !g->used_backup && g->last_lba == dev - 1 && g->last_usable_lba == dev - 34);
	CHECK(!memcmp(g->disk_guid, guids[0], 16) && !memcmp(g->parts[3].unique_guid, guids[4], 16));
	/* and so does the backup alone */
	memset(m.b + 512, 0, 512);
	CHECK(gpt_read(img_read, &m, 512, dev, g) == 0 && g->used_backup && g->nparts == 4);
	CHECK(!memcmp(g->parts[1].unique_guid, guids[2], 16));
	/* damage and a disk too small are refused */
	make_skeleton(m.b, skel);
	m.b[1024 + 5] ^= 1;
	CHECK(install_gpt_check(m.b, INSTALL_GPT_HEAD, &sectors, &e) == -EINVAL);
	make_skeleton(m.b, skel);
	CHECK(install_gpt_relocate(m.b, skel - 1, guids, tail, &e) == -ENOSPC);
	free(g);
	free(m.b);
}

static void test_signature(void)
{
	static const struct {
		size_t off;
		const char *magic;
		const char *want;
	} rows[] = {
		{ 512, "EFI PART", "GPT" },          { 1080, "\x53\xef", "ext2/3/4" }, { 32769, "CD001", "ISO 9660" },
		{ 4086, "SWAPSPACE2", "swap" },      { 0, "LUKS\xba\xbe", "LUKS" },    { 0, "XFSB", "XFS" },
		{ 65600, "_BHRfS_M", "btrfs" },      { 100, "x", "non-zero data in its first" },
	};
	uint8_t *head = calloc(1, 1 << 20), *tail = calloc(1, 1 << 20);
	unsigned i;

	CHECK(install_signature(head, 1 << 20, tail, 1 << 20) == NULL);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *s;
		memset(head, 0, 1 << 20);
		memcpy(head + rows[i].off, rows[i].magic, strlen(rows[i].magic));
		s = install_signature(head, 1 << 20, tail, 1 << 20);
		CHECK(s && strstr(s, rows[i].want));
	}
	memset(head, 0, 1 << 20);
	head[510] = 0x55;
	head[511] = 0xaa;
	head[446 + 4] = 0x83;
	CHECK(strstr(install_signature(head, 1 << 20, tail, 1 << 20), "MBR"));
	memset(head, 0, 1 << 20);
	tail[5] = 1;
	CHECK(strstr(install_signature(head, 1 << 20, tail, 1 << 20), "last MiB"));
	free(head);
	free(tail);
}

static void test_shadow(void)
{
	static const struct {
		const char *old, *want;
	} rows[] = {
		{ "root::19000:0:99999:7:::\nbin:*:1::::::\n", "root:$6$x$y:19000:0:99999:7:::\nbin:*:1::::::\n" },
		{ "bin:*:1::::::\n", "bin:*:1::::::\nroot:$6$x$y:19000:0:99999:7:::\n" },
		{ "", "root:$6$x$y:19000:0:99999:7:::\n" },
		{ "root:old", "root:$6$x$y:19000:0:99999:7:::\n" },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *out = NULL;
		size_t len;
		CHECK(install_shadow_set_root(rows[i].old, strlen(rows[i].old), "$6$x$y", &out, &len) == 0);
		CHECK_STR(out, rows[i].want);
		free(out);
	}
}

int main(void)
{
	RUN(test_answer_rows);
	RUN(test_answer_values);
	RUN(test_cmdline);
	RUN(test_bootorder);
	RUN(test_gpt_relocate);
	RUN(test_signature);
	RUN(test_shadow);
	UNIT_EXIT();
}
