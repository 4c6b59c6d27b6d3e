/* mbr.c: sector 0 of a disk: boot code identification, partition table, protective MBR (see mbr.h).
 *
 * Boot code is identified by the text and the constants that each loader must carry to work, never by a hash of
 * one version: a rebuilt or patched copy of the same loader keeps them, another loader does not have them.
 *   - SYSLINUX gptmbr.bin (syslinux 4 to 6): loads the partition's boot sector with EAX = "!GPT" (66 B8 21 47 50
 *     54, the hand-over signature of the T13 / syslinux GPT boot protocol) and prints "Missing OS".
 *   - SYSLINUX mbr.bin / altmbr.bin (and their _c/_f variants): "Missing operating system.\r\n" and
 *     "Operating system load error.\r\n" (with the full stop: the Microsoft messages have none). The isohybrid
 *     MBRs (isohdpfx.bin) print "isolinux.bin missing or corrupt." instead of the first: they belong to an ISO
 *     written to a disk and are reported as unknown, not as a table-booting MBR.
 *   - GRUB boot.img (GRUB 2, and GRUB legacy's stage1, which has the same messages): its message block
 *     "GRUB \0Geom\0Hard Disk\0Read\0 Error" (at 0x180 in GRUB 2.0x).
 *   - Microsoft: from MS-DOS 5 to Windows 11 the MBR prints "Invalid partition table", "Error loading operating
 *     system" and "Missing operating system" (NT 6+ keeps them at 0x162/0x163 and their offsets minus 0x100 in
 *     bytes 0x1B5..0x1B7). Localized NT 6 MBRs translate the text but keep that table: three offsets pointing at
 *     three consecutive NUL-terminated messages, together with the "TCPA" constant of the BitLocker TPM call
 *     (INT 1Ah AX=BB00h), are accepted too. */
#include "mbr.h"

#include <errno.h>
#include <string.h>

#include "le.h"

/* 1 when the len bytes of s occur in code[0..440). */
static int has(const uint8_t *code, const char *s, size_t len)
{
	return memmem(code, MBR_CODE_LEN, s, len) != NULL;
}

#define HAS(code, lit) has(code, lit, sizeof(lit) - 1)

/* The NT 6 message table: bytes 0x1B5..0x1B7 plus 0x100 are the offsets of three messages that follow each
 * other, each at least 8 printable bytes and NUL-terminated inside the code. */
static int ms_message_table(const uint8_t *code)
{
	size_t off[3], i, j;

	for (i = 0; i < 3; i++)
		off[i] = (size_t)code[0x1B5 + i] + 0x100;
	for (i = 0; i < 3; i++) {
		if (off[i] >= 0x1B5 || (i && off[i] <= off[i - 1]))
			return 0;
		for (j = off[i]; j < 0x1B5 && code[j] >= 0x20 && code[j] < 0x7f; j++)
			;
		if (j - off[i] < 8 || j >= 0x1B5 || code[j] != 0)
			return 0;
		if (i < 2 && j + 1 != off[i + 1])
			return 0;
	}
	return 1;
}

enum mbr_code mbr_code_identify(const uint8_t code[MBR_CODE_LEN])
{
	size_t i;

	for (i = 0; i < MBR_CODE_LEN && !code[i]; i++)
		;
	if (i == MBR_CODE_LEN)
		return MBR_CODE_ZERO;
	if (HAS(code, "\x66\xb8!GPT") && HAS(code, "Missing OS"))
		return MBR_CODE_GPTMBR;
	if (HAS(code, "Missing operating system.\r\n") && HAS(code, "Operating system load error.\r\n"))
		return MBR_CODE_SYSLINUX;
	if (HAS(code, "GRUB \0Geom\0Hard Disk\0Read\0 Error"))
		return MBR_CODE_GRUB;
	if (HAS(code, "Invalid partition table") && HAS(code, "Error loading operating system") &&
	    HAS(code, "Missing operating system"))
		return MBR_CODE_WINDOWS;
	if (ms_message_table(code) && HAS(code, "TCPA"))
		return MBR_CODE_WINDOWS;
	return MBR_CODE_UNKNOWN;
}

const char *mbr_code_name(enum mbr_code c)
{
	switch (c) {
	case MBR_CODE_ZERO:
		return "zeros";
	case MBR_CODE_GPTMBR:
		return "gptmbr";
	case MBR_CODE_SYSLINUX:
		return "syslinux-mbr";
	case MBR_CODE_GRUB:
		return "grub";
	case MBR_CODE_WINDOWS:
		return "windows";
	case MBR_CODE_UNKNOWN:
		break;
	}
	return "unknown";
}

/* part[] holds the used entries (non-zero type) in table order, then zeroed slots: iterating over nparts or over
 * all four both work. The protective and hybrid flags are about the table as on disk. */
int mbr_parse(const uint8_t *buf, size_t len, struct mbr *ret)
{
	struct mbr m;
	unsigned i, ee = 0, ee_at_1 = 0;

	if (!buf || len < MBR_SIZE)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.signature_ok = buf[510] == 0x55 && buf[511] == 0xAA;
	m.code = mbr_code_identify(buf);
	m.disk_signature = le32(buf + 440);
	for (i = 0; i < 4; i++) {
		const uint8_t *e = buf + 446 + 16 * i;

		if (e[0] != 0 && e[0] != 0x80)
			m.bad_status = 1;
		if (!e[4])
			continue;
		m.part[m.nparts].status = e[0];
		m.part[m.nparts].type = e[4];
		m.part[m.nparts].first_lba = le32(e + 8);
		m.part[m.nparts].sectors = le32(e + 12);
		m.nparts++;
		if (e[4] == MBR_TYPE_GPT_PROTECTIVE) {
			ee++;
			ee_at_1 += le32(e + 8) == 1;
		}
	}
	m.protective = m.nparts == 1 && ee == 1 && ee_at_1 == 1;
	m.hybrid = ee > 0 && m.nparts > ee;
	*ret = m;
	return 0;
}

void mbr_build_protective(uint8_t out[MBR_SIZE], const uint8_t *code, uint32_t disk_signature,
			  uint64_t disk_sectors)
{
	uint8_t *e = out + 446;
	uint64_t n = disk_sectors > 1 ? disk_sectors - 1 : 0;

	memset(out, 0, MBR_SIZE);
	if (code)
		memcpy(out, code, MBR_CODE_LEN);
	put_le32(out + 440, disk_signature);
	e[1] = 0x00; /* starting CHS 0/0/2: LBA 1 */
	e[2] = 0x02;
	e[3] = 0x00;
	e[4] = MBR_TYPE_GPT_PROTECTIVE;
	e[5] = 0xFF; /* ending CHS: "not representable" */
	e[6] = 0xFF;
	e[7] = 0xFF;
	put_le32(e + 8, 1);
	put_le32(e + 12, n > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)n);
	out[510] = 0x55;
	out[511] = 0xAA;
}
