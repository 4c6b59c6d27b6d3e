/* test_init_cmdline.c: kernel command line parser, table-driven. */
#include <errno.h>
#include <string.h>

#include "ramdisk/init/cmdline.h"
#include "unit.h"

static void test_cmdline_table(void)
{
	static const struct {
		const char *text;
		int rc;
		unsigned bank;
		int brk;
	} cases[] = {
		{ "", 0, 0, 0 },
		{ "console=ttyS0 panic=-1 ramhost.bank=1\n", 0, 1, 0 },
		{ "ramhost.bank=2 ramhost.break", 0, 2, 1 },
		{ "ramhost.break=1 quiet", 0, 0, 1 },
		{ "ramhost.break ramhost.break=0", 0, 0, 0 },
		{ "ramhost.breakfast", 0, 0, 0 },
		{ "x=\"a ramhost.break b\" ramhost.bank=1", 0, 1, 0 },
		{ "\tramhost.bank=9\t", 0, 9, 0 },
		{ "ramhost.bank=1 ramhost.bank=2", 0, 2, 0 },
		{ "ramhost.bank=", -EINVAL, 0, 0 },
		{ "ramhost.bank=10", -EINVAL, 0, 0 },
		{ "ramhost.bank=x", -EINVAL, 0, 0 },
		{ "ramhost.break=yes", -EINVAL, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cmdline c = { 7, 7 };
		struct rh_err err = { 0 };
		int rc = cmdline_parse(cases[i].text, strlen(cases[i].text), &c, &err);

		if (rc != cases[i].rc)
			fprintf(stderr, "  case %zu: rc %d (%s)\n", i, rc, err.msg);
		CHECK(rc == cases[i].rc);
		if (rc == 0) {
			CHECK(c.bank == cases[i].bank);
			CHECK(c.brk == cases[i].brk);
		} else {
			CHECK(c.bank == 7 && c.brk == 7); /* untouched on failure */
			CHECK(strstr(err.msg, "kernel command line") != NULL);
		}
	}
}

int main(void)
{
	RUN(test_cmdline_table);
	UNIT_EXIT();
}
