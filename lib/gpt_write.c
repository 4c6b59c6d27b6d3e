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

void gpt_new_layout(uint64_t disk_sectors, uint32_t bs, const uint8_t disk_guid[16], struct gpt_hdr *main,
		    struct gpt_hdr *backup)
{
	uint64_t last = disk_sectors - 1, esec;
	unsigned i;

	main->header_size = 92;
	main->num_entries = GPT_NEW_ENTRIES;
	main->entry_size = GPT_NEW_ENTRY_SIZE;
	for (i = 0; i < 16; i++)
		main->disk_guid[i] = disk_guid[i];
	esec = gpt_entry_sectors(main, bs);
	main->first_usable = 2 + esec;
	main->last_usable = last - esec - 1;
	main->my_lba = 1;
	main->alt_lba = last;
	main->entries_lba = 2;
	*backup = *main;
	backup->my_lba = last;
	backup->alt_lba = 1;
	backup->entries_lba = last - esec;
}

void gpt_entry_put(uint8_t *ents, uint32_t esz, uint32_t i, const struct gpt_new_part *p)
{
	uint8_t *e = ents + (uint64_t)i * esz;
	unsigned k;

	for (k = 0; k < esz; k++)
		e[k] = 0;
	for (k = 0; k < 16; k++) {
		e[k] = p->type_guid[k];
		e[16 + k] = p->unique_guid[k];
	}
	put_le64(e + 32, p->first_lba);
	put_le64(e + ATTR_OFF - 8, p->last_lba);
	put_le64(e + ATTR_OFF, p->attributes);
	for (k = 0; p->name && p->name[k] && k < 36; k++)
		e[56 + 2 * k] = (uint8_t)p->name[k];
}

void gpt_guid_mark_v4(uint8_t g[16])
{
	g[7] = (uint8_t)((g[7] & 0x0f) | 0x40);
	g[8] = (uint8_t)((g[8] & 0x3f) | 0x80);
}
