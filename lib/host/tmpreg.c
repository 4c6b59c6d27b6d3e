/* tmpreg.c: the registry of temporaries (see tmpreg.h).
 *
 * Everything the signal handler touches is a fixed table written in an order that makes a half-written slot
 * invisible (the path first, then `used`), and every call it makes is a plain system call. Threads (the PXE
 * server's HTTP threads and its loop) register and forget under one mutex; the signal handler takes no lock. */
#include "tmpreg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 128        /* deeper directories are left (a work dir is never that deep) */
#define CHILD_GRACE_TICKS 200 /* 10 ms each: the time a tool gets to exit on SIGTERM before SIGKILL */

struct tmp_entry {
	volatile sig_atomic_t used;
	dev_t dev;       /* of the directory as created: a different st_dev later means something is mounted on it */
	uint64_t mnt_id; /* and its mount (0: unknown), which also tells a bind mount of the same file system */
	volatile sig_atomic_t own_mount; /* what is mounted on it is this process's own: detach it, then remove */
	char path[PATH_MAX];
};

static struct tmp_entry entries[TMPREG_MAX_PATHS];
static volatile pid_t children[TMPREG_MAX_CHILDREN];
static volatile pid_t owner; /* the process that installed the clean-up; 0 before tmpreg_install() */

/* getdents64's record (linux/dirent.h is not a libc header). */
struct raw_dirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int make_abs(const char *path, char out[PATH_MAX])
{
	size_t len = strlen(path), dl;

	if (path[0] == '/') {
		if (len >= PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(out, path, len + 1);
		return 0;
	}
	if (!getcwd(out, PATH_MAX))
		return -errno;
	dl = strlen(out);
	if (dl + 1 + len >= PATH_MAX)
		return -ENAMETOOLONG;
	out[dl] = '/';
	memcpy(out + dl + 1, path, len + 1);
	return 0;
}

/* The mount id of path (or of the open fd when path is ""), 0 when the kernel does not say. */
static uint64_t mount_id(int dirfd, const char *path)
{
	struct statx stx;

	if (statx(dirfd, path, AT_SYMLINK_NOFOLLOW | (path[0] ? 0 : AT_EMPTY_PATH), STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}

/* 1 when the open directory fd is on the file system and the mount its temporary was created on: the removal
 * walk never enters anything mounted below a work dir (or on it). */
static int same_mount(int fd, dev_t dev, uint64_t mnt_id)
{
	struct stat st;
	uint64_t id;

	if (fstat(fd, &st) < 0 || st.st_dev != dev)
		return 0;
	id = mnt_id ? mount_id(fd, "") : 0;
	return !id || id == mnt_id;
}

static int free_slot(void)
{
	for (int i = 0; i < TMPREG_MAX_PATHS; i++)
		if (!entries[i].used)
			return i;
	return -1;
}

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;

static int add_locked(const char *path, struct rh_err *err)
{
	char abs[PATH_MAX];
	struct stat st;
	int rc = make_abs(path, abs), slot;

	if (rc < 0)
		return rh_errf(err, rc, "%s: cannot register the temporary: %s", path, strerror(-rc));
	if (lstat(abs, &st) < 0)
		return rh_errf(err, -errno, "%s: %s", path, strerror(errno));
	slot = free_slot();
	if (slot < 0) {
		/* entries whose path is gone (renamed into place or removed by their owner) */
		for (int i = 0; i < TMPREG_MAX_PATHS; i++)
			if (entries[i].used && lstat(entries[i].path, &st) < 0 && errno == ENOENT)
				entries[i].used = 0;
		slot = free_slot();
		if (slot < 0)
			return rh_errf(err, -ENFILE, "%s: more than %d temporary files and directories at once", path,
				       TMPREG_MAX_PATHS);
		lstat(abs, &st);
	}
	entries[slot].dev = st.st_dev;
	entries[slot].mnt_id = mount_id(AT_FDCWD, abs);
	entries[slot].own_mount = 0;
	memcpy(entries[slot].path, abs, strlen(abs) + 1);
	atomic_signal_fence(memory_order_seq_cst);
	entries[slot].used = 1;
	return 0;
}

void tmpreg_new_mount_ns(void)
{
	struct stat st;

	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < TMPREG_MAX_PATHS; i++)
		if (entries[i].used && lstat(entries[i].path, &st) == 0 && st.st_dev == entries[i].dev)
			entries[i].mnt_id = mount_id(AT_FDCWD, entries[i].path);
	pthread_mutex_unlock(&reg_lock);
}

enum path_change { PATH_FORGET, PATH_OWN_MOUNT };

/* Applies change to the entries registered as path (made absolute the way tmpreg_add made it). */
static void change_path(const char *path, enum path_change change)
{
	char abs[PATH_MAX];

	if (make_abs(path, abs) < 0)
		return;
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < TMPREG_MAX_PATHS; i++)
		if (entries[i].used && !strcmp(entries[i].path, abs)) {
			if (change == PATH_OWN_MOUNT)
				entries[i].own_mount = 1;
			else
				entries[i].used = 0;
		}
	pthread_mutex_unlock(&reg_lock);
}

void tmpreg_own_mount(const char *path)
{
	change_path(path, PATH_OWN_MOUNT);
}

int tmpreg_add(const char *path, struct rh_err *err)
{
	int rc;

	pthread_mutex_lock(&reg_lock);
	rc = add_locked(path, err);
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

void tmpreg_forget(const char *path)
{
	change_path(path, PATH_FORGET);
}

int tmpreg_has(const char *path)
{
	char abs[PATH_MAX];
	int found = 0;

	if (make_abs(path, abs) < 0)
		return 0;
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < TMPREG_MAX_PATHS && !found; i++)
		found = entries[i].used && !strcmp(entries[i].path, abs);
	pthread_mutex_unlock(&reg_lock);
	return found;
}

/* A group leader is kept as -pid: on a signal its whole process group is stopped. */
static void child_record(pid_t v)
{
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < TMPREG_MAX_CHILDREN; i++)
		if (!children[i]) {
			children[i] = v;
			break;
		}
	/* full: /proc/self/task/PID/children still finds it on a signal */
	pthread_mutex_unlock(&reg_lock);
}

void tmpreg_child_add(pid_t pid)
{
	child_record(pid);
}

void tmpreg_group_add(pid_t pid)
{
	child_record(-pid);
}

void tmpreg_child_forget(pid_t pid)
{
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < TMPREG_MAX_CHILDREN; i++)
		if (children[i] == pid || children[i] == -pid)
			children[i] = 0;
	pthread_mutex_unlock(&reg_lock);
}

static const int handled[] = { SIGINT, SIGTERM, SIGHUP };

static void handled_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(set, handled[i]);
}

void tmpreg_hold(sigset_t *old)
{
	sigset_t set;

	handled_set(&set);
	sigprocmask(SIG_BLOCK, &set, old);
}

void tmpreg_release(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* Removes what is inside the open directory fd (on device dev), depth levels down; subdirectories on another
 * device are left alone. A few passes, because removing entries while reading a directory may skip some. */
static void empty_dir(int fd, dev_t dev, uint64_t mnt_id, int depth)
{
	union {
		char b[2048];
		uint64_t align;
	} buf;

	for (int pass = 0; pass < 4; pass++) {
		int seen = 0;
		long n;

		lseek(fd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, fd, buf.b, sizeof(buf.b))) > 0) {
			for (long off = 0; off < n;) {
				struct raw_dirent *d = (struct raw_dirent *)(buf.b + off);
				const char *name = d->d_name;

				off += d->d_reclen;
				if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
					continue;
				seen = 1;
				if (d->d_type != DT_DIR && unlinkat(fd, name, 0) == 0)
					continue;
				if (depth < MAX_DEPTH) {
					int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

					if (sub < 0)
						continue;
					if (same_mount(sub, dev, mnt_id)) /* not a mount point */
						empty_dir(sub, dev, mnt_id, depth + 1);
					close(sub);
					unlinkat(fd, name, AT_REMOVEDIR);
				}
			}
		}
		if (!seen)
			return;
	}
}

static void remove_entry(const struct tmp_entry *e)
{
	struct stat st;
	int fd;

	if (lstat(e->path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(e->path);
		return;
	}
	fd = open(e->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (e->own_mount && !same_mount(fd, e->dev, e->mnt_id)) {
		close(fd);
		umount2(e->path, MNT_DETACH);   /* with everything mounted below it */
		fd = open(e->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return;
	}
	if (same_mount(fd, e->dev, e->mnt_id)) { /* else something is mounted on it: leave that alone */
		empty_dir(fd, e->dev, e->mnt_id, 0);
		rmdir(e->path);
	}
	close(fd);
}

void tmpreg_cleanup(void)
{
	if (owner && getpid() != owner)
		return;
	/* The process's own mounts in the middle: the temporaries inside them first, while they can still be
	 * reached; then the mounts; then again whatever held one of them (a work dir holding a mount point). */
	static const sig_atomic_t own_pass[3] = { 0, 1, 0 };
	struct stat st;

	for (int pass = 0; pass < 3; pass++)
		for (int i = 0; i < TMPREG_MAX_PATHS; i++)
			if (entries[i].used && entries[i].own_mount == own_pass[pass]) {
				remove_entry(&entries[i]);
				if (pass || lstat(entries[i].path, &st) < 0)
					entries[i].used = 0;
			}
}

/* Appends the decimal n to s (async-signal-safe). */
static char *put_uint(char *s, unsigned long n)
{
	char tmp[24];
	int i = 0;

	do
		tmp[i++] = (char)('0' + n % 10);
	while ((n /= 10));
	while (i)
		*s++ = tmp[--i];
	*s = '\0';
	return s;
}

/* The children of this process: the recorded ones, and /proc/self/task/PID/children for tools started
 * elsewhere (a fork outside fs_run). Returns how many were put in pids (cap). */
static int list_children(pid_t *pids, int cap)
{
	char path[64] = "/proc/self/task/", buf[1024];
	int n = 0, fd;
	ssize_t len;

	for (int i = 0; i < TMPREG_MAX_CHILDREN && n < cap; i++)
		if (children[i] != 0)
			pids[n++] = children[i]; /* -pid: a process group */
	memcpy(put_uint(path + strlen(path), (unsigned long)getpid()), "/children", 10);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return n;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	for (ssize_t i = 0; i < len && n < cap;) {
		unsigned long v = 0;

		while (i < len && (buf[i] < '0' || buf[i] > '9'))
			i++;
		if (i >= len)
			break;
		while (i < len && buf[i] >= '0' && buf[i] <= '9')
			v = v * 10 + (unsigned long)(buf[i++] - '0');
		pids[n++] = (pid_t)v;
	}
	return n;
}

/* Stops the running tools before their output directory goes: SIGTERM, up to 2 s to exit, then SIGKILL. */
static void stop_children(void)
{
	pid_t pids[TMPREG_MAX_CHILDREN + 64];
	int n = list_children(pids, (int)(sizeof(pids) / sizeof(pids[0]))), left = n;
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	/* a negative pid is a process group (kill and waitpid take it as such): the leader and what it started */
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	for (int t = 0; left && t < CHILD_GRACE_TICKS; t++) {
		for (int i = 0; i < n; i++)
			if (pids[i] != 0 && waitpid(pids[i], NULL, WNOHANG) != 0) {
				if (pids[i] < 0)
					kill(pids[i], SIGKILL); /* the leader is gone; whatever it left in its group goes too */
				pids[i] = 0;
				left--;
			}
		if (left)
			nanosleep(&tick, NULL);
	}
	for (int i = 0; i < n; i++)
		if (pids[i] != 0) {
			kill(pids[i], SIGKILL);
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
		}
}

static void on_signal(int sig)
{
	struct sigaction dfl;
	sigset_t set;

	if (getpid() == owner) {
		stop_children();
		tmpreg_cleanup();
	}
	/* die of the same signal, so the parent sees 128+sig */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

static void at_exit(void)
{
	tmpreg_cleanup();
}

int tmpreg_install(void)
{
	struct sigaction sa, old;

	owner = getpid();
	if (atexit(at_exit) != 0)
		return -ENOMEM;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	handled_set(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		/* a signal ignored at start (nohup, a background job of a script) stays ignored */
		if (sigaction(handled[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		if (sigaction(handled[i], &sa, NULL) < 0)
			return -errno;
	}
	return 0;
}
