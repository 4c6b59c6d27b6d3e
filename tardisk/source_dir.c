/* source_dir.c: a directory tree as the source of a tardisk, walked in sorted order without following
 * symlinks. Owners become root:root (a non-root build cannot own files anyway); modes, symlinks, hardlinks
 * (the same inode seen twice), device nodes, fifos and xattrs are kept. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "create_int.h"
#include "path_check.h"

struct inode_seen {
	dev_t dev;
	ino_t ino;
	char *path;  /* the first path seen for it, owned */
};

struct dir_walk {
	const char *root;
	struct tdk_list *l;
	struct tdk_progress *p;
	struct inode_seen *seen;
	size_t n_seen, cap_seen;
	struct rh_err *err;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every name in dir, sorted bytewise; the directory is closed before returning, so that deep trees do not
 * hold one descriptor per level. */
static int list_dir(const char *abs, char ***ret_names, size_t *ret_n, struct rh_err *err)
{
	DIR *d = opendir(abs);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d)
		return rh_errf(err, -errno, "%s: cannot open directory: %s", abs, strerror(errno));
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*nn));
			if (!nn) {
				rc = -ENOMEM;
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = -ENOMEM;
			break;
		}
		n++;
	}
	if (!rc && errno)
		rc = -errno;
	closedir(d);
	if (rc) {
		while (n)
			free(names[--n]);
		free(names);
		return rh_errf(err, rc, "%s: reading directory: %s", abs, strerror(-rc));
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	*ret_names = names;
	*ret_n = n;
	return 0;
}

static int read_xattrs(const char *abs, const char *rel, struct tdk_ent *e, struct rh_err *err)
{
	char *names = NULL, *k;
	ssize_t len = llistxattr(abs, NULL, 0);
	int rc = 0;

	if (len < 0 && (errno == ENOTSUP || errno == ENODATA))
		return 0;
	if (len < 0)
		return rh_errf(err, -errno, "%s: entry '%s': listing xattrs: %s", abs, rel, strerror(errno));
	if (len == 0)
		return 0;
	names = malloc((size_t)len + 1);
	if (!names)
		return -ENOMEM;
	len = llistxattr(abs, names, (size_t)len);
	if (len < 0) {
		rc = rh_errf(err, -errno, "%s: entry '%s': listing xattrs: %s", abs, rel, strerror(errno));
		goto out;
	}
	names[len] = '\0';
	for (k = names; k < names + len; k += strlen(k) + 1) {
		struct tdk_xattr *x, *nx;
		ssize_t vl;

		rc = entries_xattr_take(abs, rel, k, err);
		if (rc < 0)
			goto out;
		if (!rc)
			continue; /* e.g. system.posix_acl_access: squashfs cannot hold it (docs/tardisk.md) */
		rc = 0;
		vl = lgetxattr(abs, k, NULL, 0);
		if (vl < 0) {
			rc = rh_errf(err, -errno, "%s: entry '%s': xattr %s: %s", abs, rel, k, strerror(errno));
			goto out;
		}
		nx = realloc(e->xattrs, (e->n_xattrs + 1) * sizeof(*nx));
		if (!nx) {
			rc = -ENOMEM;
			goto out;
		}
		e->xattrs = nx;
		x = &e->xattrs[e->n_xattrs];
		x->key = strdup(k);
		x->value = malloc((size_t)vl + 1);
		if (!x->key || !x->value) {
			free(x->key);
			free(x->value);
			rc = -ENOMEM;
			goto out;
		}
		vl = lgetxattr(abs, k, x->value, (size_t)vl);
		if (vl < 0) {
			rc = rh_errf(err, -errno, "%s: entry '%s': xattr %s changed while reading", abs, rel, k);
			free(x->key);
			free(x->value);
			goto out;
		}
		x->len = (size_t)vl;
		e->n_xattrs++;
	}
out:
	free(names);
	return rc;
}

/* Returns the path first seen for this inode, or records rel as that path and returns NULL. */
static const char *seen_inode(struct dir_walk *w, const struct stat *st, const char *rel, int *ret_rc)
{
	size_t i;

	*ret_rc = 0;
	for (i = 0; i < w->n_seen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return w->seen[i].path;
	if (w->n_seen == w->cap_seen) {
		size_t cap = w->cap_seen ? w->cap_seen * 2 : 16;
		struct inode_seen *s = realloc(w->seen, cap * sizeof(*s));
		if (!s) {
			*ret_rc = -ENOMEM;
			return NULL;
		}
		w->seen = s;
		w->cap_seen = cap;
	}
	w->seen[w->n_seen].dev = st->st_dev;
	w->seen[w->n_seen].ino = st->st_ino;
	w->seen[w->n_seen].path = strdup(rel);
	if (!w->seen[w->n_seen].path)
		*ret_rc = -ENOMEM;
	else
		w->n_seen++;
	return NULL;
}

static int walk(struct dir_walk *w, const char *abs, const char *rel);

/* One directory entry: abs is its path on disk, rel its path in the image. */
static int take(struct dir_walk *w, const char *abs, const char *rel)
{
	struct rh_err *err = w->err;
	struct tdk_ent e;
	struct stat st;
	char norm[TARDISK_PATH_MAX + 1];
	size_t len;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = tdk_path_normalize(rel, strlen(rel), norm, sizeof(norm), &len);
	if (rc != TDK_PATH_OK)
		return rh_errf(err, -EINVAL, "%s: entry '%s': the path %s", w->root, rel, tdk_path_reason(rc));
	if (lstat(abs, &st) < 0)
		return rh_errf(err, -errno, "%s: entry '%s': %s", w->root, rel, strerror(errno));
	e.mode = (uint32_t)st.st_mode;
	e.mtime = st.st_mtim.tv_sec;
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		const char *first = seen_inode(w, &st, rel, &rc);
		if (rc)
			return rh_errf(err, rc, "%s: out of memory", w->root);
		if (first) {
			e.hardlink = 1;
			e.path = strdup(rel);
			e.link = strdup(first);
			if (!e.path || !e.link) {
				entries_ent_free(&e);
				return rh_errf(err, -ENOMEM, "%s: out of memory", w->root);
			}
			return entries_add(w->l, &e, err);
		}
	}
	if (S_ISREG(st.st_mode)) {
		e.size = (uint64_t)st.st_size;
		e.src_path = strdup(abs);
	} else if (S_ISLNK(st.st_mode)) {
		ssize_t n;
		if (st.st_size <= 0 || st.st_size > TARDISK_PATH_MAX)
			return rh_errf(err, -EINVAL, "%s: entry '%s': symlink target of %lld bytes", w->root, rel,
				       (long long)st.st_size);
		e.link = calloc(1, (size_t)st.st_size + 1);
		n = e.link ? readlink(abs, e.link, (size_t)st.st_size + 1) : -1;
		if (n != st.st_size) {
			entries_ent_free(&e);
			return rh_errf(err, -EIO, "%s: entry '%s': cannot read the symlink (or it changed)", w->root,
				       rel);
		}
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		e.rmajor = major(st.st_rdev);
		e.rminor = minor(st.st_rdev);
	} else if (!S_ISDIR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		return rh_errf(err, -EINVAL, "%s: entry '%s': a socket cannot be stored in a tardisk", w->root,
			       rel);
	}
	e.path = strdup(rel);
	if (!e.path || (S_ISREG(st.st_mode) && !e.src_path)) {
		entries_ent_free(&e);
		return rh_errf(err, -ENOMEM, "%s: out of memory", w->root);
	}
	rc = read_xattrs(abs, rel, &e, err);
	if (rc) {
		entries_ent_free(&e);
		return rc == -ENOMEM ? rh_errf(err, rc, "%s: out of memory", w->root) : rc;
	}
	rc = entries_add(w->l, &e, err);
	if (rc)
		return rc;
	tdk_progress_tick(w->p, 0, 1, 0);
	return S_ISDIR(st.st_mode) ? walk(w, abs, rel) : 0;
}

static int walk(struct dir_walk *w, const char *abs, const char *rel)
{
	char **names = NULL, sbuf[160];
	size_t n = 0, i;
	int rc = list_dir(abs, &names, &n, w->err);

	for (i = 0; !rc && i < n; i++) {
		char *cabs = NULL, *crel = NULL;

		if (asprintf(&cabs, "%s/%s", abs, names[i]) < 0)
			cabs = NULL;
		if (asprintf(&crel, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0)
			crel = NULL;
		if (!cabs || !crel)
			rc = rh_errf(w->err, -ENOMEM, "%s: out of memory", w->root);
		else if (strlen(crel) > TARDISK_PATH_MAX)
			rc = rh_errf(w->err, -ENAMETOOLONG, "%s: entry '%s': the path %s", w->root,
				     tdk_path_shorten(crel, sbuf, sizeof(sbuf)), tdk_path_reason(TDK_PATH_TOO_LONG));
		else
			rc = take(w, cabs, crel);
		free(cabs);
		free(crel);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int source_dir_read(const char *path, struct tdk_list *l, struct tdk_progress *p, struct rh_err *err)
{
	struct dir_walk w = { .root = path, .l = l, .p = p, .err = err };
	size_t i;
	int rc = walk(&w, path, "");

	for (i = 0; i < w.n_seen; i++)
		free(w.seen[i].path);
	free(w.seen);
	return rc;
}
