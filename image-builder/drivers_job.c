/* drivers_job.c: the drivers tardisk's image made in a child process (see drivers_job.h). */
#include "drivers_job.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers.h"
#include "fileio.h"
#include "fs.h"
#include "tardisk/tardisk.h"
#include "tmpreg.h"

/* The child's work: the staged tree, then the image; the tree is removed either way. */
static int make_image(const char *work, const char *img, const struct modules_dep *db, const unsigned char *sel,
		      const char *moddir, const char *kver, long long mtime, struct rh_err *err)
{
	struct tardisk_create_opts to;
	char stage[PATH_MAX];
	int rc = fs_join(stage, sizeof(stage), work, "drivers-root", err);

	if (!rc)
		rc = rh_mkdir_p(stage, 0755, err);
	if (!rc)
		rc = drivers_stage(stage, db, sel, moddir, kver, err);
	if (!rc) {
		memset(&to, 0, sizeof(to));
		to.src = stage;
		to.out = img;
		to.mtime = mtime;
		rc = tardisk_create(&to, err);
	}
	fs_rm_rf(stage, NULL);
	return rc;
}

int drivers_job_start(struct drivers_job *j, const char *work, const struct modules_dep *db, const unsigned char *sel,
		      const char *moddir, const char *kver, long long mtime, struct rh_err *err)
{
	int fds[2], rc;
	pid_t pid;

	memset(j, 0, sizeof(*j));
	j->msgfd = -1;
	rc = fs_join(j->img, sizeof(j->img), work, "drivers.img", err);
	if (rc)
		return rc;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return rh_errf(err, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		return rh_errf(err, rc, "fork: %s", strerror(-rc));
	}
	if (pid == 0) {
		struct rh_err e = { 0 };

		setpgid(0, 0); /* its own group: a signal to ramhost stops it and the tar2sqfs it runs */
		close(fds[0]);
		rc = make_image(work, j->img, db, sel, moddir, kver, mtime, &e);
		if (rc && !e.rc)
			rh_errf(&e, rc, "drivers tardisk: %s", strerror(-rc));
		if (rc)
			rh_write_all(fds[1], &e, sizeof(e));
		_exit(rc ? 1 : 0);
	}
	setpgid(pid, pid); /* also here, so that the group exists before the signal handler may need it */
	tmpreg_group_add(pid);
	close(fds[1]);
	j->pid = pid;
	j->msgfd = fds[0];
	return 0;
}

/* Reaps the child; its wait status, or -1. */
static int reap(struct drivers_job *j)
{
	int status;

	while (waitpid(j->pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	tmpreg_child_forget(j->pid);
	j->pid = 0;
	return status;
}

int drivers_job_wait(struct drivers_job *j, struct rh_err *err)
{
	struct rh_err e = { 0 };
	size_t got = 0;
	int status;

	if (!j->pid)
		return rh_errf(err, -ECHILD, "drivers tardisk: no job running");
	while (got < sizeof(e)) { /* the message, or end of file when the child exits without one */
		ssize_t n = read(j->msgfd, (char *)&e + got, sizeof(e) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(j->msgfd);
	j->msgfd = -1;
	status = reap(j);
	if (status == 0)
		return 0;
	unlink(j->img);
	if (got == sizeof(e) && e.rc < 0) {
		e.msg[sizeof(e.msg) - 1] = '\0';
		return rh_errf(err, e.rc, "%s", e.msg);
	}
	if (status != -1 && WIFSIGNALED(status))
		return rh_errf(err, -EINTR, "drivers tardisk: its process was killed by signal %d", WTERMSIG(status));
	return rh_errf(err, -EIO, "drivers tardisk: its process ended without a result (status %d)", status);
}

void drivers_job_stop(struct drivers_job *j)
{
	if (!j->pid)
		return;
	kill(-j->pid, SIGTERM);
	reap(j);
	if (j->msgfd >= 0)
		close(j->msgfd);
	j->msgfd = -1;
	unlink(j->img);
}
