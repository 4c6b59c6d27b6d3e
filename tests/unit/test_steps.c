/* test_steps.c: lib/host/steps.c (the transaction loop) and lib/err.c's context helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "steps.h"
#include "unit.h"

/* A log of what ran: "+a" for a step, "-a" for its undo. */
struct log {
	char s[128];
	const char *fail;   /* the step that fails by itself */
};

static void add(struct log *l, char sign, const char *name)
{
	size_t n = strlen(l->s);
	snprintf(l->s + n, sizeof(l->s) - n, "%c%s", sign, name);
}

#define STEP(X)                                                                              \
	static int run_##X(void *ctx, struct rh_err *err)                                    \
	{                                                                                    \
		struct log *l = ctx;                                                         \
		if (l->fail && !strcmp(l->fail, #X))                                         \
			return rh_errf(err, -ENOSPC, "disk full");                           \
		add(l, '+', #X);                                                             \
		return 0;                                                                    \
	}                                                                                    \
	static void undo_##X(void *ctx) { add(ctx, '-', #X); }
STEP(a)
STEP(b)
STEP(c)

/* b has nothing to undo: the table says so with NULL; its undo is called directly once to keep it honest. */
static void keep_undo_b(void)
{
	struct log l = { 0 };
	undo_b(&l);
	CHECK_STR(l.s, "-b");
}

static const struct step three[] = {
	{ "a", run_a, undo_a },
	{ "b", run_b, NULL },
	{ "c", run_c, undo_c },
};

static void test_steps_unwind(void)
{
	static const struct {
		const char *fail, *inject, *log, *msg;
		int rc;
		size_t done;
	} cases[] = {
		{ NULL, NULL, "+a+b+c", "", 0, 3 },
		{ "a", NULL, "", "disk full", -ENOSPC, 0 },
		{ "c", NULL, "+a+b-a", "disk full", -ENOSPC, 2 },
		{ NULL, "t:b", "+a-a", "b: failure injected (RAMHOST_FAIL_AT=t:b)", -EIO, 1 },
		{ NULL, "other:b", "+a+b+c", "", 0, 3 },
		{ NULL, "t:bb", "+a+b+c", "", 0, 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct log l = { .fail = cases[i].fail };
		struct steps t = { .transaction = "t", .step = three, .n = 3 };
		struct rh_err err = { 0 };
		size_t done = 99;
		int rc;

		if (cases[i].inject)
			setenv("RAMHOST_FAIL_AT", cases[i].inject, 1);
		else
			unsetenv("RAMHOST_FAIL_AT");
		rc = steps_run(&t, &l, &done, &err);
		CHECK(rc == cases[i].rc);
		CHECK(done == cases[i].done);
		CHECK_STR(l.s, cases[i].log);
		CHECK_STR(err.msg, cases[i].msg);
	}
	unsetenv("RAMHOST_FAIL_AT");
}

static void test_err_context(void)
{
	struct rh_err err = { 0 };

	CHECK(rh_errf(&err, -ENOENT, "a.cfg: missing") == -ENOENT);
	CHECK(rh_err_prefix(&err, -EINVAL, "bank 2") == -EINVAL);
	CHECK_STR(err.msg, "bank 2: a.cfg: missing");
	CHECK(err.rc == -ENOENT); /* the first code stays: it is the cause */
	rh_err_append(&err, -EIO, "the old version is kept");
	CHECK_STR(err.msg, "bank 2: a.cfg: missing; the old version is kept");
	rh_err_clear(&err);
	CHECK(rh_err_prefix(&err, -EIO, "step %d", 3) == -EIO);
	CHECK_STR(err.msg, "step 3");
	CHECK(err.rc == -EIO);
	CHECK(rh_err_prefix(NULL, -EIO, "x") == -EIO);
	/* a long message is cut, never overflowed */
	rh_err_clear(&err);
	memset(err.msg, 'x', sizeof(err.msg) - 1);
	err.msg[sizeof(err.msg) - 1] = '\0';
	err.rc = -EIO;
	rh_err_prefix(&err, -EIO, "ctx");
	CHECK(strlen(err.msg) == sizeof(err.msg) - 1 && !strncmp(err.msg, "ctx: x", 6));
}

int main(void)
{
	RUN(keep_undo_b);
	RUN(test_steps_unwind);
	RUN(test_err_context);
	return unit_failed_total ? 1 : 0;
}
