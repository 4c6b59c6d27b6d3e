/* fuzz_bootcfg.c: boot.cfg parser on arbitrary bytes. Whatever parses must format and parse back to the same
 * struct (the writer and the parser agree), and nothing may crash or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bootcfg a, b;
	static char text[BOOTCFG_MAX_LINE * 8 + BOOTCFG_MAX_MODULES * 256];
	struct bootcfg_error e;
	long n;

	if (bootcfg_parse((const char *)data, size, &a, &e) < 0)
		return 0;
	n = bootcfg_format(&a, text, sizeof(text));
	if (n < 0)
		abort();
	if (bootcfg_parse(text, (size_t)n, &b, &e) < 0)
		abort();
	/* values with surrounding blanks were trimmed on the first parse, so the second must equal the first */
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	return 0;
}
