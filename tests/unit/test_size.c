/* test_size.c: lib/size.c, the one parser of user-given sizes (profile ramdisks, --size, --max-size and the
 * size-valued environment variables). Table-driven. */
#include <errno.h>
#include <stdint.h>

#include "size.h"
#include "unit.h"

static void test_size_table(void)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} t[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "512B", 0, 512 },
		{ "64K", 0, 64u << 10 },
		{ "64k", 0, 64u << 10 },
		{ "64M", 0, 64u << 20 },
		{ "64MiB", 0, 64u << 20 },
		{ "64MB", 0, 64u << 20 },
		{ "16G", 0, 16ull << 30 },
		{ "2t", 0, 2ull << 40 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "16777216T", -ERANGE, 0 },
		{ "16777215T", 0, 16777215ull << 40 },
		{ "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "1P", -EINVAL, 0 },
		{ "1MiBx", -EINVAL, 0 },
		{ "1Mi", -EINVAL, 0 },
		{ "1BB", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 12345;
		int rc = size_parse(t[i].s, &v);

		if (rc != t[i].rc || (rc == 0 && v != t[i].v) || (rc != 0 && v != 12345)) {
			fprintf(stderr, "  '%s': rc %d v %llu\n", t[i].s, rc, (unsigned long long)v);
			CHECK(0);
		}
	}
}

int main(void)
{
	RUN(test_size_table);
	UNIT_EXIT();
}
