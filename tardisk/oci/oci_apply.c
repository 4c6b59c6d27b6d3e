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
 * that share an inode as hard links of the first. The tree (oci_tree.h) also records what each layer changed,
 * for the split writer (oci_split.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "oci_tree.h"
#include "ovl.h"
#include "tardisk/path_check.h"

#define WH ".wh."
#define WH_OPAQUE ".wh..wh..opq"

long oci_tree_find_alive(const struct oci_tree *t, const char *path)
{
	long i = entries_find(&t->l, path);

	return i >= 0 && !t->m[i].dead ? i : -1;
}

/* Frees what entry i owns but its path, and marks it removed. */
static void kill(struct oci_tree *t, size_t i)
{
	char *path = t->l.v[i].path;

	t->l.v[i].path = NULL;
	entries_ent_free(&t->l.v[i]);
	t->l.v[i].path = path;
	t->m[i].dead = 1;
	t->m[i].killed_in = t->layer;
}

/* Kills everything strictly below dir ("" is the root) that is alive and, when lower_only, from a lower layer. */
static void kill_below(struct oci_tree *t, const char *dir, int lower_only)
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
static int parents_ok(const struct oci_tree *t, const char *path, const char *entry, struct rh_err *err)
{
	char buf[TARDISK_PATH_MAX + 1], sp[160], se[160];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = strchr(buf, '/'); s; s = strchr(s + 1, '/')) {
		long i;

		*s = '\0';
		i = oci_tree_find_alive(t, buf);
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
static int whiteout(struct oci_tree *t, const char *path, const char *dir, const char *name, struct rh_err *err)
{
	char target[TARDISK_PATH_MAX + 1], se[160];
	long i;
	int rc;

	if (!strcmp(name, WH_OPAQUE)) {
		rc = parents_ok(t, path, path, err);
		if (rc)
			return rc;
		kill_below(t, dir, 1);
		i = dir[0] ? oci_tree_find_alive(t, dir) : -1;
		if (i >= 0)
			t->m[i].opq_in = t->layer;
		return 0;
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
	i = oci_tree_find_alive(t, target);
	if (i >= 0 && t->m[i].layer < t->layer)
		kill(t, (size_t)i);
	else if (i >= 0)
		t->m[i].opq_in = t->layer;   /* the layer's own NAME stays, over nothing of the lower ones */
	kill_below(t, target, 1);
	return 0;
}

/* e at its path (the entry there before replaced), taking e's pointers. A hard link's copy (shared) adds no
 * bytes to the count: its data is its target's. */
static int put(struct oci_tree *t, struct tdk_ent *e, uint64_t inode, int shared, struct rh_err *err)
{
	uint64_t size = S_ISREG(e->mode) ? e->size : 0;
	long i = entries_find(&t->l, e->path);
	int rc;

	if (i >= 0) {
		entries_ent_free(&t->l.v[i]);
		t->l.v[i] = *e;
		t->l.bytes += shared ? 0 : size;
		t->m[i].layer = t->layer;   /* what it was before this layer stays known */
		t->m[i].inode = inode;
		t->m[i].dead = 0;
		return 0;
	}
	if (t->l.n + 1 > t->mcap) {
		size_t cap = t->mcap ? t->mcap * 2 : 256;
		struct oci_meta *m = realloc(t->m, cap * sizeof(*m));

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
	t->m[t->l.n - 1] = (struct oci_meta){ .layer = t->layer, .inode = inode };
	return 0;
}

/* e becomes a copy of the file at target (a hard link): same data, attributes and inode. */
static int link_to(struct oci_tree *t, struct tdk_ent *e, uint64_t *inode, struct rh_err *err)
{
	char se[160], st[160];
	long i = oci_tree_find_alive(t, e->link);
	struct tdk_ent c;

	if (i < 0 || S_ISDIR(t->l.v[i].mode))
		return rh_errf(err, i < 0 ? -ENOENT : -EISDIR, "%s: layer %u: entry '%s' is a hard link to '%s', %s",
			       t->shown, t->layer, tdk_path_shorten(e->path, se, sizeof(se)),
			       tdk_path_shorten(e->link, st, sizeof(st)), i < 0 ? "which no layer has at this point (or "
			       "a whiteout removed)" : "a directory");
	if (entries_ent_dup(&c, &t->l.v[i]))
		return -ENOMEM;
	free(c.path);
	c.path = e->path;
	e->path = NULL;
	entries_ent_free(e);
	*e = c;
	*inode = t->m[i].inode;
	return 0;
}

/* One entry of the layer being applied (source_archive_each's sink). */
static int apply(void *ctx, struct tdk_ent *e, struct rh_err *err)
{
	struct oci_tree *t = ctx;
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
	i = oci_tree_find_alive(t, e->path);
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

/* A copy of entry k, or the entry itself when move (its slot zeroed: the tree is not searched again). */
static int take(struct oci_tree *t, size_t k, int move, struct tdk_ent *e)
{
	if (move) {
		*e = t->l.v[k];
		memset(&t->l.v[k], 0, sizeof(*e));
		return 0;
	}
	return entries_ent_dup(e, &t->l.v[k]);
}

int oci_ent_make_opaque(struct tdk_ent *e)
{
	struct tdk_xattr *x = realloc(e->xattrs, (e->n_xattrs + 1) * sizeof(*x));

	if (!x)
		return -ENOMEM;
	e->xattrs = x;
	x = &e->xattrs[e->n_xattrs];
	x->key = strdup(OVL_OPAQUE_XATTR);
	x->value = strdup(OVL_OPAQUE_VALUE);
	x->len = strlen(OVL_OPAQUE_VALUE);
	if (!x->key || !x->value) {
		free(x->key);
		free(x->value);
		return -ENOMEM;
	}
	e->n_xattrs++;
	return 0;
}

int oci_tree_emit(struct oci_tree *t, size_t *order, size_t n, int move, int (*opaque)(const struct oci_tree *t,
		  size_t k), struct tdk_list *l, struct rh_err *err)
{
	const char **first = calloc(t->next_inode + 1, sizeof(*first));  /* an inode's first path, owned by l */
	int rc = 0;

	if (!first)
		return rh_errf(err, -ENOMEM, "%s: out of memory", t->shown);
	qsort_r(order, n, sizeof(*order), by_path, t->l.v);
	for (size_t k = 0; k < n && !rc; k++) {
		uint64_t inode = t->m[order[k]].inode;
		int opq = opaque && opaque(t, order[k]);
		struct tdk_ent e;

		if (take(t, order[k], move, &e) || (opq && oci_ent_make_opaque(&e))) {
			entries_ent_free(&e);
			rc = rh_errf(err, -ENOMEM, "%s: out of memory", t->shown);
			break;
		}
		if (inode && first[inode]) {
			char *path = e.path;

			e.path = NULL;
			entries_ent_free(&e);
			e = (struct tdk_ent){ .path = path, .hardlink = 1, .link = strdup(first[inode]) };
			if (!e.link) {
				free(e.path);
				rc = rh_errf(err, -ENOMEM, "%s: out of memory", t->shown);
				break;
			}
		} else if (inode) {
			first[inode] = e.path;
		}
		rc = entries_add(l, &e, err);
	}
	free(first);
	return rc;
}

/* The paths left, sorted, moved into l. */
static int export(struct oci_tree *t, struct tdk_list *l, struct rh_err *err)
{
	size_t *order = calloc(t->l.n + 1, sizeof(*order)), n = 0;
	int rc;

	if (!order)
		return rh_errf(err, -ENOMEM, "%s: out of memory", t->shown);
	for (size_t k = 0; k < t->l.n; k++)
		if (!t->m[k].dead)
			order[n++] = k;
	rc = oci_tree_emit(t, order, n, 1, NULL, l, err);
	free(order);
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

void oci_tree_init(struct oci_tree *t, const struct oci_image *img, const char *what, uint64_t max_bytes)
{
	memset(t, 0, sizeof(*t));
	entries_init(&t->l, what);
	t->l.max_bytes = max_bytes;
	t->shown = img->desc;
}

void oci_tree_free(struct oci_tree *t)
{
	entries_free(&t->l);
	free(t->m);
	t->m = NULL;
}

int oci_tree_apply(struct oci_tree *t, const struct oci_image *img, size_t i, struct tdk_spool *sp,
		   struct tdk_progress *p, struct rh_err *err)
{
	int rc;

	t->layer = (unsigned)i + 1;
	for (size_t k = 0; k < t->l.n; k++)
		t->m[k].before = !t->m[k].dead;
	rc = source_archive_each(img->layers[i].path, &t->l, apply, t, sp, p, err);
	if (rc && strncmp(err->msg, img->desc, strlen(img->desc)))
		rh_err_prefix(err, rc, "%s: layer %zu (%s)", img->desc, i + 1, img->layers[i].digest);
	return rc;
}

int source_oci_read(const char *spec, const char *arch, struct tdk_list *l, struct tdk_spool *sp,
		    struct tdk_progress *p, struct rh_err *err)
{
	struct oci_image img;
	struct oci_tree t;
	int rc;

	rc = oci_image_open(spec, arch ? arch : oci_machine_arch(), l->max_bytes, &img, err);
	if (rc)
		return rc;
	oci_tree_init(&t, &img, l->what, l->max_bytes);
	for (size_t i = 0; i < img.nlayers && !rc; i++)
		rc = oci_tree_apply(&t, &img, i, sp, p, err);
	if (!rc)
		rc = export(&t, l, err);
	oci_tree_free(&t);
	oci_image_close(&img);
	return rc;
}
