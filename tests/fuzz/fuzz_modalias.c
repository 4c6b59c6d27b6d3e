/* fuzz_modalias.c: the module alias reader (lib/modalias.c) never crashes, always ends at the end of the text,
 * returns words inside it without spaces, and modalias_wanted agrees with a match over the lines it returns. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modalias.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const devs[] = {
		"pci:v00008086d00007010sv00001AF4sd00001100bc01sc01i80",
		"pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
	};
	const char *buf = (const char *)data, *pat, *mod, *first = NULL;
	size_t pos = 0, prev, patl, modl, firstl = 0;
	int any = 0;
	char name[256];

	while (1) {
		prev = pos;
		if (!modalias_next(buf, size, &pos, &pat, &patl, &mod, &modl))
			break;
		if (pos <= prev || pos > size || pat < buf || mod < buf || pat + patl > buf + size ||
		    mod + modl > buf + size || !patl || !modl || memchr(pat, ' ', patl) || memchr(mod, ' ', modl))
			abort();
		if (!first && modl < sizeof(name)) {
			first = mod;
			firstl = modl;
		}
	}
	if (pos != size)
		abort();
	if (!first)
		return 0;
	memcpy(name, first, firstl);
	name[firstl] = '\0';
	for (pos = 0; modalias_next(buf, size, &pos, &pat, &patl, &mod, &modl);)
		if (modl == firstl && !memcmp(mod, name, modl))
			any |= modalias_match(pat, patl, devs[0]) | modalias_match(pat, patl, devs[1]);
	if (modalias_wanted(buf, size, name, devs, 2) != any)
		abort();
	return 0;
}
