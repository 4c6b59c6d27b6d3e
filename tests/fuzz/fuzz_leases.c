/* fuzz_leases.c: the lease file parser (pxe-server/leases_file.c) on any text: it never reads outside the
 * buffer, every warning names the file and a line, and what it loads formats and parses back to the same text
 * (a decline hold already over is not written, so the second parse may load fewer entries). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxe-server/leases.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void warn(void *ctx, const char *text)
{
	(void)ctx;
	if (strncmp(text, "L:", 2) || !strstr(text, "; line dropped"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxe_reservation res = { .mac = { 0x52, 0x54, 0, 0, 0, 1 }, .ip = 0x0a000065u };
	struct pxe_leases *a = NULL, *b = NULL;
	char *t1 = NULL, *t2 = NULL;
	size_t n1 = 0, n2 = 0;
	int k;

	if (pxe_leases_new(0x0a000064u, 0x0a0000c7u, 0x0a000001u, 0xffffff00u, &res, 1, &a, NULL) < 0 ||
	    pxe_leases_new(0x0a000064u, 0x0a0000c7u, 0x0a000001u, 0xffffff00u, &res, 1, &b, NULL) < 0)
		abort();
	k = pxe_leases_parse(a, "L", (const char *)data, size, warn, NULL, NULL);
	if (k < 0 || pxe_leases_format(a, 0, &t1, &n1) < 0)
		abort();
	if (pxe_leases_parse(b, "L", t1, n1, warn, NULL, NULL) > k || pxe_leases_format(b, 0, &t2, &n2) < 0)
		abort();
	if (n1 != n2 || memcmp(t1, t2, n1))
		abort();
	free(t1);
	free(t2);
	pxe_leases_free(a);
	pxe_leases_free(b);
	return 0;
}
