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

/* Appends s to the NUL-terminated buf of cap bytes, cutting what does not fit. */
static void cat(char *buf, size_t cap, const char *s)
{
	size_t have = strlen(buf), n = strlen(s);

	if (have + 1 >= cap)
		return;
	if (n > cap - 1 - have)
		n = cap - 1 - have;
	memcpy(buf + have, s, n);
	buf[have + n] = '\0';
}

/* Formats fmt and joins it with e's message: before it (prefix) or after it. */
static int join(struct rh_err *e, int rc, int before, const char *fmt, va_list ap)
{
	char add[sizeof(e->msg)], old[sizeof(e->msg)];

	if (!e)
		return rc;
	vsnprintf(add, sizeof(add), fmt, ap);
	if (!e->rc) {
		e->rc = rc;
		memcpy(e->msg, add, sizeof(add));
		return rc;
	}
	memcpy(old, e->msg, sizeof(old));
	e->msg[0] = '\0';
	cat(e->msg, sizeof(e->msg), before ? add : old);
	cat(e->msg, sizeof(e->msg), before ? ": " : "; ");
	cat(e->msg, sizeof(e->msg), before ? old : add);
	return rc;
}

int rh_err_prefix(struct rh_err *e, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = join(e, rc, 1, fmt, ap);
	va_end(ap);
	return rc;
}

int rh_err_append(struct rh_err *e, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = join(e, rc, 0, fmt, ap);
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
