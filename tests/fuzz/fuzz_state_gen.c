/* fuzz_state_gen.c: full verification of a generation file (footer, SHA-256, zstd tar, MANIFEST, every member)
 * on arbitrary bytes. The footer's SHA-256 is recomputed over the fuzzed payload first, so that the fuzzer
 * reaches the archive and MANIFEST checks behind it instead of stopping at the hash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ramdisk/state/state_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_manifest m;
	struct state_footer f;
	struct rh_err err = { 0, "" };
	uint8_t *buf;

	if (size > (1u << 20))
		return 0;
	buf = malloc(size + STATE_FOOTER_SIZE);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	f.generation = 1;
	f.payload_len = size;
	f.created = 0;
	sha256_buf(buf, size, f.sha256);
	state_footer_format(&f, buf + size);
	if (state_gen_verify_buf(buf, size + STATE_FOOTER_SIZE, "fuzz", 1, &m, &err) == 0)
		state_manifest_free(&m);
	else if (!err.msg[0])
		abort();
	free(buf);
	return 0;
}
