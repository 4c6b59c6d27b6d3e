/* test_profile_rescue.c: the profile key `rescue = yes|no` (image-builder/profile.c): its default, its values and
 * its refusals. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image-builder/profile.h"
#include "unit.h"

#define HEAD "name = demo\nversion = 1.0\nkernel = debian\n"

static int parse(const char *text, struct profile *p, struct rh_err *err)
{
	rh_err_clear(err);
	memset(p, 0, sizeof(*p));
	return profile_parse(text, strlen(text), "t.profile", "/prof", p, err);
}

static void test_values(void)
{
	static const struct {
		const char *text;
		int rescue;
	} rows[] = {
		{ HEAD "base = builtin:minimal\n", 1 },
		{ HEAD "base = builtin:minimal\nrescue = yes\n", 1 },
		{ HEAD "rescue = no\nbase = builtin:minimal\n", 0 },
		{ HEAD "base = /rootfs\n", 0 },
		{ HEAD "base = /rootfs\nrescue = no\n", 0 },
		{ HEAD "base = debootstrap:bookworm\n", 0 },
		/* the reserved name is free again without the module */
		{ HEAD "base = builtin:minimal\nrescue = no\ntardisk = rescue /src\n", 0 },
	};
	struct profile *p = calloc(1, sizeof(*p));
	struct rh_err err;
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = parse(rows[i].text, p, &err);

		CHECK(rc == 0);
		CHECK(p->rescue == rows[i].rescue);
	}
	free(p);
}

static void test_refusals(void)
{
	static const struct {
		const char *text, *want;
	} rows[] = {
		{ HEAD "base = builtin:minimal\nrescue = maybe\n", "t.profile:5: rescue 'maybe': expected yes or no" },
		{ HEAD "base = builtin:minimal\nrescue = YES\n", "rescue 'YES': expected yes or no" },
		{ HEAD "base = builtin:minimal\nrescue = yes\nrescue = no\n", "t.profile:6: rescue is given twice" },
		{ HEAD "base = /rootfs\nrescue = yes\n", "t.profile:5: rescue = yes is only for 'base = builtin:minimal'" },
		{ HEAD "base = debootstrap:bookworm\nrescue = yes\n", "rescue = yes is only for" },
		{ HEAD "base = builtin:minimal\ntardisk = rescue /src\n",
		  "t.profile:5: tardisk name 'rescue' is reserved for the rescue module" },
	};
	struct profile *p = calloc(1, sizeof(*p));
	struct rh_err err;
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = parse(rows[i].text, p, &err);

		CHECK(rc == -EINVAL || rc == -EEXIST);
		CHECK(strstr(err.msg, rows[i].want) != NULL);
		if (!strstr(err.msg, rows[i].want))
			fprintf(stderr, "row %u: got '%s'\n", i, err.msg);
	}
	free(p);
}

int main(void)
{
	RUN(test_values);
	RUN(test_refusals);
	UNIT_EXIT();
}
