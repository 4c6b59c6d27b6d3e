/* version.c: placeholder bodies so that the tree links while it is written (issue 5); every one fails. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "version.h"

bool vib_version_valid(const char *s)
{
	(void)s;
	return false;
}

int vib_version_cmp(const char *a, const char *b)
{
	(void)a;
	(void)b;
	return -ENOSYS;
}

int vib_op_parse(const char *s, enum vib_op *ret_op)
{
	(void)s;
	(void)ret_op;
	return -ENOSYS;
}

const char *vib_op_str(enum vib_op op)
{
	(void)op;
	return "";
}

bool vib_version_satisfies(const char *have, enum vib_op op, const char *want)
{
	(void)have;
	(void)op;
	(void)want;
	return false;
}
