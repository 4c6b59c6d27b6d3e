/* sticky_rule.h: which paths may be sticky — the one owner of the rule for profiles (`sticky =`), VIB
 * descriptors (<sticky-files>) and the state walker.
 *
 * A sticky path is saved as state and restored at boot (docs/state.md). The top-level directories /proc /sys
 * /dev /run /tmp /usr /opt are never saved: the first four are the kernel's and this boot's, /usr and /opt come
 * from the read-only tardisks, so saving them would shadow the image. Pure: no I/O. */
#ifndef RAMHOST_STICKY_RULE_H
#define RAMHOST_STICKY_RULE_H

#include <stddef.h>

#define STICKY_MAX_PATTERN 256  /* a sticky pattern or path, with its NUL */

/* 1 when name (one path component, no '/') is a top-level directory that is never saved, else 0. */
int sticky_top_never_saved(const char *name);

/* 1 when the absolute path (len bytes, not NUL-terminated) lies in or is a top-level directory that is never
 * saved (/usr/bin/x, /dev, /run/ramhost/boot.env), else 0. `state save` never writes such a path, so a restore
 * refuses a generation that names one. */
int sticky_path_never_saved(const char *path, size_t len);

/* NULL when pattern (an absolute glob or path) may be sticky, else why not, as a phrase for a message: not
 * absolute, too long (STICKY_MAX_PATTERN with its NUL), a control character, "/" itself, an empty, '.' or '..'
 * component, or below a directory that is never saved. */
const char *sticky_pattern_invalid(const char *pattern);

#endif
