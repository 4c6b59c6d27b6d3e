/* install_gpt.c: the skeleton's GPT moved to the target disk (see install_gpt.h). */
#include "install_gpt.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "gpt.h"
#include "le.h"

/* Header fields (UEFI 2.x, 5.3.2): offsets in the header sector. */
enum { H_SIG = 0, H_SIZE = 12, H_CRC = 16, H_MY = 24, H_ALT = 32, H_FIRST = 40, H_LAST = 48, H_GUID = 56,
       H_ENTRIES = 72, H_NUM = 80, H_ESIZE = 84, H_ECRC = 88 };

static uint32_t header_crc(const uint8_t *h)
{
	uint8_t tmp[512];
	uint32_t size = le32(h + H_SIZE);

	memcpy(tmp, h, size);
	put_le32(tmp + H_CRC, 0);
	return gpt_crc32(0, tmp, size);
}

int install_gpt_check(const uint8_t *head, size_t len, uint64_t *ret_sectors, struct rh_err *err)
{
	const uint8_t *h = head + 512, *e = head + 1024;
	uint32_t size, num, esize, i;
	uint64_t alt;

	if (len < INSTALL_GPT_HEAD)
		return rh_errf(err, -EINVAL, "skeleton: shorter than its GPT (%zu bytes)", len);
	if (memcmp(h + H_SIG, "EFI PART", 8))
		return rh_errf(err, -EINVAL, "skeleton: no GPT header at LBA 1");
	size = le32(h + H_SIZE);
	if (size < 92 || size > 512 || header_crc(h) != le32(h + H_CRC))
		return rh_errf(err, -EINVAL, "skeleton: GPT header size %" PRIu32 " or CRC is wrong", size);
	num = le32(h + H_NUM);
	esize = le32(h + H_ESIZE);
	if (le64(h + H_MY) != 1 || le64(h + H_ENTRIES) != 2 || esize < 128 || esize % 8 ||
	    (uint64_t)num * esize > 32u * 512 || num < INSTALL_GPT_PARTS)
		return rh_errf(err, -EINVAL, "skeleton: GPT layout not the one `ramhost image disk` writes (entries "
			       "%" PRIu32 " x %" PRIu32 " at LBA %" PRIu64 ")", num, esize, le64(h + H_ENTRIES));
	if (gpt_crc32(0, e, (size_t)num * esize) != le32(h + H_ECRC))
		return rh_errf(err, -EINVAL, "skeleton: GPT entry array CRC mismatch");
	for (i = 0; i < INSTALL_GPT_PARTS; i++) {
		static const uint8_t zero[16];
		if (!memcmp(e + (size_t)i * esize, zero, 16))
			return rh_errf(err, -EINVAL, "skeleton: GPT entry %" PRIu32 " is unused", i + 1);
	}
	alt = le64(h + H_ALT);
	if (alt < 34 + 33 || le64(h + H_LAST) >= alt)
		return rh_errf(err, -EINVAL, "skeleton: GPT backup LBA %" PRIu64 " is impossible", alt);
	*ret_sectors = alt + 1;
	return 0;
}

int install_gpt_relocate(uint8_t *head, uint64_t dev_sectors, const uint8_t guids[1 + INSTALL_GPT_PARTS][16],
			 uint8_t *tail, struct rh_err *err)
{
	uint8_t *h = head + 512, *e = head + 1024, *bh = tail + 32 * 512, *be = tail;
	uint64_t skel, last_part = 0, last = dev_sectors - 1;
	uint32_t num, esize, i, ecrc;
	int rc = install_gpt_check(head, INSTALL_GPT_HEAD, &skel, err);

	if (rc)
		return rc;
	num = le32(h + H_NUM);
	esize = le32(h + H_ESIZE);
	for (i = 0; i < num; i++)
		if (le64(e + (size_t)i * esize + 40) > last_part)
			last_part = le64(e + (size_t)i * esize + 40);
	if (dev_sectors < skel || last_part >= last - 33)
		return rh_errf(err, -ENOSPC, "disk of %" PRIu64 " sectors is smaller than the skeleton's %" PRIu64,
			       dev_sectors, skel);
	for (i = 0; i < INSTALL_GPT_PARTS; i++)
		memcpy(e + (size_t)i * esize + 16, guids[1 + i], 16);
	ecrc = gpt_crc32(0, e, (size_t)num * esize);
	/* protective MBR: one partition of type 0xEE from LBA 1 to the end (or 0xFFFFFFFF sectors) */
	if (head[510] != 0x55 || head[511] != 0xaa || head[446 + 4] != 0xee)
		return rh_errf(err, -EINVAL, "skeleton: no protective MBR");
	put_le32(head + 446 + 12, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
	memcpy(h + H_GUID, guids[0], 16);
	put_le64(h + H_ALT, last);
	put_le64(h + H_LAST, last - 33);
	put_le32(h + H_ECRC, ecrc);
	put_le32(h + H_CRC, header_crc(h));
	/* backup: the same entries just before the last sector, the header in it pointing back */
	memset(tail, 0, INSTALL_GPT_TAIL);
	memcpy(be, e, (size_t)num * esize);
	memcpy(bh, h, 512);
	put_le64(bh + H_MY, last);
	put_le64(bh + H_ALT, 1);
	put_le64(bh + H_ENTRIES, last - 32);
	put_le32(bh + H_CRC, header_crc(bh));
	return 0;
}
