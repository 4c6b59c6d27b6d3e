/* hook.c: one helper program run by init with a time limit (see hook.h). */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The child: a process group of its own (so a timeout kills its helpers too), default signals, no stdin. */
static void __attribute__((noreturn)) child(char *const argv[], const sigset_t *mask)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	setpgid(0, 0);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (fd >= 0) {
		dup2(fd, 0);
		if (fd != 0)
			close(fd);
	}
	execv(argv[0], argv);
	_exit(127);
}

/* The program's exit status as a shell gives it ($?). */
static int shell_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 127;
}

int hook_run(char *const argv[], unsigned timeout_ms, struct rh_err *err)
{
	return hook_run_status(argv, timeout_ms, NULL, err);
}

int hook_run_status(char *const argv[], unsigned timeout_ms, int *ret_status, struct rh_err *err)
{
	sigset_t chld, old;
	struct timespec t0;
	pid_t pid, w;
	int st = 0, rc, status = 127;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &old) < 0)
		return rh_errf(err, -errno, "%s: sigprocmask: %s", argv[0], strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		rc = rh_errf(err, -errno, "%s: fork: %s", argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(argv, &old);
	setpgid(pid, pid); /* also here: no window in which a kill(-pid) misses */
	for (;;) {
		long left = (long)timeout_ms - ms_since(&t0);
		struct timespec ts;

		w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			rc = rh_errf(err, -errno, "%s: waitpid: %s", argv[0], strerror(errno));
			goto out;
		}
		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			rc = rh_errf(err, -ETIMEDOUT, "%s did not finish within %u s: killed", argv[0],
				     (timeout_ms + 999) / 1000);
			status = 124;
			goto out;
		}
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		/* woken by any child's exit; the loop then checks whether it was ours */
		if (sigtimedwait(&chld, NULL, &ts) < 0 && errno != EAGAIN && errno != EINTR) {
			rc = rh_errf(err, -errno, "%s: sigtimedwait: %s", argv[0], strerror(errno));
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			goto out;
		}
	}
	status = shell_status(st);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		rc = 0;
	else if (WIFEXITED(st))
		rc = rh_errf(err, -EIO, "%s exited with status %d%s", argv[0], WEXITSTATUS(st),
			     WEXITSTATUS(st) == 127 ? " (could not be run?)" : "");
	else
		rc = rh_errf(err, -EIO, "%s killed by signal %d", argv[0], WIFSIGNALED(st) ? WTERMSIG(st) : 0);
out:
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ret_status)
		*ret_status = status;
	return rc;
}
