/* descriptor.c: placeholder bodies so that the tree links while it is written (issue 5); every one fails. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "descriptor.h"

const char *vib_level_str(enum vib_level level)
{
	(void)level;
	return "";
}

int vib_level_parse(const char *s, enum vib_level *ret_level)
{
	(void)s;
	(void)ret_level;
	return -ENOSYS;
}

int vib_desc_parse(const void *buf, size_t len, struct vib_desc *ret, struct rh_err *err)
{
	(void)buf;
	(void)len;
	(void)ret;
	(void)err;
	return -ENOSYS;
}

int vib_desc_write(const struct vib_desc *d, char **ret_buf, size_t *ret_len, struct rh_err *err)
{
	(void)d;
	(void)ret_buf;
	(void)ret_len;
	(void)err;
	return -ENOSYS;
}

void vib_desc_free(struct vib_desc *d)
{
	(void)d;
}
