/* install_target.h: the disk `ramhost install` writes: checks and the choice of ramhost.install=auto; internal
 * to install.c (install.h). */
#ifndef RAMHOST_IMGB_INSTALL_TARGET_H
#define RAMHOST_IMGB_INSTALL_TARGET_H

#include <stdint.h>

#include "err.h"
#include "install_medium.h"

struct install_target {
	char dev[256];        /* as given, /dev/NAME */
	char name[64];        /* the kernel's name (vda) */
	uint64_t bytes;
	int blank;            /* no signature found (partitions or data were overwritten with force) */
};

/* Checks dev as a target for an install needing need bytes. Refused even with force: not a whole-disk block
 * device, the medium m, the disk holding the partition of ramhost.bankuuid, a disk with a mounted partition,
 * read-only, too small (the message gives the size needed). Refused without force: partitions in sysfs or a
 * signature (install_signature). Fills *ret on success. */
int install_target_check(const char *dev, const struct install_medium *m, int force, uint64_t need,
			 struct install_target *ret, struct rh_err *err);

/* ramhost.install=auto: the first disk (sorted by name) that passes install_target_check without force; the
 * error lists why each disk was passed over. */
int install_target_auto(const struct install_medium *m, uint64_t need, struct install_target *ret,
			struct rh_err *err);

#endif
