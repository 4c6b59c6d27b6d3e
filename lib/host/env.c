/* env.c: see env.h. */
#include "env.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "size.h"

int env_number(const char *var, uint64_t def, uint64_t max, int allow_suffix, uint64_t *ret,
	       struct rh_err *err)
{
	const char *s = getenv(var), *c;
	uint64_t v;

	*ret = def;
	if (!s || !*s)
		return 0;
	if (!allow_suffix)
		for (c = s; *c; c++)
			if (*c < '0' || *c > '9')
				goto bad;
	if (size_parse(s, &v) < 0 || v > max)
		goto bad;
	*ret = v;
	return 0;
bad:
	if (max == UINT64_MAX)
		return rh_errf(err, -EINVAL, "%s='%.40s': expected a number%s", var, s,
			       allow_suffix ? " (suffix K, M, G or T allowed)" : "");
	return rh_errf(err, -EINVAL, "%s='%.40s': expected a number%s, at most %" PRIu64, var, s,
		       allow_suffix ? " (suffix K, M, G or T allowed)" : "", max);
}
