/* wset.c: a write set (see wset.h): sorted, non-overlapping extents where later bytes win, the files they come
 * from, and firmware variables. */
#include "wset.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void wset_init(struct wset *w)
{
	memset(w, 0, sizeof(*w));
}

void wset_free(struct wset *w)
{
	for (size_t i = 0; i < w->next; i++)
		free(w->ext[i].data);
	for (size_t i = 0; i < w->nvar; i++)
		free(w->var[i].data);
	free(w->ext);
	free(w->file);
	free(w->var);
	wset_init(w);
}

/* Grows an array of elem-sized items to hold need of them. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

/* The piece [off, off+len) of extent e as a new extent with its own copy of the bytes. */
static int piece(const struct wset_ext *e, uint64_t off, uint64_t len, struct wset_ext *ret)
{
	*ret = *e;
	ret->off = off;
	ret->len = len;
	ret->data = malloc(len);
	if (!ret->data)
		return -ENOMEM;
	memcpy(ret->data, e->data + (off - e->off), len);
	return 0;
}

/* Joins extent i with i+1 when they touch and have the same why (a failed realloc only leaves them apart). */
static void coalesce(struct wset *w)
{
	size_t i = 0;

	while (i + 1 < w->next) {
		struct wset_ext *a = &w->ext[i], *b = &w->ext[i + 1];
		uint8_t *p;

		if (a->off + a->len != b->off || strcmp(a->why, b->why) ||
		    !(p = realloc(a->data, a->len + b->len))) {
			i++;
			continue;
		}
		memcpy(p + a->len, b->data, b->len);
		a->data = p;
		a->len += b->len;
		free(b->data);
		memmove(b, b + 1, (w->next - i - 2) * sizeof(*b));
		w->next--;
	}
}

/* Builds the new extent list into out (cap w->next + 2): the old extents outside [add->off, end), the parts of
 * overlapped ones that stick out (fresh copies, flagged in fresh[]), and add in order. */
static int splice(const struct wset *w, const struct wset_ext *add, struct wset_ext *out, int *fresh,
		  size_t *ret_n)
{
	uint64_t end = add->off + add->len;
	size_t n = 0;
	int placed = 0, rc = 0;

	for (size_t i = 0; i < w->next && !rc; i++) {
		const struct wset_ext *e = &w->ext[i];
		uint64_t e_end = e->off + e->len;

		if (e_end <= add->off) {
			out[n++] = *e;
			continue;
		}
		if (e->off < add->off && !(rc = piece(e, e->off, add->off - e->off, &out[n])))
			fresh[n++] = 1;
		if (!placed && e->off < end) {
			out[n++] = *add;
			placed = 1;
		}
		if (e->off >= end) {
			if (!placed) {
				out[n++] = *add;
				placed = 1;
			}
			out[n++] = *e;
		} else if (!rc && e_end > end && !(rc = piece(e, end, e_end - end, &out[n]))) {
			fresh[n++] = 1;
		}
	}
	if (!placed)
		out[n++] = *add;
	*ret_n = n;
	return rc;
}

int wset_add(struct wset *w, uint64_t off, const void *data, size_t len, const char *why, struct rh_err *err)
{
	struct wset_ext add, *out = NULL;
	int *fresh = NULL, rc = 0;
	size_t n = 0, cap = w->next + 2;

	if (!len)
		return 0;
	if (off + len < off)
		return rh_errf(err, -EINVAL, "write set: extent at byte %" PRIu64 " of %zu bytes overflows", off, len);
	memset(&add, 0, sizeof(add));
	add.off = off;
	add.len = len;
	snprintf(add.why, sizeof(add.why), "%s", why);
	add.data = malloc(len);
	out = calloc(cap, sizeof(*out));
	fresh = calloc(cap, sizeof(*fresh));
	if (!add.data || !out || !fresh) {
		rc = rh_errf(err, -ENOMEM, "write set: out of memory for %zu bytes", len);
		goto out;
	}
	memcpy(add.data, data, len);
	rc = splice(w, &add, out, fresh, &n);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			if (fresh[i])
				free(out[i].data);
		rc = rh_errf(err, rc, "write set: out of memory");
		goto out;
	}
	/* the old extents that add covered (wholly or in part) are not in out: free their bytes */
	for (size_t i = 0; i < w->next; i++) {
		const struct wset_ext *e = &w->ext[i];
		if (e->off < off + len && e->off + e->len > off)
			free(e->data);
	}
	free(w->ext);
	w->ext = out;
	w->next = n;
	w->ext_cap = cap;
	out = NULL;
	add.data = NULL;
	coalesce(w);
out:
	free(add.data);
	free(out);
	free(fresh);
	return rc;
}

int wset_add_file(struct wset *w, const char *part, const char *path, const char *action, uint64_t size,
		  const char *detail, struct rh_err *err)
{
	struct wset_file *f;

	if (grow((void **)&w->file, &w->file_cap, w->nfile + 1, sizeof(*w->file)) < 0)
		return rh_errf(err, -ENOMEM, "write set: out of memory");
	f = &w->file[w->nfile++];
	memset(f, 0, sizeof(*f));
	snprintf(f->part, sizeof(f->part), "%s", part);
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->action, sizeof(f->action), "%s", action);
	f->size = size;
	snprintf(f->detail, sizeof(f->detail), "%s", detail ? detail : "");
	return 0;
}

int wset_add_var(struct wset *w, const char *name, const char *guid, uint32_t attrs, const void *data, size_t len,
		 const char *why, struct rh_err *err)
{
	struct wset_var *v = NULL;
	uint8_t *copy = NULL;

	if (data) {
		copy = malloc(len ? len : 1);
		if (!copy)
			return rh_errf(err, -ENOMEM, "write set: out of memory");
		memcpy(copy, data, len);
	}
	for (size_t i = 0; i < w->nvar && !v; i++)
		if (!strcmp(w->var[i].name, name) && !strcasecmp(w->var[i].guid, guid))
			v = &w->var[i];
	if (!v) {
		if (grow((void **)&w->var, &w->var_cap, w->nvar + 1, sizeof(*w->var)) < 0) {
			free(copy);
			return rh_errf(err, -ENOMEM, "write set: out of memory");
		}
		v = &w->var[w->nvar++];
		memset(v, 0, sizeof(*v));
	}
	free(v->data);
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->guid, sizeof(v->guid), "%s", guid);
	v->attrs = attrs;
	v->data = copy;
	v->len = data ? len : 0;
	v->del = !data;
	snprintf(v->why, sizeof(v->why), "%s", why);
	return 0;
}

int wset_merge(struct wset *dst, const struct wset *src, struct rh_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < src->next && !rc; i++)
		rc = wset_add(dst, src->ext[i].off, src->ext[i].data, src->ext[i].len, src->ext[i].why, err);
	for (size_t i = 0; i < src->nfile && !rc; i++) {
		const struct wset_file *f = &src->file[i];
		rc = wset_add_file(dst, f->part, f->path, f->action, f->size, f->detail, err);
	}
	for (size_t i = 0; i < src->nvar && !rc; i++) {
		const struct wset_var *v = &src->var[i];
		rc = wset_add_var(dst, v->name, v->guid, v->attrs, v->del ? NULL : v->data, v->len, v->why, err);
	}
	return rc;
}

uint64_t wset_bytes(const struct wset *w)
{
	uint64_t n = 0;

	for (size_t i = 0; i < w->next; i++)
		n += w->ext[i].len;
	return n;
}

int wset_empty(const struct wset *w)
{
	return w->next == 0 && w->nvar == 0;
}
