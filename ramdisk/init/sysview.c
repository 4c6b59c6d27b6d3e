/* sysview.c: the system view plan (see sysview.h). */
#include "sysview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const skipped[] = { "dev", "proc", "sys", "run", "tmp", "tardisks", "lost+found" };
static const char *const copied[] = { "etc", "var", "root", "home", "srv", "mnt", "media" };

static int in_list(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return 1;
	return 0;
}

/* The entry called name in layer l, or NULL. */
static const struct sysview_entry *find(const struct sysview_layer *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->nentries; i++)
		if (!strcmp(l->entries[i].name, name))
			return &l->entries[i];
	return NULL;
}

static int valid_entry(const struct sysview_entry *e)
{
	size_t len = strnlen(e->name, SYSVIEW_MAX_NAME);

	if (!len || len == SYSVIEW_MAX_NAME || strchr(e->name, '/') || !strcmp(e->name, ".") || !strcmp(e->name, ".."))
		return 0;
	if (e->kind == SYSVIEW_ENTRY_SYMLINK &&
		    (!e->target[0] || strnlen(e->target, SYSVIEW_MAX_NAME) == SYSVIEW_MAX_NAME))
		return 0;
	return e->kind == SYSVIEW_ENTRY_DIR || e->kind == SYSVIEW_ENTRY_SYMLINK || e->kind == SYSVIEW_ENTRY_OTHER ||
	       e->kind == SYSVIEW_ENTRY_WHITEOUT;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct sysview_action *)a)->name, ((const struct sysview_action *)b)->name);
}

/* Fills the action for name, whose topmost layer is top; 0 when the name is not in the view (a whiteout). */
static int plan_one(const struct sysview_layer *layers, int top, const char *name, struct sysview_action *a)
{
	const struct sysview_entry *e = find(&layers[top], name);
	int i;

	memset(a, 0, sizeof(*a));
	strcpy(a->name, name);
	if (e->kind == SYSVIEW_ENTRY_WHITEOUT)
		return 0;
	if (e->kind == SYSVIEW_ENTRY_SYMLINK) {
		a->kind = SYSVIEW_SYMLINK;
		strcpy(a->target, e->target);
		a->layers = 1ull << top;
		return 1;
	}
	if (e->kind == SYSVIEW_ENTRY_OTHER) {
		a->kind = SYSVIEW_COPY;
		a->layers = 1ull << top;
		return 1;
	}
	a->kind = in_list(name, copied, sizeof(copied) / sizeof(copied[0])) ? SYSVIEW_COPY : SYSVIEW_OVERLAY;
	for (i = top; i >= 0; i--) {
		const struct sysview_entry *l = find(&layers[i], name);
		if (!l)
			continue;
		if (l->kind != SYSVIEW_ENTRY_DIR)
			break; /* a file, symlink or whiteout here hides the layers below */
		a->layers |= 1ull << i;
		if (l->opaque)
			break;
	}
	return 1;
}

int sysview_plan(const struct sysview_layer *layers, unsigned nlayers, struct sysview_action *ret, size_t cap,
		 size_t *ret_n, struct rh_err *err)
{
	size_t n = 0, i;
	int l, k;

	if (nlayers > SYSVIEW_MAX_LAYERS)
		return rh_errf(err, -E2BIG, "view: %u layers, at most %d", nlayers, SYSVIEW_MAX_LAYERS);
	for (l = 0; l < (int)nlayers; l++)
		for (i = 0; i < layers[l].nentries; i++)
			if (!valid_entry(&layers[l].entries[i]))
				return rh_errf(err, -EINVAL, "view: layer %d: invalid top-level entry '%.*s'", l, 64,
					       layers[l].entries[i].name);
	/* topmost layer first, so the first sighting of a name is the one that decides */
	for (l = (int)nlayers - 1; l >= 0; l--) {
		for (i = 0; i < layers[l].nentries; i++) {
			const char *name = layers[l].entries[i].name;
			int dup = 0;

			if (in_list(name, skipped, sizeof(skipped) / sizeof(skipped[0])))
				continue;
			for (k = 0; k < (int)n && !dup; k++)
				dup = !strcmp(ret[k].name, name);
			if (dup)
				continue;
			if (n == cap)
				return rh_errf(err, -E2BIG, "view: more than %zu top-level names", cap);
			if (!plan_one(layers, l, name, &ret[n]))
				ret[n].kind = -1;   /* a whiteout: not in the view */
			n++;
		}
	}
	for (i = 0, k = 0; i < n; i++)   /* the whiteouts, which were kept only to hide the layers below */
		if (ret[i].kind >= 0)
			ret[k++] = ret[i];
	n = (size_t)k;
	qsort(ret, n, sizeof(*ret), by_name);
	*ret_n = n;
	return 0;
}

int sysview_layer_index(uint64_t mask, int want_lowest)
{
	int i;

	if (!mask)
		return -1;
	if (want_lowest) {
		for (i = 0; i < 64; i++)
			if (mask & (1ull << i))
				return i;
	}
	for (i = 63; i >= 0; i--)
		if (mask & (1ull << i))
			return i;
	return -1;
}
