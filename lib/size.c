/* size.c: see size.h. */
#include "size.h"

#include <errno.h>

int size_parse(const char *s, uint64_t *ret)
{
	static const char units[] = "KMGT";
	uint64_t v = 0;
	unsigned shift = 0, i;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	for (i = 0; *s && units[i]; i++)
		if (*s == units[i] || *s == units[i] + ('a' - 'A')) {
			shift = 10 * (i + 1);
			s++;
			if (*s == 'i' && s[1] == 'B') /* 64MiB */
				s += 2;
			else if (*s == 'B')           /* 64MB */
				s++;
			break;
		}
	if (!shift && *s == 'B')                      /* 512B */
		s++;
	if (*s)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = v << shift;
	return 0;
}
