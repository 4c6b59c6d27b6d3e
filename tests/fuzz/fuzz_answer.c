/* fuzz_answer.c: the answer file and the installer's kernel options on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "image-builder/answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct answer a;
	struct install_cmdline c;
	struct rh_err e = { 0 };

	answer_parse((const char *)data, size, "fuzz", &a, &e);
	rh_err_clear(&e);
	install_cmdline_parse((const char *)data, size, &c, &e);
	return 0;
}
