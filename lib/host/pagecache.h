/* pagecache.h: dropping the page cache of files nobody will read again.
 *
 * A tardisk's files are squashfs: every page read from one is decompressed into the page cache and stays there
 * until memory runs short. For files read once (the /etc and /var copies at boot, copy_tree.h) or read only to
 * load a kernel module (the drivers tardisk), those pages are a second copy of something already in RAM (the
 * ramdisk copy, the loaded module, the compressed tardisk). The advice is POSIX_FADV_DONTNEED: clean pages not
 * mapped by anyone are dropped, a later read decompresses them again; a no-op on tmpfs. */
#ifndef RAMHOST_PAGECACHE_H
#define RAMHOST_PAGECACHE_H

#include "err.h"

/* Advises DONTNEED for the whole file open at fd. */
void pagecache_drop_fd(int fd);

/* Advises DONTNEED for every regular file below dir (not following symlinks, not leaving dir's file system),
 * counting them in *ret_files (may be NULL). A file or directory that cannot be opened is skipped: the advice is
 * an optimisation, never a reason to fail. -errno only when dir itself cannot be opened. */
int pagecache_drop_tree(const char *dir, unsigned *ret_files, struct rh_err *err);

#endif
