/* oci_apply.c: an OCI or Docker image's layers applied in order into one tardisk source list (create_int.h,
 * source_oci_read), the way the OCI image-spec's layer changesets define it.
 *
 * Each layer is read by source_archive_each (the same entry checks, caps and spool as any archive source) into
 * a tree of paths. An entry replaces what a lower layer had at its path (a directory over a directory only
 * updates its attributes and keeps its children); `.wh.NAME` removes NAME and everything below it, and
 * `.wh..wh..opq` everything below its directory, from the lower layers only (a whiteout never hides what its
 * own layer adds, whatever the order of the tar); a hard link may point at a file of any lower layer or of its
 * own. Refused, naming the layer and the entry: an entry or whiteout below a path that is not a directory
 * (through a symlink, say), a whiteout of "." or "..", any other `.wh..wh.` name, a hard link whose target no
 * layer has (or a whiteout removed) or that is a directory. The paths left are added to the list sorted, files
 * that share an inode as hard links of the first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "oci_layout.h"
#include "tardisk/create_int.h"
#include "tardisk/path_check.h"

#define WH ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* The paths applied so far: an entry list (entries.h) that keeps every path ever seen, and what it does not
 * hold per path. Its byte count is the content cap's count over all layers. */
struct meta {
	unsigned layer;     /* the layer that last set the path */
	uint64_t inode;     /* regular files: shared by hard links; 0 otherwise */
	int dead;           /* removed (the entry keeps only its path, the list's key) */
};

struct tree {
	struct tdk_list l;
	struct meta *m;     /* parallel to l.v */
	size_t mcap;
	uint64_t next_inode;
	unsigned layer;     /* the layer being applied, from 1 */
	const char *shown;  /* the image, for messages */
};

static long find_alive(const struct tree *t, const char *path)
{
	long i = entries_find(&t->l, path);

	return i >= 0 && !t->m[i].dead ? i : -1;
}

/* Frees what entry i owns but its path, and marks it removed. */
static void kill(struct tree *t, size_t i)
{
	char *path = t->l.v[i].path;

	t->l.v[i].path = NULL;
	entries_ent_free(&t->l.v[i]);
	t->l.v[i].path = path;
	t->m[i].dead = 1;
}

/* Kills everything strictly below dir ("" is the root) that is alive and, when lower_only, from a lower layer. */
static void kill_below(struct tree *t, const char *dir, int lower_only)
{
	size_t dl = strlen(dir);

	for (size_t i = 0; i < t->l.n; i++) {
		if (t->m[i].dead || (lower_only && t->m[i].layer >= t->layer))
			continue;
		if (!dl || (!strncmp(t->l.v[i].path, dir, dl) && t->l.v[i].path[dl] == '/'))
			kill(t, i);
	}
}

/* Refuses path when one of its parents is there and is not a directory (a symlink, a file). */
static int parents_ok(const struct tree *t, const char *path, const char *entry, struct rh_err *err)
{
	char buf[TARDISK_PATH_MAX + 1], sp[160], se[160];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = strchr(buf, '/'); s; s = strchr(s + 1, '/')) {
		long i;

		*s = '\0';
		i = find_alive(t, buf);
		if (i >= 0 && !S_ISDIR(t->l.v[i].mode))
			return rh_errf(err, -EINVAL, "%s: layer %u: entry '%s' is below '%s', which is a %s, not a "
				       "directory", t->shown, t->layer, tdk_path_shorten(entry, se, sizeof(se)),
				       tdk_path_shorten(buf, sp, sizeof(sp)), S_ISLNK(t->l.v[i].mode) ? "symlink" : "file");
		*s = '/';
	}
	return 0;
}

/* `.wh.NAME` in dir (opaque when name is ".wh..wh..opq"): the lower layers' NAME (and below), or everything
 * below dir, goes. */
static int whiteout(struct tree *t, const char *path, const char *dir, const char *name, struct rh_err *err)
{
	char target[TARDISK_PATH_MAX + 1], se[160];
	long i;
	int rc;

	if (!strcmp(name, WH_OPAQUE)) {
		rc = parents_ok(t, path, path, err);
		if (!rc)
			kill_below(t, dir, 1);
		return rc;
	}
	name += strlen(WH);
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") || !strncmp(name, WH, strlen(WH)))
		return rh_errf(err, -EINVAL, "%s: layer %u: entry '%s' is not a whiteout this reader knows (.wh.NAME "
			       "or .wh..wh..opq)", t->shown, t->layer, tdk_path_shorten(path, se, sizeof(se)));
	if ((size_t)snprintf(target, sizeof(target), "%s%s%s", dir, dir[0] ? "/" : "", name) >= sizeof(target))
		return rh_errf(err, -ENAMETOOLONG, "%s: layer %u: entry '%s': path too long", t->shown, t->layer,
			       tdk_path_shorten(path, se, sizeof(se)));
	rc = parents_ok(t, target, path, err);
	if (rc)
		return rc;
	i = find_alive(t, target);
	if (i >= 0 && t->m[i].layer < t->layer)
		kill(t, (size_t)i);
	kill_below(t, target, 1);
	return 0;
}

/* e at its path (the entry there before replaced), taking e's pointers. A hard link's copy (shared) adds no
 * bytes to the count: its data is its target's. */
static int put(struct tree *t, struct tdk_ent *e, uint64_t inode, int shared, struct rh_err *err)
{
	uint64_t size = S_ISREG(e->mode) ? e->size : 0;
	long i = entries_find(&t->l, e->path);
	int rc;

	if (i >= 0) {
		entries_ent_free(&t->l.v[i]);
		t->l.v[i] = *e;
		t->l.bytes += shared ? 0 : size;
		t->m[i] = (struct meta){ t->layer, inode, 0 };
		return 0;
	}
	if (t->l.n + 1 > t->mcap) {
		size_t cap = t->mcap ? t->mcap * 2 : 256;
		struct meta *m = realloc(t->m, cap * sizeof(*m));

		if (!m) {
			entries_ent_free(e);
			return rh_errf(err, -ENOMEM, "%s: out of memory", t->shown);
		}
		t->m = m;
		t->mcap = cap;
	}
	rc = entries_add(&t->l, e, err);
	if (rc)
		return rc;
	t->l.bytes -= shared ? size : 0;
	t->m[t->l.n - 1] = (struct meta){ t->layer, inode, 0 };
	return 0;
}

/* e becomes a copy of the file at target (a hard link): same data, attributes and inode. */
static int link_to(struct tree *t, struct tdk_ent *e, uint64_t *inode, struct rh_err *err)
{
	char se[160], st[160];
	long i = find_alive(t, e->link);
	const struct tdk_ent *src;

	if (i < 0 || S_ISDIR(t->l.v[i].mode))
		return rh_errf(err, i < 0 ? -ENOENT : -EISDIR, "%s: layer %u: entry '%s' is a hard link to '%s', %s",
			       t->shown, t->layer, tdk_path_shorten(e->path, se, sizeof(se)),
			       tdk_path_shorten(e->link, st, sizeof(st)), i < 0 ? "which no layer has at this point (or "
			       "a whiteout removed)" : "a directory");
	src = &t->l.v[i];
	free(e->link);
	e->link = src->link ? strdup(src->link) : NULL;
	e->hardlink = e->link_data = 0;
	e->mode = src->mode;
	e->uid = src->uid;
	e->gid = src->gid;
	e->mtime = src->mtime;
	e->size = src->size;
	e->spool_off = src->spool_off;
	e->rmajor = src->rmajor;
	e->rminor = src->rminor;
	for (size_t k = 0; k < e->n_xattrs; k++) {
		free(e->xattrs[k].key);
		free(e->xattrs[k].value);
	}
	free(e->xattrs);
	e->xattrs = NULL;
	e->n_xattrs = 0;
	if (src->n_xattrs && !(e->xattrs = calloc(src->n_xattrs, sizeof(*e->xattrs))))
		return -ENOMEM;
	for (size_t k = 0; k < src->n_xattrs; k++, e->n_xattrs++) {
		e->xattrs[k].key = strdup(src->xattrs[k].key);
		e->xattrs[k].value = malloc(src->xattrs[k].len + 1);
		if (!e->xattrs[k].key || !e->xattrs[k].value)
			return -ENOMEM;
		memcpy(e->xattrs[k].value, src->xattrs[k].value, src->xattrs[k].len);
		e->xattrs[k].len = src->xattrs[k].len;
	}
	*inode = t->m[i].inode;
	return (src->link && !e->link) ? -ENOMEM : 0;
}

/* One entry of the layer being applied (source_archive_each's sink). */
static int apply(void *ctx, struct tdk_ent *e, struct rh_err *err)
{
	struct tree *t = ctx;
	char dir[TARDISK_PATH_MAX + 1];
	const char *slash = strrchr(e->path, '/'), *name = slash ? slash + 1 : e->path;
	uint64_t inode = 0;
	int rc, shared = e->hardlink;
	long i;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - e->path) : 0, e->path);
	if (!strncmp(name, WH, strlen(WH))) {
		rc = whiteout(t, e->path, dir, name, err);
		entries_ent_free(e);
		return rc;
	}
	rc = parents_ok(t, e->path, e->path, err);
	if (!rc && e->hardlink)
		rc = link_to(t, e, &inode, err);
	else if (!rc && S_ISREG(e->mode))
		inode = ++t->next_inode;
	if (rc) {
		entries_ent_free(e);
		return rc == -ENOMEM ? rh_errf(err, rc, "%s: out of memory", t->shown) : rc;
	}
	i = find_alive(t, e->path);
	if (i >= 0 && !(S_ISDIR(t->l.v[i].mode) && S_ISDIR(e->mode))) {   /* a directory over one keeps its children */
		int was_dir = S_ISDIR(t->l.v[i].mode);

		kill(t, (size_t)i);
		if (was_dir)   /* only a directory has anything below it (a scan of every path) */
			kill_below(t, e->path, 0);
	}
	return put(t, e, inode, shared, err);
}

static int by_path(const void *a, const void *b, void *ctx)
{
	const struct tdk_ent *v = ctx;

	return strcmp(v[*(const size_t *)a].path, v[*(const size_t *)b].path);
}

/* The paths left, sorted, moved into l: a file whose inode an earlier path has becomes a hard link to it. */
static int export(struct tree *t, struct tdk_list *l, struct rh_err *err)
{
	size_t *order = calloc(t->l.n + 1, sizeof(*order)), n = 0, k;
	const char **first = calloc(t->next_inode + 1, sizeof(*first));  /* an inode's first path, owned by l */
	int rc = 0;

	if (!order || !first) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", t->shown);
		goto out;
	}
	for (k = 0; k < t->l.n; k++)
		if (!t->m[k].dead)
			order[n++] = k;
	qsort_r(order, n, sizeof(*order), by_path, t->l.v);
	for (k = 0; k < n && !rc; k++) {
		struct tdk_ent e = t->l.v[order[k]];
		uint64_t inode = t->m[order[k]].inode;
		const char *path = e.path;

		memset(&t->l.v[order[k]], 0, sizeof(e));   /* moved: the tree is not searched again */
		if (inode && first[inode]) {
			e.path = NULL;
			entries_ent_free(&e);
			e = (struct tdk_ent){ .path = (char *)path, .hardlink = 1, .link = strdup(first[inode]) };
			if (!e.link) {
				free(e.path);
				rc = rh_errf(err, -ENOMEM, "%s: out of memory", t->shown);
				break;
			}
		} else if (inode) {
			first[inode] = path;
		}
		rc = entries_add(l, &e, err);
	}
out:
	free(order);
	free(first);
	return rc;
}

const char *oci_machine_arch(void)
{
	static const struct { const char *uname, *oci; } map[] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i686", "386" }, { "armv7l", "arm" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "riscv64", "riscv64" },
	};
	static struct utsname u;

	if (uname(&u) == 0)
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (!strcmp(u.machine, map[i].uname))
				return map[i].oci;
	return "amd64";
}

int source_oci_read(const char *spec, const char *arch, struct tdk_list *l, struct tdk_spool *sp,
		    struct tdk_progress *p, struct rh_err *err)
{
	struct oci_image img;
	struct tree t;
	int rc;

	memset(&t, 0, sizeof(t));
	entries_init(&t.l, l->what);
	t.l.max_bytes = l->max_bytes;
	rc = oci_image_open(spec, arch ? arch : oci_machine_arch(), l->max_bytes, &img, err);
	if (rc)
		return rc;
	t.shown = img.desc;
	for (size_t i = 0; i < img.nlayers && !rc; i++) {
		t.layer = (unsigned)i + 1;
		rc = source_archive_each(img.layers[i].path, &t.l, apply, &t, sp, p, err);
		if (rc && strncmp(err->msg, img.desc, strlen(img.desc)))
			rh_err_prefix(err, rc, "%s: layer %zu (%s)", img.desc, i + 1, img.layers[i].digest);
	}
	if (!rc)
		rc = export(&t, l, err);
	entries_free(&t.l);
	free(t.m);
	oci_image_close(&img);
	return rc;
}
