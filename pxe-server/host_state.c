/* host_state.c: the server's per-host state store (host_state.h): STATE_DIR/hosts/MAC/state-NNNNNNNN.rhs.
 *
 * The generation files, their names, the footer check and the keep-N plan are ramdisk/state's
 * (state_format.h, state_store_list); this file adds only what a server needs around them: one directory per
 * host, an upload checked before it becomes a generation, and the atomic commit (fsync, rename without
 * replacing, fsync of the directory). A kill -9 at any point leaves either the old set or the old set plus the
 * new generation, and at worst a temporary that pxe_host_state_sweep removes at the next start. */
#include "host_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "mac.h"
#include "ramdisk/state/state_format.h"
#include "ramdisk/state/state_store.h"
#include "tmpreg.h"

#define UPLOAD_NAME "upload"

/* tmpreg's table is not thread-safe; every HTTP thread reaches it through here */
static pthread_mutex_t tmp_lock = PTHREAD_MUTEX_INITIALIZER;

/* STATE_DIR/hosts/MAC into buf. */
static int host_dir(const char *state_dir, const uint8_t mac[6], char buf[PATH_MAX], struct rh_err *err)
{
	char m[MAC_TEXT];

	mac_format(mac, '-', m);
	if ((size_t)snprintf(buf, PATH_MAX, "%s/hosts/%s", state_dir, m) >= PATH_MAX)
		return rh_errf(err, -ENAMETOOLONG, "%s: state directory path too long", state_dir);
	return 0;
}

/* Checks the open generation file fd (size bytes; name in messages): footer and payload SHA-256. The file is
 * mapped, not read: files in the store and uploads are only ever replaced by rename, never truncated. */
static int check_fd(int fd, uint64_t size, const char *name, struct state_footer *ret, struct rh_err *err)
{
	static const uint8_t empty[1];
	void *map;
	int rc;

	if (size == 0)
		return state_footer_check(empty, 0, name, ret, err);
	if (size > SIZE_MAX)
		return rh_errf(err, -EFBIG, "%s: too large to check", name);
	map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return rh_errf(err, -errno, "%s: cannot map: %s", name, strerror(errno));
	rc = state_footer_check(map, (size_t)size, name, ret, err);
	munmap(map, (size_t)size);
	return rc;
}

/* Opens and checks the generation file path; its footer must name generation gen (0: any). */
static int check_path(const char *path, uint64_t gen, struct state_footer *ret, struct rh_err *err)
{
	struct stat st;
	int fd, rc;

	rc = rh_open_input(path, &fd, err);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0)
		rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
	else
		rc = check_fd(fd, (uint64_t)st.st_size, path, ret, err);
	close(fd);
	if (rc == 0 && gen && ret->generation != gen)
		rc = rh_errf(err, -EINVAL, "%s: footer says generation %" PRIu64 ", the name %" PRIu64, path,
			     ret->generation, gen);
	return rc;
}

int pxe_host_state_newest(const char *state_dir, const uint8_t mac[6], uint64_t *gen, char path[PATH_MAX],
			  struct rh_err *err)
{
	struct state_gen_info *v = NULL;
	struct rh_err first = { 0, "" };
	char dir[PATH_MAX], p[PATH_MAX];
	size_t n = 0, i;
	int rc = host_dir(state_dir, mac, dir, err);

	if (rc < 0)
		return rc;
	if (access(dir, F_OK) < 0)
		return rh_errf(err, -ENOENT, "%s: no state stored for this host", dir);
	rc = state_store_list(dir, &v, &n, err);
	if (rc < 0)
		return rc;
	rc = -ENOENT;
	for (i = n; i-- > 0;) {
		struct rh_err e = { 0, "" };
		struct state_footer f;

		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, v[i].name) >= sizeof(p))
			continue;
		if (check_path(p, v[i].gen, &f, first.rc ? &e : &first) == 0) {
			*gen = v[i].gen;
			memcpy(path, p, sizeof(p));
			rc = 0;
			break;
		}
	}
	free(v);
	if (rc < 0 && n)
		return rh_errf(err, rc, "%s: none of the %zu generations verifies (newest: %s)", dir, n, first.msg);
	if (rc < 0)
		return rh_errf(err, rc, "%s: no state stored for this host", dir);
	return 0;
}

/* fsyncs the directory; file systems that cannot are accepted (as state_store.c does). */
static int sync_dirfd(int dfd, const char *dir, struct rh_err *err)
{
	if (fsync(dfd) < 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP)
		return rh_errf(err, -errno, "%s: fsync of the directory failed: %s", dir, strerror(errno));
	return 0;
}

/* Deletes the generations beyond keep (never just_written): state_prune_plan decides. A file that cannot be
 * removed stays (the next accept tries again). */
static void prune(int dfd, const char *dir, uint64_t just_written, unsigned keep)
{
	struct state_gen_info *v = NULL;
	struct rh_err e = { 0, "" };
	uint64_t *gens = NULL;
	int *drop = NULL;
	size_t n = 0, i, dropped = 0;

	if (state_store_list(dir, &v, &n, &e) < 0)
		return;
	gens = calloc(n ? n : 1, sizeof(*gens));
	drop = calloc(n ? n : 1, sizeof(*drop));
	if (gens && drop) {
		for (i = 0; i < n; i++)
			gens[i] = v[i].gen;
		state_prune_plan(gens, n, just_written, keep, drop);
		for (i = 0; i < n; i++)
			if (drop[i] && unlinkat(dfd, v[i].name, 0) == 0)
				dropped++;
		if (dropped)
			sync_dirfd(dfd, dir, &e);
	}
	free(gens);
	free(drop);
	free(v);
}

/* The highest generation number present in dir (damaged ones too), 0 when none. */
static int highest_gen(const char *dir, uint64_t *ret, struct rh_err *err)
{
	struct state_gen_info *v = NULL;
	size_t n = 0;
	int rc = state_store_list(dir, &v, &n, err);

	if (rc < 0)
		return rc;
	*ret = n ? v[n - 1].gen : 0;
	free(v);
	return 0;
}

int pxe_host_state_upload_open(const char *state_dir, const uint8_t mac[6], char path[PATH_MAX], int *ret_fd,
			       struct rh_err *err)
{
	char dir[PATH_MAX], base[PATH_MAX];
	int rc;

	path[0] = '\0';
	rc = host_dir(state_dir, mac, dir, err);
	if (rc < 0)
		return rc;
	rc = rh_mkdir_p(dir, 0700, err);
	if (rc < 0)
		return rc;
	if ((size_t)snprintf(base, sizeof(base), "%s/%s", dir, UPLOAD_NAME) >= sizeof(base))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	pthread_mutex_lock(&tmp_lock);
	rc = fs_tmp_beside(base, path, PATH_MAX, ret_fd, err);
	pthread_mutex_unlock(&tmp_lock);
	return rc;
}

void pxe_host_state_upload_drop(const char *path)
{
	if (!path || !path[0])
		return;
	unlink(path);
	pthread_mutex_lock(&tmp_lock);
	tmpreg_forget(path);
	pthread_mutex_unlock(&tmp_lock);
}

/* Stores the checked file work (open on fd) as generation gen of dir: fsync, then a hard link under the final
 * name (atomic, and never replaces: a name taken meanwhile fails with EEXIST), then the directory fsync. The
 * caller removes work afterwards; until then a crash leaves a temporary beside a complete generation. */
static int commit(int dfd, const char *dir, int fd, const char *work, uint64_t gen, struct rh_err *err)
{
	char name[STATE_NAME_LEN];

	state_gen_name(gen, name, sizeof(name));
	if (fsync(fd) < 0)
		return rh_errf(err, -errno, "%s: fsync failed: %s", work, strerror(errno));
	if (linkat(AT_FDCWD, work, dfd, name, 0) < 0)
		return rh_errf(err, -errno, "%s/%s: cannot store: %s", dir, name, strerror(errno));
	return sync_dirfd(dfd, dir, err);
}

/* The upload as a file in dir (same file system, for the link in commit): upload itself, or a copy into a
 * temporary there (work) when it lives elsewhere. */
static int local_copy(const char *state_dir, const uint8_t mac[6], const char *upload, dev_t dir_dev,
		      char work[PATH_MAX], struct rh_err *err)
{
	struct stat st;
	int fd, rc;

	if (stat(upload, &st) == 0 && st.st_dev == dir_dev) {
		snprintf(work, PATH_MAX, "%s", upload);
		return 0;
	}
	rc = pxe_host_state_upload_open(state_dir, mac, work, &fd, err);
	if (rc < 0)
		return rc;
	close(fd);
	return fs_copy_file(upload, work, 0600, err);
}

/* Checks the upload work: size limit first (without reading it), then footer and payload hash. */
static int check_upload(const char *work, const char *shown, uint64_t max_bytes, int *ret_fd,
			struct state_footer *ret, struct rh_err *err)
{
	struct stat st;
	int rc = rh_open_input(work, ret_fd, err);

	if (rc < 0)
		return rc;
	if (fstat(*ret_fd, &st) < 0)
		return rh_errf(err, -errno, "%s: %s", work, strerror(errno));
	if ((uint64_t)st.st_size > max_bytes)
		return rh_errf(err, -EFBIG, "%s: %" PRIu64 " bytes, over the limit of %" PRIu64, shown,
			       (uint64_t)st.st_size, max_bytes);
	rc = check_fd(*ret_fd, (uint64_t)st.st_size, shown, ret, err);
	if (rc < 0)
		return rh_err_prefix(err, -EBADMSG, "damaged");
	return 0;
}

int pxe_host_state_accept(const char *state_dir, const uint8_t mac[6], const char *upload_path,
			  uint64_t max_bytes, unsigned keep, uint64_t *ret_gen, struct rh_err *err)
{
	char dir[PATH_MAX], work[PATH_MAX] = "", shown[64], m[MAC_TEXT];
	struct state_footer f;
	struct stat dst;
	uint64_t highest = 0;
	int rc, fd = -1, dfd = -1;

	rc = host_dir(state_dir, mac, dir, err);
	if (rc == 0)
		rc = rh_mkdir_p(dir, 0700, err);
	if (rc < 0)
		goto out;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &dst) < 0) {
		rc = rh_errf(err, -errno, "%s: cannot open: %s", dir, strerror(errno));
		goto out;
	}
	mac_format(mac, '-', m);
	snprintf(shown, sizeof(shown), "state upload for %s", m);
	rc = local_copy(state_dir, mac, upload_path, dst.st_dev, work, err);
	if (rc == 0)
		rc = check_upload(work, shown, max_bytes, &fd, &f, err);
	if (rc < 0)
		goto out;
	/* one upload per host at a time: the number check and the link are one step */
	if (flock(dfd, LOCK_EX) < 0) {
		rc = rh_errf(err, -errno, "%s: cannot lock: %s", dir, strerror(errno));
		goto out;
	}
	rc = highest_gen(dir, &highest, err);
	if (rc == 0 && f.generation <= highest)
		rc = rh_errf(err, -ESTALE, "%s: generation %" PRIu64 " is not newer than generation %" PRIu64
			     " stored (save from the newest generation)", shown, f.generation, highest);
	if (rc == 0)
		rc = commit(dfd, dir, fd, work, f.generation, err);
	if (rc < 0)
		goto out;
	prune(dfd, dir, f.generation, keep);
	*ret_gen = f.generation;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);   /* releases the lock */
	if (strcmp(work, upload_path))
		pxe_host_state_upload_drop(work);
	pxe_host_state_upload_drop(upload_path);
	return rc;
}

/* 1 for the names of temporaries made here or by fs_tmp_beside beside a generation. */
static int temp_name(const char *name)
{
	return !strncmp(name, UPLOAD_NAME ".tmp-", sizeof(UPLOAD_NAME ".tmp-") - 1) || state_is_temp_name(name) ||
	       (!strncmp(name, "state-", 6) && strstr(name, ".rhs.tmp-"));
}

/* Removes the temporaries in one host directory (an open fd, consumed). */
static unsigned sweep_host(int hfd)
{
	DIR *d = fdopendir(hfd);
	struct dirent *de;
	unsigned removed = 0;

	if (!d) {
		close(hfd);
		return 0;
	}
	while ((de = readdir(d)))
		if (temp_name(de->d_name) && unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	closedir(d);
	return removed;
}

int pxe_host_state_sweep(const char *state_dir, unsigned *ret_removed, struct rh_err *err)
{
	char hosts[PATH_MAX];
	struct dirent *de;
	unsigned removed = 0;
	DIR *d;

	if ((size_t)snprintf(hosts, sizeof(hosts), "%s/hosts", state_dir) >= sizeof(hosts))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	d = opendir(hosts);
	if (!d) {
		if (errno == ENOENT)
			goto done;
		return rh_errf(err, -errno, "%s: cannot open: %s", hosts, strerror(errno));
	}
	while ((de = readdir(d))) {
		uint8_t mac[6];
		int hfd;

		if (mac_parse(de->d_name, mac) < 0)
			continue;
		hfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (hfd >= 0)
			removed += sweep_host(hfd);
	}
	closedir(d);
done:
	if (ret_removed)
		*ret_removed = removed;
	return 0;
}
