/* bank_update_state.c: `bootbank update` step 0, the state saved first (`ramhost state save --if-changed`) so
 * that the new bank boots with what is current (see bank_update.h, bank_update_int.h). */
#include "bank_update.h"
#include "bank_update_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "procmounts.h"
#include "sysroot.h"

#define STATE_STORE "/run/ramhost/state"

/* Runs `self state save --if-changed` (stdout and stderr together into out, cap bytes); returns its exit
 * status, or a negative errno when it could not run. */
static int run_state_save(const char *self, char *out, size_t cap)
{
	char *const argv[] = { (char *)self, "state", "save", "--if-changed", NULL };
	size_t used = 0;
	int p[2], status;
	pid_t pid;
	ssize_t n;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(self, argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + used, cap - 1 - used)) != 0) {
		char sink[256];

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		used += (size_t)n;
		if (used == cap - 1)   /* keep the beginning; drain the rest */
			while (read(p[0], sink, sizeof(sink)) > 0)
				;
		if (used == cap - 1)
			break;
	}
	out[used] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	while (used && (out[used - 1] == '\n' || out[used - 1] == '\r'))
		out[--used] = '\0';
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* 1 when the state store is a mount point (the state partition is mounted), by /proc/mounts. */
static int state_store_mounted(void)
{
	const char *mounts = sysroot_proc_mounts();
	char *buf = NULL, fstype[64];
	size_t len;
	int found;

	if (rh_read_file(mounts, SYSROOT_MAX_FILE, &buf, &len, NULL) < 0)
		return 0;
	found = procmounts_find(buf, len, STATE_STORE, fstype, sizeof(fstype));
	free(buf);
	return found == 1;
}

/* Step 0: the state is saved first, so that the new bank boots with what is current. A host without a state
 * partition (or a ramhost without the state command) has nothing to save: noted, not an error. */
int bank_update_state_save(const struct bank_update_opts *o, struct bank_update_result *r, struct rh_err *err)
{
	const char *self = o->self ? o->self : "/proc/self/exe";
	char out[1024];
	int st;

	if (o->no_state_save) {
		snprintf(r->state, sizeof(r->state), "not saved (--no-state-save)");
		return 0;
	}
	if (!state_store_mounted()) {
		snprintf(r->state, sizeof(r->state), "not saved: no state partition mounted at %s (the state of this "
			 "host is not persistent)", STATE_STORE);
		return 0;
	}
	st = run_state_save(self, out, sizeof(out));
	if (st < 0)
		return rh_errf(err, st, "cannot run %s state save: %s: nothing written", self, strerror(-st));
	if (st == 2 && strstr(out, "unknown command")) {
		snprintf(r->state, sizeof(r->state), "not saved: this ramhost has no state command");
		return 0;
	}
	if (st != 0)
		return rh_errf(err, -EIO, "`ramhost state save --if-changed` failed (exit %d): %.600s: nothing written "
				 "(fix it, or pass --no-state-save to update without saving)", st, out);
	snprintf(r->state, sizeof(r->state), "%.500s", out);
	r->state_saved = 1;
	return 0;
}
