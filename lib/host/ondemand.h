/* ondemand.h: the on-demand kernel modules (sysroot.h SYSROOT_ONDEMAND_*): the disk and file-system drivers a
 * boot without a disk to use (no ramhost.bankuuid, no rescue, no unattended install) does not load. Init writes
 * their plan, the module files in load order, as it found them for this machine; the commands that look at
 * disks (`ramhost install`, `ramhost rescue`) run it first.
 *
 * The plan is text: one absolute path per line ending in ".ko", clean (no "." or ".." parts, no "//");
 * '#' starts a comment line. */
#ifndef RAMHOST_ONDEMAND_H
#define RAMHOST_ONDEMAND_H

#include <stddef.h>

#include "err.h"

#define ONDEMAND_MAX_PLAN (64u << 10)   /* a plan is a few KiB: anything bigger is not one */
#define ONDEMAND_SETTLE_MS 2000u        /* no new block device for this long: the probes are done */
#define ONDEMAND_SETTLE_MAX_MS 15000u   /* the longest wait after loading */

/* The next module path of the plan buf[0..len) from *pos into *ret_path / *ret_len (not NUL-terminated):
 * 1 for a path, 0 at the end, -EINVAL for a line that is not a clean absolute path ending in ".ko" (err names
 * path, the plan's file, and the line). Pure: fuzzed and unit-tested. */
int ondemand_plan_next(const char *buf, size_t len, size_t *pos, const char *path, const char **ret_path,
		       size_t *ret_len, struct rh_err *err);

/* Writes the plan of paths[0..n) to path (beside it, then renamed). */
int ondemand_plan_write(const char *path, const char *const *paths, unsigned n, struct rh_err *err);

/* Loads the modules of the plan at path in order (modload.h); *ret_loaded how many were not loaded before. A
 * missing plan is 0 with nothing loaded: a host that loaded them at boot, or a build machine. A module that
 * finds nothing to drive here (-ENODEV) is passed over; any other failure stops, naming the module. When it
 * loaded any, it then waits until /sys/block has not changed for ONDEMAND_SETTLE_MS (at most
 * ONDEMAND_SETTLE_MAX_MS): a controller's disks appear after its module's load returns, a USB disk a second or
 * more later. */
int ondemand_load(const char *path, unsigned *ret_loaded, struct rh_err *err);

#endif
