/* bank_update_int.h: the parts of `bootbank update` (bank_update.h) shared by its files: bank_update.c (the
 * transaction), bank_update_source.c (the source), bank_update_state.c (the state save). Internal. */
#ifndef RAMHOST_RAMDISK_BANK_UPDATE_INT_H
#define RAMHOST_RAMDISK_BANK_UPDATE_INT_H

#include <limits.h>

#include "bank_update.h"

/* One progress line through fn (may be NULL). */
void bank_update_say(bank_update_progress_fn fn, void *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The i-th file of cfg: 0 the kernel, then the modules. */
static inline const struct bootcfg_file *nth_file(const struct bootcfg *cfg, unsigned i)
{
	return i == 0 ? &cfg->kernel : &cfg->modules[i - 1];
}


/* The source as a checked bootbank directory into ret_dir (PATH_MAX): o->source itself, or a profile built into
 * work/bank (work, PATH_MAX, is then the scratch directory the caller removes). Sets r->source_kind. */
int bank_update_source_prepare(const struct bank_update_opts *o, struct bank_update_result *r, char *work,
			       char *ret_dir, struct rh_err *err);

/* Step 0: `self state save --if-changed` when a state partition is mounted; r->state says what happened. */
int bank_update_state_save(const struct bank_update_opts *o, struct bank_update_result *r, struct rh_err *err);

#endif
