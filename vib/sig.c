/* sig.c: placeholder bodies so that the tree links while it is written (issue 5); every one fails. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sig.h"

int vib_sig_sign(const void *desc, size_t dlen, const char *key_path, const char *cert_path, void **ret_sig, size_t *ret_len, struct rh_err *err)
{
	(void)desc;
	(void)dlen;
	(void)key_path;
	(void)cert_path;
	(void)ret_sig;
	(void)ret_len;
	(void)err;
	return -ENOSYS;
}

int vib_sig_verify(const void *desc, size_t dlen, const void *sig, size_t slen, enum vib_level claimed, const char *const *trust_dirs, const char *extra_ca, time_t now, enum vib_level *ret_level, struct rh_err *err)
{
	(void)desc;
	(void)dlen;
	(void)sig;
	(void)slen;
	(void)claimed;
	(void)trust_dirs;
	(void)extra_ca;
	(void)now;
	(void)ret_level;
	(void)err;
	return -ENOSYS;
}

int vib_level_check(const char *vib_name, enum vib_level level, enum vib_level policy, struct rh_err *err)
{
	(void)vib_name;
	(void)level;
	(void)policy;
	(void)err;
	return -ENOSYS;
}

int vib_host_level(enum vib_level *ret_level, struct rh_err *err)
{
	(void)ret_level;
	(void)err;
	return -ENOSYS;
}
