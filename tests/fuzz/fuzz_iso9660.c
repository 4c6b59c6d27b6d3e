/* fuzz_iso9660.c: the loader's ISO9660 reader on arbitrary bytes. The input is the device from byte 32768 on
 * (the 16 sectors of system area before it read as zeros), so that a 64 KiB input holds a whole small volume.
 * Mounted with the device size known and unknown; a few paths looked up and read whole. Nothing may crash or
 * read out of bounds, a found file must lie inside the device, and the reads per input are bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iso9660.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SYSTEM_AREA 32768u
#define MAX_READS 2000000u    /* 16 levels x 48 sectors x 60 records x 17 sectors (record + CE chain), rounded up */

struct dev {
	const uint8_t *p;
	size_t n;              /* input bytes; the device is SYSTEM_AREA + n bytes */
	unsigned reads;
};

static int dev_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct dev *d = ctx;
	uint8_t *out = buf;
	uint64_t end = (uint64_t)SYSTEM_AREA + d->n, i;

	if (++d->reads > MAX_READS)
		abort();          /* unbounded work */
	if (off > end || len > end - off)
		return -5;
	for (i = 0; i < len; i++)
		out[i] = off + i < SYSTEM_AREA ? 0 : d->p[off + i - SYSTEM_AREA];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *paths[] = {
		"/bootbank/boot.cfg", "/BOOTBANK/BOOT.CFG", "/a/b/a-rather-long-file-name-for-rock-ridge.txt",
		"/a/b", "/efi/boot/bootx64.efi", "/", "/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a", "/bootbank/x/y",
	};
	static struct iso_fs fs;
	static uint8_t buf[SYSTEM_AREA + 65536];
	struct dev d = { data, size, 0 };
	struct iso_file f;
	unsigned i, pass;
	uint64_t devsize = SYSTEM_AREA + (uint64_t)size;

	for (pass = 0; pass < 2; pass++) {
		if (iso_mount(&fs, dev_read, &d, pass ? 0 : devsize) < 0)
			continue;
		if (fs.root_size == 0 || fs.root_size > ISO_MAX_DIR_SIZE)
			abort();
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			if (iso_lookup(&fs, paths[i], &f) < 0)
				continue;
			if (f.is_dir)
				continue;
			/* the extent was checked against the device (pass 0) or the volume size (pass 1) */
			if (!pass && f.size && (uint64_t)f.lba * ISO_SECTOR + f.size > devsize)
				abort();
			if (f.size <= sizeof(buf))
				(void)iso_read(&fs, &f, 0, buf, f.size);
			if (iso_read(&fs, &f, f.size, buf, 1) == 0)
				abort();     /* past the end */
		}
	}
	return 0;
}
