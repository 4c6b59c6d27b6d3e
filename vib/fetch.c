/* fetch.c: placeholder bodies so that the tree links while it is written (issue 5); every one fails. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "fetch.h"

int fetch_to_file(const char *url, const char *dest, const struct fetch_opts *opts, uint64_t *ret_size, struct rh_err *err)
{
	(void)url;
	(void)dest;
	(void)opts;
	(void)ret_size;
	(void)err;
	return -ENOSYS;
}

int fetch_to_buf(const char *url, size_t max, void **ret_buf, size_t *ret_len, struct rh_err *err)
{
	(void)url;
	(void)max;
	(void)ret_buf;
	(void)ret_len;
	(void)err;
	return -ENOSYS;
}

int fetch_join(char *buf, size_t cap, const char *base, const char *rel, struct rh_err *err)
{
	(void)buf;
	(void)cap;
	(void)base;
	(void)rel;
	(void)err;
	return -ENOSYS;
}
