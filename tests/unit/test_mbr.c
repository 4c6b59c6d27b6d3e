/* test_mbr.c: boot code identification on the loaders installed on this system (SYSLINUX's gptmbr/mbr/altmbr,
 * GRUB's boot.img, the isohybrid MBR) and on hand-made buffers (zeros, Microsoft MBRs of three eras, a
 * localized one, garbage); the partition table (protective, hybrid, classic, bad status, no 55 AA); and the
 * protective MBR builder, read back by the parser. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "mbr.h"
#include "unit.h"

/* Reads up to 440 bytes of file into code (the rest zero); -1 when it cannot be read. */
static int load_code(const char *path, uint8_t code[MBR_CODE_LEN])
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	memset(code, 0, MBR_CODE_LEN);
	if (fd < 0)
		return -1;
	n = read(fd, code, MBR_CODE_LEN);
	close(fd);
	return n > 0 ? 0 : -1;
}

static void test_real_loaders(void)
{
	static const struct {
		const char *path;
		enum mbr_code want;
	} rows[] = {
		{ "/usr/lib/syslinux/mbr/gptmbr.bin", MBR_CODE_GPTMBR },
		{ "/usr/lib/syslinux/mbr/mbr.bin", MBR_CODE_SYSLINUX },
		{ "/usr/lib/syslinux/mbr/altmbr.bin", MBR_CODE_SYSLINUX },
		{ "/usr/lib/syslinux/mbr/extra/altmbr_c.bin", MBR_CODE_SYSLINUX },
		{ "/usr/lib/syslinux/mbr/extra/altmbr_f.bin", MBR_CODE_SYSLINUX },
		{ "/usr/lib/grub/i386-pc/boot.img", MBR_CODE_GRUB },
		{ "/usr/lib/grub/i386-pc/boot_hybrid.img", MBR_CODE_GRUB },
		{ "/usr/lib/ISOLINUX/isohdpfx.bin", MBR_CODE_UNKNOWN },
	};
	uint8_t code[MBR_CODE_LEN];
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int ok = load_code(rows[i].path, code) == 0;
		if (!ok)
			fprintf(stderr, "  %s: missing (syslinux-common, grub-pc-bin, isolinux)\n", rows[i].path);
		CHECK(ok);
		if (ok && mbr_code_identify(code) != rows[i].want)
			fprintf(stderr, "  %s: %s\n", rows[i].path, mbr_code_name(mbr_code_identify(code)));
		CHECK(!ok || mbr_code_identify(code) == rows[i].want);
	}
}

/* A Microsoft MBR: messages from at, their offsets - 0x100 in 0x1B5..0x1B7, optional "TCPA" in the code. */
static void make_ms(uint8_t *code, size_t at, const char *const msg[3], int tcpa)
{
	size_t pos = at, i;

	memset(code, 0, MBR_CODE_LEN);
	code[0] = 0x33;
	code[1] = 0xc0;
	if (tcpa)
		memcpy(code + 0x40, "\x66\x81\xfbTCPA", 7);
	for (i = 0; i < 3; i++) {
		code[0x1B5 + i] = (uint8_t)(pos - 0x100);
		memcpy(code + pos, msg[i], strlen(msg[i]) + 1);
		pos += strlen(msg[i]) + 1;
	}
}

static void test_handmade(void)
{
	static const char *const en[3] = { "Invalid partition table", "Error loading operating system",
					   "Missing operating system" };
	static const char *const de[3] = { "Ungueltige Partitionstabelle", "Fehler beim Laden des Betriebssystems",
					   "Betriebssystem nicht vorhanden" };
	uint8_t code[MBR_CODE_LEN];

	memset(code, 0, sizeof(code));
	CHECK(mbr_code_identify(code) == MBR_CODE_ZERO);
	code[439] = 1;
	CHECK(mbr_code_identify(code) == MBR_CODE_UNKNOWN);
	make_ms(code, 0x163, en, 1); /* Windows 7 to 11 */
	CHECK(mbr_code_identify(code) == MBR_CODE_WINDOWS);
	make_ms(code, 0x162, en, 1); /* Vista */
	CHECK(mbr_code_identify(code) == MBR_CODE_WINDOWS);
	make_ms(code, 0x12C, en, 0); /* 2000 / XP */
	CHECK(mbr_code_identify(code) == MBR_CODE_WINDOWS);
	make_ms(code, 0x8B, en, 0); /* MS-DOS 5 to Windows 98: no table, the strings are enough */
	CHECK(mbr_code_identify(code) == MBR_CODE_WINDOWS);
	make_ms(code, 0x140, de, 1); /* localized NT 6: the table and TCPA */
	CHECK(mbr_code_identify(code) == MBR_CODE_WINDOWS);
	make_ms(code, 0x140, de, 0); /* the table alone is not enough */
	CHECK(mbr_code_identify(code) == MBR_CODE_UNKNOWN);
	make_ms(code, 0x140, de, 1);
	code[0x1B6]++; /* offsets that do not chain */
	CHECK(mbr_code_identify(code) == MBR_CODE_UNKNOWN);
	memset(code, 0xAB, sizeof(code)); /* one message is not a loader */
	memcpy(code + 100, "Missing operating system", 24);
	CHECK(mbr_code_identify(code) == MBR_CODE_UNKNOWN);
	memcpy(code + 200, "!GPT", 4); /* the constant without its MOV EAX is not gptmbr */
	memcpy(code + 300, "Missing OS", 10);
	CHECK(mbr_code_identify(code) == MBR_CODE_UNKNOWN);
	CHECK_STR(mbr_code_name(MBR_CODE_ZERO), "zeros");
	CHECK_STR(mbr_code_name(MBR_CODE_GPTMBR), "gptmbr");
	CHECK_STR(mbr_code_name(MBR_CODE_SYSLINUX), "syslinux-mbr");
	CHECK_STR(mbr_code_name(MBR_CODE_GRUB), "grub");
	CHECK_STR(mbr_code_name(MBR_CODE_WINDOWS), "windows");
	CHECK_STR(mbr_code_name(MBR_CODE_UNKNOWN), "unknown");
	CHECK_STR(mbr_code_name((enum mbr_code)77), "unknown");
}

static void put_entry(uint8_t *s, unsigned slot, uint8_t status, uint8_t type, uint32_t first, uint32_t n)
{
	uint8_t *e = s + 446 + 16 * slot;

	e[0] = status;
	e[4] = type;
	for (unsigned i = 0; i < 4; i++) {
		e[8 + i] = (uint8_t)(first >> (8 * i));
		e[12 + i] = (uint8_t)(n >> (8 * i));
	}
}

static void test_parse(void)
{
	static const struct {
		const char *what;
		uint8_t status[4], type[4];
		uint32_t first[4];
		unsigned nparts;
		int protective, hybrid, bad_status;
	} rows[] = {
		{ "protective", { 0 }, { 0xEE }, { 1 }, 1, 1, 0, 0 },
		{ "protective in slot 3", { 0 }, { 0, 0, 0xEE }, { 0, 0, 1 }, 1, 1, 0, 0 },
		{ "0xEE not at LBA 1", { 0 }, { 0xEE }, { 2 }, 1, 0, 0, 0 },
		{ "two 0xEE", { 0 }, { 0xEE, 0xEE }, { 1, 1 }, 2, 0, 0, 0 },
		{ "hybrid", { 0x80 }, { 0x0C, 0xEE }, { 2048, 1 }, 2, 0, 1, 0 },
		{ "classic", { 0x80, 0 }, { 0x0C, 0x83 }, { 2048, 4096 }, 2, 0, 0, 0 },
		{ "bad status", { 0x81 }, { 0x83 }, { 2048 }, 1, 0, 0, 1 },
		{ "bad status, empty slot", { 0, 0, 0, 0x12 }, { 0xEE }, { 1 }, 1, 1, 0, 1 },
		{ "empty", { 0 }, { 0 }, { 0 }, 0, 0, 0, 0 },
	};
	uint8_t s[600];
	struct mbr m;
	unsigned i, k;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(s, 0, sizeof(s));
		s[510] = 0x55;
		s[511] = 0xAA;
		for (k = 0; k < 4; k++)
			put_entry(s, k, rows[i].status[k], rows[i].type[k], rows[i].first[k], 100);
		CHECK(mbr_parse(s, sizeof(s), &m) == 0);
		if (m.nparts != rows[i].nparts || m.protective != rows[i].protective || m.hybrid != rows[i].hybrid ||
		    m.bad_status != rows[i].bad_status)
			fprintf(stderr, "  row '%s'\n", rows[i].what);
		CHECK(m.nparts == rows[i].nparts && m.protective == rows[i].protective);
		CHECK(m.hybrid == rows[i].hybrid && m.bad_status == rows[i].bad_status);
		CHECK(m.signature_ok && m.code == MBR_CODE_ZERO);
		for (k = 0; k < 4; k++)
			CHECK(k < m.nparts ? m.part[k].type != 0 : m.part[k].type == 0);
	}
	s[511] = 0;
	s[440] = 0x78;
	s[441] = 0x56;
	s[442] = 0x34;
	s[443] = 0x12;
	put_entry(s, 1, 0x80, 0x0C, 0xfffffff0u, 0x10);
	CHECK(mbr_parse(s, 512, &m) == 0 && !m.signature_ok && m.disk_signature == 0x12345678u);
	CHECK(m.nparts == 1 && m.part[0].status == 0x80 && m.part[0].type == 0x0C);
	CHECK(m.part[0].first_lba == 0xfffffff0u && m.part[0].sectors == 0x10);
	CHECK(mbr_parse(s, 511, &m) == -EINVAL);
	CHECK(mbr_parse(NULL, 512, &m) == -EINVAL);
}

static void test_build_protective(void)
{
	static const struct {
		uint64_t sectors;
		uint32_t want;
	} rows[] = {
		{ 1u << 20, (1u << 20) - 1 },
		{ 0x100000000ull, 0xFFFFFFFFu },
		{ 0x100000001ull, 0xFFFFFFFFu },
		{ 1ull << 40, 0xFFFFFFFFu },
		{ 1, 0 },
		{ 0, 0 },
	};
	uint8_t code[MBR_CODE_LEN], out[MBR_SIZE], want[16] = { 0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0 };
	struct mbr m;
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(out, 0x5c, sizeof(out));
		mbr_build_protective(out, NULL, 0xdeadbeef, rows[i].sectors);
		CHECK(mbr_parse(out, sizeof(out), &m) == 0);
		CHECK(m.signature_ok && m.code == MBR_CODE_ZERO && m.disk_signature == 0xdeadbeef);
		CHECK(m.protective && !m.hybrid && !m.bad_status && m.part[0].status == 0);
		CHECK(m.part[0].first_lba == 1 && m.part[0].sectors == rows[i].want);
		CHECK(!memcmp(out + 446, want, 12) && out[444] == 0 && out[445] == 0);
		for (unsigned k = 462; k < 510; k++)
			CHECK(out[k] == 0);
	}
	CHECK(load_code("/usr/lib/syslinux/mbr/gptmbr.bin", code) == 0);
	mbr_build_protective(out, code, 7, 2048);
	CHECK(!memcmp(out, code, MBR_CODE_LEN));
	CHECK(mbr_parse(out, sizeof(out), &m) == 0 && m.code == MBR_CODE_GPTMBR && m.disk_signature == 7);
}

int main(void)
{
	RUN(test_real_loaders);
	RUN(test_handmade);
	RUN(test_parse);
	RUN(test_build_protective);
	UNIT_EXIT();
}
