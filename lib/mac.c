/* mac.c: MAC addresses as text (mac.h). */
#include "mac.h"

#include "hex.h"

void mac_format(const uint8_t mac[6], char sep, char out[MAC_TEXT])
{
	unsigned i;

	for (i = 0; i < 6; i++) {
		out[i * 3] = hex_digits[mac[i] >> 4];
		out[i * 3 + 1] = hex_digits[mac[i] & 15];
		out[i * 3 + 2] = (char)(i < 5 ? sep : '\0');
	}
}

int mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t v[6];
	char sep = 0;
	unsigned i, p = 0;

	if (s[0] && s[1] && (s[2] == ':' || s[2] == '-'))
		sep = s[2];
	for (i = 0; i < 6; i++) {
		int hi = hex_value(s[p]), lo;

		if (hi < 0)
			return -22;
		lo = hex_value(s[p + 1]);
		if (lo < 0)
			return -22;
		v[i] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (i < 5 && sep) {
			if (s[p] != sep)
				return -22;
			p++;
		}
	}
	if (s[p] != '\0')
		return -22;
	for (i = 0; i < 6; i++)
		mac[i] = v[i];
	return 0;
}
