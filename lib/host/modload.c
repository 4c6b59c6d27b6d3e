/* modload.c: finit_module wrapper (see modload.h). */
#include "modload.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int modload_file(const char *path, struct rh_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 1;

	if (fd < 0)
		return rh_errf(err, -errno, "kernel module %s: %s", path, strerror(errno));
	if (syscall(SYS_finit_module, fd, "", 0) < 0)
		rc = errno == EEXIST ? 0 : rh_errf(err, -errno, "kernel module %s: finit_module: %s", path, strerror(errno));
	close(fd);
	return rc;
}
