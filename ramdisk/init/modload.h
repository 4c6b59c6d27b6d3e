/* modload.h: loading kernel modules from files (finit_module), as init needs them before any modprobe exists. */
#ifndef RAMHOST_MODLOAD_H
#define RAMHOST_MODLOAD_H

#include "err.h"

/* Loads the module file at path. A module that is already loaded or built in (EEXIST) counts as success.
 * -ENODEV means the module refused to load because the machine has nothing for it (efivarfs without UEFI
 * firmware): the caller may go on. Dependencies must be loaded first by the caller (init.conf lists them in
 * order). */
int modload_file(const char *path, struct rh_err *err);

#endif
