/* oci_base.c: a container image base's tree and init check (oci_base.h). */
#include "oci_base.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tardisk/tardisk.h"

int oci_base_tree(const char *base_tdk, const char *root, struct rh_err *err)
{
	static const char *const with_data[] = { "usr/lib/os-release", "etc/os-release", NULL };

	return tardisk_skeleton(base_tdk, root, with_data, err);
}

int oci_base_check_init(const char *root, const char *init, const char *shown, struct rh_err *err)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int dfd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC), fd = -1, rc = 0;
	struct stat st;

	if (dfd < 0)
		return rh_errf(err, -errno, "%s: %s", root, strerror(errno));
	fd = (int)syscall(SYS_openat2, dfd, init + 1, &how, sizeof(how));
	if (fd < 0 || fstat(fd, &st) < 0)
		rc = rh_errf(err, -ENOENT, "%s: the image has no %s, so it cannot boot as a host: add an init (Debian: "
			     "systemd-sysv and udev, as a debootstrap base has) or name the image's init with 'init ='",
			     shown, init);
	else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		rc = rh_errf(err, -EACCES, "%s: %s in the image is not an executable file", shown, init);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}
