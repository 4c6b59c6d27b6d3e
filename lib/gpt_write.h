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

#endif
