/* pagecache.c: page cache advice for files read once (see pagecache.h). */
#include "pagecache.h"

#include <fcntl.h>

void pagecache_drop_fd(int fd)
{
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}
