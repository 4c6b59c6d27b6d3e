/* vibfile.c: placeholder bodies so that the tree links while it is written (issue 5); every one fails. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "vibfile.h"

int vib_open(const char *path, struct vib_file *ret, struct rh_err *err)
{
	(void)path;
	(void)ret;
	(void)err;
	return -ENOSYS;
}

void vib_close(struct vib_file *v)
{
	(void)v;
}

int vib_check(const struct vib_file *v, const char *const *trust_dirs, const char *extra_ca, int skip_sig, enum vib_level *ret_level, struct rh_err *err)
{
	(void)v;
	(void)trust_dirs;
	(void)extra_ca;
	(void)skip_sig;
	(void)ret_level;
	(void)err;
	return -ENOSYS;
}

int vib_create(const char *out, struct vib_desc *d, const char *const *payload_paths, const char *key_path, const char *cert_path, struct rh_err *err)
{
	(void)out;
	(void)d;
	(void)payload_paths;
	(void)key_path;
	(void)cert_path;
	(void)err;
	return -ENOSYS;
}
