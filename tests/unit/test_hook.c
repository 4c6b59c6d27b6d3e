/* test_hook.c: init's helper runner (ramdisk/init/hook.h): exit statuses, signals, the time limit killing
 * the whole process group, stdin from /dev/null, and the caller's signal mask left as it was. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "ramdisk/init/hook.h"
#include "unit.h"

static char top[256];

static void test_statuses(void)
{
	static const struct {
		const char *script;     /* run as /bin/sh -c SCRIPT */
		unsigned timeout_ms;
		int rc;
		const char *want;       /* substring of the message; NULL for success */
	} rows[] = {
		{ "exit 0", 10000, 0, NULL },
		{ "exit 3", 10000, -EIO, "/bin/sh exited with status 3" },
		{ "kill -TERM $$", 10000, -EIO, "/bin/sh killed by signal 15" },
		{ "read x; exit 0", 10000, 0, NULL },            /* stdin is /dev/null: read sees EOF at once */
		{ "exec 2>&-; exit 0", 10000, 0, NULL },
		{ "sleep 30", 300, -ETIMEDOUT, "/bin/sh did not finish within 1 s: killed" },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *argv[] = { "/bin/sh", "-c", (char *)rows[i].script, NULL };
		struct rh_err err = { 0 };
		int rc = hook_run(argv, rows[i].timeout_ms, &err);

		if (rc != rows[i].rc || (rows[i].want && !strstr(err.msg, rows[i].want)) || (!rows[i].want && err.rc)) {
			fprintf(stderr, "  row %u (%s): rc %d message '%s'\n", i, rows[i].script, rc, err.msg);
			unit_failed_now = 1;
		}
	}
}

/* The status a shell would give: exit N, 128 + signal, 124 for the time limit, 127 when not run. */
static void test_shell_status(void)
{
	static const struct {
		const char *script;
		unsigned timeout_ms;
		int status;
	} rows[] = {
		{ "exit 0", 10000, 0 },
		{ "exit 3", 10000, 3 },
		{ "exit 255", 10000, 255 },
		{ "kill -TERM $$", 10000, 128 + 15 },
		{ "sleep 30", 300, 124 },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *argv[] = { "/bin/sh", "-c", (char *)rows[i].script, NULL };
		struct rh_err err = { 0 };
		int status = -1;

		hook_run_status(argv, rows[i].timeout_ms, &status, &err);
		if (status != rows[i].status) {
			fprintf(stderr, "  row %u (%s): status %d, want %d\n", i, rows[i].script, status, rows[i].status);
			unit_failed_now = 1;
		}
	}
	{
		char *argv[] = { "/nonexistent/ramhost", "rescue", "repair", "--yes", NULL };
		struct rh_err err = { 0 };
		int status = -1;

		CHECK(hook_run_status(argv, 5000, &status, &err) == -EIO && status == 127);
	}
}

static void test_missing_program(void)
{
	char *argv[] = { "/nonexistent/ramhost", "state", "boot", NULL };
	struct rh_err err = { 0 };

	CHECK(hook_run(argv, 5000, &err) == -EIO);
	CHECK(strstr(err.msg, "/nonexistent/ramhost exited with status 127") != NULL);
}

/* The time limit kills the program's children too: a grandchild that would write a file later never does. */
static void test_timeout_kills_group(void)
{
	char script[600], mark[300];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct rh_err err = { 0 };
	struct timespec ts = { 1, 500000000 };

	snprintf(mark, sizeof(mark), "%s/late", top);
	snprintf(script, sizeof(script), "(sleep 1; echo x > %s) & sleep 30", mark);
	CHECK(hook_run(argv, 200, &err) == -ETIMEDOUT);
	nanosleep(&ts, NULL);
	CHECK(access(mark, F_OK) < 0 && errno == ENOENT);
}

static void test_signal_mask_kept(void)
{
	char *argv[] = { "/bin/sh", "-c", "exit 0", NULL };
	struct rh_err err = { 0 };
	sigset_t before, after;

	sigemptyset(&before);
	sigprocmask(SIG_SETMASK, &before, NULL);
	CHECK(hook_run(argv, 5000, &err) == 0);
	sigprocmask(SIG_SETMASK, NULL, &after);
	CHECK(!sigismember(&after, SIGCHLD));
}

int main(void)
{
	if (fs_work_dir(NULL, "ramhost-hook", top, sizeof(top), NULL) < 0)
		return 1;
	RUN(test_statuses);
	RUN(test_shell_status);
	RUN(test_missing_program);
	RUN(test_timeout_kills_group);
	RUN(test_signal_mask_kept);
	if (fs_rm_rf(top, NULL) < 0)
		fprintf(stderr, "  could not remove %s\n", top);
	UNIT_EXIT();
}
