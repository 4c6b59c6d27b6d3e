/* err.c: see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int rh_errf(struct rh_err *e, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->rc)
		return rc;
	e->rc = rc;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void rh_err_clear(struct rh_err *e)
{
	if (!e)
		return;
	e->rc = 0;
	e->msg[0] = '\0';
}
