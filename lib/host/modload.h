/* modload.h: loading kernel modules from files (finit_module): init before any modprobe exists, and the
 * commands that load the on-demand modules (ondemand.h). */
#ifndef RAMHOST_MODLOAD_H
#define RAMHOST_MODLOAD_H

#include "err.h"

/* Loads the module file at path: 1 when it loaded it, 0 when the module was already loaded or built in (EEXIST).
 * -ENODEV means the module refused to load because the machine has nothing for it (efivarfs without UEFI
 * firmware): the caller may go on. Dependencies must be loaded first by the caller (init.conf lists them in
 * order). */
int modload_file(const char *path, struct rh_err *err);

#endif
