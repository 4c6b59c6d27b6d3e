/* textesc.c: escaping untrusted text for a line of output (see textesc.h for the rule). */
#include "textesc.h"
#include "utf8.h"

#include "hex.h"


/* 1 when the code point must not reach a terminal as it is: C0, DEL, C1, line and paragraph separators, and
 * the bidi controls that reorder what is shown ("Trojan Source"). */
static int cp_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The escape of the single byte c (a control, a backslash, or a byte of a sequence being escaped) into esc;
 * returns its length, 2 or 4. */
static size_t escape_byte(unsigned char c, char esc[4])
{
	esc[0] = '\\';
	switch (c) {
	case '\\': esc[1] = '\\'; return 2;
	case '\n': esc[1] = 'n'; return 2;
	case '\r': esc[1] = 'r'; return 2;
	case '\t': esc[1] = 't'; return 2;
	}
	esc[1] = 'x';
	esc[2] = hex_digits[c >> 4];
	esc[3] = hex_digits[c & 0x0f];
	return 4;
}

size_t textesc(char *out, size_t cap, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, total = 0, used = 0, k, n;
	int full = 0;   /* a piece did not fit: nothing more is written, only counted */
	char piece[16];
	uint32_t cp;

	while (i < len) {
		size_t plen = 0;

		if (u[i] >= 0x20 && u[i] < 0x7f && u[i] != '\\') {   /* the common case: printable ASCII */
			if (!full && used + 1 < cap)
				out[used++] = (char)u[i];
			else
				full = 1;
			i++;
			total++;
			continue;
		}
		n = utf8_len(u + i, len - i, &cp);
		if (n == 1 && cp != '\\' && !cp_is_control(cp)) {
			piece[plen++] = (char)u[i];
		} else if (n > 1 && !cp_is_control(cp)) {
			for (k = 0; k < n; k++)
				piece[plen++] = (char)u[i + k];
		} else {
			/* a control or backslash is escaped as a whole; an invalid sequence one byte at a time, so
			 * that the next byte may start a valid one */
			if (n == 0)
				n = 1;
			for (k = 0; k < n; k++)
				plen += escape_byte(u[i + k], piece + plen);
		}
		i += n;
		total += plen;
		if (!full && used + plen < cap) {
			for (k = 0; k < plen; k++)
				out[used++] = piece[k];
		} else {
			full = 1;
		}
	}
	if (cap)
		out[used] = '\0';
	return total;
}
