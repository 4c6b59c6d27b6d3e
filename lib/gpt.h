/* gpt.h: GUID Partition Table reader over a caller-supplied read callback.
 *
 * Used by the UEFI loader (find the bank partitions) and by `ramhost bootbank` on the booted host (find the
 * bank by ramhost.bankuuid). Freestanding: no libc, no allocation, no globals. The primary header (LBA 1) is
 * checked thoroughly — signature, revision, header size, header CRC32, MyLBA, usable range, entry size and
 * count, entry array location and CRC32 — and when any of that fails the backup header at the last LBA is
 * checked the same way and used instead (ret->used_backup = 1). See gpt.c and docs/loader-parsers.md.
 *
 * Errors are negative errno values: GPT_EIO (read failed), GPT_EINVAL (no valid header: both damaged or no
 * GPT), GPT_ENOTSUP (a block size other than 512 or 4096, or a disk too small). */
#ifndef RAMHOST_GPT_H
#define RAMHOST_GPT_H

#include <stddef.h>
#include <stdint.h>

#define GPT_EIO 5
#define GPT_EINVAL 22
#define GPT_ENOTSUP 95

#define GPT_MAX_PARTS 128        /* entries kept; a table may declare more, but only if they are all unused */
#define GPT_MAX_ENTRIES 4096     /* entries in the array accepted at all (bounds the CRC work) */
#define GPT_MAX_ENTRY_SIZE 4096  /* bytes per entry accepted */

/* GPT attribute bits. */
#define GPT_ATTR_REQUIRED (1ull << 0)
#define GPT_ATTR_NO_BLOCK_IO (1ull << 1)
#define GPT_ATTR_LEGACY_BIOS_BOOTABLE (1ull << 2)

/* Partition type GUIDs (UEFI 2.10 table 5.7 for the ESP; the others as Linux tools name them), in the string
 * form gpt_guid_to_str prints. */
#define GPT_TYPE_ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define GPT_TYPE_BASIC_DATA "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"   /* FAT data partitions (sgdisk 0700) */
#define GPT_TYPE_LINUX_FS "0fc63daf-8483-4772-8e79-3d69d8477de4"     /* sgdisk 8300 */

/* Reads len bytes at BYTE offset `offset` of the disk into buf. Returns 0 or a negative errno. gpt_read asks for
 * at most one block at a time. */
typedef int (*gpt_read_fn)(void *ctx, uint64_t offset, void *buf, uint32_t len);

struct gpt_part {
	uint32_t number;          /* 1-based index in the entry array */
	uint8_t type_guid[16], unique_guid[16];   /* on-disk byte order (mixed-endian) */
	uint64_t first_lba, last_lba, attributes;
	char name[73];            /* UTF-16LE name converted to UTF-8, NUL-terminated (36 UTF-16 units max) */
};

struct gpt_disk {
	uint32_t block_size;
	uint64_t last_lba;        /* disk_blocks - 1 */
	uint8_t disk_guid[16];
	int used_backup;          /* 1 when the primary header or its entries were damaged and the backup was used */
	unsigned nparts;          /* used entries (type GUID not all zero), in entry order */
	struct gpt_part parts[GPT_MAX_PARTS];
	/* added */
	uint64_t first_usable_lba, last_usable_lba;
	uint32_t num_entries;     /* entries declared by the header used */
	int primary_ok, backup_ok;   /* which headers (with their entry arrays) checked out; backup_ok is only
	                                computed when the primary failed */
	/* added (rescue) */
	uint64_t alternate_lba;   /* the used header's AlternateLBA: where it says the other copy is */
	uint64_t entries_lba;     /* the used header's PartitionEntryLBA */
};

/* Reads the GPT of a disk of disk_blocks blocks of block_size bytes (512 or 4096) through read/ctx. Fills *ret
 * (the caller's; large: ~17 KiB, do not put it on a small EFI stack needlessly) only on success. A used entry
 * with first_lba > last_lba or outside the usable range is an error (-GPT_EINVAL) for that header, so a damaged
 * primary falls back to the backup. Overlapping partitions are not checked (they are not this parser's
 * business; sgdisk -v is). Returns 0 or a negative errno. */
int gpt_read(gpt_read_fn read, void *ctx, uint32_t block_size, uint64_t disk_blocks, struct gpt_disk *ret);

/* Reads exactly one copy: the header at lba (1 for the main copy; the disk's last LBA, or the main header's
 * AlternateLBA on a grown disk, for the backup) and its entry array, checked as gpt_read checks them, with no
 * fallback. Fills *ret only on success (primary_ok or backup_ok set by lba == 1). On failure why (cap bytes, may
 * be NULL) names the first check that failed in a few words ("header: CRC32 mismatch", "entry array: CRC32
 * mismatch"). Used by `ramhost rescue scan` to tell a damaged main copy from a damaged backup. */
int gpt_read_copy(gpt_read_fn read, void *ctx, uint32_t block_size, uint64_t disk_blocks, uint64_t lba,
		  struct gpt_disk *ret, char *why, size_t cap);

/* Writes g as a lowercase "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" string (NUL included, 37 bytes). The first
 * three groups are little-endian on disk, the last two big-endian, as UEFI and sgdisk print them. */
void gpt_guid_to_str(const uint8_t g[16], char out[37]);

/* Parses a 36-character GUID string (either case) into on-disk byte order. Returns 0 or -GPT_EINVAL. */
int gpt_guid_from_str(const char *s, uint8_t out[16]);

/* CRC32 (IEEE 802.3, reflected, as in GPT, zlib and UEFI's CalculateCrc32) of buf[0..len), continuing from crc
 * (start with 0). */
uint32_t gpt_crc32(uint32_t crc, const void *buf, size_t len);

#endif
