/* iso_media.c: the ISO9660 volume of the boot device, read through the firmware's BlockIO with lib/iso9660 (the
 * firmware has no ISO9660 driver). The device is a CD (2048-byte blocks) or the hybrid ISO written to a USB or
 * virtio disk (512-byte blocks); the reader asks for byte ranges, which are turned into whole-block reads into
 * a page-aligned bounce buffer (BlockIO wants block-multiple sizes and media->IoAlign alignment), except for
 * the block-aligned middle of a large read into a suitably aligned caller buffer, read in place. */
#include "media.h"

#include "text.h"

#define BOUNCE_BYTES (64u * 1024)

struct iso_source {
	EFI_BLOCK_IO *bio;
	UINT32 block_size;
	UINT8 *bounce;            /* BOUNCE_BYTES, page-aligned */
	struct iso_fs fs;
};

static int aligned_for(const EFI_BLOCK_IO *bio, const void *p)
{
	UINT32 a = bio->Media->IoAlign;

	return a <= 1 || ((UINTN)p & (a - 1)) == 0;
}

/* The iso_read_fn: len bytes at byte offset off of the device into buf. */
static int bio_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct iso_source *s = ctx;
	EFI_BLOCK_IO *bio = s->bio;
	UINT32 bsz = s->block_size;
	UINT8 *out = buf;
	EFI_STATUS st;

	while (len) {
		UINT64 lba = off / bsz;
		UINT32 skip = (UINT32)(off % bsz);

		if (skip == 0 && len >= bsz && aligned_for(bio, out)) {
			/* In place, whole blocks, at most 16 MiB per call. */
			UINT32 n = len - len % bsz;

			if (n > (16u << 20))
				n = 16u << 20;
			st = uefi_call_wrapper(bio->ReadBlocks, 5, bio, bio->Media->MediaId, lba, n, out);
			if (EFI_ERROR(st))
				return -ISO_EIO;
			out += n;
			off += n;
			len -= n;
		} else {
			UINT32 want = skip + len, n;

			want = (want + bsz - 1) / bsz * bsz;
			if (want > BOUNCE_BYTES)
				want = BOUNCE_BYTES;
			st = uefi_call_wrapper(bio->ReadBlocks, 5, bio, bio->Media->MediaId, lba, want, s->bounce);
			if (EFI_ERROR(st))
				return -ISO_EIO;
			n = want - skip;
			if (n > len)
				n = len;
			CopyMem(out, s->bounce + skip, n);
			out += n;
			off += n;
			len -= n;
		}
	}
	return 0;
}

EFI_STATUS iso_source_open(EFI_DEVICE_PATH *dp, struct iso_source **ret, UINT32 *ret_block_size)
{
	EFI_DEVICE_PATH *rest = dp;
	EFI_HANDLE h = NULL;
	EFI_BLOCK_IO *bio = NULL;
	EFI_PHYSICAL_ADDRESS pages = 0;
	struct iso_source *s;
	EFI_STATUS st;
	UINT32 bsz;
	int rc;

	st = uefi_call_wrapper(BS->LocateDevicePath, 3, &gEfiBlockIoProtocolGuid, &rest, &h);
	if (EFI_ERROR(st))
		return st;
	/* The handle must be the device itself, not a partition or controller above it. */
	if (!(rest->Type == END_DEVICE_PATH_TYPE && rest->SubType == END_ENTIRE_DEVICE_PATH_SUBTYPE))
		return EFI_NOT_FOUND;
	st = uefi_call_wrapper(BS->HandleProtocol, 3, h, &gEfiBlockIoProtocolGuid, (void **)&bio);
	if (EFI_ERROR(st) || !bio || !bio->Media->MediaPresent)
		return EFI_NOT_FOUND;
	bsz = bio->Media->BlockSize;
	if (bsz < 512 || bsz > 4096 || (bsz & (bsz - 1)) || bio->Media->IoAlign > 4096)
		return EFI_UNSUPPORTED;
	s = AllocateZeroPool(sizeof(*s));
	if (!s)
		return EFI_OUT_OF_RESOURCES;
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData, BOUNCE_BYTES / 4096, &pages);
	if (EFI_ERROR(st)) {
		FreePool(s);
		return st;
	}
	s->bio = bio;
	s->block_size = bsz;
	s->bounce = (UINT8 *)(UINTN)pages;
	rc = iso_mount(&s->fs, bio_read, s, (bio->Media->LastBlock + 1) * (uint64_t)bsz);
	if (rc) {
		uefi_call_wrapper(BS->FreePages, 2, pages, BOUNCE_BYTES / 4096);
		FreePool(s);
		return EFI_VOLUME_CORRUPTED;
	}
	*ret = s;
	*ret_block_size = bsz;
	return EFI_SUCCESS;
}

static EFI_STATUS lookup_file(struct iso_source *s, const char *path, struct iso_file *f)
{
	int rc = iso_lookup(&s->fs, path, f);

	if (rc == -ISO_ENOENT || rc == -ISO_ENOTDIR)
		return EFI_NOT_FOUND;
	if (rc)
		return EFI_VOLUME_CORRUPTED;
	return f->is_dir ? EFI_NOT_FOUND : EFI_SUCCESS;
}

EFI_STATUS iso_source_size(struct iso_source *s, const char *path, UINT64 *ret_size)
{
	struct iso_file f;
	EFI_STATUS st = lookup_file(s, path, &f);

	if (!EFI_ERROR(st))
		*ret_size = f.size;
	return st;
}

EFI_STATUS iso_source_read(struct iso_source *s, const char *path, void *buf, UINT64 size)
{
	struct iso_file f;
	EFI_STATUS st = lookup_file(s, path, &f);

	if (EFI_ERROR(st))
		return st;
	if (size > f.size)
		return EFI_END_OF_FILE;
	return iso_read(&s->fs, &f, 0, buf, (uint32_t)size) ? EFI_DEVICE_ERROR : EFI_SUCCESS;
}
