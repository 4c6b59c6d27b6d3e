/* test_efiload.c: EFI load options both ways. The encoder field by field (UEFI 2.10 3.1.3, 10.3.5.1, 10.3.5.4)
 * and at every too-small buffer; encode -> parse round trips; entries as firmware writes them, built here byte
 * by byte (OVMF's long-form PciRoot/Pci/Sata/HD/File path with optional data, the UEFI Shell's Fv/FvFile, a
 * file path split over two nodes, a second device path instance, non-ASCII text); one row per malformation; every
 * truncation of each entry parsed from an exact-size heap copy (ASan sees any overread); BootOrder; Boot####
 * names; and install's efivar_add_boot_entry on a directory in efivarfs format. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "efiload.h"
#include "image-builder/efivar.h"
#include "unit.h"

struct blob {
	uint8_t b[1024];
	size_t n;
};

static void put(struct blob *o, const void *p, size_t n)
{
	if (n)
		memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void put_le(struct blob *o, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		o->b[o->n++] = (uint8_t)(v >> (8 * i));
}

/* s as UTF-16LE, one unit per byte; with nul, its NUL too. */
static void put_u16s(struct blob *o, const char *s, int nul)
{
	for (; *s; s++)
		put_le(o, (unsigned char)*s, 2);
	if (nul)
		put_le(o, 0, 2);
}

static void node(struct blob *o, uint8_t type, uint8_t sub, const void *body, size_t n)
{
	o->b[o->n++] = type;
	o->b[o->n++] = sub;
	put_le(o, 4 + n, 2);
	put(o, body, n);
}

static void file_node(struct blob *o, const char *path)
{
	struct blob t = { .n = 0 };

	put_u16s(&t, path, 1);
	node(o, 4, 4, t.b, t.n);
}

static const uint8_t esp_guid[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
				      0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };

static void hd_node(struct blob *o, uint32_t partno, uint64_t start, uint64_t size)
{
	struct blob t = { .n = 0 };

	put_le(&t, partno, 4);
	put_le(&t, start, 8);
	put_le(&t, size, 8);
	put(&t, esp_guid, 16);
	put_le(&t, 2, 1);
	put_le(&t, 2, 1);
	node(o, 4, 1, t.b, t.n);
}

/* An option: attributes, desc, then the device path list in dp, then opt bytes of optional data. */
static void option(struct blob *o, uint32_t attrs, const char *desc, const struct blob *dp, size_t opt)
{
	o->n = 0;
	put_le(o, attrs, 4);
	put_le(o, dp->n, 2);
	put_u16s(o, desc, 1);
	put(o, dp->b, dp->n);
	for (size_t i = 0; i < opt; i++)
		o->b[o->n++] = (uint8_t)(0x40 + i);
}

/* OVMF's entry for a disk on the Q35 SATA controller:
 * PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0)/HD(1,GPT,...,0x800,0x20000)/\EFI\BOOT\BOOTX64.EFI */
static void ovmf_entry(struct blob *o)
{
	static const uint8_t acpi[8] = { 0xd0, 0x41, 0x03, 0x0a, 0, 0, 0, 0 }, pci[2] = { 2, 0x1f };
	static const uint8_t sata[6] = { 0, 0, 0xff, 0xff, 0, 0 };
	struct blob dp = { .n = 0 };

	node(&dp, 2, 1, acpi, sizeof(acpi));
	node(&dp, 1, 1, pci, sizeof(pci));
	node(&dp, 3, 0x12, sata, sizeof(sata));
	hd_node(&dp, 1, 0x800, 0x20000);
	file_node(&dp, "\\EFI\\BOOT\\BOOTX64.EFI");
	node(&dp, 0x7f, 0xff, NULL, 0);
	option(o, 1, "UEFI QEMU HARDDISK QM00001 ", &dp, 16);
}

/* OVMF's built-in shell: Fv(7CB8BDC9-...)/FvFile(7C04A583-...), no disk, no file path. */
static void shell_entry(struct blob *o)
{
	uint8_t fv[16], file[16];
	struct blob dp = { .n = 0 };

	memset(fv, 0xc9, sizeof(fv));
	memset(file, 0x83, sizeof(file));
	node(&dp, 4, 7, fv, sizeof(fv));
	node(&dp, 4, 6, file, sizeof(file));
	node(&dp, 0x7f, 0xff, NULL, 0);
	option(o, 9, "EFI Internal Shell", &dp, 0);
}

static void test_encode_layout(void)
{
	struct efiload_hd hd = { 1, 2048, 131072, { 0 }, 0, 0 };
	uint8_t buf[512];
	size_t len;
	unsigned i;

	for (i = 0; i < 16; i++)
		hd.signature[i] = (uint8_t)(0xa0 + i);
	CHECK(efiload_encode("ramhost", &hd, "\\EFI\\BOOT\\BOOTX64.EFI", buf, sizeof(buf), &len) == 0);
	CHECK(len == 6 + 16 + 42 + 4 + 44 + 4);
	CHECK(buf[0] == 1 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0);        /* LOAD_OPTION_ACTIVE */
	CHECK(buf[4] == 42 + 48 + 4 && buf[5] == 0);                          /* FilePathListLength */
	CHECK(buf[6] == 'r' && buf[7] == 0 && buf[20] == 0 && buf[21] == 0);  /* "ramhost" + NUL */
	CHECK(buf[22] == 4 && buf[23] == 1 && buf[24] == 42);                 /* HD() */
	CHECK(buf[26] == 1 && buf[30] == 0x00 && buf[31] == 0x08);            /* partition 1, start 2048 */
	CHECK(buf[38] == 0x00 && buf[39] == 0x00 && buf[40] == 0x02);         /* size 0x20000 */
	CHECK(buf[46] == 0xa0 && buf[61] == 0xaf && buf[62] == 2 && buf[63] == 2);
	CHECK(buf[64] == 4 && buf[65] == 4 && buf[66] == 48);                 /* File(): 4 + 22 * 2 */
	CHECK(buf[68] == '\\' && buf[70] == 'E');
	CHECK(buf[len - 4] == 0x7f && buf[len - 3] == 0xff && buf[len - 2] == 4);
	/* every buffer too small: -E2BIG, nothing written past it (exact-size heap buffers) */
	for (size_t cap = 0; cap < len; cap++) {
		uint8_t *small = malloc(cap + 1);
		size_t l2 = 7777;
		CHECK(small && efiload_encode("ramhost", &hd, "\\EFI\\BOOT\\BOOTX64.EFI", small, cap, &l2) == -E2BIG);
		CHECK(l2 == 7777);
		free(small);
	}
	CHECK(efiload_encode("", &hd, "\\x", buf, sizeof(buf), &len) == -EINVAL);
	CHECK(efiload_encode("ramhost", &hd, "", buf, sizeof(buf), &len) == -EINVAL);
	CHECK(efiload_encode("r\xc3\xa9", &hd, "\\x", buf, sizeof(buf), &len) == -EINVAL);
	CHECK(efiload_encode("ramhost", &hd, "\\\xff", buf, sizeof(buf), &len) == -EINVAL);
	CHECK(efiload_encode("r\xc3\xa9", &hd, "\\x", buf, 2, &len) == -E2BIG);
}

static void test_round_trip(void)
{
	static const struct {
		const char *desc, *file;
		uint32_t partno;
		uint64_t start, size;
	} rows[] = {
		{ "ramhost", "\\EFI\\BOOT\\BOOTX64.EFI", 1, 2048, 131072 },
		{ "r", "\\a", 128, 0, 0 },
		{ "ramhost (bank 2)", "\\EFI\\ramhost\\ramhost.efi", 0xffffffffu, 0xfffffffffffff000ull, 1ull << 40 },
	};
	struct efiload_hd hd;
	struct efiload e;
	uint8_t buf[EFILOAD_MAX];
	size_t len;
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&hd, 0, sizeof(hd));
		hd.partno = rows[i].partno;
		hd.start = rows[i].start;
		hd.size = rows[i].size;
		memcpy(hd.signature, esp_guid, 16);
		CHECK(efiload_encode(rows[i].desc, &hd, rows[i].file, buf, sizeof(buf), &len) == 0);
		CHECK(efiload_parse(buf, len, &e) == 0);
		CHECK(e.attributes == EFILOAD_ACTIVE && e.has_hd && e.has_file && e.other_nodes == 0);
		CHECK(e.optional_len == 0);
		CHECK_STR(e.desc, rows[i].desc);
		CHECK_STR(e.file, rows[i].file);
		CHECK(e.hd.partno == rows[i].partno && e.hd.start == rows[i].start && e.hd.size == rows[i].size);
		CHECK(!memcmp(e.hd.signature, esp_guid, 16) && e.hd.mbr_type == 2 && e.hd.sig_type == 2);
	}
}

static void test_firmware_entries(void)
{
	struct blob o, dp;
	struct efiload e;

	ovmf_entry(&o);
	CHECK(efiload_parse(o.b, o.n, &e) == 0);
	CHECK_STR(e.desc, "UEFI QEMU HARDDISK QM00001 ");
	CHECK(e.has_hd && e.hd.partno == 1 && e.hd.start == 0x800 && e.hd.size == 0x20000);
	CHECK(e.has_file && e.other_nodes == 3 && e.optional_len == 16 && e.attributes == 1);
	CHECK_STR(e.file, "\\EFI\\BOOT\\BOOTX64.EFI");

	shell_entry(&o);
	CHECK(efiload_parse(o.b, o.n, &e) == 0);
	CHECK_STR(e.desc, "EFI Internal Shell");
	CHECK(!e.has_hd && !e.has_file && e.other_nodes == 2 && e.optional_len == 0 && e.attributes == 9);

	/* a path in two file nodes; a second instance (an initrd) whose file is not the boot file */
	dp.n = 0;
	hd_node(&dp, 2, 4096, 8192);
	file_node(&dp, "\\EFI");
	file_node(&dp, "ramhost\\ramhost.efi");
	node(&dp, 0x7f, 0x01, NULL, 0);
	hd_node(&dp, 3, 1, 1);
	file_node(&dp, "\\initrd");
	node(&dp, 0x7f, 0xff, NULL, 0);
	option(&o, 0, "two", &dp, 3);
	CHECK(efiload_parse(o.b, o.n, &e) == 0);
	CHECK_STR(e.file, "\\EFI\\ramhost\\ramhost.efi");
	CHECK(e.hd.partno == 2 && e.other_nodes == 0 && e.optional_len == 3 && e.attributes == 0);

	/* UTF-16 text: U+00E9 and U+1F600 (a surrogate pair) */
	dp.n = 0;
	node(&dp, 0x7f, 0xff, NULL, 0);
	o.n = 0;
	put_le(&o, 1, 4);
	put_le(&o, dp.n, 2);
	put_le(&o, 'r', 2);
	put_le(&o, 0xe9, 2);
	put_le(&o, 0xd83d, 2);
	put_le(&o, 0xde00, 2);
	put_le(&o, 0, 2);
	put(&o, dp.b, dp.n);
	CHECK(efiload_parse(o.b, o.n, &e) == 0);
	CHECK_STR(e.desc, "r\xc3\xa9\xf0\x9f\x98\x80");
	CHECK(!e.has_hd && !e.has_file && e.other_nodes == 0);
}

/* Each row changes a good option (ramhost's own) at one offset, or builds a bad one. */
static void test_malformed(void)
{
	static const struct {
		const char *what;
		size_t at;         /* byte offset in the encoded option; 0: a special case below */
		uint8_t v0, v1;    /* the two bytes written there */
		int rc;
	} rows[] = {
		{ "list length past the end", 4, 0xff, 0x00, -EINVAL },
		{ "list length short (no end node)", 4, 42 + 48, 0, -EINVAL },
		{ "list length cuts a node", 4, 50, 0, -EINVAL },
		{ "HD node length 3", 24, 3, 0, -EINVAL },
		{ "HD node length 41", 24, 41, 0, -EINVAL },
		{ "HD node past the list", 24, 0xff, 0, -EINVAL },
		{ "file node odd length", 66, 47, 0, -EINVAL },
		{ "end node length 3", 114, 3, 0, -EINVAL },
		{ "lone low surrogate in desc", 6, 0x00, 0xdc, -EINVAL },
		{ "high surrogate then 'a'", 6, 0x00, 0xd8, -EINVAL },
		{ "lone surrogate in file", 68, 0x00, 0xdc, -EINVAL },
		{ "end node is end-of-instance only", 113, 0x01, 4, -EINVAL },
	};
	struct efiload_hd hd = { 1, 2048, 131072, { 0 }, 0, 0 };
	uint8_t good[256], bad[256];
	struct efiload e;
	size_t len;
	unsigned i;

	CHECK(efiload_encode("ramhost", &hd, "\\EFI\\BOOT\\BOOTX64.EFI", good, sizeof(good), &len) == 0);
	CHECK(len == 116);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memcpy(bad, good, len);
		bad[rows[i].at] = rows[i].v0;
		bad[rows[i].at + 1] = rows[i].v1;
		if (efiload_parse(bad, len, &e) != rows[i].rc)
			fprintf(stderr, "  row '%s'\n", rows[i].what);
		CHECK(efiload_parse(bad, len, &e) == rows[i].rc);
	}
	/* a description without its NUL: all units non-zero up to the end */
	memset(bad, 'a', sizeof(bad));
	CHECK(efiload_parse(bad, sizeof(bad), &e) == -EINVAL);
	/* too long for desc[256] and file[512] */
	{
		char longtext[600];
		struct blob dp = { .n = 0 }, o;

		memset(longtext, 'x', sizeof(longtext));
		longtext[300] = '\0';
		node(&dp, 0x7f, 0xff, NULL, 0);
		option(&o, 1, longtext, &dp, 0);
		CHECK(efiload_parse(o.b, o.n, &e) == -E2BIG);
		longtext[255] = '\0';
		option(&o, 1, longtext, &dp, 0);
		CHECK(efiload_parse(o.b, o.n, &e) == 0 && strlen(e.desc) == 255);
		longtext[255] = 'x';
		longtext[300] = 'x';
		longtext[599] = '\0';
		CHECK(efiload_encode("d", &hd, longtext, good, sizeof(good), &len) == -E2BIG);
	}
	CHECK(efiload_parse(good, 7, &e) == -EINVAL);
	CHECK(efiload_parse(NULL, 0, &e) == -EINVAL);
}

/* Every prefix of each entry from an exact-size heap copy: no crash, no overread; a prefix that keeps the whole
 * device path parses with less optional data, a shorter one is refused. */
static void test_truncations(void)
{
	struct blob o[3];
	struct efiload e;
	unsigned k;

	ovmf_entry(&o[0]);
	shell_entry(&o[1]);
	{
		struct efiload_hd hd = { 1, 2048, 131072, { 0 }, 0, 0 };
		CHECK(efiload_encode("ramhost", &hd, "\\EFI\\BOOT\\BOOTX64.EFI", o[2].b, sizeof(o[2].b), &o[2].n) == 0);
	}
	for (k = 0; k < 3; k++) {
		struct efiload full;
		size_t opt, n;

		CHECK(efiload_parse(o[k].b, o[k].n, &full) == 0);
		opt = full.optional_len;
		for (n = 0; n <= o[k].n; n++) {
			uint8_t *p = malloc(n + 1);
			int rc;

			memcpy(p, o[k].b, n);
			rc = efiload_parse(n ? p : NULL, n, &e);
			if (n >= o[k].n - opt)
				CHECK(rc == 0 && e.optional_len == opt - (o[k].n - n));
			else
				CHECK(rc == -EINVAL);
			free(p);
		}
	}
}

static void test_bootorder_parse(void)
{
	static const uint8_t buf[7] = { 1, 0, 0x34, 0x12, 0xff, 0xff, 9 };
	uint16_t out[4];

	CHECK(efiload_bootorder_parse(buf, 7, out, 4) == 3);
	CHECK(out[0] == 1 && out[1] == 0x1234 && out[2] == 0xffff);
	CHECK(efiload_bootorder_parse(buf, 7, out, 2) == 2);
	CHECK(efiload_bootorder_parse(buf, 1, out, 4) == 0);
	CHECK(efiload_bootorder_parse(buf, 0, out, 4) == 0);
	CHECK(efiload_bootorder_parse(buf, 6, out, 0) == 0);
}

static void test_boot_name(void)
{
	static const struct {
		const char *name;
		int rc;
		uint16_t v;
	} rows[] = {
		{ "Boot0001", 0, 1 },    { "BootFFFF", 0, 0xffff }, { "Boot00A1", 0, 0xa1 }, { "boot0001", -EINVAL, 0 },
		{ "Boot001", -EINVAL, 0 }, { "Boot00G1", -EINVAL, 0 }, { "BootOrder", -EINVAL, 0 },
		{ "Boot00a1", -EINVAL, 0 }, { "Boot00011", -EINVAL, 0 }, { "Boot", -EINVAL, 0 }, { "", -EINVAL, 0 },
		{ "Boot 001", -EINVAL, 0 }, { "Boot-001", -EINVAL, 0 }, { "BOOT0001", -EINVAL, 0 },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint16_t v = 0x5555;
		int rc = efiload_boot_name(rows[i].name, &v);
		CHECK(rc == rows[i].rc);
		CHECK(rc ? v == 0x5555 : v == rows[i].v);
	}
	CHECK(efiload_boot_name(NULL, NULL) == -EINVAL);
}

/* install's boot entry, through efivarfs-format files in a scratch directory. */
static void test_add_boot_entry(void)
{
	char dir[] = "/tmp/test_efiload.XXXXXX", path[256];
	struct efivar_hd hd = { 1, 2048, 131072, { 0 } };
	uint8_t buf[EFIVAR_MAX], old[4] = { 0, 0, 5, 0 };
	struct rh_err err = { 0 };
	struct efiload e;
	uint16_t num = 99, order[8];
	size_t len;

	memcpy(hd.guid, esp_guid, 16);
	CHECK(mkdtemp(dir) != NULL);
	CHECK(efivar_write(dir, "Boot0000", EFIVAR_GLOBAL_GUID, EFIVAR_ATTRS, "x", 1, &err) == 0);
	CHECK(efivar_write(dir, "BootOrder", EFIVAR_GLOBAL_GUID, EFIVAR_ATTRS, old, 4, &err) == 0);
	CHECK(efivar_add_boot_entry(dir, "ramhost", &hd, "\\EFI\\BOOT\\BOOTX64.EFI", &num, &err) == 0);
	CHECK(num == 1);
	CHECK(efivar_read(dir, "Boot0001", EFIVAR_GLOBAL_GUID, buf, sizeof(buf), &len, &err) == 0);
	CHECK(efiload_parse(buf, len, &e) == 0 && e.hd.start == 2048 && !memcmp(e.hd.signature, esp_guid, 16));
	CHECK_STR(e.desc, "ramhost");
	CHECK(efivar_read(dir, "BootOrder", EFIVAR_GLOBAL_GUID, buf, sizeof(buf), &len, &err) == 0);
	CHECK(efiload_bootorder_parse(buf, len, order, 8) == 3 && order[0] == 1 && order[1] == 0 && order[2] == 5);
	/* again: the same entry is reused, BootOrder unchanged */
	num = 99;
	CHECK(efivar_add_boot_entry(dir, "ramhost", &hd, "\\EFI\\BOOT\\BOOTX64.EFI", &num, &err) == 0);
	CHECK(num == 1);
	CHECK(efivar_read(dir, "BootOrder", EFIVAR_GLOBAL_GUID, buf, sizeof(buf), &len, &err) == 0 && len == 6);
	const char *names[] = { "Boot0000", "Boot0001", "BootOrder" };
	for (unsigned i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s-%s", dir, names[i], EFIVAR_GLOBAL_GUID);
		CHECK(unlink(path) == 0);
	}
	CHECK(rmdir(dir) == 0);
}

int main(void)
{
	RUN(test_encode_layout);
	RUN(test_round_trip);
	RUN(test_firmware_entries);
	RUN(test_malformed);
	RUN(test_truncations);
	RUN(test_bootorder_parse);
	RUN(test_boot_name);
	RUN(test_add_boot_entry);
	UNIT_EXIT();
}
