/* state_store.c: list, save, diff, restore and the boot-time restore of a state store (see state_store.h). */
#include "state_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "state_gen.h"
#include "state_net.h"
#include "state_sticky.h"
#include "tmpreg.h"

#define SAVE_TRIES 3

/* Copies s into dst (cap bytes), cut short when it does not fit. */
static void copy_str(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* ---- listing ---- */

static int cmp_info(const void *a, const void *b)
{
	uint64_t x = ((const struct state_gen_info *)a)->gen, y = ((const struct state_gen_info *)b)->gen;

	return x < y ? -1 : x > y;
}

int state_store_list(const char *store, struct state_gen_info **ret, size_t *ret_n, struct rh_err *err)
{
	struct state_gen_info *v = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(store);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return rh_errf(err, -errno, "%s: cannot open the state store: %s", store, strerror(errno));
	while ((de = readdir(d))) {
		uint64_t g = state_gen_from_name(de->d_name);
		struct stat st;

		if (!g || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			struct state_gen_info *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*nv));

			if (!nv) {
				rc = rh_errf(err, -ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
		}
		v[n].gen = g;
		copy_str(v[n].name, sizeof(v[n].name), de->d_name);
		v[n].size = (uint64_t)st.st_size;
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_info);
	*ret = v;
	*ret_n = n;
	v = NULL;
out:
	closedir(d);
	free(v);
	return rc;
}

/* ---- diff ---- */

static const struct state_entry *present(const struct state_manifest *m, size_t i)
{
	return m && i < m->n ? &m->e[i] : NULL;
}

size_t state_diff(const struct state_manifest *old, const struct state_manifest *live,
		  void (*fn)(void *ctx, char op, const char *path), void *ctx)
{
	size_t i = 0, j = 0, count = 0;

	for (;;) {
		const struct state_entry *a = present(old, i), *b = present(live, j);
		int c;
		char op = 0;

		if (!a && !b)
			break;
		c = !a ? 1 : !b ? -1 : strcmp(a->path, b->path);
		if (c < 0) {   /* only saved */
			if (a->type != STATE_DELETED)
				op = 'D';
			i++;
		} else if (c > 0) {   /* only live */
			if (b->type != STATE_DELETED)
				op = 'A';
			j++;
		} else {
			if (a->type == STATE_DELETED && b->type != STATE_DELETED)
				op = 'A';
			else if (a->type != STATE_DELETED && b->type == STATE_DELETED)
				op = 'D';
			else if (!state_entry_same(a, b))
				op = 'M';
			i++;
			j++;
		}
		if (op) {
			count++;
			if (fn)
				fn(ctx, op, (c > 0 ? b : a)->path);
		}
	}
	return count;
}

/* ---- newest valid ---- */

int state_store_newest(const char *store, int full, struct state_gen *ret_gen, struct rh_err *err)
{
	struct state_gen_info *v = NULL;
	char path[PATH_MAX];
	size_t n = 0, i;
	int rc = state_store_list(store, &v, &n, err);

	if (rc < 0)
		return rc;
	rc = -ENOENT;
	for (i = n; i-- > 0;) {
		struct rh_err ignore = { 0, "" };

		snprintf(path, sizeof(path), "%s/%s", store, v[i].name);
		if (state_gen_load(path, v[i].gen, full, ret_gen, &ignore) == 0) {
			rc = 0;
			break;
		}
	}
	free(v);
	return rc;
}

/* ---- saving ---- */

/* fsyncs the directory fd; file systems that cannot are accepted (their rename is as durable as it gets). */
static int sync_dir(int dfd, const char *store, struct rh_err *err)
{
	if (fsync(dfd) < 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP)
		return rh_errf(err, -errno, "%s: fsync of the directory failed: %s", store, strerror(errno));
	return 0;
}

/* Removes temporaries of saves that were cut off (power loss): they were never renamed, so never a generation. */
static void remove_stale(int dfd, const char *store, char *warning, size_t cap)
{
	DIR *d;
	struct dirent *de;
	int fd = dup(dfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (state_is_temp_name(de->d_name) && unlinkat(dfd, de->d_name, 0) < 0 && !warning[0])
			snprintf(warning, cap, "%s/%s: cannot remove a stale temporary file: %s", store, de->d_name,
				 strerror(errno));
	closedir(d);
}

/* Deletes generations beyond keep (never just_written) and syncs the directory. */
static unsigned prune(int dfd, const char *store, uint64_t just_written, unsigned keep, char *warning, size_t cap)
{
	struct state_gen_info *v = NULL;
	struct rh_err e = { 0, "" };
	uint64_t *gens = NULL;
	int *drop = NULL;
	size_t n = 0, i;
	unsigned pruned = 0;

	if (state_store_list(store, &v, &n, &e) < 0) {
		snprintf(warning, cap, "%s", e.msg);
		return 0;
	}
	gens = calloc(n ? n : 1, sizeof(*gens));
	drop = calloc(n ? n : 1, sizeof(*drop));
	if (!gens || !drop)
		goto out;
	for (i = 0; i < n; i++)
		gens[i] = v[i].gen;
	state_prune_plan(gens, n, just_written, keep, drop);
	for (i = 0; i < n; i++) {
		if (!drop[i])
			continue;
		if (unlinkat(dfd, v[i].name, 0) == 0)
			pruned++;
		else if (!warning[0])
			snprintf(warning, cap, "%s/%s: cannot remove an old generation: %s", store, v[i].name,
				 strerror(errno));
	}
	if (pruned)
		sync_dir(dfd, store, &e);
out:
	free(gens);
	free(drop);
	free(v);
	return pruned;
}

/* Writes m as generation gen into the store (dfd): temp, fsync, o->commit, rename, directory fsync. */
static int write_generation(int dfd, const struct state_save_opts *o, const struct state_manifest *m,
			    uint64_t gen, struct state_save_result *r, struct rh_err *err)
{
	const char *store = o->store, *root = o->root;
	char name[STATE_NAME_LEN], tmp[STATE_NAME_LEN + 8], tpath[PATH_MAX + 64];
	uint64_t size = 0;
	int fd, rc;

	state_gen_name(gen, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	snprintf(tpath, sizeof(tpath), "%s/%s", store, tmp);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot create: %s", tpath, strerror(errno));
	tmpreg_add(tpath, NULL);   /* a save stopped by a signal (during an upload, say) removes it */
	rc = state_gen_write(fd, tpath, root, m, &size, err);
	if (rc == 0 && fsync(fd) < 0)
		rc = rh_errf(err, -errno, "%s: fsync failed: %s", tpath, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = rh_errf(err, -errno, "%s: close failed: %s", tpath, strerror(errno));
	if (rc == 0 && o->commit)
		rc = o->commit(o->commit_ctx, tpath, gen, err);
	if (rc == 0 && renameat(dfd, tmp, dfd, name) < 0)
		rc = rh_errf(err, -errno, "%s: cannot rename to %s: %s", tpath, name, strerror(errno));
	if (rc < 0)
		unlinkat(dfd, tmp, 0);
	tmpreg_forget(tpath);
	if (rc < 0)
		return rc;
	rc = sync_dir(dfd, store, err);
	if (rc < 0)
		return rc;
	r->bytes = size;
	return 0;
}

/* The number the next generation gets: numbers are never reused, not even a damaged generation's. */
static int next_generation(const char *store, uint64_t *ret, struct rh_err *err)
{
	struct state_gen_info *v = NULL;
	size_t n = 0;
	uint64_t next = 0;
	int rc;

	rc = state_store_list(store, &v, &n, err);
	if (rc < 0)
		return rc;
	next = n ? v[n - 1].gen + 1 : 1;
	free(v);
	if (next > STATE_GEN_MAX)
		return rh_errf(err, -EOVERFLOW, "%s: generation numbers exhausted", store);
	*ret = next;
	return 0;
}

/* Counts the files, deletions and content bytes of the live set into r. */
static void count_live(const struct state_manifest *live, struct state_save_result *r)
{
	size_t i;

	r->files = r->deletions = 0;
	r->content_bytes = 0;
	for (i = 0; i < live->n; i++) {
		if (live->e[i].type == STATE_DELETED)
			r->deletions++;
		else
			r->files++;
		if (live->e[i].type == STATE_FILE)
			r->content_bytes += live->e[i].size;
	}
}

/* r->path: STORE/state-NNNNNNNN.rhs of generation gen. */
static void result_path(struct state_save_result *r, const char *store, uint64_t gen)
{
	r->generation = gen;
	snprintf(r->path, sizeof(r->path), "%s/", store);
	state_gen_name(gen, r->path + strlen(r->path), sizeof(r->path) - strlen(r->path));
}

/* The header fields of the generation about to be written: its number, now, and the host name. */
static void stamp_manifest(struct state_manifest *live, uint64_t gen)
{
	live->generation = gen;
	live->created = (int64_t)time(NULL);
	if (gethostname(live->hostname, sizeof(live->hostname) - 1) < 0 || !live->hostname[0])
		snprintf(live->hostname, sizeof(live->hostname), "-");
}

int state_save(const struct state_save_opts *o, struct state_save_result *ret, struct rh_err *err)
{
	struct state_save_result r;
	struct state_manifest live;
	struct state_gen newest;
	int dfd = -1, rc, have_newest = 0, tries;
	uint64_t next = 0;

	memset(&r, 0, sizeof(r));
	memset(&live, 0, sizeof(live));
	memset(&newest, 0, sizeof(newest));
	dfd = open(o->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return rh_errf(err, -errno, "%s: cannot open the state store: %s%s", o->store, strerror(errno),
			       errno == ENOENT ? " (no state partition mounted there? state is not persistent)" : "");
	if (!o->dry_run && flock(dfd, LOCK_EX) < 0) {
		rc = rh_errf(err, -errno, "%s: cannot lock the state store: %s", o->store, strerror(errno));
		goto out;
	}
	for (tries = 0;; tries++) {
		rc = next_generation(o->store, &next, err);
		if (rc < 0)
			goto out;
		state_manifest_free(&live);
		rc = state_collect(o->root, &live, err);
		if (rc < 0)
			goto out;
		count_live(&live, &r);
		if (o->if_changed) {
			if (!have_newest)
				have_newest = state_store_newest(o->store, 0, &newest, err) == 0;
			rh_err_clear(err);
			if (have_newest && state_diff(&newest.manifest, &live, NULL, NULL) == 0) {
				r.unchanged = 1;
				result_path(&r, o->store, newest.footer.generation);
				break;
			}
		}
		result_path(&r, o->store, next);
		if (o->dry_run)
			break;
		stamp_manifest(&live, next);
		remove_stale(dfd, o->store, r.warning, sizeof(r.warning));
		rc = write_generation(dfd, o, &live, next, &r, err);
		if (rc == -EAGAIN && tries + 1 < SAVE_TRIES) {
			rh_err_clear(err);   /* a file changed under us: collect again */
			continue;
		}
		if (rc < 0)
			goto out;
		r.written = 1;
		r.pruned = prune(dfd, o->store, next, o->keep, r.warning, sizeof(r.warning));
		break;
	}
	*ret = r;
	rc = 0;
out:
	state_gen_free(&newest);
	state_manifest_free(&live);
	close(dfd);   /* releases the lock */
	return rc;
}

/* ---- restoring ---- */

int state_restore(const char *store, const char *root, uint64_t gen, unsigned *ret_files, struct rh_err *err)
{
	struct state_gen g;
	char name[STATE_NAME_LEN], path[PATH_MAX];
	unsigned files = 0;
	size_t i;
	int rc;

	state_gen_name(gen, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", store, name);
	rc = state_gen_load(path, gen, 1, &g, err);
	if (rc == -ENOENT)
		return rh_errf(err, rc, "%s: no such generation", path);
	if (rc < 0)
		return rc;
	rc = state_gen_extract(&g, root, err);
	for (i = 0; i < g.manifest.n; i++)
		files += g.manifest.e[i].type != STATE_DELETED;
	state_gen_free(&g);
	if (rc == 0)
		*ret_files = files;
	return rc;
}

/* ---- boot ---- */

/* Writes root/run/ramhost/state.env atomically. */
static int write_env(const char *root, const struct state_env *env, struct rh_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], tmp[PATH_MAX + 32], text[2 * STATE_PATH_MAX + 64];
	long len = state_env_format(env, text, sizeof(text));
	int fd, rc;

	if (len < 0)
		return rh_errf(err, -E2BIG, "state.env: too long");
	snprintf(dir, sizeof(dir), "%s/run/ramhost", strcmp(root, "/") ? root : "");
	rc = rh_mkdir_p(dir, 0755, err);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/state.env", dir);
	snprintf(tmp, sizeof(tmp), "%s/.state.env.tmp", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot create: %s", tmp, strerror(errno));
	rc = rh_write_all(fd, text, (size_t)len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rh_errf(err, rc, "%s: cannot write: %s", path, strerror(-rc));
	}
	return 0;
}

int state_store_is_mounted(const char *dir)
{
	char up[PATH_MAX + 4];
	struct stat a, b;

	snprintf(up, sizeof(up), "%s/..", dir);
	if (stat(dir, &a) < 0 || stat(up, &b) < 0)
		return 0;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

/* Finds and mounts the state partition at root/run/ramhost/state. Returns 0, or -ENOENT with r->why set. */
static int mount_partition(const char *root, struct state_boot_result *r, struct rh_err *err)
{
	struct rh_err perr = { 0, "" };
	int rc;

	rc = state_part_find(r->device, sizeof(r->device), r->why, sizeof(r->why), &perr);
	if (rc < 0) {
		if (rc != -ENOENT)
			copy_str(r->why, sizeof(r->why), perr.msg);
		return -ENOENT;
	}
	snprintf(r->store, sizeof(r->store), "%s%s", strcmp(root, "/") ? root : "", STATE_STORE_DEFAULT);
	rc = rh_mkdir_p(r->store, 0755, err);
	if (rc < 0) {
		copy_str(r->why, sizeof(r->why), err->msg);
		rh_err_clear(err);
		return -ENOENT;
	}
	if (state_store_is_mounted(r->store))
		return 0;   /* already mounted (a second run) */
	/* ext4 replays its journal on mount: no fsck needed after a power cut */
	if (mount(r->device, r->store, "ext4", MS_NOATIME | MS_NODEV | MS_NOSUID | MS_NOEXEC, NULL) < 0) {
		char msg[3 * PATH_MAX];

		snprintf(msg, sizeof(msg), "%s: cannot mount (ext4) on %s: %s", r->device, r->store, strerror(errno));
		copy_str(r->why, sizeof(r->why), msg);
		return -ENOENT;
	}
	return 0;
}

/* A diskless host's net store (state_net.h): 1 with r->store (created when missing) and r->device set, 0 when
 * this host has none (no ramhost.state.url, no net store put there by init). */
static int net_store(const char *root, struct state_boot_result *r)
{
	struct rh_err e = { 0, "" };
	struct state_net n;
	struct stat st;
	int has_url = state_net_read(&n, &e) == 0 && n.on;

	state_net_store(root, r->store, sizeof(r->store));
	if (!has_url && (stat(r->store, &st) < 0 || !S_ISDIR(st.st_mode))) {
		r->store[0] = '\0';
		return 0;
	}
	if (has_url)
		snprintf(r->device, sizeof(r->device), "server %s", n.server);
	else
		copy_str(r->device, sizeof(r->device), r->store);
	rh_mkdir_p(r->store, 0700, &e);   /* when it fails, listing it says why */
	return 1;
}

int state_boot(const char *root, const char *store, struct state_boot_result *ret, struct rh_err *err)
{
	struct state_boot_result r;
	struct state_gen_info *v = NULL;
	struct state_env env;
	char path[PATH_MAX + 64];
	size_t n = 0, i;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&env, 0, sizeof(env));
	{
		struct stat st;

		/* a root that is not there is the caller's mistake, not a damaged generation */
		if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
			return rh_errf(err, -ENOTDIR, "%s: the root is not a directory", root);
	}
	if (store) {
		snprintf(r.store, sizeof(r.store), "%s", store);
		snprintf(r.device, sizeof(r.device), "%s", store);
	} else if (!(env.net = net_store(root, &r)) && mount_partition(root, &r, err) < 0) {
		r.kind = STATE_BOOT_NO_PARTITION;
		goto done;
	}
	{
		struct rh_err lerr = { 0, "" };

		if (state_store_list(r.store, &v, &n, &lerr) < 0) {
			r.kind = STATE_BOOT_NO_PARTITION;
			copy_str(r.why, sizeof(r.why), lerr.msg);
			goto done;
		}
	}
	r.kind = n ? STATE_BOOT_ALL_DAMAGED : STATE_BOOT_EMPTY;
	for (i = n; i-- > 0;) {
		struct rh_err gerr = { 0, "" };
		struct state_gen g;

		snprintf(path, sizeof(path), "%s/%s", r.store, v[i].name);
		rc = state_gen_load(path, v[i].gen, 1, &g, &gerr);
		if (rc == 0) {
			size_t k;

			rc = state_gen_extract(&g, root, &gerr);
			if (rc == 0) {
				r.kind = r.ndamaged ? STATE_BOOT_FALLBACK : STATE_BOOT_RESTORED;
				r.generation = v[i].gen;
				for (k = 0; k < g.manifest.n; k++)
					r.files += g.manifest.e[k].type != STATE_DELETED;
			}
			state_gen_free(&g);
			if (rc == 0)
				break;
		}
		if (!r.ndamaged++) {
			const char *msg = gerr.msg;
			size_t sl = strlen(path);

			/* the message starts with the file's path: the console line names the generation already */
			if (!strncmp(msg, path, sl) && msg[sl] == ':')
				msg += sl + 2;
			r.damaged = v[i].gen;
			copy_str(r.why, sizeof(r.why), msg);
		}
	}
done:
	env.has_generation = r.kind == STATE_BOOT_RESTORED || r.kind == STATE_BOOT_FALLBACK;
	env.generation = r.generation;
	snprintf(env.store, sizeof(env.store), "%s", r.kind == STATE_BOOT_NO_PARTITION ? "" : r.store);
	snprintf(env.device, sizeof(env.device), "%s", r.kind == STATE_BOOT_NO_PARTITION ? "" : r.device);
	free(v);
	rc = write_env(root, &env, err);
	if (rc < 0)
		return rc;
	*ret = r;
	return 0;
}
