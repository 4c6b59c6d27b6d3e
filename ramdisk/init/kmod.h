/* kmod.h: loading kernel modules from files (finit_module), as init needs them before any modprobe exists. */
#ifndef RAMHOST_KMOD_H
#define RAMHOST_KMOD_H

#include "err.h"

/* Loads the module file at path. A module that is already loaded or built in (EEXIST) counts as success.
 * Dependencies must be loaded first by the caller (init.conf lists them in order). */
int kmod_load(const char *path, struct rh_err *err);

#endif
