/* pagecache.h: dropping the page cache of a file nobody will read again.
 *
 * A tardisk's files are squashfs: every page read from one is decompressed into the page cache and stays there
 * until memory runs short. For a file read once to be copied (init's /etc and /var copies at boot, copy_tree.h)
 * those pages are a second copy of what the ramdisk now holds. The advice is POSIX_FADV_DONTNEED: clean pages
 * not mapped by anyone are dropped, a later read decompresses them again; a no-op on tmpfs. */
#ifndef RAMHOST_PAGECACHE_H
#define RAMHOST_PAGECACHE_H

/* Advises DONTNEED for the whole file open at fd (advice only: nothing to fail). */
void pagecache_drop_fd(int fd);

#endif
