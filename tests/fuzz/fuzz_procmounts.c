/* fuzz_procmounts.c: the /proc/mounts reader (lib/procmounts.c) never crashes, always ends, and what it returns
 * is NUL-terminated within its fields; procmounts_find agrees with the iterator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procmounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct procmount m;
	const char *buf = (const char *)data;
	char fst[64], last[64] = "";
	size_t pos = 0, prev;
	int found;

	while (1) {
		prev = pos;
		if (!procmounts_next(buf, size, &pos, &m))
			break;
		if (pos <= prev || pos > size || strnlen(m.mountpoint, sizeof(m.mountpoint)) == sizeof(m.mountpoint) ||
		    strnlen(m.fstype, sizeof(m.fstype)) == sizeof(m.fstype) ||
		    strnlen(m.options, sizeof(m.options)) == sizeof(m.options))
			abort();
		if (!strcmp(m.mountpoint, "/usr"))
			strcpy(last, m.fstype);
	}
	if (pos != size)
		abort(); /* the end is the end of the text */
	found = procmounts_find(buf, size, "/usr", fst, sizeof(fst));
	if (found != (last[0] != '\0') || (found && strcmp(fst, last)))
		abort();
	return 0;
}
