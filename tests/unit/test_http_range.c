/* test_http_range.c: the single-range Range header parser, one row per case. */
#include <stdint.h>
#include <string.h>

#include "pxe-server/http_range.h"
#include "unit.h"

static void test_range_table(void)
{
	static const struct {
		const char *hdr;
		uint64_t size;
		enum http_range_result want;
		uint64_t first, last;
	} cases[] = {
		{ "bytes=0-99", 1000, HTTP_RANGE_PARTIAL, 0, 99 },
		{ "bytes=100-", 1000, HTTP_RANGE_PARTIAL, 100, 999 },
		{ "bytes=-100", 1000, HTTP_RANGE_PARTIAL, 900, 999 },
		{ "bytes=-5000", 1000, HTTP_RANGE_PARTIAL, 0, 999 },
		{ "bytes=990-5000", 1000, HTTP_RANGE_PARTIAL, 990, 999 },
		{ "BYTES=1-1", 1000, HTTP_RANGE_PARTIAL, 1, 1 },
		{ " bytes= 5-9 ", 1000, HTTP_RANGE_PARTIAL, 5, 9 },
		{ "bytes=999-999", 1000, HTTP_RANGE_PARTIAL, 999, 999 },
		{ "bytes=0-99999999999999999999999", 10, HTTP_RANGE_PARTIAL, 0, 9 },
		{ "bytes=1000-", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=1000-2000", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=-0", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=0-", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=-1", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=99999999999999999999999-", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=0-1,5-6", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "bytes=0-1,", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "bytes=5-1", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "bytes=-", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "bytes=", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "bytes=a-b", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "bytes=1", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "items=0-1", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "bytes 0-1", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "byte", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "bytes=0--1", 1000, HTTP_RANGE_IGNORE, 0, 0 },
		{ "bytes=+1-2", 1000, HTTP_RANGE_IGNORE, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t first = 0, last = 0;
		enum http_range_result r = http_range_parse(cases[i].hdr, strlen(cases[i].hdr), cases[i].size, &first,
							    &last);

		if (r != cases[i].want || (r == HTTP_RANGE_PARTIAL && (first != cases[i].first || last != cases[i].last)))
			fprintf(stderr, "  case '%s' size %llu: got %d %llu-%llu\n", cases[i].hdr,
				(unsigned long long)cases[i].size, (int)r, (unsigned long long)first,
				(unsigned long long)last);
		CHECK(r == cases[i].want);
		if (r == HTTP_RANGE_PARTIAL)
			CHECK(first == cases[i].first && last == cases[i].last);
	}
	CHECK(http_range_parse(NULL, 0, 10, NULL, NULL) == HTTP_RANGE_IGNORE);
}

static void test_range_not_nul_terminated(void)
{
	/* the parser reads only len bytes: "bytes=0-1" followed by garbage that is not part of the value */
	const char buf[] = "bytes=0-19999";
	uint64_t first = 0, last = 0;

	CHECK(http_range_parse(buf, 9, 100, &first, &last) == HTTP_RANGE_PARTIAL);
	CHECK(first == 0 && last == 1);
}

int main(void)
{
	RUN(test_range_table);
	RUN(test_range_not_nul_terminated);
	UNIT_EXIT();
}
