/* test_tmpreg.c: lib/host/tmpreg.c, the registry of temporaries, and the fs.h functions that feed it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "mount.h"
#include "tmpreg.h"
#include "unit.h"

static char top[PATH_MAX];

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		(void)!write(fd, "x", 1);
		close(fd);
	}
}

/* A work dir holding a tree (a file, a nested dir, a symlink to a file outside): all of it goes, the symlink's
 * target stays. */
static void cleanup_removes_tree_not_links(void)
{
	char work[PATH_MAX], p[PATH_MAX + 64], outside[PATH_MAX + 64];

	snprintf(outside, sizeof(outside), "%s/outside", top);
	touch(outside);
	CHECK(fs_work_dir(top, "w", work, sizeof(work), NULL) == 0);
	CHECK(tmpreg_has(work));
	snprintf(p, sizeof(p), "%s/a", work);
	touch(p);
	snprintf(p, sizeof(p), "%s/d", work);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/d/e", work);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/d/e/f", work);
	touch(p);
	snprintf(p, sizeof(p), "%s/d/link", work);
	CHECK(symlink(outside, p) == 0);
	tmpreg_cleanup();
	CHECK(!exists(work));
	CHECK(!tmpreg_has(work));
	CHECK(exists(outside));
}

/* The commit (fs_install_file) and the removal (fs_rm_rf) unregister; what is committed survives a clean-up. */
static void commit_and_removal_unregister(void)
{
	char out[PATH_MAX + 64], tmp[PATH_MAX + 64], work[PATH_MAX];
	int fd = -1;

	snprintf(out, sizeof(out), "%s/out.bin", top);
	CHECK(fs_tmp_beside(out, tmp, sizeof(tmp), &fd, NULL) == 0);
	CHECK(tmpreg_has(tmp));
	if (fd >= 0)
		close(fd);
	CHECK(fs_install_file(tmp, out, NULL) == 0);
	CHECK(!tmpreg_has(tmp));
	CHECK(fs_work_dir(top, "gone", work, sizeof(work), NULL) == 0);
	CHECK(tmpreg_has(work));
	CHECK(fs_rm_rf(work, NULL) == 0);
	CHECK(!tmpreg_has(work));
	tmpreg_cleanup();
	CHECK(exists(out));
}

/* Relative paths are kept absolute: a chdir does not change what is removed. */
static void relative_paths_survive_chdir(void)
{
	char cwd[PATH_MAX], abs[PATH_MAX + 16];
	char tmpl[] = "rel.XXXXXX";
	int fd;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(top) == 0);
	fd = fs_make_temp(tmpl, 0, NULL);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	snprintf(abs, sizeof(abs), "%s/%s", top, tmpl);
	CHECK(tmpreg_has(abs));
	CHECK(chdir("/") == 0);
	tmpreg_cleanup();
	CHECK(!exists(abs));
	CHECK(chdir(cwd) == 0);
}

/* A full table drops entries whose path is gone, and says so when every entry is live. */
static void full_table(void)
{
	char paths[TMPREG_MAX_PATHS][PATH_MAX + 16], extra[PATH_MAX + 16];
	struct rh_err err = { 0 };
	int i;

	for (i = 0; i < TMPREG_MAX_PATHS; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/f%d", top, i);
		touch(paths[i]);
		CHECK(tmpreg_add(paths[i], NULL) == 0);
	}
	snprintf(extra, sizeof(extra), "%s/extra", top);
	touch(extra);
	CHECK(tmpreg_add(extra, &err) == -ENFILE);
	CHECK(strstr(err.msg, "more than 64 temporary files") != NULL);
	unlink(paths[3]); /* renamed or removed by its owner without telling */
	CHECK(tmpreg_add(extra, NULL) == 0);
	tmpreg_cleanup();
	for (i = 0; i < TMPREG_MAX_PATHS; i++)
		CHECK(!exists(paths[i]));
	CHECK(!exists(extra));
}

/* Runs fn in a child; returns its wait status. */
static int in_child(void (*fn)(void))
{
	int status = -1;
	pid_t pid;

	fflush(stdout); /* the child's exit() must not print the results twice */
	pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return status;
}

static char sig_work[PATH_MAX];

static void signalled(void)
{
	char p[PATH_MAX + 16];

	tmpreg_install();
	if (fs_work_dir(top, "sig", sig_work, sizeof(sig_work), NULL) < 0)
		_exit(3);
	snprintf(p, sizeof(p), "%s/file", sig_work);
	touch(p);
	raise(SIGTERM);
	_exit(4); /* not reached: the handler re-raises with the default action */
}

/* How many entries of dir start with prefix. */
static int count_prefix(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

/* SIGTERM: the temporaries go and the process dies of SIGTERM. */
static void signal_cleans_and_dies_of_it(void)
{
	int status = in_child(signalled);

	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CHECK(count_prefix(top, "sig.") == 0); /* the child's work dir, with its file */
}

static char kept[PATH_MAX];

static void parent_with_forked_child(void)
{
	pid_t pid;

	tmpreg_install();
	if (fs_work_dir(top, "kept", kept, sizeof(kept), NULL) < 0)
		_exit(3);
	pid = fork();
	if (pid == 0)
		exit(0); /* runs the atexit clean-up in the child: it must leave the parent's work dir alone */
	waitpid(pid, NULL, 0);
	_exit(exists(kept) ? 0 : 5); /* _exit: the parent's own clean-up does not run either */
}

/* A forked child that exits never removes its parent's temporaries. */
static void child_exit_leaves_parent_temporaries(void)
{
	int status = in_child(parent_with_forked_child);

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* In a private mount namespace: a tmpfs and a bind mount of the same file system inside a work dir. The
 * clean-up removes the work dir's own files and leaves what is mounted (the bind mount has the same st_dev: the
 * mount id tells it). Exit 0: right; 77: no mount namespace here (not root, or no CAP_SYS_ADMIN). */
static void mounted_inside(void)
{
	char work[PATH_MAX], keep[PATH_MAX + 16], p[PATH_MAX + 128], b[PATH_MAX + 32], t[PATH_MAX + 32];

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(77);
	snprintf(keep, sizeof(keep), "%s/keep", top);
	mkdir(keep, 0755);
	snprintf(p, sizeof(p), "%s/precious", keep);
	touch(p);
	if (fs_work_dir(top, "mnt", work, sizeof(work), NULL) < 0)
		_exit(3);
	snprintf(b, sizeof(b), "%s/bind", work);
	snprintf(t, sizeof(t), "%s/tmpfs", work);
	mkdir(b, 0755);
	mkdir(t, 0755);
	if (mount(keep, b, NULL, MS_BIND, NULL) < 0 || mount("none", t, "tmpfs", 0, NULL) < 0)
		_exit(77);
	snprintf(p, sizeof(p), "%s/on-tmpfs", t);
	touch(p);
	snprintf(p, sizeof(p), "%s/own", work);
	touch(p);
	tmpreg_cleanup();
	snprintf(p, sizeof(p), "%s/precious", keep);
	if (!exists(p))
		_exit(4);
	snprintf(p, sizeof(p), "%s/on-tmpfs", t);
	if (!exists(p))
		_exit(5);
	snprintf(p, sizeof(p), "%s/own", work);
	if (exists(p))
		_exit(6);
	umount2(b, MNT_DETACH);
	umount2(t, MNT_DETACH);
	_exit(0);
}

static void cleanup_leaves_mounts_alone(void)
{
	int status = in_child(mounted_inside);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("  (no private mount namespace here: the mount case was not run)\n");
		return;
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Work dirs made before the process moved into a mount namespace of its own (mount_ns_private: every mount id
 * changes), a tmpfs mounted on one of them, marked as the process's own, with a work dir inside it, and a work
 * dir holding another own mount point: on SIGTERM all of them go (the inner one first, then the tmpfs detached
 * and its mount point removed, then the work dir that held a mount point). */
static void own_mount_signalled(void)
{
	char before[PATH_MAX], mnt[PATH_MAX], inner[PATH_MAX], outer[PATH_MAX], nested[PATH_MAX];

	tmpreg_install();
	if (fs_work_dir(top, "ns", before, sizeof(before), NULL) < 0 || fs_work_dir(top, "own", mnt, sizeof(mnt), NULL) < 0 ||
	    fs_work_dir(top, "outer", outer, sizeof(outer), NULL) < 0 ||
	    fs_work_dir(outer, "nested", nested, sizeof(nested), NULL) < 0)
		_exit(3);
	if (mount_ns_private(NULL) < 0 || mount("none", mnt, "tmpfs", 0, NULL) < 0 ||
	    mount("none", nested, "tmpfs", 0, NULL) < 0)
		_exit(77);
	tmpreg_own_mount(mnt);
	tmpreg_own_mount(nested);
	if (fs_work_dir(mnt, "inner", inner, sizeof(inner), NULL) < 0)
		_exit(3);
	raise(SIGTERM);
	_exit(4);
}

static void own_mount_cleaned_on_signal(void)
{
	int status = in_child(own_mount_signalled);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("  (no private mount namespace here: the own-mount case was not run)\n");
		return;
	}
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CHECK(count_prefix(top, "ns.") == 0);
	CHECK(count_prefix(top, "own.") == 0);
	CHECK(count_prefix(top, "outer.") == 0);   /* a work dir that held an own mount point */
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	char cmd[PATH_MAX + 16];

	snprintf(top, sizeof(top), "%s/test_tmpreg.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(top))
		return 1;
	RUN(cleanup_removes_tree_not_links);
	RUN(commit_and_removal_unregister);
	RUN(relative_paths_survive_chdir);
	RUN(full_table);
	unlink(strcat(strcpy(cmd, top), "/outside"));
	unlink(strcat(strcpy(cmd, top), "/out.bin"));
	RUN(signal_cleans_and_dies_of_it);
	RUN(child_exit_leaves_parent_temporaries);
	RUN(cleanup_leaves_mounts_alone);
	RUN(own_mount_cleaned_on_signal);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	(void)!system(cmd);
	return unit_failed_total ? 1 : 0;
}
