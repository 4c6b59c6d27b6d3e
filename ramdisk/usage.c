/* usage.c: boot.env, the mount table and sizes for ready, df and du (see usage.h). */
#include "usage.h"

#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


int usage_bootenv_load(const char *path, struct bootenv *ret, struct rh_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = rh_read_file(path, SYSROOT_MAX_FILE, &buf, &len, err);

	if (rc < 0)
		return rc;
	rc = bootenv_parse(buf, len, path, ret, err);
	free(buf);
	return rc;
}

void usage_format_size(uint64_t bytes, int human, char *out, size_t cap)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (!human || bytes < 1024) {
		snprintf(out, cap, "%" PRIu64, bytes);
		return;
	}
	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	snprintf(out, cap, "%.1f%c", v, units[u]);
}
