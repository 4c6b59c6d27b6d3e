/* env.h: the one reader of number- and size-valued environment variables (RAMHOST_FETCH_TIMEOUT,
 * RAMHOST_FETCH_MIN_RATE, RAMHOST_VIB_MAX_SIZE, RAMHOST_MIN_FREE, ...): a value that is not a number is an error
 * naming the variable, never a silent default. */
#ifndef RAMHOST_ENV_H
#define RAMHOST_ENV_H

#include <stdint.h>

#include "err.h"

/* The number in the environment variable var (decimal; with allow_suffix also K, M, G or T for KiB ... TiB, as
 * lib/size.h reads them), def when it is unset or empty; at most max. -EINVAL naming the variable otherwise. */
int env_number(const char *var, uint64_t def, uint64_t max, int allow_suffix, uint64_t *ret, struct rh_err *err);

#endif
