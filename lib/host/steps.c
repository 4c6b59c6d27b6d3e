/* steps.c: the loop that runs a transaction's steps and unwinds them (see steps.h). */
#include "steps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int steps_fail_here(const char *transaction, const char *step)
{
	const char *at = getenv("RAMHOST_FAIL_AT");
	size_t tl = strlen(transaction);

	return at && !strncmp(at, transaction, tl) && at[tl] == ':' && !strcmp(at + tl + 1, step);
}

int steps_run(const struct steps *t, void *ctx, size_t *ret_done, struct rh_err *err)
{
	size_t i, done = 0;
	int rc = 0;

	for (i = 0; i < t->n; i++) {
		const struct step *s = &t->step[i];

		if (t->progress)
			t->progress(t->pctx, t->transaction, s->name);
		if (steps_fail_here(t->transaction, s->name))
			rc = rh_errf(err, -EIO, "%s: failure injected (RAMHOST_FAIL_AT=%s:%s)", s->name, t->transaction,
				    s->name);
		else
			rc = s->run(ctx, err);
		if (rc < 0)
			break;
		done++;
	}
	if (rc < 0)
		for (i = done; i-- > 0;)
			if (t->step[i].undo)
				t->step[i].undo(ctx);
	if (ret_done)
		*ret_done = done;
	return rc;
}
