/* test_bootenv.c: boot.env parser and writer, table-driven, and the round trip. */
#include <errno.h>
#include <string.h>

#include "bootenv.h"
#include "unit.h"

static void test_bootenv_errors(void)
{
	static const struct {
		const char *text;
		int rc;
		const char *msg;
	} cases[] = {
		{ "bank=1\n", 0, NULL },
		{ "bank=1\nstate=3\nfuture=x\n", 0, NULL }, /* unknown keys ignored */
		{ "build=x\n", -EINVAL, "boot.env: no bank= line" },
		{ "bank=1\nbank=2\n", -EINVAL, "line 2: bank= is given twice" },
		{ "bank=a\n", -EINVAL, "line 1: bank= is not 0-9" },
		{ "bank=1\nbuild=a\nbuild=b\n", -EINVAL, "line 3: build= is given twice" },
		{ "bank=1\ninit_ms=-5\n", -EINVAL, "line 2: init_ms= is not a number" },
		{ "bank=1\ntardisk=base /tardisks/base.tdk /run/x\n", -EINVAL, "line 2: tardisk= needs 4 fields" },
		{ "bank=1\ntardisk=b@d /t /m 1\n", -EINVAL, "line 2: tardisk name" },
		{ "bank=1\ntardisk=b t /m 1\n", -EINVAL, "line 2: tardisk file or mount point" },
		{ "bank=1\ntardisk=b /t /m x\n", -EINVAL, "line 2: tardisk size" },
		{ "bank=1\ntardisk=b /t /m 1\ntardisk=b /u /n 2\n", -EINVAL, "line 3: tardisk 'b' is listed twice" },
		{ "bank=1\nramdisk=a /a 1\n", -EINVAL, "line 2: ramdisk= needs 4 fields" },
		{ "bank=1\nramdisk=a /a 1 1\nramdisk=b /a 1 1\n", -EINVAL, "line 3: ramdisk 'b' at '/a' repeats" },
		{ "bank=1\nnot a line\n", -EINVAL, "line 2: line is not key=value" },
		{ "bank=1\nstage=modules\n", -EINVAL, "line 2: stage= needs NAME (1-23 characters) and MS" },
		{ "bank=1\nstage=modules 1 2\n", -EINVAL, "line 2: stage= needs NAME" },
		{ "bank=1\nstage=modules x\n", -EINVAL, "line 2: stage= needs NAME" },
		{ "bank=1\nstage=abcdefghijklmnopqrstuvwx 1\n", -EINVAL, "line 2: stage= needs NAME" },
		{ "bank=1\nstage=Mod 1\n", -EINVAL, "line 2: stage name is not [a-z0-9-]" },
		{ "bank=1\nstage=a 5\nstage=b 4\n", -EINVAL, "line 3: stage b ends before the stage above it" },
		{ "bank=1\nstage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\n"
		  "stage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\nstage=a 1\n",
		  -E2BIG, "line 18: more than 16 stages" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static struct bootenv e;
		struct rh_err err = { 0 };
		int rc = bootenv_parse(cases[i].text, strlen(cases[i].text), "boot.env", &e, &err);

		if (rc != cases[i].rc || (cases[i].msg && !strstr(err.msg, cases[i].msg)))
			fprintf(stderr, "  case %zu: rc %d, message '%s'\n", i, rc, err.msg);
		CHECK(rc == cases[i].rc);
		if (cases[i].msg)
			CHECK(strstr(err.msg, cases[i].msg) != NULL);
	}
}

static void test_bootenv_round_trip(void)
{
	static const char text[] = "bank=1\n"
				   "build=demo-1.0\n"
				   "kver=6.1.0-56-amd64\n"
				   "tardisk=base /tardisks/base.tdk /run/ramhost/tardisks/base 14901248\n"
				   "tardisk=extra /tardisks/extra.tdk /run/ramhost/tardisks/extra 4096\n"
				   "ramdisk=root / 33554432 8192\n"
				   "ramdisk=etc /etc 8388608 2048\n"
				   "init_ms=2166\n"
				   "stage=kernel 1800\n"
				   "stage=late-modules 2100\n";
	static struct bootenv e, e2;
	struct rh_err err = { 0 };
	char out[4096];
	long len;

	CHECK(bootenv_parse(text, sizeof(text) - 1, "b", &e, &err) == 0);
	CHECK(e.bank == 1);
	CHECK_STR(e.build, "demo-1.0");
	CHECK(e.ntardisks == 2);
	CHECK_STR(e.tardisks[1].mountpoint, "/run/ramhost/tardisks/extra");
	CHECK(e.tardisks[0].size == 14901248);
	CHECK(e.nramdisks == 2);
	CHECK(e.has_init_ms && e.init_ms == 2166);
	CHECK(e.nstages == 2 && e.stages[1].ms == 2100);
	CHECK_STR(e.stages[1].name, "late-modules");
	len = bootenv_format(&e, out, sizeof(out));
	CHECK(len == (long)(sizeof(text) - 1));
	CHECK_STR(out, text);
	CHECK(bootenv_parse(out, (size_t)len, "b", &e2, &err) == 0);
	CHECK(!memcmp(&e, &e2, sizeof(e)));
	CHECK(bootenv_format(&e, out, 20) == -E2BIG);
}

int main(void)
{
	RUN(test_bootenv_errors);
	RUN(test_bootenv_round_trip);
	UNIT_EXIT();
}
