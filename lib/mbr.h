/* mbr.h: the master boot record (sector 0 of a disk): its boot code, disk signature and partition table.
 *
 * Pure (no I/O, no allocation), fuzzed (tests/fuzz/fuzz_mbr.c). Used by `ramhost rescue` to say what sector 0
 * holds (a protective MBR in front of a GPT, a classic table, which boot code) and to build a fresh protective MBR
 * that keeps the 440 bytes of boot code or puts given ones in, and keeps the disk signature.
 *
 * Layout: bytes 0..439 boot code, 440..443 disk signature (LE), 444..445 reserved (0, or 0x5A5A for "copy
 * protected"), 446..509 four 16-byte entries (status, CHS first, type, CHS last, LBA first LE, sector count LE),
 * 510..511 0x55 0xAA. A protective MBR (UEFI 2.10, 5.2.3) has one entry of type 0xEE from LBA 1 covering the disk
 * (or 0xFFFFFFFF when the disk is larger), the other three zero. */
#ifndef RAMHOST_MBR_H
#define RAMHOST_MBR_H

#include <stddef.h>
#include <stdint.h>

#define MBR_SIZE 512u
#define MBR_CODE_LEN 440u
#define MBR_TYPE_GPT_PROTECTIVE 0xEEu
#define MBR_TYPE_EFI_SYSTEM 0xEFu

/* What the first 440 bytes are. Identified by content (the boot code's own strings and opcodes), never by where
 * it came from: an unknown code is reported as such, not guessed. */
enum mbr_code {
	MBR_CODE_ZERO,           /* all 440 bytes zero */
	MBR_CODE_GPTMBR,         /* SYSLINUX gptmbr.bin (boots the GPT partition marked legacy BIOS bootable) */
	MBR_CODE_SYSLINUX,       /* SYSLINUX mbr.bin / altmbr.bin (classic tables) */
	MBR_CODE_GRUB,           /* GRUB 2 boot.img */
	MBR_CODE_WINDOWS,        /* a Windows (NT 6+ or older) MBR */
	MBR_CODE_UNKNOWN,
};

struct mbr_part {
	uint8_t status;          /* 0x80 active, 0 inactive; anything else is reported as invalid */
	uint8_t type;
	uint32_t first_lba, sectors;
};

struct mbr {
	int signature_ok;        /* bytes 510..511 are 55 AA */
	enum mbr_code code;
	uint32_t disk_signature;
	struct mbr_part part[4];
	unsigned nparts;         /* entries with a non-zero type */
	int protective;          /* exactly one entry, of type 0xEE, starting at LBA 1 */
	int hybrid;              /* an 0xEE entry together with other entries */
	int bad_status;          /* an entry whose status byte is neither 0 nor 0x80 */
};

/* Parses sector 0 (buf[0..len), len >= 512; only the first 512 bytes are read). Returns 0, or -EINVAL when
 * len < 512. A missing 55 AA is not an error: signature_ok says so and the rest is still filled. */
int mbr_parse(const uint8_t *buf, size_t len, struct mbr *ret);

/* Identifies 440 bytes of boot code (see enum mbr_code). */
enum mbr_code mbr_code_identify(const uint8_t code[MBR_CODE_LEN]);

/* "zeros", "gptmbr", "syslinux-mbr", "grub", "windows", "unknown": the names of the report and --json. */
const char *mbr_code_name(enum mbr_code c);

/* Writes a protective MBR into out[512]: the boot code from code (NULL: zeros), disk_signature, reserved 0, one
 * 0xEE entry from LBA 1 to the end of a disk of disk_sectors logical sectors (capped at 0xFFFFFFFF), CHS fields
 * as UEFI says (first 00 02 00, last FF FF FF), 55 AA. */
void mbr_build_protective(uint8_t out[MBR_SIZE], const uint8_t *code, uint32_t disk_signature,
			  uint64_t disk_sectors);

#endif
