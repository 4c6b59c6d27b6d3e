/* fuzz_scan_parse.c: the text and header readers of `rescue scan` (recovery/scan_int.h) on hostile bytes: the
 * first byte picks the reader (a PE header's signature directory, a debugfs `ls -p` line, an os-release
 * text), the rest is its input. None may crash, read past the input or return a name that does not fit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recovery/scan_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[64], pretty[32];
	uint64_t fsize;
	int regular, r;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		r = scan_pe_signed(data + 1, size - 1);
		if (r < -1 || r > 1)
			abort();
		break;
	case 1:
		if (scan_ls_line((const char *)data + 1, size - 1, name, sizeof(name), &regular, &fsize) == 0 &&
		    (strlen(name) >= sizeof(name) || !name[0] || strchr(name, '/') || (regular != 0 && regular != 1)))
			abort();
		break;
	default:
		if (scan_os_release_name((const char *)data + 1, size - 1, pretty, sizeof(pretty)) == 0 &&
		    (strlen(pretty) >= sizeof(pretty) || !pretty[0]))
			abort();
		break;
	}
	return 0;
}
