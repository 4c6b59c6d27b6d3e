/* ar.c: placeholder bodies so that the tree links while it is written (issue 5); every one fails. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ar.h"

int ar_next(const void *buf, size_t len, uint64_t *pos, struct ar_member *ret, struct rh_err *err)
{
	(void)buf;
	(void)len;
	(void)pos;
	(void)ret;
	(void)err;
	return -ENOSYS;
}

int ar_find(const void *buf, size_t len, const char *name, struct ar_member *ret, struct rh_err *err)
{
	(void)buf;
	(void)len;
	(void)name;
	(void)ret;
	(void)err;
	return -ENOSYS;
}

int ar_write_start(int fd, const char *path, struct rh_err *err)
{
	(void)fd;
	(void)path;
	(void)err;
	return -ENOSYS;
}

int ar_write_member(int fd, const char *path, const char *name, const void *data, uint64_t size, uint64_t mtime, struct rh_err *err)
{
	(void)fd;
	(void)path;
	(void)name;
	(void)data;
	(void)size;
	(void)mtime;
	(void)err;
	return -ENOSYS;
}

int ar_write_member_fd(int fd, const char *path, const char *name, int src_fd, uint64_t size, uint64_t mtime, struct rh_err *err)
{
	(void)fd;
	(void)path;
	(void)name;
	(void)src_fd;
	(void)size;
	(void)mtime;
	(void)err;
	return -ENOSYS;
}
