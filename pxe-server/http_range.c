/* http_range.c: the single-range Range header parser (http_range.h). */
#include "http_range.h"

#include <string.h>

/* Reads decimal digits at *i; saturates at UINT64_MAX. Returns the number of digits read (0: none). */
static size_t read_number(const char *s, size_t len, size_t *i, uint64_t *ret)
{
	uint64_t v = 0;
	size_t start = *i;

	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		unsigned d = (unsigned)(s[*i] - '0');

		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
		(*i)++;
	}
	*ret = v;
	return *i - start;
}

static void skip_spaces(const char *s, size_t len, size_t *i)
{
	while (*i < len && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
}

/* 1 when hdr starts with "bytes=" in any case; *i is moved past it. */
static int unit_bytes(const char *s, size_t len, size_t *i)
{
	static const char unit[] = "bytes=";
	size_t k;

	skip_spaces(s, len, i);
	for (k = 0; k < sizeof(unit) - 1; k++, (*i)++) {
		char c = *i < len ? s[*i] : '\0';

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != unit[k])
			return 0;
	}
	return 1;
}

enum http_range_result http_range_parse(const char *hdr, size_t len, uint64_t size, uint64_t *ret_first,
					uint64_t *ret_last)
{
	uint64_t a = 0, b = 0;
	size_t i = 0, na, nb;

	if (!hdr || !unit_bytes(hdr, len, &i))
		return HTTP_RANGE_IGNORE;
	skip_spaces(hdr, len, &i);
	na = read_number(hdr, len, &i, &a);
	if (i >= len || hdr[i] != '-')
		return HTTP_RANGE_IGNORE;
	i++;
	nb = read_number(hdr, len, &i, &b);
	skip_spaces(hdr, len, &i);
	if (i != len || (!na && !nb))   /* trailing bytes (a second range after ','), or a bare "-" */
		return HTTP_RANGE_IGNORE;
	if (!na) {                       /* suffix: the last b bytes */
		if (b == 0 || size == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		*ret_first = b >= size ? 0 : size - b;
		*ret_last = size - 1;
		return HTTP_RANGE_PARTIAL;
	}
	if (nb && b < a)
		return HTTP_RANGE_IGNORE;
	if (a >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	*ret_first = a;
	*ret_last = !nb || b >= size ? size - 1 : b;
	return HTTP_RANGE_PARTIAL;
}
