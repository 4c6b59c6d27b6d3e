/* bootcfg_cpio.c: the in-memory bootcfg.cpio (see bootcfg_cpio.h). */
#include "bootcfg_cpio.h"

#define NEWC_HEADER 110

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static size_t entry_len(size_t namesize, size_t filesize)
{
	return pad4(NEWC_HEADER + namesize) + pad4(filesize);
}

size_t bootcfg_cpio_len(size_t len)
{
	return entry_len(sizeof("boot.cfg"), len) + entry_len(sizeof("TRAILER!!!"), 0);
}

static void put_hex8(uint8_t *out, uint32_t v)
{
	static const char digits[] = "0123456789ABCDEF";
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)digits[v & 15];
		v >>= 4;
	}
}

/* One header (magic, 13 fields), the name with its NUL, zero padding to 4, the data, zero padding to 4. Returns
 * the bytes written. */
static size_t put_entry(uint8_t *out, uint32_t ino, uint32_t mode, const char *name, size_t namesize,
			const char *data, size_t len)
{
	const uint32_t fields[13] = { ino, mode, 0, 0, 1, 0, (uint32_t)len, 0, 0, 0, 0, (uint32_t)namesize, 0 };
	size_t off = 0, i;

	for (i = 0; i < 6; i++)
		out[off++] = (uint8_t)"070701"[i];
	for (i = 0; i < 13; i++, off += 8)
		put_hex8(out + off, fields[i]);
	for (i = 0; i < namesize; i++)
		out[off++] = (uint8_t)name[i];
	while (off & 3)
		out[off++] = 0;
	for (i = 0; i < len; i++)
		out[off++] = (uint8_t)data[i];
	while (off & 3)
		out[off++] = 0;
	return off;
}

void bootcfg_cpio_write(uint8_t *out, const char *text, size_t len)
{
	size_t off = put_entry(out, 1, 0100444, "boot.cfg", sizeof("boot.cfg"), text, len);

	put_entry(out + off, 0, 0, "TRAILER!!!", sizeof("TRAILER!!!"), "", 0);
}
