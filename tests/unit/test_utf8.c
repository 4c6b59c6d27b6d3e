/* test_utf8.c: lib/utf8.c, the one UTF-8 decoder (text escaping, depot names, descriptors). */
#include <stdint.h>

#include "unit.h"
#include "utf8.h"

#define U(s) ((const unsigned char *)(s))

static void test_utf8_len(void)
{
	uint32_t cp = 0;

	CHECK(utf8_len(U("A"), 1, &cp) == 1 && cp == 'A');
	CHECK(utf8_len(U(""), 1, &cp) == 1 && cp == 0);                  /* NUL is ASCII */
	CHECK(utf8_len(U("\xc3\xa9"), 2, &cp) == 2 && cp == 0xe9);
	CHECK(utf8_len(U("\xe6\x97\xa5"), 3, &cp) == 3 && cp == 0x65e5);
	CHECK(utf8_len(U("\xf4\x8f\xbf\xbf"), 4, &cp) == 4 && cp == 0x10ffff);
	CHECK(utf8_len(U("\xe6\x97\xa5"), 2, &cp) == 0);               /* cut short */
	CHECK(utf8_len(U("\xc1\xbf"), 2, &cp) == 0);                     /* overlong */
	CHECK(utf8_len(U("\xe0\x9f\xbf"), 3, &cp) == 0);                /* overlong, 3 bytes */
	CHECK(utf8_len(U("\xf0\x8f\xbf\xbf"), 4, &cp) == 0);           /* overlong, 4 bytes */
	CHECK(utf8_len(U("\xed\xa0\x80"), 3, &cp) == 0);                /* surrogate U+D800 */
	CHECK(utf8_len(U("\xf4\x90\x80\x80"), 4, &cp) == 0);           /* past U+10FFFF */
	CHECK(utf8_len(U("\x80"), 1, &cp) == 0);                          /* a continuation byte */
	CHECK(utf8_len(U("\xc3("), 2, &cp) == 0);                         /* a bad continuation */
	CHECK(utf8_len(U("\xff"), 1, &cp) == 0);
	CHECK(utf8_len(U(""), 0, &cp) == 0);
}

int main(void)
{
	RUN(test_utf8_len);
	UNIT_EXIT();
}
