/* fuzz_bootenv.c: boot.env parser on arbitrary bytes; whatever parses must format and parse back to the same
 * struct, and nothing may crash or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bootenv a, b;
	static char text[65536];
	struct rh_err err = { 0 };
	long n;

	if (bootenv_parse((const char *)data, size, "boot.env", &a, &err) < 0)
		return 0;
	n = bootenv_format(&a, text, sizeof(text));
	if (n < 0)
		abort();
	if (bootenv_parse(text, (size_t)n, "boot.env", &b, &err) < 0)
		abort();
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	return 0;
}
