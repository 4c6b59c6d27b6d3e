/* fuzz_urlpath.c: lib/urlpath.c keeps its promises on any bytes: the encoding holds only unreserved
 * characters, '/' and %XX escapes (uppercase), fits in 3 * len + 1 bytes and decodes back to the input (when the
 * input has no NUL); decoding never writes past its buffer and returns what it wrote; the name rule points at a
 * byte inside the input. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "urlpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_encoding(const char *enc, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (enc[i] == '%') {
			if (i + 2 >= n || !enc[i + 1] || !enc[i + 2] || !strchr("0123456789ABCDEF", enc[i + 1]) ||
			    !strchr("0123456789ABCDEF", enc[i + 2]))
				abort();
			i += 2;
		} else if (!enc[i] || !strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/",
					   enc[i])) {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t cap = 3 * size + 1, off = SIZE_MAX;
	char *enc = malloc(cap), *dec = malloc(size + 1);
	const char *why;
	int n, m;

	if (!enc || !dec)
		abort();
	n = urlpath_encode(in, size, enc, cap);
	if (n < 0 || (size_t)n >= cap || strlen(enc) != (size_t)n)
		abort();
	check_encoding(enc, (size_t)n);
	m = urlpath_decode(enc, (size_t)n, dec, size + 1);
	if (memchr(in, 0, size) ? m >= 0 : (m != (int)size || memcmp(dec, in, size)))
		abort();
	/* too small a buffer: refused, never overrun (ASan watches the heap copy) */
	if (size) {
		char *small = malloc((size_t)n);
		if (!small || urlpath_encode(in, size, small, (size_t)n) != -ENAMETOOLONG)
			abort();
		free(small);
	}
	/* the raw input as an encoded string */
	m = urlpath_decode(in, size, dec, size + 1);
	if (m >= 0 && ((size_t)m > size || strlen(dec) > (size_t)m))
		abort();
	why = urlpath_name_problem(in, size, &off);
	if (why ? off >= size : off != SIZE_MAX)
		abort();
	free(enc);
	free(dec);
	return 0;
}
