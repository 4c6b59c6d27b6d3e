/* drivers_job.h: the drivers tardisk's image made in a child process while the build goes on.
 *
 * Packing the drivers set (drivers.h) is most of a cold image build: staging a few hundred module files, depmod,
 * then tar2sqfs. It depends only on the kernel and the profile's drivers classes, so bank_build starts it before
 * the base and waits for it where the drivers tardisk takes its place among the boot modules; the base's and the
 * other tardisks' serial work (staging, tool starts, the cpio wrappers, fsyncs) then runs while the drivers are
 * compressed. The child leads its own process group, registered with tmpreg_group_add: on SIGINT/SIGTERM the
 * command stops it and its tools before removing the work dir. */
#ifndef RAMHOST_IMGB_DRIVERS_JOB_H
#define RAMHOST_IMGB_DRIVERS_JOB_H

#include <limits.h>
#include <sys/types.h>

#include "err.h"
#include "modules_dep.h"

struct drivers_job {
	pid_t pid;             /* the child; 0: none running */
	int msgfd;             /* its error message comes back through this pipe */
	char img[PATH_MAX];    /* the squashfs image it writes (work/drivers.img) */
};

/* Starts the child: it stages db's modules selected in sel (drivers_stage) in work/drivers-root, makes the
 * squashfs image j->img from it with tardisk_create (mtimes clamped to mtime, as tardisk_create_opts.mtime),
 * removes the staged tree and exits. A fork or pipe failure is returned; the child's own failure comes from
 * drivers_job_wait. */
int drivers_job_start(struct drivers_job *j, const char *work, const struct modules_dep *db, const unsigned char *sel,
		      const char *moddir, const char *kver, long long mtime, struct rh_err *err);

/* Waits for the child: 0 when j->img is written, else its error (the message it sent, or how it ended). */
int drivers_job_wait(struct drivers_job *j, struct rh_err *err);

/* Stops a child still running (SIGTERM to its group, then waits): on the build's error path. No-op without one. */
void drivers_job_stop(struct drivers_job *j);

#endif
