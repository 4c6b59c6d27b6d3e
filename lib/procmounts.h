/* procmounts.h: reading the kernel's mount table text (/proc/mounts). Pure (buf, len): unit-tested. */
#ifndef RAMHOST_PROCMOUNTS_H
#define RAMHOST_PROCMOUNTS_H

#include <stddef.h>

struct procmount {
	char source[1024];
	char mountpoint[4096];
	char fstype[64];
	char options[8192];   /* "ro,relatime,lowerdir=...": overlay options are long */
};

/* The next line of buf[0..len) from *pos (advanced past it) into *ret, escapes decoded; a line with fewer than
 * three fields or a field too long is skipped. Returns 1 for a mount, 0 at the end. */
int procmounts_next(const char *buf, size_t len, size_t *pos, struct procmount *ret);

/* Finds mountpoint in a /proc/mounts text buf[0..len) (octal escapes such as \040 decoded) and copies its
 * file system type into ret_fstype (cap bytes). When several mounts are stacked there, the last (visible)
 * one counts. Returns 1 when found, 0 when not. Pure: unit-tested. */
int procmounts_find(const char *buf, size_t len, const char *mountpoint, char *ret_fstype, size_t cap);

#endif
