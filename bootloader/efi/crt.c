/* crt.c: the memory functions a C compiler may emit calls to, which a freestanding EFI application must provide
 * itself. GNU-EFI's libefi (init.o, linked for InitializeLib) already defines memcpy and memset; these are the
 * other two. Byte loops: the loader moves a few kilobytes of structs; module data is read in place. */
#include <stddef.h>

void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}
