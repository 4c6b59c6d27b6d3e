/* fat_dir.c: FAT directories: 8.3 entries, long names, path lookup (see fat.h).
 *
 * A directory is the fixed root region (FAT12/16) or a cluster chain, checked by fat_chain_check before it is
 * read, and read 512 bytes at a time until its end or the first entry whose name starts with 0. Long names
 * (fatgen103, "FAT Long Directory Entries") are taken only when complete: the entries come last-first, ordinals
 * N|0x40, N-1 .. 1 without a gap, the same checksum in each, equal to the checksum of the 8.3 entry that follows;
 * anything else (an orphan, a gap, a wrong checksum, invalid UTF-16, a '/' or a control character, a name too
 * long for 255 bytes of UTF-8) drops the long name and the 8.3 name is used, as Windows and Linux do. Path
 * components match either name, ASCII letters compared without case. */
#include "fat.h"
#include "fat_int.h"
#include "utf16.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LFN_MAX_ENTRIES 20u
#define ATTR_VOLUME 0x08u
#define ATTR_DIR 0x10u
#define ATTR_LFN 0x0Fu

/* A directory: the fixed FAT12/16 root, or a chain. */
struct dirref {
	int fixed_root;
	uint32_t cluster;
};

/* A long name being assembled. */
struct lfn {
	uint8_t units[LFN_MAX_ENTRIES * 26];
	unsigned expect;   /* ordinal of the next entry expected; 0 when complete (or none) */
	unsigned count;    /* entries of this name */
	uint8_t sum;
	int active;
};

/* One walk: what each visible entry is passed to. fn returns non-zero to stop; that value is returned. */
struct walk {
	int (*fn)(void *ctx, const struct fat_dirent *e, const char *short_name);
	void *ctx;
	struct lfn lfn;
	int stopped;
};

static uint8_t short_checksum(const uint8_t *raw)
{
	uint8_t s = 0;
	int i;

	for (i = 0; i < 11; i++)
		s = (uint8_t)(((s & 1) << 7) + (s >> 1) + raw[i]);
	return s;
}

static char short_char(uint8_t c, int lower)
{
	if (c < 0x20 || c >= 0x7F || c == '/' || c == '\\')
		return '_';
	if (lower && c >= 'A' && c <= 'Z')
		return (char)(c + 32);
	return (char)c;
}

/* "NAME.EXT" from the 11 bytes, honouring the NT lower-case flags (byte 12: 0x08 name, 0x10 extension);
 * -1 for an empty name. */
static int short_name(const uint8_t *raw, char out[13])
{
	int i, n = 0, base = 8, ext = 3;

	while (base > 0 && raw[base - 1] == ' ')
		base--;
	while (ext > 0 && raw[8 + ext - 1] == ' ')
		ext--;
	if (!base)
		return -1;
	for (i = 0; i < base; i++)
		out[n++] = short_char(i == 0 && raw[0] == 0x05 ? 0xE5 : raw[i], raw[12] & 0x08);
	if (ext)
		out[n++] = '.';
	for (i = 0; i < ext; i++)
		out[n++] = short_char(raw[8 + i], raw[12] & 0x10);
	out[n] = '\0';
	return 0;
}

/* Takes one long-name entry into l (see the top of the file for what breaks a name). */
static void lfn_take(struct lfn *l, const uint8_t *raw)
{
	unsigned ord = raw[0] & 0x1Fu, at;

	if (raw[12] != 0 || raw[26] || raw[27] || !ord || ord > LFN_MAX_ENTRIES) {
		l->active = 0;
		return;
	}
	if (raw[0] & 0x40) {
		l->active = 1;
		l->count = ord;
		l->sum = raw[13];
		memset(l->units, 0, sizeof(l->units));
	} else if (!l->active || ord != l->expect || raw[13] != l->sum) {
		l->active = 0;
		return;
	}
	at = (ord - 1) * 26;
	memcpy(l->units + at, raw + 1, 10);
	memcpy(l->units + at + 10, raw + 14, 12);
	memcpy(l->units + at + 22, raw + 28, 4);
	l->expect = ord - 1;
}

/* The long name as UTF-8 into out, or -1 when there is none fit to use for the 8.3 entry raw. */
static int lfn_name(const struct lfn *l, const uint8_t *raw, char *out, size_t cap)
{
	size_t pos = 0, i;

	if (!l->active || l->expect || l->sum != short_checksum(raw))
		return -1;
	if (utf16le_append(l->units, l->count * 13, out, cap, &pos) || !pos)
		return -1;
	for (i = 0; i < pos; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7F || out[i] == '/' || out[i] == '\\')
			return -1;
	return strcmp(out, ".") && strcmp(out, "..") ? 0 : -1;
}

/* One 32-byte entry. Returns 1 at the end of the directory, the callback's non-zero value, or 0. */
static int take_entry(struct fat_volume *v, struct walk *w, const uint8_t *raw)
{
	struct fat_dirent e;
	char sn[13];
	int rc;

	if (raw[0] == 0)
		return 1;
	if (raw[0] == 0xE5) {
		w->lfn.active = 0;
		return 0;
	}
	if ((raw[11] & 0x3F) == ATTR_LFN) {
		lfn_take(&w->lfn, raw);
		return 0;
	}
	if ((raw[11] & ATTR_VOLUME) || raw[0] == '.' || short_name(raw, sn)) {
		w->lfn.active = 0;
		return 0;
	}
	memset(&e, 0, sizeof(e));
	if (lfn_name(&w->lfn, raw, e.name, sizeof(e.name)))
		memcpy(e.name, sn, sizeof(sn));
	w->lfn.active = 0;
	e.attr = raw[11];
	e.is_dir = (raw[11] & ATTR_DIR) != 0;
	e.first_cluster = (uint32_t)(raw[26] | raw[27] << 8);
	if (v->bpb.bits == 32)
		e.first_cluster |= (uint32_t)(raw[20] | raw[21] << 8) << 16;
	e.size = e.is_dir ? 0 : (uint32_t)raw[28] | (uint32_t)raw[29] << 8 | (uint32_t)raw[30] << 16 |
				     (uint32_t)raw[31] << 24;
	rc = w->fn(w->ctx, &e, sn);
	if (rc)
		w->stopped = 1;
	return rc;
}

/* The entries of len bytes of directory at byte offset off, 512 at a time. */
static int take_region(struct fat_volume *v, struct walk *w, uint64_t off, uint64_t len)
{
	uint8_t buf[512];
	uint32_t i, n;
	int rc;

	while (len) {
		n = len < sizeof(buf) ? (uint32_t)len : (uint32_t)sizeof(buf);
		rc = fat_vread(v, off, buf, n);
		if (rc)
			return rc;
		for (i = 0; i + 32 <= n; i += 32) {
			rc = take_entry(v, w, buf + i);
			if (rc)
				return rc;
		}
		off += n;
		len -= n;
	}
	return 0;
}

/* Walks directory d. Returns 0 (the whole directory seen), the callback's value, or a negative errno after
 * the entries before the damage were seen. */
static int dir_walk(struct fat_volume *v, struct dirref d, struct walk *w)
{
	const struct fat_bpb *b = &v->bpb;
	struct fat_cache c = { 0 };
	uint32_t good, i, cl = d.cluster;
	int rc_chain, rc = 0;

	w->stopped = 0;
	memset(&w->lfn, 0, sizeof(w->lfn));
	if (d.fixed_root) {
		rc = take_region(v, w, b->root_offset, (uint64_t)b->root_entries * 32);
		return rc == 1 && !w->stopped ? 0 : rc;
	}
	rc_chain = fat_chain_check(v, &c, cl, b->clusters + 1, &good);
	for (i = 0; i < good && !rc; i++) {
		if (i && fat_next(v, &c, cl, &cl))
			return -EINVAL;
		rc = take_region(v, w, b->data_offset + (uint64_t)(cl - 2) * b->cluster_bytes, b->cluster_bytes);
	}
	if (rc == 1 && !w->stopped)
		return 0;
	return rc ? rc : rc_chain;
}

/* ASCII case-insensitive equality of a and b[0..blen). */
static int name_eq(const char *a, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < blen; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (!x || x != y)
			return 0;
	}
	return a[blen] == '\0';
}

struct find {
	const char *comp;
	size_t len;
	struct fat_dirent *ret;
};

static int find_fn(void *ctx, const struct fat_dirent *e, const char *short_name)
{
	struct find *f = ctx;

	if (!name_eq(e->name, f->comp, f->len) && !name_eq(short_name, f->comp, f->len))
		return 0;
	*f->ret = *e;
	return 1;
}

/* The directory that entry e (a directory) stands for; -EINVAL when it has no valid cluster. */
static int dir_of(struct fat_volume *v, const struct fat_dirent *e, int is_root, struct dirref *ret)
{
	ret->fixed_root = is_root && v->bpb.bits != 32;
	ret->cluster = e->first_cluster;
	if (ret->fixed_root || fat_cluster_ok(v, e->first_cluster))
		return 0;
	snprintf(v->why, sizeof(v->why), "directory '%.60s' starts at cluster %u, outside 2..%u", e->name,
		 e->first_cluster, v->bpb.clusters + 1);
	return -EINVAL;
}

/* Resolves path to *ret and whether it is the root. */
static int resolve(struct fat_volume *v, const char *path, struct fat_dirent *ret, int *ret_root)
{
	struct fat_dirent cur;
	struct dirref d;
	struct find f;
	const char *p = path, *end;
	int is_root = 1, rc;

	memset(&cur, 0, sizeof(cur));
	strcpy(cur.name, "/");
	cur.is_dir = 1;
	cur.attr = ATTR_DIR;
	cur.first_cluster = v->bpb.bits == 32 ? v->bpb.root_cluster : 0;
	for (;;) {
		struct walk w = { .fn = find_fn, .ctx = &f };

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		f.len = end ? (size_t)(end - p) : strlen(p);
		if (f.len > 255)
			return -ENAMETOOLONG;
		if (!cur.is_dir)
			return -ENOTDIR;
		rc = dir_of(v, &cur, is_root, &d);
		if (rc)
			return rc;
		f.comp = p;
		f.ret = &cur;
		rc = dir_walk(v, d, &w);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -ENOENT;
		is_root = 0;
		p += f.len;
	}
	*ret = cur;
	*ret_root = is_root;
	return 0;
}

int fat_lookup(struct fat_volume *v, const char *path, struct fat_dirent *ret)
{
	int is_root;

	return resolve(v, path, ret, &is_root);
}

struct list {
	int (*fn)(void *fctx, const struct fat_dirent *e);
	void *fctx;
};

static int list_fn(void *ctx, const struct fat_dirent *e, const char *short_name)
{
	struct list *l = ctx;

	(void)short_name;
	return l->fn(l->fctx, e);
}

int fat_list(struct fat_volume *v, const char *path, int (*fn)(void *fctx, const struct fat_dirent *e),
	     void *fctx)
{
	struct list l = { fn, fctx };
	struct walk w = { .fn = list_fn, .ctx = &l };
	struct fat_dirent e;
	struct dirref d;
	int is_root, rc;

	rc = resolve(v, path, &e, &is_root);
	if (rc)
		return rc;
	if (!e.is_dir)
		return -ENOTDIR;
	rc = dir_of(v, &e, is_root, &d);
	if (rc)
		return rc;
	return dir_walk(v, d, &w);
}
