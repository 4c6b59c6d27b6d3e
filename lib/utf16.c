/* utf16.c: see utf16.h. */
#include "utf16.h"

#include <errno.h>

static uint32_t unit(const uint8_t *s, size_t i)
{
	return (uint32_t)s[2 * i] | (uint32_t)s[2 * i + 1] << 8;
}

/* Appends code point cp as UTF-8 to out[*pos..cap) keeping room for a NUL. */
static int put_utf8(uint32_t cp, char *out, size_t cap, size_t *pos)
{
	static const uint8_t lead[5] = { 0, 0, 0xC0, 0xE0, 0xF0 };
	size_t n = 4, i;

	if (cp < 0x80)
		n = 1;
	else if (cp < 0x800)
		n = 2;
	else if (cp < 0x10000)
		n = 3;
	if (*pos + n >= cap)
		return -E2BIG;
	if (n == 1) {
		out[(*pos)++] = (char)cp;
		return 0;
	}
	for (i = n - 1; i > 0; i--) {
		out[*pos + i] = (char)(0x80 | (cp & 0x3F));
		cp >>= 6;
	}
	out[*pos] = (char)(lead[n] | cp);
	*pos += n;
	return 0;
}

int utf16le_append(const uint8_t *s, size_t units, char *out, size_t cap, size_t *pos)
{
	size_t i;
	int rc;

	if (*pos >= cap)
		return -E2BIG;
	for (i = 0; i < units; i++) {
		uint32_t cp = unit(s, i);

		if (!cp)
			break;
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return -EINVAL;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			uint32_t lo = i + 1 < units ? unit(s, i + 1) : 0;

			if (lo < 0xDC00 || lo > 0xDFFF)
				return -EINVAL;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			i++;
		}
		rc = put_utf8(cp, out, cap, pos);
		if (rc)
			return rc;
	}
	out[*pos] = '\0';
	return 0;
}
