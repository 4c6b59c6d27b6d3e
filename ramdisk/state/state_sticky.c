/* state_sticky.c: sticky patterns and the live sticky set of a root (see state_sticky.h). */
#include "state_sticky.h"

#include "sticky_rule.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fileio.h"
#include "bootenv.h"

#define MAX_DEPTH 128
#define XATTR_LIST_MAX_BYTES 65536

/* ---- patterns ---- */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int state_patterns_parse(const char *buf, size_t len, const char *name, struct state_patterns *pats,
			 struct rh_err *err)
{
	const char *p = buf, *end = buf + len;
	unsigned line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *s, *e;
		char *copy;

		if (!nl)
			nl = end;
		line++;
		s = p;
		e = nl;
		p = nl < end ? nl + 1 : end;
		while (s < e && is_blank(*s))
			s++;
		while (e > s && is_blank(e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		if (memchr(s, '\0', (size_t)(e - s)))
			return rh_errf(err, -EINVAL, "%s: line %u: NUL byte in a pattern", name, line);
		if (*s != '/')
			return rh_errf(err, -EINVAL, "%s: line %u: pattern '%.*s' is not absolute (must start with '/')",
				       name, line, (int)(e - s > 80 ? 80 : e - s), s);
		while (e - s > 1 && e[-1] == '/')
			e--;
		if (e - s >= STATE_PATH_MAX)
			return rh_errf(err, -EINVAL, "%s: line %u: pattern too long", name, line);
		if (pats->n == pats->cap) {
			size_t cap = pats->cap ? pats->cap * 2 : 16;
			char **np = realloc(pats->p, cap * sizeof(*np));

			if (!np)
				return rh_errf(err, -ENOMEM, "out of memory");
			pats->p = np;
			pats->cap = cap;
		}
		copy = strndup(s, (size_t)(e - s));
		if (!copy)
			return rh_errf(err, -ENOMEM, "out of memory");
		pats->p[pats->n++] = copy;
	}
	return 0;
}

int state_patterns_match(const struct state_patterns *pats, const char *path)
{
	size_t i;

	for (i = 0; i < pats->n; i++)
		if (fnmatch(pats->p[i], path, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

void state_patterns_free(struct state_patterns *pats)
{
	size_t i;

	if (!pats)
		return;
	for (i = 0; i < pats->n; i++)
		free(pats->p[i]);
	free(pats->p);
	memset(pats, 0, sizeof(*pats));
}

static int load_list(const char *path, const char *shown, struct state_patterns *pats, struct rh_err *err)
{
	char *buf = NULL;
	size_t len;
	int rc = rh_read_file(path, STATE_PATTERN_FILE_MAX, &buf, &len, err);

	if (rc == -ENOENT) {
		rh_err_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = state_patterns_parse(buf, len, shown, pats, err);
	free(buf);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_patterns_load(const char *root, struct state_patterns *ret, struct rh_err *err)
{
	struct state_patterns pats = { 0, 0, NULL };
	char path[PATH_MAX + 256], dir[PATH_MAX];
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	DIR *d = NULL;
	struct dirent *de;
	int rc;

	snprintf(path, sizeof(path), "%s%s", root, STATE_STICKY_LIST);
	rc = load_list(path, path, &pats, err);
	if (rc < 0)
		goto out;
	snprintf(path, sizeof(path), "%s%s", root, STATE_VIB_STICKY_LIST);
	rc = load_list(path, path, &pats, err);
	if (rc < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s%s", root, STATE_STICKY_DIR);
	d = opendir(dir);
	if (!d)
		goto done;   /* no sticky.d: no declared patterns */
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".list") || de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nn));

			if (!nn) {
				rc = rh_errf(err, -ENOMEM, "out of memory");
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = rh_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
			continue;
		rc = load_list(path, path, &pats, err);
		if (rc < 0)
			goto out;
	}
done:
	*ret = pats;
	pats.p = NULL;
	pats.n = 0;
	rc = 0;
out:
	if (d)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	state_patterns_free(&pats);
	return rc;
}

/* ---- trees ---- */

int state_trees_load(const char *root, struct state_trees *ret, struct rh_err *err)
{
	static struct bootenv env;
	struct state_trees t;
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	unsigned i;
	int rc;

	memset(&t, 0, sizeof(t));
	snprintf(path, sizeof(path), "%s%s", root, STATE_BOOTENV);
	rc = rh_read_file(path, 1u << 20, &buf, &len, err);
	if (rc == -ENOENT) {
		rh_err_clear(err);
		t.n = 1;
		strcpy(t.path[0], "/");
		t.cross_devices = 1;
		*ret = t;
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = bootenv_parse(buf, len, path, &env, err);
	free(buf);
	if (rc < 0)
		return rc;
	for (i = 0; i < env.nramdisks && t.n < STATE_MAX_TREES; i++) {
		const char *mp = env.ramdisks[i].mountpoint;

		if (!strcmp(mp, "/tmp") || !strncmp(mp, "/tmp/", 5) || !strcmp(mp, "/run") || !strncmp(mp, "/run/", 5))
			continue;
		snprintf(t.path[t.n++], sizeof(t.path[0]), "%s", mp);
	}
	*ret = t;
	return 0;
}

/* ---- walking ---- */

struct walker {
	int rootfd;                       /* the live root */
	const char *root;
	const struct state_patterns *pats;
	const struct state_trees *trees;
	const char *tree;                 /* the tree being walked */
	int defaults;                     /* walking a tardisk's defaults: collect deletions */
	struct state_manifest *out;
	struct rh_err *err;
	char buf[1 << 16];
};

/* 1 when path is the mount point of a listed tree other than the one being walked. */
static int other_tree(const struct walker *w, const char *path)
{
	unsigned i;

	for (i = 0; i < w->trees->n; i++)
		if (strcmp(w->trees->path[i], w->tree) && !strcmp(w->trees->path[i], path))
			return 1;
	return 0;
}

/* Reads the xattrs of fd into e (names and values malloc'd). */
static int read_xattrs(int fd, const char *shown, struct state_entry *e, struct rh_err *err)
{
	char *list = NULL, *p;
	ssize_t n;
	size_t cnt = 0;
	int rc = 0;

	n = flistxattr(fd, NULL, 0);
	if (n < 0 && (errno == ENOTSUP || errno == ENOSYS))
		return 0;
	if (n < 0)
		return rh_errf(err, -errno, "%s: cannot list extended attributes: %s", shown, strerror(errno));
	if (n == 0)
		return 0;
	if (n > XATTR_LIST_MAX_BYTES)
		return rh_errf(err, -E2BIG, "%s: extended attribute list too long", shown);
	list = malloc((size_t)n);
	if (!list)
		return rh_errf(err, -ENOMEM, "out of memory");
	n = flistxattr(fd, list, (size_t)n);
	if (n < 0) {
		rc = rh_errf(err, -errno, "%s: cannot list extended attributes: %s", shown, strerror(errno));
		goto out;
	}
	for (p = list; p < list + n; p += strlen(p) + 1)
		cnt++;
	e->xattrs = calloc(cnt ? cnt : 1, sizeof(*e->xattrs));
	if (!e->xattrs) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (p = list; p < list + n; p += strlen(p) + 1) {
		struct state_xattr *x = &e->xattrs[e->nxattrs];
		ssize_t vl = fgetxattr(fd, p, NULL, 0);

		if (vl < 0 && errno == ENODATA)
			continue;   /* removed meanwhile */
		if (vl < 0 || vl > XATTR_LIST_MAX_BYTES) {
			rc = rh_errf(err, vl < 0 ? -errno : -E2BIG, "%s: cannot read extended attribute %s: %s", shown, p,
				     vl < 0 ? strerror(errno) : "too long");
			goto out;
		}
		x->name = strdup(p);
		x->value = malloc(vl ? (size_t)vl : 1);
		e->nxattrs++;
		if (!x->name || !x->value) {
			rc = rh_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		vl = fgetxattr(fd, p, x->value, (size_t)vl);
		if (vl < 0) {
			rc = rh_errf(err, -errno, "%s: cannot read extended attribute %s: %s", shown, p, strerror(errno));
			goto out;
		}
		x->len = (size_t)vl;
	}
	if (e->nxattrs) {
		e->has_xattrs = 1;
		state_xattr_digest(e->xattrs, e->nxattrs, e->xattr_sha256);
	}
out:
	free(list);
	return rc;
}

static void free_entry_xattrs(struct state_entry *e)
{
	size_t i;

	for (i = 0; i < e->nxattrs; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	e->xattrs = NULL;
	e->nxattrs = 0;
}

/* Adds the live file or symlink name (in directory dfd; its path is path) to the set. */
static int add_live(struct walker *w, int dfd, const char *name, const char *path, const struct stat *st)
{
	struct state_entry e;
	struct sha256_ctx c;
	char shown[PATH_MAX + 32];
	int fd = -1, rc = 0;

	memset(&e, 0, sizeof(e));
	snprintf(shown, sizeof(shown), "%s%s", w->root, path);
	e.path = (char *)path;
	e.mode = st->st_mode & 07777;
	e.uid = st->st_uid;
	e.gid = st->st_gid;
	e.mtime = st->st_mtim.tv_sec;
	e.mtime_ns = (uint32_t)st->st_mtim.tv_nsec;
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlinkat(dfd, name, w->buf, STATE_PATH_MAX);

		if (n < 0)
			return rh_errf(w->err, -errno, "%s: cannot read the symlink: %s", shown, strerror(errno));
		if (n == 0 || n >= STATE_PATH_MAX)
			return rh_errf(w->err, -ENAMETOOLONG, "%s: symlink target too long", shown);
		e.type = STATE_LINK;
		e.mode = 0777;
		e.size = (uint64_t)n;
		sha256_buf(w->buf, (size_t)n, e.sha256);
		return state_manifest_add(w->out, &e) < 0 ? rh_errf(w->err, -ENOMEM, "out of memory") : 0;
	}
	e.type = STATE_FILE;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return rh_errf(w->err, -errno, "%s: cannot open: %s", shown, strerror(errno));
	sha256_init(&c);
	for (;;) {
		ssize_t n = read(fd, w->buf, sizeof(w->buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rh_errf(w->err, -errno, "%s: cannot read: %s", shown, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		sha256_update(&c, w->buf, (size_t)n);
		e.size += (uint64_t)n;
	}
	sha256_final(&c, e.sha256);
	rc = read_xattrs(fd, shown, &e, w->err);
	if (rc < 0)
		goto out;
	if (state_manifest_add(w->out, &e) < 0)
		rc = rh_errf(w->err, -ENOMEM, "out of memory");
out:
	free_entry_xattrs(&e);
	close(fd);
	return rc;
}

/* In defaults mode: records path as deleted when the live root has nothing there. */
static int add_deleted(struct walker *w, const char *path)
{
	struct state_entry e;
	struct stat st;

	if (fstatat(w->rootfd, path + 1, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOENT && errno != ENOTDIR)
		return 0;   /* cannot tell: not a deletion */
	memset(&e, 0, sizeof(e));
	e.type = STATE_DELETED;
	e.path = (char *)path;
	return state_manifest_add(w->out, &e) < 0 ? rh_errf(w->err, -ENOMEM, "out of memory") : 0;
}

/* Walks the directory dfd (consumed) whose path in the root is path[0..plen) ("" for the root). */
static int walk(struct walker *w, int dfd, char *path, size_t plen, dev_t dev, int inherited, unsigned depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(dfd);
		return rh_errf(w->err, -errno, "%s%s: cannot list: %s", w->root, plen ? path : "/", strerror(errno));
	}
	if (depth > MAX_DEPTH) {
		closedir(d);
		return rh_errf(w->err, -ELOOP, "%s%s: directories nested too deep", w->root, path);
	}
	while ((errno = 0, de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		struct stat st;
		int sticky;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!plen && sticky_top_never_saved(de->d_name))
			continue;
		if (plen + 1 + nl >= STATE_PATH_MAX)
			continue;   /* cannot be named in a manifest */
		path[plen] = '/';
		memcpy(path + plen + 1, de->d_name, nl + 1);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			rc = rh_errf(w->err, -errno, "%s%s: cannot stat: %s", w->root, path, strerror(errno));
			break;
		}
		sticky = inherited || state_patterns_match(w->pats, path);
		if (S_ISDIR(st.st_mode)) {
			int sub;

			if (!w->defaults && ((!w->trees->cross_devices && st.st_dev != dev) || other_tree(w, path)))
				continue;
			sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				rc = rh_errf(w->err, -errno, "%s%s: cannot open: %s", w->root, path, strerror(errno));
				break;
			}
			rc = walk(w, sub, path, plen + 1 + nl, dev, sticky, depth + 1);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			if (S_ISREG(st.st_mode) && (st.st_mode & S_ISVTX))
				sticky = 1;
			if (!sticky)
				continue;
			rc = w->defaults ? add_deleted(w, path) : add_live(w, dirfd(d), de->d_name, path, &st);
		}
		if (rc < 0)
			break;
	}
	if (!rc && errno && !de)
		rc = rh_errf(w->err, -errno, "%s%s: cannot list: %s", w->root, plen ? path : "/", strerror(errno));
	path[plen] = '\0';
	closedir(d);
	return rc;
}

/* Walks tree (an absolute path) below base (an open directory: the root or a tardisk's mount). */
static int walk_tree(struct walker *w, int basefd, const char *tree)
{
	char *path = malloc(STATE_PATH_MAX);
	struct stat st;
	int fd, rc;

	if (!path)
		return rh_errf(w->err, -ENOMEM, "out of memory");
	w->tree = tree;
	fd = !strcmp(tree, "/") ? openat(basefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
				: openat(basefd, tree + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		free(path);
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return 0;   /* nothing there */
		return rh_errf(w->err, -errno, "%s%s: cannot open: %s", w->root, tree, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		free(path);
		return rh_errf(w->err, -errno, "%s%s: cannot stat: %s", w->root, tree, strerror(errno));
	}
	if (!strcmp(tree, "/")) {
		path[0] = '\0';
	} else {
		snprintf(path, STATE_PATH_MAX, "%s", tree);
	}
	rc = walk(w, fd, path, strlen(path), st.st_dev, strcmp(tree, "/") && state_patterns_match(w->pats, tree), 0);
	free(path);
	return rc;
}

/* Drops repeated deletions (several tardisks hold the same default) and deletions below a live file or
 * symlink; m is sorted. */
static void dedupe(struct state_manifest *m)
{
	size_t i, o = 0;

	for (i = 0; i < m->n; i++) {
		if (o && !strcmp(m->e[o - 1].path, m->e[i].path)) {
			free(m->e[i].path);
			continue;
		}
		m->e[o++] = m->e[i];
	}
	m->n = o;
}

int state_collect(const char *root, struct state_manifest *ret, struct rh_err *err)
{
	struct state_patterns pats = { 0, 0, NULL };
	struct state_manifest m;
	struct state_trees trees;
	struct walker *w = NULL;
	char path[PATH_MAX];
	DIR *td = NULL;
	struct dirent *de;
	unsigned i;
	int rc;

	memset(&m, 0, sizeof(m));
	rc = state_patterns_load(root, &pats, err);
	if (rc < 0)
		goto out;
	rc = state_trees_load(root, &trees, err);
	if (rc < 0)
		goto out;
	w = calloc(1, sizeof(*w));
	if (!w) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	w->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->rootfd < 0) {
		rc = rh_errf(err, -errno, "%s: cannot open the root: %s", root, strerror(errno));
		goto out;
	}
	w->root = strcmp(root, "/") ? root : "";
	w->pats = &pats;
	w->trees = &trees;
	w->out = &m;
	w->err = err;
	for (i = 0; i < trees.n && !rc; i++)
		rc = walk_tree(w, w->rootfd, trees.path[i]);
	if (rc < 0)
		goto out;
	/* the tardisks' defaults: sticky ones missing from the live root are deletions */
	w->defaults = 1;
	snprintf(path, sizeof(path), "%s%s", w->root, STATE_TARDISKS_DIR);
	td = opendir(path);
	while (td && (de = readdir(td)) && !rc) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(td), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		for (i = 0; i < trees.n && !rc; i++)
			rc = walk_tree(w, fd, trees.path[i]);
		close(fd);
	}
	if (rc < 0)
		goto out;
	if (m.n > 1) {
		/* a deletion sorts next to nothing live of the same path (it only exists when the path is gone) */
		struct rh_err ignore = { 0, "" };

		state_manifest_sort_check(&m, &ignore);
		dedupe(&m);
	}
	rc = state_manifest_sort_check(&m, err);
	if (rc < 0)
		goto out;
	*ret = m;
	memset(&m, 0, sizeof(m));
out:
	if (td)
		closedir(td);
	if (w && w->rootfd >= 0)
		close(w->rootfd);
	free(w);
	state_patterns_free(&pats);
	state_manifest_free(&m);
	return rc;
}
