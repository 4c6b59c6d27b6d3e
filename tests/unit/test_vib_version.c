/* test_vib_version.c: Debian-style version validity, ordering and the five relations, table-driven; the
 * acceptance levels and the VIB name check (version.c owns both). */
#include <errno.h>

#include "vib/version.h"
#include "unit.h"

static const struct {
	const char *s;
	bool valid;
} valid_tab[] = {
	{ "1", true }, { "1.0", true }, { "7.0.3-0.20.19193900", true }, { "1:2.0", true }, { "2.0~rc1", true },
	{ "1.0+git20260101", true }, { "1.0-1ubuntu2", true }, { "0", true },
	{ "", false }, { "a1.0", false }, { "1.0-", false }, { ":1.0", false }, { "x:1.0", false },
	{ "1:2:3", false }, { "1.0 beta", false }, { "1.0/2", false }, { "1.0_2", false }, { "-1", false },
	{ "1:", false }, { "1:a", false },
	{ "1234567890123456789012345678901234567890123456789012345678901", true },   /* 61 */
	{ "123456789012345678901234567890123456789012345678901234567890123", true }, /* 63 */
	{ "1234567890123456789012345678901234567890123456789012345678901234", false }, /* 64 */
};

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof(valid_tab) / sizeof(valid_tab[0]); i++)
		if (vib_version_valid(valid_tab[i].s) != valid_tab[i].valid) {
			fprintf(stderr, "  valid(%s) != %d\n", valid_tab[i].s, valid_tab[i].valid);
			CHECK(0);
		}
	CHECK(!vib_version_valid(NULL));
}

/* a < b, strictly */
static const struct {
	const char *a, *b;
} less_tab[] = {
	{ "1.0", "1.1" }, { "1.9", "1.10" }, { "1.0~rc1", "1.0" }, { "1.0~~", "1.0~" }, { "1.0~", "1.0" },
	{ "1.0", "1.0a" }, { "1.0a", "1.0b" }, { "1.0a", "1.0." }, { "1.0", "1.0.1" }, { "1.0", "1.0-1" },
	{ "1.0-1", "1.0-2" }, { "1.0-9", "1.0-10" }, { "9.9", "1:0.1" }, { "1:1.0", "2:0.1" },
	{ "7.0.3-0.20.19193900", "7.0.3-0.25.1" }, { "7.0.2-1", "7.0.3-0.1" }, { "2.0", "10.0" },
	{ "1.0+a", "1.0.a" }, { "99999999999999999999998", "99999999999999999999999" },
	{ "1.0-1~bpo1", "1.0-1" }, { "1.0a~", "1.0a" }, { "1.2.3", "1.2.3+1" },
};

static const struct {
	const char *a, *b;
} equal_tab[] = {
	{ "1.0", "1.0" }, { "0:1.0", "1.0" }, { "1.01", "1.1" }, { "1.000", "1.0" }, { "00:1", "1" },
	{ "7.0.3-0.20.19193900", "7.0.3-0.20.19193900" },
};

static void test_cmp(void)
{
	for (size_t i = 0; i < sizeof(less_tab) / sizeof(less_tab[0]); i++) {
		int ab = vib_version_cmp(less_tab[i].a, less_tab[i].b), ba = vib_version_cmp(less_tab[i].b, less_tab[i].a);

		if (!(ab < 0 && ba > 0)) {
			fprintf(stderr, "  %s < %s: got %d / %d\n", less_tab[i].a, less_tab[i].b, ab, ba);
			CHECK(0);
		}
		CHECK(vib_version_valid(less_tab[i].a) && vib_version_valid(less_tab[i].b));
	}
	for (size_t i = 0; i < sizeof(equal_tab) / sizeof(equal_tab[0]); i++) {
		if (vib_version_cmp(equal_tab[i].a, equal_tab[i].b) || vib_version_cmp(equal_tab[i].b, equal_tab[i].a)) {
			fprintf(stderr, "  %s == %s failed\n", equal_tab[i].a, equal_tab[i].b);
			CHECK(0);
		}
	}
}

static const struct {
	const char *op;
	int ok;
	enum vib_op v;
} op_tab[] = {
	{ "<<", 1, VIB_OP_LT }, { "<=", 1, VIB_OP_LE }, { "=", 1, VIB_OP_EQ }, { ">=", 1, VIB_OP_GE },
	{ ">>", 1, VIB_OP_GT }, { "<", 0, 0 }, { ">", 0, 0 }, { "==", 0, 0 }, { "", 0, 0 }, { "=>", 0, 0 },
	{ "!=", 0, 0 },
};

static void test_ops(void)
{
	for (size_t i = 0; i < sizeof(op_tab) / sizeof(op_tab[0]); i++) {
		enum vib_op op = VIB_OP_ANY;
		int r = vib_op_parse(op_tab[i].op, &op);

		CHECK((r == 0) == op_tab[i].ok);
		if (op_tab[i].ok) {
			CHECK(op == op_tab[i].v);
			CHECK_STR(vib_op_str(op), op_tab[i].op);
		}
	}
	CHECK(vib_op_parse(NULL, &(enum vib_op){ 0 }) < 0);
	CHECK_STR(vib_op_str(VIB_OP_ANY), "");
}

static const struct {
	const char *have;
	enum vib_op op;
	const char *want;
	bool sat;
} sat_tab[] = {
	{ "2.0", VIB_OP_GE, "2.0", true }, { "2.1", VIB_OP_GE, "2.0", true }, { "1.9", VIB_OP_GE, "2.0", false },
	{ "2.0~rc1", VIB_OP_GE, "2.0", false }, { "2.0", VIB_OP_GT, "2.0", false }, { "2.0-1", VIB_OP_GT, "2.0", true },
	{ "1.0", VIB_OP_LT, "1.0", false }, { "0.9", VIB_OP_LT, "1.0", true }, { "1.0", VIB_OP_LE, "1.0", true },
	{ "1.00", VIB_OP_EQ, "1.0", true }, { "1.0", VIB_OP_EQ, "1.0-1", false }, { "whatever", VIB_OP_ANY, "", true },
	{ "bad version", VIB_OP_GE, "1.0", false }, { "1.0", VIB_OP_GE, "", false },
};

static void test_satisfies(void)
{
	for (size_t i = 0; i < sizeof(sat_tab) / sizeof(sat_tab[0]); i++)
		if (vib_version_satisfies(sat_tab[i].have, sat_tab[i].op, sat_tab[i].want) != sat_tab[i].sat) {
			fprintf(stderr, "  %s %s %s != %d\n", sat_tab[i].have, vib_op_str(sat_tab[i].op), sat_tab[i].want,
				sat_tab[i].sat);
			CHECK(0);
		}
}

/* sorting a shuffled list gives the expected order (the comparison is a total order on these) */
static void test_sort_order(void)
{
	const char *sorted[] = { "0.9", "1.0~alpha", "1.0~beta", "1.0", "1.0-1", "1.0a", "1.0.1", "1.2", "1.10",
				 "2.0", "1:0.1" };
	size_t n = sizeof(sorted) / sizeof(sorted[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int c = vib_version_cmp(sorted[i], sorted[j]);

			if ((i < j && c >= 0) || (i == j && c != 0) || (i > j && c <= 0)) {
				fprintf(stderr, "  order %s vs %s: %d\n", sorted[i], sorted[j], c);
				CHECK(0);
			}
		}
}

static void test_levels(void)
{
	const char *names[] = { "community", "partner", "accepted", "certified" };

	for (int i = 0; i < 4; i++) {
		enum vib_level l;

		CHECK(vib_level_parse(names[i], &l) == 0 && (int)l == i);
		CHECK_STR(vib_level_str((enum vib_level)i), names[i]);
	}
	CHECK(vib_level_parse("Partner", &(enum vib_level){ 0 }) == -EINVAL);
	CHECK(vib_level_parse(NULL, &(enum vib_level){ 0 }) == -EINVAL);
	CHECK_STR(vib_level_str((enum vib_level)4), "?");
	CHECK(vib_level_accepts(VIB_LEVEL_PARTNER, VIB_LEVEL_CERTIFIED));
	CHECK(vib_level_accepts(VIB_LEVEL_PARTNER, VIB_LEVEL_PARTNER));
	CHECK(!vib_level_accepts(VIB_LEVEL_PARTNER, VIB_LEVEL_COMMUNITY));
}

static void test_names(void)
{
	static const char *const good[] = { "hello", "a", "lib-greet_2.0+x", "X9" };
	static const char *const bad[] = { "", ".hidden", "-opt", "a/b", "a b", "\xc3\xa9",
					   "0123456789012345678901234567890123456789012345678901234567890123" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(vib_name_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!vib_name_valid(bad[i]));
}

int main(void)
{
	RUN(test_valid);
	RUN(test_cmp);
	RUN(test_ops);
	RUN(test_satisfies);
	RUN(test_sort_order);
	RUN(test_levels);
	RUN(test_names);
	UNIT_EXIT();
}
