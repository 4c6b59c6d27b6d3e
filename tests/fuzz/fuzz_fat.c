/* fuzz_fat.c: the FAT reader on any bytes as the start of a volume. The window is the input, or as much as its
 * boot sector says (at most 64 MiB) with zeros past the input, so that a small seed of a FAT16 or FAT32 volume
 * reaches its directories. Whatever opens is walked: every directory to depth 3, every file read, free space and
 * health. What the reader says must hold: the layout inside the window, names non-empty without '/', file
 * content no longer than the size and delivered in blocks of at most one cluster; errors are the documented
 * ones. A loop anywhere must end (libFuzzer's timeout catches a hang). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WINDOW_MAX (64u << 20)

struct dev {
	const uint8_t *p;
	size_t n;
};

static int dev_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	const struct dev *d = ctx;
	uint64_t have = off < d->n ? d->n - off : 0;

	if (have > len)
		have = len;
	if (have)
		memcpy(buf, d->p + off, (size_t)have);
	memset((uint8_t *)buf + have, 0, len - (size_t)have);
	return 0;
}

struct reader {
	uint32_t cluster;
	uint64_t bytes;
};

static int read_fn(void *fctx, const void *buf, size_t len)
{
	struct reader *r = fctx;

	(void)buf;
	if (!len || len > r->cluster)
		abort();
	r->bytes += len;
	return 0;
}

static int known_error(int rc)
{
	return rc == -EIO || rc == -EINVAL || rc == -ENOENT || rc == -ENOTDIR || rc == -EISDIR || rc == -ELOOP ||
	       rc == -ENAMETOOLONG;
}

struct walk {
	struct fat_volume *v;
	char path[1024];
	int depth;
	unsigned entries;
};

static int visit(void *fctx, const struct fat_dirent *e);

static void walk_dir(struct walk *w)
{
	int rc = fat_list(w->v, w->path, visit, w);

	if (rc && rc != 1 && !known_error(rc))
		abort();
}

static int visit(void *fctx, const struct fat_dirent *e)
{
	struct walk *w = fctx;
	struct fat_dirent again;
	size_t len = strlen(w->path), nlen = strnlen(e->name, sizeof(e->name));

	if (!nlen || nlen == sizeof(e->name) || strchr(e->name, '/'))
		abort();
	if (++w->entries > 256)
		return 1;
	if (len + 1 + nlen >= sizeof(w->path))
		return 0;
	snprintf(w->path + len, sizeof(w->path) - len, "%s%s", len > 1 ? "/" : "", e->name);
	if (e->is_dir && w->depth < 3) {
		w->depth++;
		walk_dir(w);
		w->depth--;
	} else if (!e->is_dir) {
		struct reader r = { w->v->bpb.cluster_bytes, 0 };
		int rc = fat_read(w->v, e, read_fn, &r);

		if ((rc && !known_error(rc)) || r.bytes > e->size || (!rc && r.bytes != e->size))
			abort();
		rc = fat_lookup(w->v, w->path, &again);
		if (rc && !known_error(rc))
			abort();
	}
	w->path[len] = '\0';
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct walk w;
	struct dev d = { data, size };
	struct fat_volume v;
	struct fat_bpb b;
	uint64_t window = size, fb;
	int dirty, differ, backup;
	char why[128];

	if (fat_bpb_parse(data, size, &b, why, sizeof(why)) == 0) {
		uint64_t total = (uint64_t)b.total_sectors * b.bytes_per_sector;
		if (total > window && total <= WINDOW_MAX)
			window = total;
	} else if (size >= 512 && !why[0]) {
		abort();
	}
	if (fat_open(&v, dev_read, &d, window) != 0)
		return 0;
	b = v.bpb;
	if ((b.bits != 12 && b.bits != 16 && b.bits != 32) || b.data_offset + (uint64_t)b.clusters * b.cluster_bytes >
	    window || b.fat_offset + (uint64_t)b.nfats * b.fat_sectors * b.bytes_per_sector > b.data_offset ||
	    strlen(b.label) > 11)
		abort();
	memset(&w, 0, sizeof(w));
	w.v = &v;
	strcpy(w.path, "/");
	walk_dir(&w);
	if (fat_free_bytes(&v, &fb) == 0 && fb > (uint64_t)b.clusters * b.cluster_bytes)
		abort();
	if (fat_health(&v, &dirty, &differ, &backup) == 0 && (backup < -1 || backup > 1))
		abort();
	return 0;
}
