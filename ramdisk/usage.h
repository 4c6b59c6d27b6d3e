/* usage.h: what `ramhost ready`, `df` and `du` read about this boot: boot.env, the mount table, and sizes as
 * people read them. The paths come from lib/host/sysroot.h (redirectable for tests). */
#ifndef RAMHOST_USAGE_H
#define RAMHOST_USAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "procmounts.h"
#include "sysroot.h"
#include "bootenv.h"


/* Reads and parses the boot.env at path into *ret (set only on success). */
int usage_bootenv_load(const char *path, struct bootenv *ret, struct rh_err *err);


/* Formats bytes into out (cap >= 24): plain decimal, or with human set "512", "4.0K", "12.3M", "1.5G" (powers of
 * 1024, one decimal). */
void usage_format_size(uint64_t bytes, int human, char *out, size_t cap);

#endif
