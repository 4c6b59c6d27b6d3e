/* fuzz_vib_descriptor.c: the descriptor parser never crashes, and what it accepts writes back to a document that
 * parses to the same bytes again (write(parse(write(parse(x)))) == write(parse(x))). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vib/descriptor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vib_desc d, d2;
	struct rh_err err = { 0 };
	char *out = NULL, *out2 = NULL;
	size_t len, len2;

	if (vib_desc_parse(data, size, &d, &err) < 0) {
		if (!err.msg[0] || strncmp(err.msg, "descriptor.xml", 14))
			abort(); /* every refusal says what was wrong */
		return 0;
	}
	if (!d.name[0] || !vib_version_valid(d.version) || !d.vendor[0] || !d.description)
		abort();
	if (vib_desc_write(&d, &out, &len, &err) == 0) {
		if (vib_desc_parse(out, len, &d2, &err) < 0)
			abort();
		if (vib_desc_write(&d2, &out2, &len2, &err) < 0 || len != len2 || memcmp(out, out2, len))
			abort();
		vib_desc_free(&d2);
	}
	free(out);
	free(out2);
	vib_desc_free(&d);
	return 0;
}
