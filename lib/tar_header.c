/* tar_header.c: ustar header blocks with a pax extended header when a field does not fit (see tar_header.h).
 *
 * The layout is POSIX.1-2001's ustar (IEEE Std 1003.1, "pax Interchange Format"): numeric fields are octal
 * digits ending in a NUL, the checksum is the sum of the block's bytes with its own field read as spaces, the
 * path is split into prefix "/" name when it is longer than the 100 bytes of name. Everything ustar cannot say
 * goes into "LEN key=value\n" records of an 'x' header, LEN counting the whole record with its own digits. */
#include "tar_header.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define NAME_LEN 100
#define PREFIX_LEN 155
#define OCT7_MAX 07777777ULL                 /* mode, uid, gid, devmajor, devminor: 7 digits */
#define OCT11_MAX 077777777777ULL            /* size, mtime: 11 digits (8 GiB - 1, year 2242) */
#define PAX_NAME "././@PaxHeader"            /* the 'x' header's own name: fixed, readers skip it */

/* Field offsets in the ustar header block. */
enum {
	F_NAME = 0, F_MODE = 100, F_UID = 108, F_GID = 116, F_SIZE = 124, F_MTIME = 136, F_CHKSUM = 148,
	F_TYPE = 156, F_LINK = 157, F_MAGIC = 257, F_VERSION = 263, F_DEVMAJOR = 329, F_DEVMINOR = 337,
	F_PREFIX = 345,
};

/* Where the bytes go: counted always, stored while they fit (a NULL buf only counts). */
struct out {
	uint8_t *buf;
	size_t cap, len;
};

/* What of e goes into pax records instead of (or besides) the ustar fields. */
struct plan {
	size_t prefix;     /* ustar: bytes of path in prefix (0: none), the name after the '/' */
	int path, link, size, uid, gid, mtime, binary;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (o->buf && n && o->len <= o->cap && n <= o->cap - o->len)
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void put_zeros(struct out *o, size_t n)
{
	static const uint8_t zero[TAR_BLOCK];

	while (n) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);

		put(o, zero, k);
		n -= k;
	}
}

size_t tar_data_pad(uint64_t len)
{
	return (size_t)((TAR_BLOCK - len % TAR_BLOCK) % TAR_BLOCK);
}

uint64_t tar_end_len(uint64_t written, uint64_t record)
{
	uint64_t end = 2 * TAR_BLOCK, total = written + end;

	if (record > TAR_BLOCK)
		end += (record - total % record) % record;
	return end;
}

static int has_high_byte(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* The ustar prefix length that splits path (len bytes) at a '/' into prefix (<= 155, not ending in '/') and a
 * non-empty name (<= 100); the shortest such prefix. 0 when the path fits name alone, -1 when no split holds it. */
static long split_path(const char *path, size_t len)
{
	size_t i = len > NAME_LEN + 1 ? len - NAME_LEN - 1 : 1;

	if (len <= NAME_LEN)
		return 0;
	for (; i <= PREFIX_LEN && i + 2 <= len; i++)
		if (path[i] == '/' && path[i - 1] != '/')   /* readers add a '/' after the prefix unless it ends in one */
			return (long)i;
	return -1;
}

/* Checks e and decides which fields need pax records. */
static int plan_entry(const struct tar_entry *e, struct plan *ret, struct rh_err *err)
{
	static const char types[] = { TAR_REG, TAR_HARDLINK, TAR_SYMLINK, TAR_CHR, TAR_BLK, TAR_DIR, TAR_FIFO, 0 };
	struct plan p;
	int want_link = e->type == TAR_SYMLINK || e->type == TAR_HARDLINK;
	long split;
	size_t i;

	memset(&p, 0, sizeof(p));
	if (!e->path || !e->path[0])
		return rh_errf(err, -EINVAL, "tar entry: empty path");
	if (e->type != TAR_DIR && e->path[strlen(e->path) - 1] == '/')
		return rh_errf(err, -EINVAL, "tar entry '%s': ends in '/', which readers take for a directory", e->path);
	if (!e->type || !strchr(types, e->type))
		return rh_errf(err, -EINVAL, "tar entry '%s': unknown type 0x%02x", e->path, (unsigned)(uint8_t)e->type);
	if (want_link ? !e->linkpath || !e->linkpath[0] : e->linkpath != NULL)
		return rh_errf(err, -EINVAL, "tar entry '%s': a link target %s", e->path,
			       want_link ? "is missing" : "is only for links");
	if (e->type != TAR_REG && e->size)
		return rh_errf(err, -EINVAL, "tar entry '%s': size %" PRIu64 " on an entry without data", e->path, e->size);
	if (e->devmajor > OCT7_MAX || e->devminor > OCT7_MAX)
		return rh_errf(err, -EINVAL, "tar entry '%s': device %" PRIu32 ":%" PRIu32 " does not fit", e->path,
			       e->devmajor, e->devminor);
	for (i = 0; i < e->n_xattrs; i++)
		if (!e->xattrs[i].name || !e->xattrs[i].name[0] || strchr(e->xattrs[i].name, '=') ||
		    (e->xattrs[i].len && !e->xattrs[i].value))
			return rh_errf(err, -EINVAL, "tar entry '%s': xattr name '%s' refused (empty or with '=')", e->path,
				       e->xattrs[i].name ? e->xattrs[i].name : "");
	split = split_path(e->path, strlen(e->path));
	p.path = split < 0;
	p.prefix = split > 0 ? (size_t)split : 0;
	p.link = want_link && strlen(e->linkpath) > NAME_LEN;
	p.size = e->size > OCT11_MAX;
	p.uid = e->uid > OCT7_MAX;
	p.gid = e->gid > OCT7_MAX;
	p.mtime = e->mtime < 0 || (uint64_t)e->mtime > OCT11_MAX;
	p.binary = (p.path && has_high_byte(e->path)) || (p.link && has_high_byte(e->linkpath));
	*ret = p;
	return 0;
}

static size_t ndigits(size_t n)
{
	size_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* One "LEN key=value\n" record, the key being key1 followed by key2; LEN counts the whole record, its own
 * digits included. */
static void put_record(struct out *o, const char *key1, const char *key2, const void *value, size_t vlen)
{
	size_t body = 1 + strlen(key1) + strlen(key2) + 1 + vlen + 1, d = ndigits(body);
	char num[24];

	if (ndigits(body + d) > d)
		d++;
	snprintf(num, sizeof(num), "%zu ", body + d);
	put(o, num, strlen(num));
	put(o, key1, strlen(key1));
	put(o, key2, strlen(key2));
	put(o, "=", 1);
	put(o, value, vlen);
	put(o, "\n", 1);
}

static void put_record_str(struct out *o, const char *key, const char *value)
{
	put_record(o, key, "", value, strlen(value));
}

/* A numeric record; mtime is the one signed field. */
static void put_record_num(struct out *o, const char *key, uint64_t u, int64_t s, int is_signed)
{
	char num[24];

	if (is_signed)
		snprintf(num, sizeof(num), "%" PRId64, s);
	else
		snprintf(num, sizeof(num), "%" PRIu64, u);
	put_record_str(o, key, num);
}

/* The pax records of e, in a fixed order. */
static void put_records(struct out *o, const struct tar_entry *e, const struct plan *p)
{
	size_t i;

	if (p->binary)
		put_record_str(o, "hdrcharset", "BINARY");
	if (p->path)
		put_record_str(o, "path", e->path);
	if (p->link)
		put_record_str(o, "linkpath", e->linkpath);
	if (p->size)
		put_record_num(o, "size", e->size, 0, 0);
	if (p->uid)
		put_record_num(o, "uid", e->uid, 0, 0);
	if (p->gid)
		put_record_num(o, "gid", e->gid, 0, 0);
	if (p->mtime)
		put_record_num(o, "mtime", 0, e->mtime, 1);
	for (i = 0; i < e->n_xattrs; i++)
		put_record(o, "SCHILY.xattr.", e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].len);
}

/* value as `width - 1` octal digits and a NUL at h + off; the caller checked that it fits. */
static void octal(uint8_t *h, size_t off, size_t width, uint64_t value)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)(width - 1), value);
	memcpy(h + off, tmp, width);   /* the digits and snprintf's NUL */
}

/* Fills the 512-byte ustar block h: the fields, then the checksum over them. */
static void ustar_block(uint8_t h[TAR_BLOCK], const char *name, size_t name_len, const char *prefix,
			size_t prefix_len, const char *link, char type, uint32_t mode, uint64_t uid, uint64_t gid,
			uint64_t size, uint64_t mtime, uint32_t devmajor, uint32_t devminor)
{
	unsigned sum = 0;
	size_t i;

	memset(h, 0, TAR_BLOCK);
	memcpy(h + F_NAME, name, name_len < NAME_LEN ? name_len : NAME_LEN);
	octal(h, F_MODE, 8, mode & 07777);
	octal(h, F_UID, 8, uid);
	octal(h, F_GID, 8, gid);
	octal(h, F_SIZE, 12, size);
	octal(h, F_MTIME, 12, mtime);
	h[F_TYPE] = (uint8_t)type;
	if (link)
		memcpy(h + F_LINK, link, strlen(link) < NAME_LEN ? strlen(link) : NAME_LEN);
	memcpy(h + F_MAGIC, "ustar", 6);
	memcpy(h + F_VERSION, "00", 2);
	octal(h, F_DEVMAJOR, 8, devmajor);
	octal(h, F_DEVMINOR, 8, devminor);
	if (prefix_len)
		memcpy(h + F_PREFIX, prefix, prefix_len);
	memset(h + F_CHKSUM, ' ', 8);
	for (i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	octal(h, F_CHKSUM, 7, sum);   /* six digits, NUL, and the space already there */
}

/* Writes (or, with a NULL o->buf, counts) e's headers. */
static int emit(const struct tar_entry *e, struct out *o, struct rh_err *err)
{
	uint8_t h[TAR_BLOCK];
	struct out cnt = { NULL, 0, 0 };
	struct plan p;
	const char *name;
	size_t name_len;
	int rc = plan_entry(e, &p, err);

	if (rc < 0)
		return rc;
	put_records(&cnt, e, &p);
	if (cnt.len) {
		if (cnt.len > OCT11_MAX)
			return rh_errf(err, -EINVAL, "tar entry '%s': %zu bytes of pax records", e->path, cnt.len);
		ustar_block(h, PAX_NAME, strlen(PAX_NAME), NULL, 0, NULL, 'x', 0644, 0, 0, cnt.len, 0, 0, 0);
		put(o, h, sizeof(h));
		put_records(o, e, &p);
		put_zeros(o, tar_data_pad(cnt.len));
	}
	name = p.prefix ? e->path + p.prefix + 1 : e->path;
	name_len = strlen(name);
	ustar_block(h, name, name_len, e->path, p.prefix, e->linkpath, e->type, e->mode, p.uid ? 0 : e->uid,
		    p.gid ? 0 : e->gid, p.size ? 0 : e->size, p.mtime ? 0 : (uint64_t)e->mtime, e->devmajor,
		    e->devminor);
	put(o, h, sizeof(h));
	return 0;
}

int tar_header_size(const struct tar_entry *e, size_t *ret_size, struct rh_err *err)
{
	struct out o = { NULL, 0, 0 };
	int rc = emit(e, &o, err);

	if (rc < 0)
		return rc;
	*ret_size = o.len;
	return 0;
}

int tar_header_format(const struct tar_entry *e, void *buf, size_t cap, size_t *ret_len, struct rh_err *err)
{
	struct out o = { buf, cap, 0 };
	int rc;

	if (!buf)
		return rh_errf(err, -EINVAL, "tar entry: no buffer");
	rc = emit(e, &o, err);
	if (rc < 0)
		return rc;
	if (o.len > cap)
		return rh_errf(err, -ENOSPC, "tar entry '%s': %zu bytes of headers, room for %zu", e->path, o.len, cap);
	*ret_len = o.len;
	return 0;
}
