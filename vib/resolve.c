/* resolve.c: placeholder bodies so that the tree links while it is written (issue 5); every one fails. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "resolve.h"

int vib_req_parse(const char *s, struct vib_req *ret, struct rh_err *err)
{
	(void)s;
	(void)ret;
	(void)err;
	return -ENOSYS;
}

int vib_resolve(const struct vib_cand *cands, size_t ncands, const struct vib_cand *installed, size_t ninstalled, const struct vib_req *reqs, size_t nreqs, enum vib_level policy, size_t **ret_pick, size_t *ret_n, struct rh_err *err)
{
	(void)cands;
	(void)ncands;
	(void)installed;
	(void)ninstalled;
	(void)reqs;
	(void)nreqs;
	(void)policy;
	(void)ret_pick;
	(void)ret_n;
	(void)err;
	return -ENOSYS;
}

int vib_set_check(const struct vib_cand *set, size_t n, enum vib_level policy, struct rh_err *err)
{
	(void)set;
	(void)n;
	(void)policy;
	(void)err;
	return -ENOSYS;
}
