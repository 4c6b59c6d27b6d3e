/* fuzz_ondemand_plan.c: the on-demand modules' plan reader (lib/host/ondemand.c) never crashes, never loops, and
 * hands out only clean absolute paths ending in ".ko" inside the buffer; an error names the plan. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ondemand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *p;
	struct rh_err err = { 0 };
	size_t pos = 0, last = 0, len;
	int rc;

	while ((rc = ondemand_plan_next(buf, size, &pos, "plan", &p, &len, &err)) > 0) {
		if (pos <= last && last != 0)
			abort();
		last = pos;
		if (p < buf || p + len > buf + size || len < 4 || len >= PATH_MAX || p[0] != '/' ||
		    memcmp(p + len - 3, ".ko", 3) || memchr(p, '\0', len) || memchr(p, '\n', len))
			abort();
	}
	if (rc < 0 && strncmp(err.msg, "plan: line ", 11))
		abort();
	if (pos > size)
		abort();
	return 0;
}
