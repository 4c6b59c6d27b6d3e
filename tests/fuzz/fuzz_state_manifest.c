/* fuzz_state_manifest.c: the MANIFEST parser on arbitrary bytes; whatever parses must format and parse back to
 * the same entries, and nothing may crash or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ramdisk/state/state_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_manifest a, b;
	struct rh_err err = { 0, "" };
	char *text = NULL;
	size_t len, i;

	if (state_manifest_parse((const char *)data, size, &a, &err) < 0)
		return 0;
	for (i = 0; i < a.n; i++)
		if (!state_path_valid(a.e[i].path, strlen(a.e[i].path)))
			abort();
	if (state_manifest_format(&a, &text, &len) < 0)
		abort();
	if (state_manifest_parse(text, len, &b, &err) < 0)
		abort();
	if (a.n != b.n || a.generation != b.generation || strcmp(a.hostname, b.hostname))
		abort();
	for (i = 0; i < a.n; i++)
		if (!state_entry_same(&a.e[i], &b.e[i]))
			abort();
	free(text);
	state_manifest_free(&a);
	state_manifest_free(&b);
	return 0;
}
