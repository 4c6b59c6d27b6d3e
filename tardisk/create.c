/* create.c: tardisk_create(): source -> checked, sorted entries -> pax tar -> tar2sqfs -> atomic rename. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "create_int.h"
#include "oci/oci_layout.h"
#include "env.h"
#include "fs.h"
#include "tmpreg.h"

void tdk_progress_tick(struct tdk_progress *p, uint64_t add_bytes, int add_entry, int force)
{
	p->entries += add_entry ? 1 : 0;
	p->bytes += add_bytes;
	if (!p->o->progress || !p->o->progress_cb)
		return;
	if (force || (add_entry && p->entries % 256 == 0) || p->bytes - p->last_bytes >= (8u << 20)) {
		p->last_bytes = p->bytes;
		p->o->progress_cb(p->o->progress_ctx, p->entries, p->bytes);
	}
}

/* The clamp time: opts, else SOURCE_DATE_EPOCH (which must be a plain decimal number), else -1. */
int tdk_resolve_mtime(long long opt, long long *ret, struct rh_err *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (opt >= 0) {
		*ret = opt;
		return 0;
	}
	if (!s || !*s) {
		*ret = -1;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0 || s[0] < '0' || s[0] > '9')
		return rh_errf(err, -EINVAL, "SOURCE_DATE_EPOCH='%s': not a number of seconds", s);
	*ret = v;
	return 0;
}

/* A scratch file next to the output that disappears by itself (O_TMPFILE), for archive data. */
int tdk_open_spool(const char *dir, struct rh_err *err)
{
	char *tmpl = NULL;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0)
		return fd;
	if (asprintf(&tmpl, "%s/.tardisk-spool.XXXXXX", dir) < 0)
		return rh_errf(err, -ENOMEM, "out of memory");
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd >= 0)
		unlink(tmpl);
	else
		fd = rh_errf(err, -errno, "%s: cannot create a spool file: %s", dir, strerror(errno));
	free(tmpl);
	return fd;
}

/* The last non-empty line tar2sqfs printed, for the error message. */
static void last_line(int fd, char *out, size_t cap)
{
	char buf[4096];
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
	char *p;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	p = strrchr(buf, '\n');
	snprintf(out, cap, "%.400s", p ? p + 1 : buf);
}

/* Free bytes in dir's file system, or UINT64_MAX when unknown. */
static uint64_t free_bytes(const char *dir)
{
	uint64_t n;

	if (fs_free_bytes(dir, &n, NULL) < 0)
		return UINT64_MAX;
	return n;
}

/* tar2sqfs died: its own last words, naming the output. A full disk shows in tar2sqfs only as "I/O error", and
 * it removes its output before exiting, so the disk is called full when the data it was given (an upper
 * bound of the image, give or take compression) did not fit the space free when it started. */
static int tar2sqfs_error(const struct tardisk_create_opts *o, const char *dir, uint64_t free0, uint64_t fed,
			  const char *prog, int status, const char *msg, struct rh_err *err)
{
	if (strstr(msg, "No space left on device") ||
	    (strstr(msg, "I/O error") && free0 != UINT64_MAX && fed + (1u << 20) > free0))
		return rh_errf(err, -ENOSPC, "%s: no space left in %s for the image (%llu bytes were free; %s: %s)",
			       o->out, dir, (unsigned long long)free0, prog, msg[0] ? msg : "?");
	return rh_errf(err, -EIO, "%s: %s failed (%s %d): %s", o->out, prog, WIFEXITED(status) ? "exit" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), msg[0] ? msg : "?");
}

/* Starts a content key (tardisk.h): the tag with the clamp, then the stream goes in. */
static void key_start(struct sha256_ctx *h, long long clamp)
{
	char tag[128];
	int n = snprintf(tag, sizeof(tag), "%s mtime=%lld\n", TARDISK_KEY_TAG, clamp);

	sha256_init(h);
	sha256_update(h, tag, (size_t)n);
}

/* The content key of l without building anything: the stream hashed, not sent. */
static int stream_key(const struct tdk_list *l, int spool_fd, long long clamp, uint8_t key[SHA256_DIGEST_LEN],
		      struct rh_err *err)
{
	struct tardisk_create_opts quiet;
	struct tdk_progress none = { .o = &quiet };
	struct sha256_ctx h;
	int rc;

	memset(&quiet, 0, sizeof(quiet));
	key_start(&h, clamp);
	rc = tar_emit(l, -1, spool_fd, clamp, &h, &none, err);
	if (!rc)
		sha256_final(&h, key);
	return rc;
}

/* Runs tar2sqfs writing tmp, feeding it the sorted entries; the key of what it was fed into o->built_key. */
static int run_tar2sqfs(const struct tardisk_create_opts *o, const struct tdk_list *l, int spool_fd,
			long long clamp, const char *dir, const char *tmp, struct tdk_progress *p, struct rh_err *err)
{
	const char *prog = o->tar2sqfs ? o->tar2sqfs : "tar2sqfs";
	char defaults[64], jobs_arg[24], msg[512];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t jobs;
	int sv[2] = { -1, -1 }, errfd = -1, status, rc;
	struct rh_err emit_err;
	struct sha256_ctx key;
	uint64_t free0;
	pid_t pid;

	key_start(&key, clamp);
	snprintf(defaults, sizeof(defaults), "mtime=%lld", clamp >= 0 ? clamp : 0);
	/* squashfs-tools-ng's thread pool writes blocks in the order the serial processor would (its
	 * doc/parallelism.txt): the bytes do not depend on the job count, which tardisk.sh checks */
	rc = env_number("RAMHOST_TAR2SQFS_JOBS", cpus < 1 ? 1 : cpus > 8 ? 8 : (uint64_t)cpus, 64, 0, &jobs, err);
	if (rc < 0)
		return rc;
	snprintf(jobs_arg, sizeof(jobs_arg), "%llu", (unsigned long long)(jobs ? jobs : 1));
	free0 = free_bytes(dir);
	errfd = memfd_create("tar2sqfs-stderr", MFD_CLOEXEC);
	if (errfd < 0)
		return rh_errf(err, -errno, "memfd_create: %s", strerror(errno));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = rh_errf(err, -errno, "socketpair: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = rh_errf(err, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		char *argv[] = { (char *)prog, "--compressor", "zstd", "--no-skip", "--quiet", "--force",
				 "--defaults", defaults, "-j", jobs_arg, (char *)tmp, NULL };
		if (dup2(sv[1], 0) < 0 || dup2(errfd, 1) < 0 || dup2(errfd, 2) < 0)
			_exit(126);
		execvp(prog, argv);
		dprintf(2, "cannot run %s: %s (install squashfs-tools-ng)\n", prog, strerror(errno));
		_exit(127);
	}
	tmpreg_child_add(pid); /* stopped before the temporaries go, on a signal */
	close(sv[1]);
	sv[1] = -1;
	rh_err_clear(&emit_err);
	rc = tar_emit(l, sv[0], spool_fd, clamp, &key, p, &emit_err);
	close(sv[0]);
	sv[0] = -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	tmpreg_child_forget(pid);
	if (status != 0) {
		last_line(errfd, msg, sizeof(msg));
		if (rc && rc != -EPIPE && rc != -ECONNRESET)
			rc = rh_errf(err, rc, "%s", emit_err.msg); /* our own error came first */
		else
			rc = tar2sqfs_error(o, dir, free0, p->bytes, prog, status, msg, err);
	} else if (rc) {
		rc = rh_errf(err, rc, "%s", emit_err.msg[0] ? emit_err.msg : "writing the tar stream failed");
	} else if (o->built_key) {
		sha256_final(&key, o->built_key);
	}
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	close(errfd);
	return rc;
}

static int fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Reads o->src (a directory when is_dir, else an archive spooled to sp, a file in sp->dir) into l, sorted
 * and checked. */
static int read_source(const struct tardisk_create_opts *o, int is_dir, struct tdk_spool *sp, struct tdk_list *l,
		       struct tdk_progress *prog, struct rh_err *err)
{
	const char *spec;
	int rc;

	l->max_bytes = o->max_size ? o->max_size : TARDISK_MAX_SIZE_DEFAULT;
	if (oci_source(o->src, &spec)) {
		sp->fd = tdk_open_spool(sp->dir, err);
		rc = sp->fd < 0 ? sp->fd : source_oci_read(spec, o->oci_arch, l, sp, prog, err);
	} else if (is_dir) {
		rc = source_dir_read(o->src, l, prog, err);
	} else {
		sp->fd = tdk_open_spool(sp->dir, err);
		rc = sp->fd < 0 ? sp->fd : source_archive_read(o->src, l, sp, prog, err);
	}
	if (rc)
		return rc;
	return entries_finish(l, err);
}

/* Creates the empty temporary file (mode 0644) beside o->out, in dir; *ret_tmp is its malloc'd name. It is a
 * registered temporary (fs_make_temp): removed if the command fails or is interrupted before commit_tmp. */
static int create_tmp(const struct tardisk_create_opts *o, const char *dir, char **ret_tmp, struct rh_err *err)
{
	char *tmp;
	int tmpfd, rc;

	if (asprintf(&tmp, "%s/.%s.tmp.XXXXXX", dir, strrchr(o->out, '/') ? strrchr(o->out, '/') + 1 : o->out) < 0)
		return rh_errf(err, -ENOMEM, "out of memory");
	tmpfd = fs_make_temp(tmp, 0, NULL);
	if (tmpfd < 0) {
		rc = rh_errf(err, tmpfd, "%s: cannot create a temporary file in %s: %s", o->out, dir,
			     strerror(-tmpfd));
		free(tmp);
		return rc;
	}
	*ret_tmp = tmp;
	if (fchmod(tmpfd, 0644) < 0) {
		rc = rh_errf(err, -errno, "%s: chmod: %s", tmp, strerror(errno));
		close(tmpfd);
		return rc;
	}
	close(tmpfd);
	return 0;
}

/* Makes the finished tmp the output: fsync, rename over o->out, fsync of dir. *tmp is freed and cleared (and no
 * longer a registered temporary) once renamed. */
static int commit_tmp(const struct tardisk_create_opts *o, const char *dir, char **tmp, struct rh_err *err)
{
	int rc;

	rc = fsync_path(*tmp, 0);
	if (rc)
		return rh_errf(err, rc, "%s: fsync: %s", *tmp, strerror(-rc));
	if (rename(*tmp, o->out) < 0)
		return rh_errf(err, -errno, "%s: rename from %s: %s", o->out, *tmp, strerror(errno));
	tmpreg_forget(*tmp);
	free(*tmp);
	*tmp = NULL;
	rc = fsync_path(dir, 1);
	if (rc)
		return rh_errf(err, rc, "%s: fsync: %s", dir, strerror(-rc));
	return 0;
}

/* Above this many entries in one directory, tar2sqfs's time shows: it finds each new entry's place by walking
 * the directory's list (8 s of CPU for 50,000 entries, 32 s for 100,000 here: docs/tardisk.md). */
#define TDK_BIG_DIR 50000

static void announce(const struct tardisk_create_opts *o, const char *line)
{
	if (o->progress && o->phase_cb)
		o->phase_cb(o->progress_ctx, line);
}

/* The line before tar2sqfs runs: how much it gets, and a warning for a directory it will be slow on. */
static void announce_image(const struct tardisk_create_opts *o, const struct tdk_list *l)
{
	char line[512];
	const char *big;
	size_t n = entries_largest_dir(l, &big);

	if (!o->progress || !o->phase_cb)
		return;
	snprintf(line, sizeof(line), "writing the image (tar2sqfs): %zu entries, %.1f MiB", l->n,
		 (double)l->bytes / (1024.0 * 1024.0));
	if (n > TDK_BIG_DIR)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "; '%.200s' holds %zu entries, and "
			 "tar2sqfs's time grows with the square of that: expect minutes", *big ? big : "/", n);
	announce(o, line);
}

int tdk_write(const struct tardisk_create_opts *o, const struct tdk_list *l, int spool_fd, long long clamp,
	      struct rh_err *err)
{
	struct tdk_progress prog = { .o = o };
	char *outcopy = strdup(o->out), *dir, *tmp = NULL;
	int rc;

	if (!outcopy)
		return rh_errf(err, -ENOMEM, "out of memory");
	dir = dirname(outcopy);
	announce_image(o, l);
	rc = create_tmp(o, dir, &tmp, err);
	if (!rc)
		rc = run_tar2sqfs(o, l, spool_fd, clamp, dir, tmp, &prog, err);
	if (!rc) {
		tdk_progress_tick(&prog, 0, 0, 1);
		rc = commit_tmp(o, dir, &tmp, err);
	}
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(outcopy);
	return rc;
}

int tardisk_create(const struct tardisk_create_opts *o, struct rh_err *err)
{
	struct tdk_progress prog = { .o = o };
	struct tdk_list l;
	struct tdk_spool spool = { .fd = -1 };
	char *outcopy = NULL, *dir;
	const char *spec;
	int rc;
	long long clamp = -1;
	struct stat st;

	entries_init(&l, o->src);
	if (!o->src || !o->out)
		return rh_errf(err, -EINVAL, "tardisk_create: src and out are required");
	rc = tdk_resolve_mtime(o->mtime, &clamp, err);
	if (rc)
		return rc;
	if (oci_source(o->src, &spec))
		st.st_mode = S_IFREG;   /* an image: source_oci_read opens it */
	else if (stat(o->src, &st) < 0)
		return rh_errf(err, -errno, "%s: %s", o->src, strerror(errno));
	outcopy = strdup(o->out);
	if (!outcopy)
		return rh_errf(err, -ENOMEM, "out of memory");
	dir = dirname(outcopy);
	spool.dir = dir;
	announce(o, "reading the source");
	rc = read_source(o, S_ISDIR(st.st_mode), &spool, &l, &prog, err);
	if (rc)
		goto out;
	tdk_progress_tick(&prog, 0, 0, 1);
	if (o->reuse) {
		uint8_t key[SHA256_DIGEST_LEN];

		announce(o, "hashing the content (a build with the same key is reused)");
		rc = stream_key(&l, spool.fd, clamp, key, err);
		if (rc)
			goto out;
		if (o->reuse(o->reuse_ctx, key) == 1) {
			if (o->built_key)
				memcpy(o->built_key, key, SHA256_DIGEST_LEN);
			goto out;
		}
	}
	rc = tdk_write(o, &l, spool.fd, clamp, err);
out:
	if (spool.fd >= 0)
		close(spool.fd);
	entries_free(&l);
	free(outcopy);
	return rc;
}
