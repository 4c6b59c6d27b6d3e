/* fuzz_state_footer.c: the generation footer parser on arbitrary bytes (the input is a whole generation file);
 * a footer that parses must describe exactly this file, and formatting it again gives the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ramdisk/state/state_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_footer f;
	struct rh_err err = { 0, "" };
	uint8_t again[STATE_FOOTER_SIZE];

	if (state_footer_parse(data, size, "fuzz", &f, &err) < 0) {
		if (!err.msg[0])
			abort();   /* every refusal says why */
		return 0;
	}
	if (f.payload_len + STATE_FOOTER_SIZE != size)
		abort();
	state_footer_format(&f, again);
	if (memcmp(again, data + size - STATE_FOOTER_SIZE, STATE_FOOTER_SIZE))
		abort();
	state_footer_check(data, size, "fuzz", &f, &err);
	return 0;
}
