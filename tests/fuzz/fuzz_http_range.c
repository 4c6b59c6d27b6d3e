/* fuzz_http_range.c: the Range header parser on arbitrary bytes. The first 8 bytes are the object size; a
 * PARTIAL answer must lie inside the object, and nothing may read past the value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxe-server/http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t objsize = 0, first = 0, last = 0;
	char *copy;
	enum http_range_result r;

	if (size < 8)
		return 0;
	memcpy(&objsize, data, 8);
	if (data[0] & 1)
		objsize &= 0xffff;   /* small objects are the interesting ones half of the time */
	copy = malloc(size > 8 ? size - 8 : 1);   /* exact size: ASan sees a read past the value */
	if (!copy)
		return 0;
	memcpy(copy, data + 8, size - 8);
	r = http_range_parse(copy, size - 8, objsize, &first, &last);
	if (r == HTTP_RANGE_PARTIAL && (first > last || last >= objsize))
		abort();
	if (r != HTTP_RANGE_IGNORE && r != HTTP_RANGE_PARTIAL && r != HTTP_RANGE_UNSATISFIABLE)
		abort();
	free(copy);
	return 0;
}
