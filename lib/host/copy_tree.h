/* copy.h: copying a tree from a mounted tardisk into a ramdisk (init's /etc, /var, /root, ...).
 *
 * Keeps file type, mode (with setuid/setgid/sticky), owner, group and times, symlinks as symlinks, device nodes
 * and fifos as nodes. Hard links become separate copies and extended attributes are not copied. Merges into
 * an existing directory: what src has replaces what dst has (a directory over a file replaces the file, and so
 * on), what only dst has stays, so copying layers lowest first gives "later layers win". Each source file's
 * pages are dropped from the page cache once it is copied (POSIX_FADV_DONTNEED): init copies /etc and /var out of the
 * tardisks at every boot, and their cached pages would be a second copy. */
#ifndef RAMHOST_COPY_H
#define RAMHOST_COPY_H

#include "err.h"

/* Copies src (any type) to dst as described above. Never follows a symlink in src or dst. */
int copy_tree(const char *src, const char *dst, struct rh_err *err);

/* Removing a tree is fs_rm_rf (fs.h). */

#endif
