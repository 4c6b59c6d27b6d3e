/* steps.h: a change to a running system as a table of named steps, each with its undo, run by one loop that
 * unwinds in reverse on the first error (esx-boot's boot sequence, our live install, bank writes and rescue
 * repairs). The table is the documentation of the transaction: read it top to bottom to know what happens, and
 * bottom to top to know what a failure puts back.
 *
 * Fault injection for tests lives here and nowhere else: RAMHOST_FAIL_AT=TRANSACTION:STEP (for example
 * "vib-install:bank") makes the loop fail that step with -EIO instead of running it, and unwind as for a real
 * failure. The loop reads the variable; no step does. */
#ifndef RAMHOST_STEPS_H
#define RAMHOST_STEPS_H

#include <stddef.h>

#include "err.h"

struct step {
	const char *name;                            /* short and stable: progress, errors, RAMHOST_FAIL_AT */
	int (*run)(void *ctx, struct rh_err *err);   /* 0, or a negative errno with err set */
	void (*undo)(void *ctx);                     /* puts back what run did; NULL when there is nothing to */
};

/* Called before each step that runs (may be NULL in struct steps). */
typedef void (*steps_progress_fn)(void *pctx, const char *transaction, const char *step);

struct steps {
	const char *transaction;       /* names the whole change in RAMHOST_FAIL_AT and messages */
	const struct step *step;
	size_t n;
	steps_progress_fn progress;
	void *pctx;
};

/* Runs every step of t in order with ctx. When one fails, the undo of each step that completed runs, in
 * reverse, and the failure is returned with the step's own message on err (steps name what they were doing in
 * the words of the command: the loop adds nothing, so a message reads the same as before the step became a
 * table row; an injected failure says "STEP: failure injected (...)"). *ret_done (may be NULL) gets
 * how many steps completed (n on success). An undo cannot fail the transaction: it keeps its own errors in ctx
 * when the caller wants to report them. */
int steps_run(const struct steps *t, void *ctx, size_t *ret_done, struct rh_err *err);

/* 1 when RAMHOST_FAIL_AT names this transaction and step, else 0 (for a step that injects in the middle of its
 * own work, such as after a download). */
int steps_fail_here(const char *transaction, const char *step);

#endif
