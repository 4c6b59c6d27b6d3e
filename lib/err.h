/* err.h: error reporting for ramhost's host-side libraries.
 *
 * Library code never prints and never exits: it fills a struct rh_err with a message that names the file, the
 * field and the value that was wrong, and returns a negative errno. The command-line front end decides what to
 * print. There is no global error state: every call that can fail takes its own rh_err (which may be NULL when
 * the caller only wants the code). */
#ifndef RAMHOST_ERR_H
#define RAMHOST_ERR_H

#include <stddef.h>

struct rh_err {
	int rc;          /* negative errno of the first error recorded, 0 when none */
	char msg[1024];  /* human-readable, without a trailing newline */
};

/* Records the first error on e (later ones are dropped: the first is the cause) and returns rc, so a caller can
 * write `return rh_errf(err, -EINVAL, "%s: bad magic", path);`. rc must be negative. */
int rh_errf(struct rh_err *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Adds context in front of the error on e ("CONTEXT: cause"), for a caller that knows where a callee's failure
 * happened (which file, which step) without rewriting the callee's message. When e holds no error yet, the
 * context becomes the message and rc the code. Returns rc, like rh_errf. rc must be negative. */
int rh_err_prefix(struct rh_err *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Adds a note after the error on e ("cause; NOTE"), e.g. what was left in place. When e holds no error yet,
 * the note becomes the message and rc the code. Returns rc. */
int rh_err_append(struct rh_err *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Clears e for reuse. */
void rh_err_clear(struct rh_err *e);

#endif
