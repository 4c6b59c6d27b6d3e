/* urlpath.c: relative paths in URLs (see urlpath.h). */
#include "urlpath.h"
#include "utf8.h"

#include <errno.h>

#include "hex.h"

/* RFC 3986 unreserved, plus '/' between segments. */
static int keep(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~' || c == '/';
}

int urlpath_encode(const char *path, size_t len, char *out, size_t cap)
{
	static const char upper[] = "0123456789ABCDEF"; /* RFC 3986 2.1: uppercase is the normal form */
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		size_t need = keep(c) ? 1 : 3;

		if (n + need >= cap) {
			if (cap)
				out[0] = '\0';
			return -ENAMETOOLONG;
		}
		if (need == 1) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = upper[c >> 4];
			out[n++] = upper[c & 15];
		}
	}
	if (n >= cap)
		return -ENAMETOOLONG;
	out[n] = '\0';
	return (int)n;
}

int urlpath_decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi = -1, lo = -1;

			if (i + 2 < len) { /* two characters follow */
				hi = hex_value(s[i + 1]);
				lo = hex_value(s[i + 2]);
			}
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			c = hi << 4 | lo;
			i += 2;
		}
		if (n + 1 >= cap)
			goto long_;
		out[n++] = (char)c;
	}
	if (n >= cap)
		goto long_;
	out[n] = '\0';
	return (int)n;
bad:
	if (cap)
		out[0] = '\0';
	return -EINVAL;
long_:
	if (cap)
		out[0] = '\0';
	return -ENAMETOOLONG;
}

const char *urlpath_name_problem(const char *name, size_t len, size_t *ret_off)
{
	const unsigned char *s = (const unsigned char *)name;
	const char *why = NULL;
	size_t i = 0, n = 0;
	uint32_t cp = 0;

	while (i < len && !why) {
		n = utf8_len(s + i, len - i, &cp);
		if (!n)
			why = "has a byte that is not UTF-8";
		else if (cp == '\n' || cp == '\r')
			why = "has a line break";
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			why = "has a control character";
		else if (cp == '\\')
			why = "has a backslash";
		else if (cp == 0xfffe || cp == 0xffff)
			why = "has a character XML cannot hold";
		else
			i += n;
	}
	if (why && ret_off)
		*ret_off = i;
	return why;
}
