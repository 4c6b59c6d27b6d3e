/* unit.h: the smallest test harness that does the job.
 *
 * A test file defines test functions and lists them in main() with RUN(fn). CHECK(cond) records a failure with
 * file:line and continues. Each test prints "PASS name" or "FAIL name"; tests/run.sh counts those lines, and
 * the binary exits non-zero when anything failed. Tests are table-driven where they can be. */
#ifndef RAMHOST_UNIT_H
#define RAMHOST_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_total;
static int unit_failed_now;

#define CHECK(cond)                                                                                  \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			unit_failed_now = 1;                                                         \
		}                                                                                    \
	} while (0)

#define CHECK_STR(a, b)                                                                              \
	do {                                                                                         \
		const char *a_ = (a), *b_ = (b);                                                     \
		if (!a_ || !b_ || strcmp(a_, b_)) {                                                  \
			fprintf(stderr, "  %s:%d: '%s' != '%s'\n", __FILE__, __LINE__, a_ ? a_ : "(null)", \
				b_ ? b_ : "(null)");                                                 \
			unit_failed_now = 1;                                                         \
		}                                                                                    \
	} while (0)

#define RUN(fn)                                                                                      \
	do {                                                                                         \
		unit_failed_now = 0;                                                                 \
		fn();                                                                                \
		printf("%s %s\n", unit_failed_now ? "FAIL" : "PASS", #fn);                          \
		unit_failed_total += unit_failed_now;                                                \
	} while (0)

#define UNIT_EXIT() return unit_failed_total ? 1 : 0

#endif
