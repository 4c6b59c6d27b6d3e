/* fuzz_textesc.c: lib/textesc.c keeps its promises on any bytes: the output holds no control byte (C0, DEL),
 * no C1 or bidi control and no invalid UTF-8; it is at most TEXTESC_MAX_GROWTH times the input; the length
 * returned is the length written; an input of valid UTF-8 without controls or backslashes comes out as the same
 * bytes; the output decodes back to the input (the escapes are unambiguous); and a short buffer holds a
 * prefix of the full output that ends on a whole escape. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "textesc.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* 1 when s[0..len) is valid UTF-8 without a control; *plain also 0 when it holds a backslash. */
static int clean_text(const uint8_t *s, size_t len, int *plain)
{
	size_t i = 0, n;
	uint32_t cp;

	*plain = 1;
	while (i < len) {
		n = utf8_len(s + i, len - i, &cp);
		if (!n || is_control(cp))
			return 0;
		if (cp == '\\')
			*plain = 0;
		i += n;
	}
	return 1;
}

/* Decodes the escaped out[0..len) into back; returns its length, or SIZE_MAX on an escape textesc never writes. */
static size_t unescape(const char *out, size_t len, uint8_t *back)
{
	size_t i = 0, n = 0;

	while (i < len) {
		if (out[i] != '\\') {
			back[n++] = (uint8_t)out[i++];
			continue;
		}
		if (i + 1 >= len)
			return SIZE_MAX;
		switch (out[i + 1]) {
		case '\\': back[n++] = '\\'; i += 2; continue;
		case 'n': back[n++] = '\n'; i += 2; continue;
		case 'r': back[n++] = '\r'; i += 2; continue;
		case 't': back[n++] = '\t'; i += 2; continue;
		case 'x':
			if (i + 3 >= len || hex_value(out[i + 2]) < 0 || hex_value(out[i + 3]) < 0)
				return SIZE_MAX;
			back[n++] = (uint8_t)(hex_value(out[i + 2]) * 16 + hex_value(out[i + 3]));
			i += 4;
			continue;
		}
		return SIZE_MAX;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t need = textesc(NULL, 0, (const char *)data, size), cut;
	char *out = malloc(need + 1), *part = NULL;
	uint8_t *back = malloc(size + 1);
	int plain;

	if (!out || !back)
		abort();
	if (need > TEXTESC_MAX_GROWTH * size || textesc(out, need + 1, (const char *)data, size) != need ||
	    strlen(out) != need)
		abort();
	if (!clean_text((const uint8_t *)out, need, &plain))   /* no control, no invalid UTF-8 in the output */
		abort();
	if (clean_text(data, size, &plain) && plain && (need != size || memcmp(out, data, size)))
		abort();
	if (unescape(out, need, back) != size || memcmp(back, data, size))
		abort();
	cut = size ? data[0] % (need + 1) : 0;                 /* a short buffer: a prefix, on a whole escape */
	part = malloc(cut + 1);
	if (!part || textesc(part, cut + 1, (const char *)data, size) != need || strncmp(part, out, strlen(part)) ||
	    unescape(part, strlen(part), back) == SIZE_MAX)
		abort();
	free(part);
	free(back);
	free(out);
	return 0;
}
