/* gpt_write.h: building GPT headers and entry arrays (the write side of lib/gpt.h), for `ramhost rescue`'s
 * fix-gpt (main from backup, backup from main, backup moved to the end of a grown disk) and install-bios (the
 * legacy BIOS bootable attribute). Pure: works on caller buffers; freestanding like gpt.c. The field offsets are
 * UEFI 2.10's (5.3.2); the CRCs are gpt_crc32's. */
#ifndef RAMHOST_GPT_WRITE_H
#define RAMHOST_GPT_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* The fields of a header that a rewrite keeps or changes. */
struct gpt_hdr {
	uint32_t header_size;     /* 92 normally; bytes covered by the header CRC */
	uint64_t my_lba, alt_lba, first_usable, last_usable, entries_lba;
	uint32_t num_entries, entry_size;
	uint8_t disk_guid[16];
};

/* Reads the fields of the header in blk[0..bs) (no validation beyond "EFI PART" and a header size within bs:
 * the caller knows the header verified, lib/gpt.h). Returns 0 or -22 (EINVAL). */
int gpt_hdr_get(const uint8_t *blk, size_t bs, struct gpt_hdr *ret);

/* Writes a header with fields h into blk[0..bs) (zeroed first; signature, revision 1.0), with entries_crc as
 * the entry array's CRC32, and its own CRC32. bs >= 512. */
void gpt_hdr_put(uint8_t *blk, size_t bs, const struct gpt_hdr *h, uint32_t entries_crc);

/* Sectors the entry array of h takes at block size bs. */
uint64_t gpt_entry_sectors(const struct gpt_hdr *h, uint32_t bs);

/* The attributes of entry i (0-based) in the array ents (entry size esz), and setting them. */
uint64_t gpt_entry_attrs(const uint8_t *ents, uint32_t esz, uint32_t i);
void gpt_entry_set_attrs(uint8_t *ents, uint32_t esz, uint32_t i, uint64_t attrs);

/* A table made from scratch, as sgdisk --clear and UEFI's defaults lay it out: GPT_NEW_ENTRIES entries of
 * GPT_NEW_ENTRY_SIZE bytes, the main array at LBA 2, the backup array right before the backup header at the last
 * LBA; fills main and backup for a disk of disk_sectors blocks of bs bytes (first and last usable LBA between
 * the arrays). The caller writes the arrays with gpt_hdr_put's entries_crc over GPT_NEW_ENTRIES *
 * GPT_NEW_ENTRY_SIZE bytes. */
#define GPT_NEW_ENTRIES 128u
#define GPT_NEW_ENTRY_SIZE 128u
void gpt_new_layout(uint64_t disk_sectors, uint32_t bs, const uint8_t disk_guid[16], struct gpt_hdr *main,
		    struct gpt_hdr *backup);

/* Marks 16 random bytes as a version 4 (random) GUID of RFC 4122's variant, in on-disk byte order (time_hi is
 * little-endian: its high byte is g[7]). */
void gpt_guid_mark_v4(uint8_t g[16]);

/* One used entry of an array being made. */
struct gpt_new_part {
	uint8_t type_guid[16], unique_guid[16];   /* on-disk byte order (gpt_guid_from_str) */
	uint64_t first_lba, last_lba, attributes;
	const char *name;                          /* ASCII, at most 36 characters (longer ones are cut) */
};

/* Writes p as entry i (0-based) of the array ents (entry size esz >= 128), the name as UTF-16LE. */
void gpt_entry_put(uint8_t *ents, uint32_t esz, uint32_t i, const struct gpt_new_part *p);

#endif
