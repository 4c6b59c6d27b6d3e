/* json.c: JSON strings (see json.h). */
#include "json.h"

#include <string.h>

void json_write_string(FILE *f, const char *s, size_t len, int bytes)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80))
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_put_string(FILE *f, const char *s)
{
	json_write_string(f, s, strlen(s), 0);
}
