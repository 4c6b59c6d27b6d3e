/* fuzz_efiload.c: the load option decoder on any bytes (the input as a Boot#### variable's data). What it
 * accepts must be self-consistent: texts NUL-terminated valid UTF-8, the optional data inside the input; an
 * accepted option with ASCII texts and a hard drive node encodes again and decodes to the same fields. BootOrder
 * and Boot#### names on the same bytes: counts bounded, a name accepted only in its one spelling. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "efiload.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int valid_text(const char *s, size_t cap, int *ascii)
{
	size_t len = strnlen(s, cap), i = 0, n;
	uint32_t cp;

	if (len == cap)
		return 0;
	*ascii = 1;
	while (i < len) {
		n = utf8_len((const unsigned char *)s + i, len - i, &cp);
		if (!n || !cp)
			return 0;
		*ascii &= cp < 0x80;
		i += n;
	}
	return 1;
}

static void reencode(const struct efiload *e)
{
	static uint8_t buf[EFILOAD_MAX];
	struct efiload back;
	size_t len;

	if (efiload_encode(e->desc, &e->hd, e->file, buf, sizeof(buf), &len) != 0)
		abort();
	if (efiload_parse(buf, len, &back) != 0 || strcmp(back.desc, e->desc) || strcmp(back.file, e->file))
		abort();
	if (back.hd.partno != e->hd.partno || back.hd.start != e->hd.start || back.hd.size != e->hd.size ||
	    memcmp(back.hd.signature, e->hd.signature, 16) || back.other_nodes || back.optional_len ||
	    back.attributes != EFILOAD_ACTIVE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct efiload e;
	uint16_t order[64], v;
	int ascii_d, ascii_f;
	char name[10];

	if (efiload_parse(data, size, &e) == 0) {
		if (!valid_text(e.desc, sizeof(e.desc), &ascii_d) || !valid_text(e.file, sizeof(e.file), &ascii_f))
			abort();
		if (e.optional_len > size || (!e.has_file && e.file[0]))
			abort();
		if (e.has_hd && ascii_d && ascii_f && e.desc[0] && e.file[0])
			reencode(&e);
	}
	if (efiload_bootorder_parse(data, size, order, 64) > 64 || efiload_bootorder_parse(data, size, order, 64) > size / 2)
		abort();
	if (size >= 8) {
		memcpy(name, data, 8);
		name[8] = '\0';
		if (efiload_boot_name(name, &v) == 0) {
			char again[16];

			snprintf(again, sizeof(again), "Boot%04X", (unsigned)v);
			if (strcmp(again, name))
				abort();
		}
	}
	return 0;
}
