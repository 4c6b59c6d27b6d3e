/* source_archive.c: a tar or cpio archive (libarchive) as the source of a tardisk. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "create_int.h"
#include "fs.h"
#include "path_check.h"


static const char *type_name(unsigned type)
{
	switch (type) {
	case AE_IFSOCK: return "socket";
	case 0: return "unknown (0)";
	}
	return "unsupported";
}

/* One archive being read: the verified decompressed stream, libarchive's tar/cpio reader over it, and where
 * the file data goes. */
struct src_ctx {
	const char *path;
	struct archive *a;
	struct src_stream *st;
	struct tdk_list *l;       /* the size cap's count (entries_size_check) */
	int (*sink)(void *ctx, struct tdk_ent *e, struct rh_err *err); /* where each entry goes */
	void *sink_ctx;
	struct tdk_spool *sp;
	struct tdk_progress *p;
	struct rh_err *err;
	unsigned char *buf;       /* the block handed to libarchive by stream_cb */
};

static la_ssize_t stream_cb(struct archive *a, void *ctx, const void **ret)
{
	struct src_ctx *c = ctx;
	ssize_t n = src_stream_read(c->st, c->buf, 65536);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", src_stream_error(c->st));
		return -1;
	}
	*ret = c->buf;
	return (la_ssize_t)n;
}

/* The compressed stream's verdict after the tar or cpio reader failed: a corrupt block may decompress to
 * garbage before its checksum is reached, so read on to the checksum and say that, not "bad header". */
static const char *stream_verdict(const struct src_ctx *c)
{
	struct rh_err scratch = { 0, "" };

	if (!src_stream_error(c->st) && src_stream_compression(c->st))
		(void)src_stream_finish(c->st, &scratch);
	return src_stream_error(c->st);
}

/* Why reading failed, in plain words: the compressed stream's own reason first (corrupt, truncated), then
 * libarchive's; libarchive gives none when a tar or cpio ends inside an entry's data. */
static const char *read_error(const struct src_ctx *c)
{
	if (stream_verdict(c))
		return src_stream_error(c->st);
	if (archive_error_string(c->a))
		return archive_error_string(c->a);
	return "the archive ends inside this entry's data (truncated)";
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *q = buf;

	while (len) {
		ssize_t n = pwrite(fd, q, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		q += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int all_zero(const unsigned char *b, size_t n)
{
	return !n || (!b[0] && !memcmp(b, b + 1, n - 1));
}

/* Refuses an entry whose data (its non-hole bytes, as declared) cannot fit in the spool's file system. */
static int spool_room(const struct src_ctx *c, struct archive_entry *ae, const char *name, uint64_t size)
{
	la_int64_t off, len;
	uint64_t need = size, avail;

	if (archive_entry_sparse_reset(ae) > 0)
		for (need = 0; archive_entry_sparse_next(ae, &off, &len) == ARCHIVE_OK;)
			need += len > 0 ? (uint64_t)len : 0;
	if (!need || fs_free_bytes_fd(c->sp->fd, &avail) < 0)
		return 0;
	if (need > avail)
		return rh_errf(c->err, -ENOSPC, "%s: entry '%s': %llu bytes of data, but only %llu bytes are free "
			       "in %s", c->path, name, (unsigned long long)need, (unsigned long long)avail, c->sp->dir);
	return 0;
}

/* Copies the entry's data to the spool at its offsets: sparse holes and all-zero blocks stay holes. The data
 * must stay inside the size announced and, for a file that is not sparse, fill it. */
static int spool_data(struct src_ctx *c, struct archive_entry *ae, const char *name, uint64_t size,
		      uint64_t *ret_off)
{
	uint64_t base = c->sp->end, got = 0;
	int rc = entries_size_check(c->l, name, size, c->err), sparse = archive_entry_sparse_count(ae) > 0;

	if (!rc)
		rc = spool_room(c, ae, name, size);
	if (rc)
		return rc;
	for (;;) {
		const void *buf;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(c->a, &buf, &n, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return rh_errf(c->err, -EIO, "%s: entry '%s': %s", c->path, name, read_error(c));
		if (off < 0 || (uint64_t)off > size || n > size - (uint64_t)off)
			return rh_errf(c->err, -EINVAL, "%s: entry '%s': data beyond the %llu bytes its header "
				       "declares", c->path, name, (unsigned long long)size);
		if (!all_zero(buf, n)) {
			rc = pwrite_all(c->sp->fd, buf, n, base + (uint64_t)off);
			if (rc)
				return rh_errf(c->err, rc, "%s: entry '%s': writing the spool file in %s: %s", c->path,
					       name, c->sp->dir, strerror(-rc));
		}
		got += n;
		tdk_progress_tick(c->p, n, 0, 0);
	}
	if (!sparse && got != size)
		return rh_errf(c->err, -EIO, "%s: entry '%s': %llu bytes of data, header says %llu (truncated?)",
			       c->path, name, (unsigned long long)got, (unsigned long long)size);
	/* A hole at the end is still part of the file: the spool must be long enough to read it back. */
	if (size && ftruncate(c->sp->fd, (off_t)(base + size)) < 0)
		return rh_errf(c->err, -errno, "%s: entry '%s': the spool file in %s: %s", c->path, name,
			       c->sp->dir, strerror(errno));
	c->sp->end = base + size;
	*ret_off = base;
	return 0;
}

/* Linux's limits (XATTR_NAME_MAX, XATTR_SIZE_MAX): no file system could hold more, and tar2sqfs would refuse
 * the pax header without naming the entry. */
#define XATTR_KEY_LIMIT 255
#define XATTR_VALUE_LIMIT 65536

static int take_xattrs(const struct src_ctx *c, struct archive_entry *ae, const char *name, struct tdk_ent *e)
{
	const char *key;
	const void *val;
	size_t len;
	int n = archive_entry_xattr_reset(ae);

	if (n <= 0)
		return 0;
	e->xattrs = calloc((size_t)n, sizeof(*e->xattrs));
	if (!e->xattrs)
		return -ENOMEM;
	while (archive_entry_xattr_next(ae, &key, &val, &len) == ARCHIVE_OK) {
		struct tdk_xattr *x;
		int take = entries_xattr_take(c->path, name, key, c->err);

		if (take < 0)
			return take;
		if (!take || e->n_xattrs == (size_t)n)
			continue; /* squashfs holds user., trusted. and security. only (docs/tardisk.md) */
		if (strlen(key) > XATTR_KEY_LIMIT || len > XATTR_VALUE_LIMIT)
			return rh_errf(c->err, -E2BIG, "%s: entry '%s': xattr '%.64s%s' has a %zu-byte name and a "
				       "%zu-byte value; the limits are %d and %d", c->path, name, key,
				       strlen(key) > 64 ? "..." : "", strlen(key), len, XATTR_KEY_LIMIT,
				       XATTR_VALUE_LIMIT);
		x = &e->xattrs[e->n_xattrs];
		x->key = strdup(key);
		x->value = malloc(len + 1);
		if (!x->key || !x->value) {
			free(x->key);
			free(x->value);
			return -ENOMEM;
		}
		memcpy(x->value, val, len);
		x->len = len;
		e->n_xattrs++;
	}
	return 0;
}

/* A hard link entry (target hl): its normalized target, and its data when the archive carries some. */
static int take_hardlink(struct src_ctx *c, struct archive_entry *ae, const char *name, const char *hl,
			 struct tdk_ent *e)
{
	char norm[TARDISK_PATH_MAX + 1], shorthl[160];
	size_t len;
	int rc;

	rc = tdk_path_normalize(hl, strlen(hl), norm, sizeof(norm), &len);
	if (rc != TDK_PATH_OK)
		return rh_errf(c->err, -EINVAL, "%s: entry '%s': hardlink target '%s' %s", c->path, name,
			       tdk_path_shorten(hl, shorthl, sizeof(shorthl)),
			       rc == TDK_PATH_ROOT ? "is the root directory" : tdk_path_reason(rc));
	e->hardlink = 1;
	e->link = strdup(norm);
	if (!e->link)
		return -ENOMEM;
	if (archive_entry_size_is_set(ae) && archive_entry_size(ae) > 0) {
		e->link_data = 1;
		e->size = (uint64_t)archive_entry_size(ae);
		return spool_data(c, ae, name, e->size, &e->spool_off);
	}
	return 0;
}

/* What each file type of an entry that is not a hard link carries: data, target, device numbers, xattrs. */
static int take_by_type(struct src_ctx *c, struct archive_entry *ae, const char *name, unsigned type,
			struct tdk_ent *e)
{
	int rc;

	e->mode = type | (archive_entry_perm(ae) & 07777);
	switch (type) {
	case AE_IFREG:
		if (archive_entry_size(ae) < 0)
			return rh_errf(c->err, -EINVAL, "%s: entry '%s': negative size", c->path, name);
		e->size = (uint64_t)archive_entry_size(ae);
		rc = take_xattrs(c, ae, name, e);
		return rc ? rc : spool_data(c, ae, name, e->size, &e->spool_off);
	case AE_IFLNK: {
		const char *t = archive_entry_symlink(ae);
		if (!t || !*t)
			return rh_errf(c->err, -EINVAL, "%s: entry '%s': symlink with an empty target", c->path, name);
		if (strlen(t) > TARDISK_PATH_MAX)
			return rh_errf(c->err, -ENAMETOOLONG, "%s: entry '%s': symlink target over %d bytes", c->path,
				       name, TARDISK_PATH_MAX);
		e->link = strdup(t);
		return e->link ? take_xattrs(c, ae, name, e) : -ENOMEM;
	}
	case AE_IFCHR:
	case AE_IFBLK:
		e->rmajor = (uint32_t)archive_entry_rdevmajor(ae);
		e->rminor = (uint32_t)archive_entry_rdevminor(ae);
		if (e->rmajor > 0xfff || e->rminor > 0xfffff)
			return rh_errf(c->err, -ERANGE, "%s: entry '%s': device %u,%u does not fit squashfs", c->path,
				       name, e->rmajor, e->rminor);
		return take_xattrs(c, ae, name, e);
	case AE_IFDIR:
	case AE_IFIFO:
		return take_xattrs(c, ae, name, e);
	}
	return rh_errf(c->err, -EINVAL, "%s: entry '%s': entry type %s cannot be stored in a tardisk", c->path,
		       name, type_name(type));
}

/* One header: checks it and fills e (whose pointers the caller then hands to entries_add). Returns 1 to skip
 * the entry (the root). */
static int take_entry(struct src_ctx *c, struct archive_entry *ae, struct tdk_ent *e)
{
	char norm[TARDISK_PATH_MAX + 1];
	const char *name = archive_entry_pathname(ae), *hl = archive_entry_hardlink(ae);
	unsigned type = archive_entry_filetype(ae);
	char shortbuf[160];
	size_t len;
	int rc;

	if (!name)
		return rh_errf(c->err, -EINVAL, "%s: an entry has no usable name", c->path);
	rc = tdk_path_normalize(name, strlen(name), norm, sizeof(norm), &len);
	name = tdk_path_shorten(name, shortbuf, sizeof(shortbuf)); /* for messages only */
	if (rc < 0)
		return rh_errf(c->err, -EINVAL, "%s: entry '%s': the path %s", c->path, name, tdk_path_reason(rc));
	if (rc == TDK_PATH_ROOT) {
		if (hl || type != AE_IFDIR)
			return rh_errf(c->err, -EINVAL, "%s: entry '%s': names the root but is not a directory",
				       c->path, name);
		return 1; /* the root's attributes are fixed: 0755 root:root (docs/tardisk.md) */
	}
	e->path = strdup(norm);
	if (!e->path)
		return -ENOMEM;
	if (archive_entry_uid(ae) < 0 || archive_entry_uid(ae) > 0xfffffffe || archive_entry_gid(ae) < 0 ||
	    archive_entry_gid(ae) > 0xfffffffe)
		return rh_errf(c->err, -ERANGE, "%s: entry '%s': uid %lld / gid %lld out of range", c->path, name,
			       (long long)archive_entry_uid(ae), (long long)archive_entry_gid(ae));
	e->uid = (uint32_t)archive_entry_uid(ae);
	e->gid = (uint32_t)archive_entry_gid(ae);
	e->mtime = archive_entry_mtime(ae);
	if (hl)
		return take_hardlink(c, ae, name, hl, e);
	return take_by_type(c, ae, name, type, e);
}

/* A header that could not be read: at the start, say what the file is not; later, name the last entry. */
static int header_error(const struct src_ctx *c, const char *last)
{
	const char *comp = src_stream_compression(c->st);

	if (stream_verdict(c))
		return rh_errf(c->err, -EINVAL, "%s: %s%s%s%s", c->path, last ? "after entry '" : "",
			       last ? last : "", last ? "': " : "", src_stream_error(c->st));
	if (last)
		return rh_errf(c->err, -EINVAL, "%s: after entry '%s': %s", c->path, last,
			       archive_error_string(c->a) ? archive_error_string(c->a) : "unexpected end of the "
			       "archive (truncated)");
	return rh_errf(c->err, -EINVAL, "%s: %s%s%s (%s)", c->path, comp ? "holds " : "", comp ? comp : "",
		       comp ? " data that is not a tar or cpio archive" : "not a tar or cpio archive, nor one "
		       "compressed with gzip, bzip2, xz, zstd or lz4", archive_error_string(c->a) ?
		       archive_error_string(c->a) : "unreadable");
}

/* Every header and its data, in archive order, into c->l. */
static int read_entries(struct src_ctx *c)
{
	struct archive_entry *ae;
	char lastbuf[256] = "";
	const char *last = NULL;
	int r;

	for (;;) {
		struct tdk_ent e;

		r = archive_read_next_header(c->a, &ae);
		if (r == ARCHIVE_EOF)
			return 0;
		/* Warnings too: a pax header libarchive could not apply is input we cannot trust. */
		if (r != ARCHIVE_OK)
			return header_error(c, last);
		memset(&e, 0, sizeof(e));
		r = take_entry(c, ae, &e);
		if (r == 1) {
			free(e.path);
			continue;
		}
		if (r == 0)
			r = c->sink(c->sink_ctx, &e, c->err);
		else
			entries_ent_free(&e);
		if (r)
			return r == -ENOMEM ? rh_errf(c->err, r, "%s: out of memory", c->path) : r;
		snprintf(lastbuf, sizeof(lastbuf), "%s", archive_entry_pathname(ae));
		last = lastbuf;
		tdk_progress_tick(c->p, 0, 1, 0);
	}
}

static int add_to_list(void *ctx, struct tdk_ent *e, struct rh_err *err)
{
	return entries_add(ctx, e, err);
}

int source_archive_read(const char *path, struct tdk_list *l, struct tdk_spool *sp, struct tdk_progress *p,
			struct rh_err *err)
{
	return source_archive_each(path, l, add_to_list, l, sp, p, err);
}

int source_archive_each(const char *path, struct tdk_list *cap, int (*sink)(void *ctx, struct tdk_ent *e,
			struct rh_err *err), void *sink_ctx, struct tdk_spool *sp, struct tdk_progress *p,
			struct rh_err *err)
{
	struct src_ctx c = { .path = path, .l = cap, .sink = sink, .sink_ctx = sink_ctx, .sp = sp, .p = p, .err = err };
	int rc;

	rc = src_stream_open(path, &c.st, err);
	if (rc)
		return rc;
	c.a = archive_read_new();
	c.buf = malloc(65536);
	if (!c.a || !c.buf) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	/* No filter here: src_stream did the decompressing (and verifies it). */
	archive_read_support_format_tar(c.a);
	archive_read_support_format_gnutar(c.a);
	archive_read_support_format_cpio(c.a);
	if (archive_read_open(c.a, &c, NULL, stream_cb, NULL) != ARCHIVE_OK) {
		rc = header_error(&c, NULL);
		goto out;
	}
	rc = read_entries(&c);
	if (!rc)
		rc = src_stream_finish(c.st, err);
out:
	if (c.a)
		archive_read_free(c.a);
	free(c.buf);
	src_stream_close(c.st);
	return rc;
}
