/* oci_split.c: tardisk_create_layers(), an OCI image as one tardisk per layer (tardisk.h, docs/tardisk.md "Split
 * layers").
 *
 * The layers are applied in order into one tree (oci_tree.h), with every check of the one-tardisk import; after
 * each wanted layer, what it changed is read off the tree as overlayfs would need it (lib/ovl.h):
 *   - every path the layer set, as it is now; a hard link to a lower layer's file becomes a copy of it (overlayfs
 *     cannot link across layers), links within the layer stay links;
 *   - a directory the layer removed or replaced and then made again, or that has the layer's `.wh..wh..opq`,
 *     carries trusted.overlay.opaque;
 *   - a path of the lower layers the layer removed becomes a whiteout (a character device 0/0), only at the
 *     topmost removed path, and only where no opaque directory or new file of the layer already hides it;
 *   - the directories above all of these, with their attributes in the image so far (in an overlay the topmost
 *     layer's attributes of a directory win).
 * Mounted as overlayfs lower layers in order, the images show what tardisk_create makes of the whole image. Nothing is
 * written until every wanted layer is read and checked. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_tree.h"
#include "ovl.h"

/* Marks per path of the layer being read off. */
enum { SKIP, COPY, OPAQUE_DIR };  /* OPAQUE_DIR: a path removed, then a parent again: made as an opaque dir */

static int opaque_here(const struct oci_tree *t, size_t k)
{
	const struct oci_meta *m = &t->m[k];

	return !m->dead && S_ISDIR(t->l.v[k].mode) && (m->killed_in == t->layer || m->opq_in == t->layer);
}

/* Calls fn for each proper parent of path ("a" and "a/b" of "a/b/c") that the tree has, then for path itself
 * when self; stops at fn's first non-zero answer. */
static int each_prefix(struct oci_tree *t, const char *path, int self, int (*fn)(struct oci_tree *t, long j,
		       void *ctx), void *ctx)
{
	char buf[TARDISK_PATH_MAX + 1];
	int rc = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = strchr(buf, '/'); s && !rc; s = strchr(s + 1, '/')) {
		long j;

		*s = '\0';
		j = entries_find(&t->l, buf);
		if (j >= 0)
			rc = fn(t, j, ctx);
		*s = '/';
	}
	if (!rc && self) {
		long j = entries_find(&t->l, path);

		if (j >= 0)
			rc = fn(t, j, ctx);
	}
	return rc;
}

/* A parent of something the layer shows: its attributes go with it (a removed one comes back opaque). */
static int mark_parent(struct oci_tree *t, long j, void *ctx)
{
	unsigned char *mark = ctx;

	if (mark[j] == SKIP)
		mark[j] = t->m[j].dead ? OPAQUE_DIR : COPY;
	return 0;
}

struct wh_walk {
	unsigned char *mark;
	size_t *wh;       /* the whiteouts found, as indexes */
	size_t nwh;
};

/* Down the path of a removed lower path: the first of its prefixes that hides it decides. */
static int find_cover(struct oci_tree *t, long j, void *ctx)
{
	struct wh_walk *w = ctx;
	const struct oci_meta *m = &t->m[j];

	if (w->mark[j] == OPAQUE_DIR)
		return 1;
	if (m->dead) {
		if (m->wh_in != t->layer) {
			t->m[j].wh_in = t->layer;
			w->wh[w->nwh++] = (size_t)j;
			each_prefix(t, t->l.v[j].path, 0, mark_parent, w->mark);
		}
		return 1;
	}
	return (m->layer == t->layer && !S_ISDIR(t->l.v[j].mode)) || opaque_here(t, (size_t)j);
}

/* A new entry at path: a whiteout, or (dir) an opaque directory with the attributes of an implicit one. */
static int add_node(struct tdk_list *l, const char *path, int dir, long long clamp, struct rh_err *err)
{
	struct tdk_ent e = { .path = strdup(path), .mode = dir ? S_IFDIR | 0755 : S_IFCHR,
			     .mtime = clamp >= 0 ? clamp : 0 };

	if (!e.path || (dir && oci_ent_make_opaque(&e))) {
		entries_ent_free(&e);
		return rh_errf(err, -ENOMEM, "out of memory");
	}
	return entries_add(l, &e, err);
}

/* What the layer just applied (t->layer) changed, as an overlayfs layer, into l (see the top of the file). */
static int layer_list(struct oci_tree *t, long long clamp, struct tdk_list *l, struct rh_err *err)
{
	size_t n = t->l.n, ncopy = 0, k;
	unsigned char *mark = calloc(n + 1, 1);
	size_t *order = calloc(n + 1, sizeof(*order));
	struct wh_walk w = { mark, calloc(n + 1, sizeof(size_t)), 0 };
	int rc = 0;

	if (!mark || !order || !w.wh) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", t->shown);
		goto out;
	}
	for (k = 0; k < n; k++)
		if (!t->m[k].dead && (t->m[k].layer == t->layer || opaque_here(t, k)))
			mark[k] = COPY;
	for (k = 0; k < n; k++)
		if (mark[k] == COPY && !t->m[k].dead)
			each_prefix(t, t->l.v[k].path, 0, mark_parent, mark);
	for (k = 0; k < n; k++)
		if (t->m[k].dead && t->m[k].before)
			each_prefix(t, t->l.v[k].path, 1, find_cover, &w);
	for (k = 0; k < n; k++)
		if (mark[k] == COPY)
			order[ncopy++] = k;
	rc = oci_tree_emit(t, order, ncopy, 0, opaque_here, l, err);
	for (k = 0; k < n && !rc; k++)
		if (mark[k] == OPAQUE_DIR)
			rc = add_node(l, t->l.v[k].path, 1, clamp, err);
	for (k = 0; k < w.nwh && !rc; k++)
		rc = add_node(l, t->l.v[w.wh[k]].path, 0, clamp, err);
	if (!rc)
		rc = entries_finish(l, err);
out:
	free(mark);
	free(order);
	free(w.wh);
	return rc;
}

/* The key of layer i (tardisk.h): the tag, the clamp, then the digests of layers 0..i. */
static void layer_key(const struct oci_image *img, size_t i, long long clamp, uint8_t key[SHA256_DIGEST_LEN])
{
	struct sha256_ctx h;
	char tag[256];
	int n = snprintf(tag, sizeof(tag), "%s %s mtime=%lld\n", TARDISK_LAYER_KEY_TAG, TARDISK_KEY_TAG, clamp);

	sha256_init(&h);
	sha256_update(&h, tag, (size_t)n);
	for (size_t j = 0; j <= i; j++) {
		sha256_update(&h, img->layers[j].digest, strlen(img->layers[j].digest));
		sha256_update(&h, "\n", 1);
	}
	sha256_final(&h, key);
}

/* The progress line of a layer's step (tardisk_create_opts.phase_cb). */
static void phase(const struct tardisk_create_opts *o, size_t i, size_t n, const char *what)
{
	char line[160];

	if (!o->progress || !o->phase_cb)
		return;
	snprintf(line, sizeof(line), "layer %zu of %zu: %s", i + 1, n, what);
	o->phase_cb(o->progress_ctx, line);
}

struct split {
	struct oci_image img;
	struct oci_tree t;
	struct tdk_spool sp;
	struct tdk_list *lists;    /* per layer; what == NULL: not wanted */
	char (*outs)[PATH_MAX];
	size_t upto;               /* the layers to apply: up to the last wanted one */
	long long clamp;
};

/* Asks the caller about each layer: which to write, and where. */
static int ask(struct split *s, const struct tardisk_layers_opts *lo, struct rh_err *err)
{
	size_t n = s->img.nlayers;

	s->lists = calloc(n + 1, sizeof(*s->lists));
	s->outs = calloc(n + 1, sizeof(*s->outs));
	if (!s->lists || !s->outs)
		return rh_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		uint8_t key[SHA256_DIGEST_LEN];
		int rc;

		layer_key(&s->img, i, s->clamp, key);
		rc = lo->layer(lo->ctx, (unsigned)i, (unsigned)n, key, s->outs[i], sizeof(s->outs[i]), err);
		if (rc < 0)
			return rc;
		if (rc == 0 && !s->outs[i][0])
			return rh_errf(err, -EINVAL, "%s: layer %zu: no output path", s->img.desc, i + 1);
		if (rc == 0) {
			entries_init(&s->lists[i], s->outs[i]);
			s->upto = i + 1;
		}
	}
	return 0;
}

/* Applies the layers up to the last wanted one, reading off each wanted one. */
static int read_layers(struct split *s, const struct tardisk_create_opts *o, struct rh_err *err)
{
	struct tdk_progress prog = { .o = o };
	char dir[PATH_MAX];
	size_t first = 0;
	int rc;

	while (!s->lists[first].what)
		first++;
	snprintf(dir, sizeof(dir), "%s", s->outs[first]);
	s->sp.dir = dirname(dir);
	s->sp.fd = tdk_open_spool(s->sp.dir, err);
	if (s->sp.fd < 0)
		return s->sp.fd;
	for (size_t i = 0; i < s->upto; i++) {
		phase(o, i, s->img.nlayers, "reading");
		rc = oci_tree_apply(&s->t, &s->img, i, &s->sp, &prog, err);
		if (!rc && s->lists[i].what)
			rc = layer_list(&s->t, s->clamp, &s->lists[i], err);
		if (rc)
			return rc;
	}
	tdk_progress_tick(&prog, 0, 0, 1);
	return 0;
}

/* Writes each wanted layer; on failure removes the ones written (tdk_write leaves nothing of the failed one). */
static int write_layers(struct split *s, const struct tardisk_create_opts *o, struct rh_err *err)
{
	size_t i, done;
	int rc = 0;

	for (i = 0; i < s->upto && !rc; i++) {
		struct tardisk_create_opts lo = *o;

		if (!s->lists[i].what)
			continue;
		phase(o, i, s->img.nlayers, "writing its image");
		lo.out = s->outs[i];
		rc = tdk_write(&lo, &s->lists[i], s->sp.fd, s->clamp, err);
		if (rc)
			break;
	}
	for (done = 0; rc && done < i; done++)
		if (s->lists[done].what)
			unlink(s->outs[done]);
	return rc;
}

int tardisk_create_layers(const struct tardisk_create_opts *o, const struct tardisk_layers_opts *lo,
			  struct rh_err *err)
{
	struct split s;
	const char *spec;
	uint64_t max = o->max_size ? o->max_size : TARDISK_MAX_SIZE_DEFAULT;
	int rc;

	memset(&s, 0, sizeof(s));
	s.sp.fd = -1;
	if (!o->src || !oci_source(o->src, &spec) || !lo || !lo->layer)
		return rh_errf(err, -EINVAL, "%s: one tardisk per layer needs an oci: source and a layer callback",
			       o->src ? o->src : "tardisk_create_layers");
	rc = tdk_resolve_mtime(o->mtime, &s.clamp, err);
	if (rc)
		return rc;
	if (o->progress && o->phase_cb)
		o->phase_cb(o->progress_ctx, "checking every blob against its digest");
	rc = oci_image_open(spec, o->oci_arch ? o->oci_arch : oci_machine_arch(), max, &s.img, err);
	if (rc)
		return rc;
	oci_tree_init(&s.t, &s.img, o->src, max);
	rc = ask(&s, lo, err);
	if (!rc && s.upto)
		rc = read_layers(&s, o, err);
	if (!rc && s.upto)
		rc = write_layers(&s, o, err);
	for (size_t i = 0; s.lists && i < s.img.nlayers; i++)
		entries_free(&s.lists[i]);
	free(s.lists);
	free(s.outs);
	if (s.sp.fd >= 0)
		close(s.sp.fd);
	oci_tree_free(&s.t);
	oci_image_close(&s.img);
	return rc;
}
