/* hook.h: init runs one helper program to completion, with a time limit, before it execs the base's init (the
 * `ramhost state boot` hook, docs/runtime.md). */
#ifndef RAMHOST_INIT_HOOK_H
#define RAMHOST_INIT_HOOK_H

#include "err.h"

/* Runs argv[0] (an absolute path) with argv in its own process group: stdin from /dev/null, stdout and stderr
 * those of the caller (init's console). Waits at most timeout_ms; past that the whole group is killed (SIGKILL)
 * and reaped. Returns 0 when the program exited with status 0; otherwise fills err with what happened ("exited
 * with status N", "killed by signal N", "did not finish within N s: killed") and returns a negative errno
 * (-ETIMEDOUT for the time limit). The caller's signal mask is the same on return, so an exec that follows does
 * not hand a blocked SIGCHLD to the next init. Other children of the caller are not reaped. */
int hook_run(char *const argv[], unsigned timeout_ms, struct rh_err *err);

/* hook_run that also gives the program's exit status in *ret_status, as a shell would: N for exit(N), 128 + the
 * signal for one killed by a signal, 124 when the time limit killed it, 127 when it could not be run. Used by
 * the rescue boot for its `rc=N` line. */
int hook_run_status(char *const argv[], unsigned timeout_ms, int *ret_status, struct rh_err *err);

#endif
