/* gpt_write.c: GPT headers and entry attributes written (see gpt_write.h). Freestanding. */
#include "gpt_write.h"

#include "gpt.h"
#include "le.h"

enum { H_REV = 8, H_SIZE = 12, H_CRC = 16, H_MY = 24, H_ALT = 32, H_FIRST = 40, H_LAST = 48, H_GUID = 56,
       H_ENTRIES = 72, H_NUM = 80, H_ESIZE = 84, H_ECRC = 88 };
#define ATTR_OFF 48u   /* in an entry: type GUID 16, unique GUID 16, first LBA 8, last LBA 8, attributes 8 */

int gpt_hdr_get(const uint8_t *blk, size_t bs, struct gpt_hdr *ret)
{
	static const char sig[8] = { 'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T' };
	unsigned i;

	if (bs < 512)
		return -22;
	for (i = 0; i < 8; i++)
		if (blk[i] != (uint8_t)sig[i])
			return -22;
	ret->header_size = le32(blk + H_SIZE);
	if (ret->header_size < 92 || ret->header_size > bs)
		return -22;
	ret->my_lba = le64(blk + H_MY);
	ret->alt_lba = le64(blk + H_ALT);
	ret->first_usable = le64(blk + H_FIRST);
	ret->last_usable = le64(blk + H_LAST);
	ret->entries_lba = le64(blk + H_ENTRIES);
	ret->num_entries = le32(blk + H_NUM);
	ret->entry_size = le32(blk + H_ESIZE);
	for (i = 0; i < 16; i++)
		ret->disk_guid[i] = blk[H_GUID + i];
	return 0;
}

void gpt_hdr_put(uint8_t *blk, size_t bs, const struct gpt_hdr *h, uint32_t entries_crc)
{
	static const char sig[8] = { 'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T' };
	uint32_t hs = h->header_size;
	size_t i;

	if (hs < 92 || hs > bs)
		hs = 92;
	for (i = 0; i < bs; i++)
		blk[i] = 0;
	for (i = 0; i < 8; i++)
		blk[i] = (uint8_t)sig[i];
	put_le32(blk + H_REV, 0x00010000u);
	put_le32(blk + H_SIZE, hs);
	put_le64(blk + H_MY, h->my_lba);
	put_le64(blk + H_ALT, h->alt_lba);
	put_le64(blk + H_FIRST, h->first_usable);
	put_le64(blk + H_LAST, h->last_usable);
	for (i = 0; i < 16; i++)
		blk[H_GUID + i] = h->disk_guid[i];
	put_le64(blk + H_ENTRIES, h->entries_lba);
	put_le32(blk + H_NUM, h->num_entries);
	put_le32(blk + H_ESIZE, h->entry_size);
	put_le32(blk + H_ECRC, entries_crc);
	put_le32(blk + H_CRC, gpt_crc32(0, blk, hs));
}

uint64_t gpt_entry_sectors(const struct gpt_hdr *h, uint32_t bs)
{
	uint64_t bytes = (uint64_t)h->num_entries * h->entry_size;

	return (bytes + bs - 1) / bs;
}

uint64_t gpt_entry_attrs(const uint8_t *ents, uint32_t esz, uint32_t i)
{
	return le64(ents + (uint64_t)i * esz + ATTR_OFF);
}

void gpt_entry_set_attrs(uint8_t *ents, uint32_t esz, uint32_t i, uint64_t attrs)
{
	put_le64(ents + (uint64_t)i * esz + ATTR_OFF, attrs);
}
