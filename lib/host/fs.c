/* fs.c: file-system chores of the host commands (see fs.h). */
#include "fs.h"

#include "fileio.h"
#include "tmpreg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

int fs_join(char *buf, size_t cap, const char *a, const char *b, struct rh_err *err)
{
	size_t la = strlen(a);
	int n = snprintf(buf, cap, "%s%s%s", a, (la && a[la - 1] == '/') ? "" : "/", b);

	if (n < 0 || (size_t)n >= cap)
		return rh_errf(err, -ENAMETOOLONG, "path too long: %s/%s", a, b);
	return 0;
}


int fs_write_file(const char *path, const void *buf, size_t len, unsigned mode, struct rh_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int rc;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot create: %s", path, strerror(errno));
	rc = rh_write_all(fd, buf, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (rc)
		return rh_errf(err, rc, "%s: write failed: %s", path, strerror(-rc));
	return 0;
}


int fs_free_bytes(const char *path, uint64_t *ret, struct rh_err *err)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return rh_errf(err, -errno, "%s: cannot read the free space: %s", path, strerror(errno));
	*ret = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

int fs_free_bytes_fd(int fd, uint64_t *ret)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv) < 0)
		return -errno;
	*ret = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

int fs_copy_file(const char *src, const char *dst, unsigned mode, struct rh_err *err)
{
	char buf[65536];
	int in = -1, out = -1, rc = 0;

	rc = rh_open_input(src, &in, err);
	if (rc < 0)
		return rc;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		rc = rh_errf(err, -errno, "%s: cannot create: %s", dst, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rh_errf(err, -errno, "%s: read failed: %s", src, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		rc = rh_write_all(out, buf, (size_t)n);
		if (rc) {
			rh_errf(err, rc, "%s: write failed: %s", dst, strerror(-rc));
			goto out;
		}
	}
	if (fchmod(out, mode) < 0 || fsync(out) < 0)
		rc = rh_errf(err, -errno, "%s: %s", dst, strerror(errno));
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && !rc)
		rc = rh_errf(err, -errno, "%s: close failed: %s", dst, strerror(errno));
	return rc;
}

int fs_sha256_file(const char *path, uint8_t ret[SHA256_DIGEST_LEN], uint64_t *ret_size, struct rh_err *err)
{
	struct sha256_ctx ctx;
	char buf[65536];
	uint64_t size = 0;
	int fd, rc = rh_open_input(path, &fd, err);

	if (rc < 0)
		return rc;
	sha256_init(&ctx);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			close(fd);
			return rh_errf(err, rc, "%s: read failed: %s", path, strerror(-rc));
		}
		if (n == 0)
			break;
		sha256_update(&ctx, buf, (size_t)n);
		size += (uint64_t)n;
	}
	close(fd);
	sha256_final(&ctx, ret);
	if (ret_size)
		*ret_size = size;
	return 0;
}

/* The removal walk: name in dfd and, for a directory, everything below it. With one_fs, anything on another file
 * system than one_dev (a mount point) is left, and so is the directory holding it; freed (may be NULL) adds up
 * the bytes of the regular files removed. */
struct rm_walk {
	const char *what;
	int one_fs;
	dev_t one_dev;
	uint64_t *freed;
	struct rh_err *err;
};

static int rm_at(int dfd, const char *name, const struct rm_walk *w)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int fd, rc = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : rh_errf(w->err, -errno, "%s: %s", w->what, strerror(errno));
	if (w->one_fs && st.st_dev != w->one_dev)
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			return rh_errf(w->err, -errno, "%s: cannot remove %s: %s", w->what, name, strerror(errno));
		if (w->freed && S_ISREG(st.st_mode) && st.st_nlink == 1)
			*w->freed += (uint64_t)st.st_size;
		return 0;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rh_errf(w->err, -errno, "%s: cannot open %s: %s", w->what, name, strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return rh_errf(w->err, -errno, "%s: %s", w->what, strerror(errno));
	}
	while (!rc && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		rc = rm_at(dirfd(d), e->d_name, w);
	}
	closedir(d);
	if (!rc && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !(w->one_fs && errno == ENOTEMPTY))
		rc = rh_errf(w->err, -errno, "%s: cannot remove directory %s: %s", w->what, name, strerror(errno));
	return rc;
}

int fs_rm_rf(const char *path, struct rh_err *err)
{
	struct rm_walk w = { path, 0, 0, NULL, err };
	int rc = rm_at(AT_FDCWD, path, &w);

	if (!rc)
		tmpreg_forget(path); /* after, so that a signal during the removal still finishes it */
	return rc;
}

int fs_rm_rf_at(int dirfd, const char *name, const char *shown, struct rh_err *err)
{
	struct rm_walk w = { shown, 0, 0, NULL, err };

	return rm_at(dirfd, name, &w);
}

int fs_rm_children_at(int at, const char *name, const char *shown, struct rh_err *err)
{
	struct rm_walk w = { shown, 0, 0, NULL, err };
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: %s", shown, strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return rh_errf(err, -errno, "%s: %s", shown, strerror(errno));
	}
	while (!rc && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = rm_at(dirfd(d), e->d_name, &w);
	closedir(d);
	return rc;
}

int fs_rm_one_fs_at(int dirfd, const char *name, const char *shown, uint64_t *freed, struct rh_err *err)
{
	struct rm_walk w = { shown, 1, 0, freed, err };
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return rh_errf(err, -errno, "%s: %s", shown, strerror(errno));
	w.one_dev = st.st_dev;
	return rm_at(dirfd, name, &w);
}

int fs_sync_dir(const char *path, struct rh_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot open directory: %s", path, strerror(errno));
	if (fsync(fd) < 0)
		rc = rh_errf(err, -errno, "%s: fsync failed: %s", path, strerror(errno));
	close(fd);
	return rc;
}

int fs_dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* Starts argv with stdout and stderr going to the given fds (-1: /dev/null). Returns the pid or -errno. */
static pid_t spawn(char *const argv[], int out_fd, int err_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(out_fd >= 0 ? out_fd : null, 1);
			dup2(err_fd >= 0 ? err_fd : null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	tmpreg_child_add(pid); /* stopped before the temporaries go, on a signal */
	return pid;
}

/* Drains fd into a growing buffer; keeps at most max bytes (the tail when keep_tail). */
static int drain(int fd, size_t max, int keep_tail, char **ret, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1), chunk[4096];

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + (size_t)n > max) {
			if (!keep_tail) {
				free(buf);
				return -EFBIG;
			}
			size_t drop = len + (size_t)n - max;
			if (drop > len)
				drop = len;
			memmove(buf, buf + drop, len - drop);
			len -= drop;
			if ((size_t)n > max)
				n = (ssize_t)max;
		}
		if (len + (size_t)n > cap) {
			char *nb;
			while (len + (size_t)n > cap)
				cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int wait_tool(pid_t pid, const char *tool, const char *tail, struct rh_err *err)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			tmpreg_child_forget(pid);
			return rh_errf(err, -errno, "%s: waitpid: %s", tool, strerror(errno));
		}
	tmpreg_child_forget(pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return rh_errf(err, -ENOENT, "%s: cannot run it (not installed?)", tool);
	if (WIFEXITED(status))
		return rh_errf(err, -EIO, "%s failed (exit %d)%s%s", tool, WEXITSTATUS(status),
			       tail && *tail ? ": " : "", tail ? tail : "");
	return rh_errf(err, -EIO, "%s killed by signal %d", tool, WTERMSIG(status));
}

int fs_run(char *const argv[], int keep_stdout, struct rh_err *err)
{
	int pipefd[2], rc;
	char *tail = NULL;
	size_t len;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return rh_errf(err, -errno, "pipe: %s", strerror(errno));
	pid = spawn(argv, keep_stdout ? 1 : -1, pipefd[1]);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return rh_errf(err, (int)pid, "%s: fork: %s", argv[0], strerror((int)-pid));
	}
	if (drain(pipefd[0], 800, 1, &tail, &len) < 0)
		tail = NULL;
	close(pipefd[0]);
	if (tail)
		for (char *p = tail; *p; p++)
			if (*p == '\n' && p[1])
				*p = ' ';
	if (tail && len && tail[len - 1] == '\n')
		tail[len - 1] = '\0';
	rc = wait_tool(pid, argv[0], tail, err);
	free(tail);
	return rc;
}

int fs_run_capture(char *const argv[], size_t max, char **ret_out, struct rh_err *err)
{
	int pipefd[2], rc;
	char *out = NULL;
	size_t len;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return rh_errf(err, -errno, "pipe: %s", strerror(errno));
	pid = spawn(argv, pipefd[1], -1);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return rh_errf(err, (int)pid, "%s: fork: %s", argv[0], strerror((int)-pid));
	}
	rc = drain(pipefd[0], max, 0, &out, &len);
	close(pipefd[0]);
	if (rc < 0) {
		wait_tool(pid, argv[0], NULL, NULL);
		return rh_errf(err, rc, "%s: output too large or out of memory", argv[0]);
	}
	rc = wait_tool(pid, argv[0], NULL, err);
	if (rc < 0) {
		free(out);
		return rc;
	}
	*ret_out = out;
	return 0;
}

int fs_cache_dir(char *buf, size_t cap, struct rh_err *err)
{
	const char *c = getenv("RAMHOST_CACHE"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	int n;

	if (c && *c)
		n = snprintf(buf, cap, "%s", c);
	else if (x && *x)
		n = snprintf(buf, cap, "%s/ramhost", x);
	else if (h && *h)
		n = snprintf(buf, cap, "%s/.cache/ramhost", h);
	else
		return rh_errf(err, -ENOENT, "no cache directory: set RAMHOST_CACHE or HOME");
	if (n < 0 || (size_t)n >= cap)
		return rh_errf(err, -ENAMETOOLONG, "cache directory path too long");
	return 0;
}

int fs_make_temp(char *tmpl, int dir, struct rh_err *err)
{
	sigset_t old;
	int fd = 0, rc;

	tmpreg_hold(&old); /* a signal between the creation and the registration would leave it behind */
	if (dir ? !mkdtemp(tmpl) : (fd = mkostemp(tmpl, O_CLOEXEC)) < 0) {
		rc = rh_errf(err, -errno, "%s: cannot create %s: %s", tmpl, dir ? "a work directory" : "it",
			     strerror(errno));
		goto out;
	}
	rc = tmpreg_add(tmpl, err);
	if (rc < 0) {
		if (!dir)
			close(fd);
		(dir ? rmdir : unlink)(tmpl);
		goto out;
	}
	rc = fd;
out:
	tmpreg_release(&old);
	return rc;
}

int fs_tmp_beside(const char *out, char *tmp, size_t cap, int *ret_fd, struct rh_err *err)
{
	int fd;

	if ((size_t)snprintf(tmp, cap, "%s.tmp-XXXXXX", out) >= cap) {
		tmp[0] = '\0';
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", out);
	}
	fd = fs_make_temp(tmp, 0, err);
	if (fd < 0) {
		tmp[0] = '\0';
		return fd;
	}
	*ret_fd = fd;
	return 0;
}

int fs_work_dir(const char *dir, const char *name, char *buf, size_t cap, struct rh_err *err)
{
	int rc;

	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if ((size_t)snprintf(buf, cap, "%s/%s.XXXXXX", dir && *dir ? dir : "/tmp", name) >= cap) {
		buf[0] = '\0';
		return rh_errf(err, -ENAMETOOLONG, "%s: work directory path too long", dir);
	}
	rc = fs_make_temp(buf, 1, err);
	if (rc < 0) {
		buf[0] = '\0';
		return rc;
	}
	return 0;
}

int fs_host_work_dir(const char *name, char *buf, size_t cap, struct rh_err *err)
{
	const char *tmp = getenv("TMPDIR");
	const char *base = tmp && *tmp ? tmp : "/run/ramhost";
	int rc = rh_mkdir_p(base, 0755, err);

	if (rc < 0) {
		buf[0] = '\0';
		return rc;
	}
	return fs_work_dir(base, name, buf, cap, err);
}

int fs_install_file(const char *tmp, const char *out, struct rh_err *err)
{
	char dir[PATH_MAX], *slash;
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0 || fchmod(fd, 0644) < 0) {
		int rc = rh_errf(err, -errno, "%s: cannot sync: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	close(fd);
	if (rename(tmp, out) < 0)
		return rh_errf(err, -errno, "%s: cannot rename into place: %s", out, strerror(errno));
	tmpreg_forget(tmp);
	snprintf(dir, sizeof(dir), "%s", out);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	return fs_sync_dir(slash ? dir : ".", err);
}

int fs_beside_self(const char *name, char *buf, size_t cap, struct rh_err *err)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return rh_errf(err, -errno, "/proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	if ((size_t)snprintf(buf, cap, "%s/%s", exe, name) >= cap)
		return rh_errf(err, -ENAMETOOLONG, "%s/%s: path too long", exe, name);
	return 0;
}
