/* fuzz_tardisk_path.c: tdk_path_normalize() on any bytes: never overruns, and what it accepts obeys the
 * rules (no leading '/', no '.', '..' or empty component, limits) and is a fixed point. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tardisk/path_check.h"
#include "tardisk/tardisk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[TARDISK_PATH_MAX + 1], again[TARDISK_PATH_MAX + 1], *copy, *c, *save = NULL;
	size_t len, len2;
	int rc = tdk_path_normalize((const char *)data, size, out, sizeof(out), &len);

	if (rc < 0)
		return 0;
	if (strlen(out) != len || len > TARDISK_PATH_MAX)
		abort();
	if (rc == TDK_PATH_ROOT)
		return len == 0 ? 0 : (abort(), 0);
	if (out[0] == '/' || out[len - 1] == '/' || strstr(out, "//"))
		abort();
	copy = strdup(out);
	for (c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
		if (!strcmp(c, ".") || !strcmp(c, "..") || strlen(c) > TARDISK_NAME_MAX)
			abort();
	free(copy);
	if (tdk_path_normalize(out, len, again, sizeof(again), &len2) != TDK_PATH_OK || len2 != len ||
	    memcmp(out, again, len))
		abort();
	return 0;
}
