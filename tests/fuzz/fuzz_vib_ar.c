/* fuzz_vib_ar.c: the ar reader never reads past the buffer, every member it returns lies inside it, and it
 * always ends (each step moves forward). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vib/ar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t pos = 0, last = 0;
	struct ar_member m;
	struct rh_err err = { 0 };
	int r, n = 0;

	while ((r = ar_next(data, size, &pos, &m, &err)) > 0) {
		if (m.offset > size || m.size > size - m.offset || pos <= last || pos > size)
			abort();
		if (!m.name[0] || strchr(m.name, '/') || !strcmp(m.name, "..") || !strcmp(m.name, "."))
			abort();
		last = pos;
		if (++n > 100000)
			abort();
	}
	if (r < 0 && !err.msg[0])
		abort();
	(void)ar_find(data, size, "descriptor.xml", &m, &err);
	return 0;
}
