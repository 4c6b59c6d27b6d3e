/* hex.c: hexadecimal digits (see hex.h). */
#include "hex.h"

const char hex_digits[16] = "0123456789abcdef";

int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
