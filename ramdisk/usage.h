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

/* Once the host is ready, the drivers tardisk's files leave the page cache (pagecache.h): the modules the
 * machine's devices needed are loaded by then (udev or the built-in base's coldplug read them from there, and a
 * loaded module's file is never read again), so their pages are a second copy; a device plugged in later reads
 * its module again. Nothing happens when env names no drivers tardisk; *ret_files counts the files (may be NULL).
 * Advice only: a tardisk that cannot be walked is skipped. */
void usage_ready_drop_driver_cache(const struct bootenv *env, unsigned *ret_files);


/* Formats bytes into out (cap >= 24): plain decimal, or with human set "512", "4.0K", "12.3M", "1.5G" (powers of
 * 1024, one decimal). */
void usage_format_size(uint64_t bytes, int human, char *out, size_t cap);

#endif
