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

/* copy_tree of one tardisk layer over the copies of the layers below it, obeying overlayfs's marks the way the
 * read-only overlays do (lib/ovl.h): a whiteout (character device 0/0) in src removes what dst has at its path
 * and copies nothing; an opaque directory (trusted.overlay.opaque = "y") empties its existing copy in dst first
 * (the directory itself stays: it may be a mount point). init's copies of /etc, /var, ... (runtime.md). */
int copy_tree_layer(const char *src, const char *dst, struct rh_err *err);

/* 1 when the directory at path, in a mounted tardisk layer, is opaque (lib/ovl.h's xattr); the one reader of
 * that mark from a file system (init's view plan and copies, copy_layers_file). */
int copy_layer_dir_opaque(const char *path);

/* What the mounted tardisk layers at lowers (NULL-terminated, lowest first) show at rel (relative, e.g.
 * "etc/x.conf") as overlayfs would: from the topmost layer down, the first one that has rel decides, unless a
 * layer above hides it (a whiteout or a non-directory on the way, an opaque directory above it: lib/ovl.h). Its
 * path into ret (cap bytes) when that is a regular file, else "" (absent, hidden, whited out or not a file). */
void copy_layers_file(const char *const *lowers, const char *rel, char *ret, size_t cap);

/* Removing a tree is fs_rm_rf (fs.h). */

#endif
