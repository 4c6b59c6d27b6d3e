/* vibdb.c: placeholder bodies so that the tree links while it is written (issue 5); every one fails. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "vibdb.h"

int vibdb_load(const char *dir, struct vibdb *ret, struct rh_err *err)
{
	(void)dir;
	(void)ret;
	(void)err;
	return -ENOSYS;
}

void vibdb_free(struct vibdb *db)
{
	(void)db;
}

int vibdb_put(const char *dir, const struct vibdb_entry *e, struct rh_err *err)
{
	(void)dir;
	(void)e;
	(void)err;
	return -ENOSYS;
}

int vibdb_del(const char *dir, const char *name, struct rh_err *err)
{
	(void)dir;
	(void)name;
	(void)err;
	return -ENOSYS;
}

int vibdb_write_cpio(const struct vibdb *db, int out_fd, const char *path, struct rh_err *err)
{
	(void)db;
	(void)out_fd;
	(void)path;
	(void)err;
	return -ENOSYS;
}
