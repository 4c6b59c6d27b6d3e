/* entries.c: see entries.h. */
#include "entries.h"
#include "ovl.h"
#include "path_check.h"
#include "utf8.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void entries_init(struct tdk_list *l, const char *what)
{
	memset(l, 0, sizeof(*l));
	l->what = what;
}

void entries_ent_free(struct tdk_ent *e)
{
	size_t i;

	free(e->path);
	free(e->link);
	free(e->src_path);
	for (i = 0; i < e->n_xattrs; i++) {
		free(e->xattrs[i].key);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	memset(e, 0, sizeof(*e));
}

static char *dup_or_null(const char *s, int *fail)
{
	char *d = s ? strdup(s) : NULL;

	*fail |= s && !d;
	return d;
}

int entries_ent_dup(struct tdk_ent *dst, const struct tdk_ent *src)
{
	int fail = 0;

	*dst = *src;
	dst->path = dup_or_null(src->path, &fail);
	dst->link = dup_or_null(src->link, &fail);
	dst->src_path = dup_or_null(src->src_path, &fail);
	dst->xattrs = NULL;
	dst->n_xattrs = 0;
	if (src->n_xattrs && !(dst->xattrs = calloc(src->n_xattrs, sizeof(*dst->xattrs))))
		fail = 1;
	for (size_t k = 0; !fail && k < src->n_xattrs; k++, dst->n_xattrs++) {
		struct tdk_xattr *x = &dst->xattrs[k];

		x->key = dup_or_null(src->xattrs[k].key, &fail);
		x->value = malloc(src->xattrs[k].len + 1);
		fail |= !x->value;
		if (x->value)
			memcpy(x->value, src->xattrs[k].value, src->xattrs[k].len);
		x->len = src->xattrs[k].len;
	}
	if (fail) {
		entries_ent_free(dst);
		return -ENOMEM;
	}
	return 0;
}

void entries_free(struct tdk_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		entries_ent_free(&l->v[i]);
	free(l->v);
	free(l->slots);
	l->v = NULL;
	l->slots = NULL;
	l->n = l->cap = l->n_slots = 0;
}

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

long entries_find(const struct tdk_list *l, const char *path)
{
	size_t i;

	if (!l->n_slots)
		return -1;
	for (i = hash_str(path) & (l->n_slots - 1); l->slots[i]; i = (i + 1) & (l->n_slots - 1))
		if (!strcmp(l->v[l->slots[i] - 1].path, path))
			return (long)(l->slots[i] - 1);
	return -1;
}

static void slot_put(size_t *slots, size_t n_slots, const char *path, size_t idx)
{
	size_t i;

	for (i = hash_str(path) & (n_slots - 1); slots[i]; i = (i + 1) & (n_slots - 1))
		;
	slots[i] = idx + 1;
}

/* Keeps the hash at most half full, so that probing stays short. */
static int grow(struct tdk_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct tdk_ent *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if ((l->n + 1) * 2 > l->n_slots) {
		size_t n = l->n_slots ? l->n_slots * 2 : 512, i;
		size_t *s = calloc(n, sizeof(*s));
		if (!s)
			return -ENOMEM;
		for (i = 0; i < l->n; i++)
			slot_put(s, n, l->v[i].path, i);
		free(l->slots);
		l->slots = s;
		l->n_slots = n;
	}
	return 0;
}

int entries_size_check(const struct tdk_list *l, const char *name, uint64_t add, struct rh_err *err)
{
	char sp[160];

	if (!l->max_bytes || (add <= l->max_bytes && l->bytes <= l->max_bytes - add))
		return 0;
	return rh_errf(err, -EFBIG, "%s: entry '%s': %llu bytes would take the content to %llu bytes, over the "
		       "limit of %llu (--max-size)", l->what, tdk_path_shorten(name, sp, sizeof(sp)),
		       (unsigned long long)add, (unsigned long long)(l->bytes + add),
		       (unsigned long long)l->max_bytes);
}

/* Whether s is UTF-8 throughout. */
static int is_utf8(const char *s)
{
	size_t len = strlen(s), i = 0, n;
	uint32_t cp;

	for (; i < len; i += n) {
		n = utf8_len((const unsigned char *)s + i, len - i, &cp);
		if (!n)
			return 0;
	}
	return 1;
}

int entries_add(struct tdk_list *l, struct tdk_ent *e, struct rh_err *err)
{
	char sp[160], sl[160];
	long t;
	int rc;

	/* Names and symlink targets are UTF-8, pax's character set (a Latin-1 tar is refused, not carried over as
	 * bytes). libarchive's tar writer enforced this until tar_emit.c wrote its own headers; now it is this
	 * list's rule, the same for every source. */
	if (!is_utf8(e->path) || (!e->hardlink && S_ISLNK(e->mode) && e->link && !is_utf8(e->link))) {
		rc = rh_errf(err, -EILSEQ, "%s: entry '%s': the %s is not UTF-8", l->what,
			     tdk_path_shorten(e->path, sp, sizeof(sp)), is_utf8(e->path) ? "symlink target" : "name");
		goto fail;
	}
	if (entries_find(l, e->path) >= 0) {
		rc = rh_errf(err, -EEXIST, "%s: entry '%s': duplicate entry (the path appears twice)", l->what,
			     tdk_path_shorten(e->path, sp, sizeof(sp)));
		goto fail;
	}
	if (e->hardlink) {
		t = entries_find(l, e->link);
		if (t < 0) {
			rc = rh_errf(err, -ENOENT, "%s: entry '%s': hardlink target '%s' is not an earlier entry",
				     l->what, tdk_path_shorten(e->path, sp, sizeof(sp)),
				     tdk_path_shorten(e->link, sl, sizeof(sl)));
			goto fail;
		}
		if (l->v[t].hardlink)
			t = (long)l->v[t].target;
		if (!l->v[t].hardlink && S_ISDIR(l->v[t].mode)) {
			rc = rh_errf(err, -EISDIR, "%s: entry '%s': hardlink target '%s' is a directory", l->what,
				     tdk_path_shorten(e->path, sp, sizeof(sp)),
				     tdk_path_shorten(e->link, sl, sizeof(sl)));
			goto fail;
		}
		if (e->link_data) {
			/* newc cpio puts a hardlinked file's data on the group's last member, after empty ones. */
			if (!S_ISREG(l->v[t].mode)) {
				rc = rh_errf(err, -EINVAL, "%s: entry '%s': hardlink with data to '%s', which is not a "
					     "regular file", l->what, tdk_path_shorten(e->path, sp, sizeof(sp)),
					     tdk_path_shorten(e->link, sl, sizeof(sl)));
				goto fail;
			}
			rc = entries_size_check(l, e->path, e->size > l->v[t].size ? e->size - l->v[t].size : 0,
						err);
			if (rc)
				goto fail;
			l->bytes += e->size - l->v[t].size;
			l->v[t].size = e->size;
			l->v[t].spool_off = e->spool_off;
		}
		e->target = (size_t)t;
	} else if (S_ISREG(e->mode)) {
		rc = entries_size_check(l, e->path, e->size, err);
		if (rc)
			goto fail;
		l->bytes += e->size;
	}
	rc = grow(l);
	if (rc) {
		rc = rh_errf(err, rc, "%s: out of memory at entry '%s'", l->what, e->path);
		goto fail;
	}
	e->rep = l->n;
	l->v[l->n] = *e;
	slot_put(l->slots, l->n_slots, e->path, l->n);
	l->n++;
	memset(e, 0, sizeof(*e));
	return 0;
fail:
	entries_ent_free(e);
	return rc;
}

/* No entry may sit below a symlink (it would be written through the link when unpacked: `link -> /etc`
 * then `link/passwd`) or below any other non-directory. */
static int check_parents(struct tdk_list *l, struct rh_err *err)
{
	char buf[4096 + 1], sp[160], sb[160];
	size_t i;

	for (i = 0; i < l->n; i++) {
		char *slash;

		if (strlen(l->v[i].path) >= sizeof(buf))
			return rh_errf(err, -ENAMETOOLONG, "%s: entry '%s': path too long", l->what, l->v[i].path);
		strcpy(buf, l->v[i].path);
		for (slash = strchr(buf, '/'); slash; slash = strchr(slash + 1, '/')) {
			const struct tdk_ent *p;
			long j;

			*slash = '\0';
			j = entries_find(l, buf);
			*slash = '/';
			if (j < 0)
				continue;
			p = &l->v[j];
			if (p->hardlink)
				p = &l->v[p->target];
			if (S_ISDIR(p->mode))
				continue;
			*slash = '\0';
			if (S_ISLNK(p->mode))
				return rh_errf(err, -ELOOP, "%s: entry '%s': goes through the symlink '%s' (-> %s)",
					       l->what, tdk_path_shorten(l->v[i].path, sp, sizeof(sp)),
					       tdk_path_shorten(buf, sb, sizeof(sb)), p->link);
			return rh_errf(err, -ENOTDIR, "%s: entry '%s': its parent '%s' is not a directory", l->what,
				       tdk_path_shorten(l->v[i].path, sp, sizeof(sp)),
				       tdk_path_shorten(buf, sb, sizeof(sb)));
		}
	}
	return 0;
}

static int cmp_idx(const void *a, const void *b, void *arg)
{
	const struct tdk_ent *v = arg;

	return strcmp(v[*(const size_t *)a].path, v[*(const size_t *)b].path);
}

int entries_finish(struct tdk_list *l, struct rh_err *err)
{
	size_t *perm = NULL, *inv = NULL, i;
	struct tdk_ent *v = NULL;
	int rc;

	rc = check_parents(l, err);
	if (rc)
		return rc;
	/* Each hardlink group's data goes with its smallest path, whatever order the source had. */
	for (i = 0; i < l->n; i++) {
		struct tdk_ent *e = &l->v[i];
		if (e->hardlink && strcmp(e->path, l->v[l->v[e->target].rep].path) < 0)
			l->v[e->target].rep = i;
	}
	perm = malloc(l->n * sizeof(*perm) + 1);
	inv = malloc(l->n * sizeof(*inv) + 1);
	v = malloc(l->n * sizeof(*v) + 1);
	if (!perm || !inv || !v) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory sorting %zu entries", l->what, l->n);
		goto out;
	}
	for (i = 0; i < l->n; i++)
		perm[i] = i;
	qsort_r(perm, l->n, sizeof(*perm), cmp_idx, l->v);
	for (i = 0; i < l->n; i++)
		inv[perm[i]] = i;
	for (i = 0; i < l->n; i++) {
		v[i] = l->v[perm[i]];
		if (v[i].hardlink)
			v[i].target = inv[v[i].target];
		else
			v[i].rep = inv[v[i].rep];
	}
	free(l->v);
	l->v = v;
	l->cap = l->n;
	v = NULL;
	if (l->slots)
		memset(l->slots, 0, l->n_slots * sizeof(*l->slots));
	for (i = 0; i < l->n; i++)
		slot_put(l->slots, l->n_slots, l->v[i].path, i);
out:
	free(perm);
	free(inv);
	free(v);
	return rc;
}

int entries_xattr_take(const char *what, const char *entry, const char *key, struct rh_err *err)
{
	char se[160];

	if (ovl_is_overlay_xattr(key))
		return rh_errf(err, -EPERM, "%s: entry '%s': xattr '%.64s' is overlayfs's own metadata, which a tardisk "
			       "must not bring (it would change what the layers below show)", what,
			       tdk_path_shorten(entry, se, sizeof(se)), key);
	return !strncmp(key, "user.", 5) || !strncmp(key, "trusted.", 8) || !strncmp(key, "security.", 9);
}

size_t entries_largest_dir(const struct tdk_list *l, const char **ret_path)
{
	size_t *count = calloc(l->n + 1, sizeof(*count)), best = l->n, i; /* slot l->n: the root */
	char buf[4096 + 1];

	*ret_path = "";
	if (!count)
		return 0;
	for (i = 0; i < l->n; i++) {
		const char *slash = strrchr(l->v[i].path, '/');
		long j = -1;

		if (slash && (size_t)(slash - l->v[i].path) < sizeof(buf)) {
			memcpy(buf, l->v[i].path, (size_t)(slash - l->v[i].path));
			buf[slash - l->v[i].path] = '\0';
			j = entries_find(l, buf);
		}
		count[j < 0 ? l->n : (size_t)j]++; /* an implicit parent counts with the root: close enough */
	}
	for (i = 0; i < l->n; i++)
		if (count[i] > count[best])
			best = i;
	i = count[best];
	if (best < l->n)
		*ret_path = l->v[best].path;
	free(count);
	return i;
}
