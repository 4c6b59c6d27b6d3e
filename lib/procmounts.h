/* procmounts.h: reading the kernel's mount table text (/proc/mounts). Pure (buf, len): unit-tested. */
#ifndef RAMHOST_PROCMOUNTS_H
#define RAMHOST_PROCMOUNTS_H

#include <stddef.h>

/* Finds mountpoint in a /proc/mounts text buf[0..len) (octal escapes such as \040 decoded) and copies its
 * file system type into ret_fstype (cap bytes). When several mounts are stacked there, the last (visible)
 * one counts. Returns 1 when found, 0 when not. Pure: unit-tested. */
int procmounts_find(const char *buf, size_t len, const char *mountpoint, char *ret_fstype, size_t cap);

#endif
