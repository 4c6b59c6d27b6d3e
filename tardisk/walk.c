/* walk.c: listing an image's entries and reading one file, straight from the squashfs tables. A corrupt
 * image cannot make the walk loop (each directory inode is entered once) or recurse without bound (path
 * length), and names are checked (non-empty, no '/', not "." or ".."). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqfs/dir.h>
#include <sqfs/meta_reader.h>
#include <sqfs/xattr.h>

#include "image_int.h"

struct walker {
	struct tardisk *td;
	tdk_walk_inode_fn cb;
	void *ctx;
	uint32_t *seen;         /* directory inode numbers entered: a hash set, 0 = empty slot */
	size_t n_seen, cap_seen;
	struct rh_err *err;
};

struct child {
	char *name;
	sqfs_inode_generic_t *inode;
};

static int seen_dir(struct walker *w, uint32_t ino)
{
	size_t i;

	if ((w->n_seen + 1) * 2 > w->cap_seen) {
		size_t cap = w->cap_seen ? w->cap_seen * 2 : 1024, j;
		uint32_t *s = calloc(cap, sizeof(*s));
		if (!s)
			return -ENOMEM;
		for (j = 0; j < w->cap_seen; j++)
			if (w->seen[j]) {
				for (i = (w->seen[j] * 2654435761u) & (cap - 1); s[i]; i = (i + 1) & (cap - 1))
					;
				s[i] = w->seen[j];
			}
		free(w->seen);
		w->seen = s;
		w->cap_seen = cap;
	}
	ino = ino ? ino : 0xffffffffu; /* 0 marks an empty slot */
	for (i = (ino * 2654435761u) & (w->cap_seen - 1); w->seen[i]; i = (i + 1) & (w->cap_seen - 1))
		if (w->seen[i] == ino)
			return 1;
	w->seen[i] = ino;
	w->n_seen++;
	return 0;
}

static uint32_t inode_type_bits(const sqfs_inode_generic_t *in)
{
	switch (in->base.type) {
	case SQFS_INODE_DIR: case SQFS_INODE_EXT_DIR: return S_IFDIR;
	case SQFS_INODE_FILE: case SQFS_INODE_EXT_FILE: return S_IFREG;
	case SQFS_INODE_SLINK: case SQFS_INODE_EXT_SLINK: return S_IFLNK;
	case SQFS_INODE_BDEV: case SQFS_INODE_EXT_BDEV: return S_IFBLK;
	case SQFS_INODE_CDEV: case SQFS_INODE_EXT_CDEV: return S_IFCHR;
	case SQFS_INODE_FIFO: case SQFS_INODE_EXT_FIFO: return S_IFIFO;
	case SQFS_INODE_SOCKET: case SQFS_INODE_EXT_SOCKET: return S_IFSOCK;
	}
	return 0;
}

static uint32_t inode_nlink(const sqfs_inode_generic_t *in)
{
	switch (in->base.type) {
	case SQFS_INODE_DIR: return in->data.dir.nlink;
	case SQFS_INODE_EXT_DIR: return in->data.dir_ext.nlink;
	case SQFS_INODE_FILE: return 1;
	case SQFS_INODE_EXT_FILE: return in->data.file_ext.nlink;
	case SQFS_INODE_SLINK: return in->data.slink.nlink;
	case SQFS_INODE_EXT_SLINK: return in->data.slink_ext.nlink;
	case SQFS_INODE_BDEV: case SQFS_INODE_CDEV: return in->data.dev.nlink;
	case SQFS_INODE_EXT_BDEV: case SQFS_INODE_EXT_CDEV: return in->data.dev_ext.nlink;
	case SQFS_INODE_FIFO: case SQFS_INODE_SOCKET: return in->data.ipc.nlink;
	}
	return in->data.ipc_ext.nlink;
}

static void free_xattrs(struct tardisk_xattr *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)x[i].key);
		free((uint8_t *)x[i].value);
	}
	free(x);
}

#define XATTR_VALUE_MAX 65536  /* Linux's XATTR_SIZE_MAX: no real value is larger */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Walks one inode's key/value pairs with our own metadata reader before libsquashfs does: its
 * read_value() allocates whatever size the image claims (4 GiB from a corrupt one), so every value size
 * is checked against Linux's xattr limit first. */
static int xattr_sizes_sane(struct tardisk *td, const sqfs_xattr_id_t *desc)
{
	static uint8_t skip[65536];
	sqfs_meta_reader_t *m = NULL, *m2 = NULL;
	uint8_t hdr[8], idhdr[16];
	uint64_t start;
	uint32_t i, vsize;
	int rc;

	rc = td->file->read_at(td->file, td->super.xattr_id_table_start, idhdr, sizeof(idhdr));
	if (rc)
		return rc;
	start = le64(idhdr);
	if (start >= td->super.xattr_id_table_start)
		return SQFS_ERROR_OUT_OF_BOUNDS;
	m = sqfs_meta_reader_create(td->file, td->cmp, start, td->super.xattr_id_table_start);
	m2 = sqfs_meta_reader_create(td->file, td->cmp, start, td->super.xattr_id_table_start);
	if (!m || !m2) {
		rc = SQFS_ERROR_ALLOC;
		goto out;
	}
	rc = sqfs_meta_reader_seek(m, start + (desc->xattr >> 16), desc->xattr & 0xffff);
	for (i = 0; !rc && i < desc->count; i++) {
		uint16_t type, ksize;

		rc = sqfs_meta_reader_read(m, hdr, 4);
		if (rc)
			break;
		type = (uint16_t)(hdr[0] | hdr[1] << 8);
		ksize = (uint16_t)(hdr[2] | hdr[3] << 8);
		rc = sqfs_meta_reader_read(m, skip, ksize);
		if (!rc)
			rc = sqfs_meta_reader_read(m, hdr, 4);
		if (rc)
			break;
		vsize = le32(hdr);
		if (type & SQFS_XATTR_FLAG_OOL) {
			uint64_t ref;
			if (vsize != 8) {
				rc = SQFS_ERROR_CORRUPTED;
				break;
			}
			rc = sqfs_meta_reader_read(m, hdr, 8);
			ref = rc ? 0 : le64(hdr);
			if (!rc)
				rc = sqfs_meta_reader_seek(m2, start + (ref >> 16), ref & 0xffff);
			if (!rc)
				rc = sqfs_meta_reader_read(m2, hdr, 4);
			if (!rc && le32(hdr) > XATTR_VALUE_MAX)
				rc = SQFS_ERROR_OVERFLOW;
			continue;
		}
		if (vsize > XATTR_VALUE_MAX)
			rc = SQFS_ERROR_OVERFLOW;
		else
			rc = sqfs_meta_reader_read(m, skip, vsize);
	}
out:
	sqfs_destroy(m);
	sqfs_destroy(m2);
	return rc;
}

/* The next key/value pair of the xattr reader into *out, the key as a full "prefix.name" (i: its index, for the
 * message). On failure *out holds nothing to free. */
static int read_xattr(struct tardisk *td, const char *path, uint32_t i, struct tardisk_xattr *out,
		      struct rh_err *err)
{
	sqfs_xattr_entry_t *k = NULL;
	sqfs_xattr_value_t *v = NULL;
	const char *prefix;
	size_t plen, klen;
	uint8_t *value;
	char *key;
	int rc;

	rc = sqfs_xattr_reader_read_key(td->xattr, &k);
	if (!rc)
		rc = sqfs_xattr_reader_read_value(td->xattr, k, &v);
	prefix = k ? sqfs_get_xattr_prefix(k->type & SQFS_XATTR_PREFIX_MASK) : NULL;
	if (!rc && !prefix)
		rc = SQFS_ERROR_CORRUPTED;
	if (rc) {
		sqfs_free(k);
		sqfs_free(v);
		return rh_errf(err, -EINVAL, "%s: '%s': xattr %u: %s", td->name, path, i, tdk_sqfs_strerror(rc));
	}
	/* libsquashfs 1.2 puts the prefix in front of the key (NUL-terminated) while k->size stays the
	 * length without it; older versions gave the bare name. Accept both. */
	plen = strlen(prefix);
	if (strnlen((const char *)k->key, plen + k->size + 1) == plen + k->size && !memcmp(k->key, prefix, plen))
		prefix = "", klen = plen + k->size;
	else
		klen = k->size;
	key = malloc(strlen(prefix) + klen + 1);
	value = malloc(v->size + 1);
	if (!key || !value) {
		free(key);
		free(value);
		sqfs_free(k);
		sqfs_free(v);
		return rh_errf(err, -ENOMEM, "%s: out of memory", td->name);
	}
	strcpy(key, prefix);
	memcpy(key + strlen(prefix), k->key, klen);
	key[strlen(prefix) + klen] = '\0';
	memcpy(value, v->value, v->size);
	out->key = key;
	out->value = value;
	out->value_len = v->size;
	sqfs_free(k);
	sqfs_free(v);
	return 0;
}

/* The inode's xattrs as full "prefix.name" keys; *ret is the caller's (free_xattrs). */
static int load_xattrs(struct tardisk *td, const sqfs_inode_generic_t *in, const char *path,
		       struct tardisk_xattr **ret, size_t *ret_n, struct rh_err *err)
{
	struct tardisk_xattr *x = NULL;
	sqfs_xattr_id_t desc;
	uint32_t idx, i;
	size_t n = 0;
	int rc;

	*ret = NULL;
	*ret_n = 0;
	if (sqfs_inode_get_xattr_index(in, &idx) || idx == 0xffffffffu)
		return 0;
	if (!td->xattr)
		return rh_errf(err, -EINVAL, "%s: '%s': xattr index %u but the image has no xattr table", td->name,
			       path, idx);
	rc = sqfs_xattr_reader_get_desc(td->xattr, idx, &desc);
	if (!rc && desc.count > 4096)
		rc = SQFS_ERROR_CORRUPTED;
	if (!rc)
		rc = xattr_sizes_sane(td, &desc);
	if (!rc)
		rc = sqfs_xattr_reader_seek_kv(td->xattr, &desc);
	if (rc)
		return rh_errf(err, -EINVAL, "%s: '%s': xattrs: %s", td->name, path, tdk_sqfs_strerror(rc));
	if (desc.count > 4096)
		return rh_errf(err, -EINVAL, "%s: '%s': %u xattrs (corrupt)", td->name, path, desc.count);
	x = calloc(desc.count + 1, sizeof(*x));
	if (!x)
		return rh_errf(err, -ENOMEM, "%s: out of memory", td->name);
	for (i = 0; i < desc.count; i++, n++) {
		rc = read_xattr(td, path, i, &x[n], err);
		if (rc < 0) {
			free_xattrs(x, n);
			return rc;
		}
	}
	*ret = x;
	*ret_n = n;
	return 0;
}

/* Fills e from an inode (path and xattrs set by the caller). */
static int describe(struct tardisk *td, const sqfs_inode_generic_t *in, const char *path, struct tardisk_entry *e,
		    struct rh_err *err)
{
	uint32_t type = inode_type_bits(in);
	int rc;

	if (!type)
		return rh_errf(err, -EINVAL, "%s: '%s': unknown inode type %u", td->name, path, in->base.type);
	e->mode = type | (in->base.mode & 07777);
	rc = sqfs_id_table_index_to_id(td->ids, in->base.uid_idx, &e->uid);
	if (!rc)
		rc = sqfs_id_table_index_to_id(td->ids, in->base.gid_idx, &e->gid);
	if (rc)
		return rh_errf(err, -EINVAL, "%s: '%s': owner index out of the id table", td->name, path);
	e->mtime = in->base.mod_time;
	e->inode = in->base.inode_number;
	e->nlink = inode_nlink(in);
	if (type == S_IFREG)
		sqfs_inode_get_file_size(in, &e->size);
	if (type == S_IFLNK) {
		e->size = in->data.slink.target_size;
		if (e->size != in->payload_bytes_used || e->size == 0)
			return rh_errf(err, -EINVAL, "%s: '%s': bad symlink target size", td->name, path);
	}
	if (type == S_IFCHR || type == S_IFBLK) {
		uint32_t devno = (in->base.type == SQFS_INODE_BDEV || in->base.type == SQFS_INODE_CDEV)
					 ? in->data.dev.devno : in->data.dev_ext.devno;
		e->rdev_major = (devno >> 8) & 0xfff;
		e->rdev_minor = (devno & 0xff) | ((devno >> 12) & 0xfff00);
	}
	return 0;
}

static int check_name(const char *name, size_t len)
{
	if (len == 0 || memchr(name, '/', len) || memchr(name, '\0', len))
		return -1;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return -1;
	return 0;
}

static void free_children(struct child *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		sqfs_free(c[i].inode);
	}
	free(c);
}

/* Reads every entry of directory dir (path, plen bytes) into *ret_c, *ret_n (the caller's: free_children). */
static int read_children(struct walker *w, const sqfs_inode_generic_t *dir, const char *path, size_t plen,
			 struct child **ret_c, size_t *ret_n)
{
	struct tardisk *td = w->td;
	struct child *c = NULL;
	size_t n = 0, cap = 0;
	sqfs_dir_entry_t *ent;
	int rc;

	rc = sqfs_dir_reader_open_dir(td->dir, dir, 0);
	if (rc)
		return rh_errf(w->err, -EINVAL, "%s: directory '%s': %s", td->name, plen ? path : "/",
			       tdk_sqfs_strerror(rc));
	while ((rc = sqfs_dir_reader_read(td->dir, &ent)) == 0) {
		size_t len = (size_t)ent->size + 1;

		if (n == cap) {
			struct child *nc = realloc(c, (cap = cap ? cap * 2 : 16) * sizeof(*nc));
			if (!nc) {
				sqfs_free(ent);
				rc = SQFS_ERROR_ALLOC;
				break;
			}
			c = nc;
		}
		if (check_name((const char *)ent->name, len)) {
			sqfs_free(ent);
			free_children(c, n);
			return rh_errf(w->err, -EINVAL, "%s: directory '%s': bad entry name (corrupt)", td->name,
				       plen ? path : "/");
		}
		c[n].name = strndup((const char *)ent->name, len);
		c[n].inode = NULL;
		sqfs_free(ent);
		if (!c[n].name) {
			rc = SQFS_ERROR_ALLOC;
			break;
		}
		n++;
		rc = sqfs_dir_reader_get_inode(td->dir, &c[n - 1].inode);
		if (rc)
			break;
	}
	if (rc < 0) {
		free_children(c, n);
		return rh_errf(w->err, -EINVAL, "%s: directory '%s': %s", td->name, plen ? path : "/",
			       tdk_sqfs_strerror(rc));
	}
	*ret_c = c;
	*ret_n = n;
	return 0;
}

static int walk_dir(struct walker *w, const sqfs_inode_generic_t *dir, char *path, size_t plen);

/* Reports child c of the directory at path (plen bytes; path has room for TARDISK_PATH_MAX) and descends into it
 * when it is a directory. path is put back as it was. */
static int visit_child(struct walker *w, const struct child *c, char *path, size_t plen)
{
	struct tardisk *td = w->td;
	size_t nl = strlen(c->name), len = plen + (plen ? 1 : 0) + nl;
	struct tardisk_entry e;
	struct tardisk_xattr *xa = NULL;
	char *target = NULL;
	int rc;

	if (len > TARDISK_PATH_MAX)
		return rh_errf(w->err, -ENAMETOOLONG, "%s: '%s/%s': path too long (corrupt?)", td->name, path, c->name);
	if (plen)
		path[plen] = '/';
	memcpy(path + plen + (plen ? 1 : 0), c->name, nl + 1);
	memset(&e, 0, sizeof(e));
	e.path = path;
	rc = describe(td, c->inode, path, &e, w->err);
	if (!rc)
		rc = load_xattrs(td, c->inode, path, &xa, &e.n_xattrs, w->err);
	e.xattrs = xa;
	if (!rc && S_ISLNK(e.mode)) {
		target = strndup((const char *)c->inode->extra, (size_t)e.size);
		if (!target)
			rc = rh_errf(w->err, -ENOMEM, "out of memory");
		e.link_target = target;
	}
	if (!rc)
		rc = w->cb(w->ctx, &e, c->inode);
	free(target);
	free_xattrs(xa, e.n_xattrs);
	if (!rc && S_ISDIR(e.mode)) {
		int s = seen_dir(w, e.inode);
		if (s < 0)
			rc = rh_errf(w->err, -ENOMEM, "out of memory");
		else if (s)
			rc = rh_errf(w->err, -ELOOP, "%s: directory '%s': inode %u seen twice (directory loop, "
				     "corrupt image)", td->name, path, e.inode);
		else
			rc = walk_dir(w, c->inode, path, len);
	}
	path[plen] = '\0';
	return rc;
}

/* Reads every entry of one directory first (the dir reader holds one position), then reports and descends. */
static int walk_dir(struct walker *w, const sqfs_inode_generic_t *dir, char *path, size_t plen)
{
	struct child *c = NULL;
	size_t n = 0, i;
	int rc;

	rc = read_children(w, dir, path, plen, &c, &n);
	if (rc < 0)
		return rc;
	for (i = 0; !rc && i < n; i++)
		rc = visit_child(w, &c[i], path, plen);
	free_children(c, n);
	return rc;
}

int tdk_walk_inodes(struct tardisk *td, tdk_walk_inode_fn cb, void *ctx, struct rh_err *err)
{
	struct walker w = { .td = td, .cb = cb, .ctx = ctx, .err = err };
	sqfs_inode_generic_t *root = NULL;
	char path[TARDISK_PATH_MAX + 2] = "";
	int rc;

	rc = sqfs_dir_reader_get_root_inode(td->dir, &root);
	if (rc)
		return rh_errf(err, -EINVAL, "%s: root inode: %s", td->name, tdk_sqfs_strerror(rc));
	if (inode_type_bits(root) != S_IFDIR) {
		sqfs_free(root);
		return rh_errf(err, -EINVAL, "%s: the root inode is not a directory (corrupt)", td->name);
	}
	rc = seen_dir(&w, root->base.inode_number);
	rc = rc < 0 ? rh_errf(err, -ENOMEM, "out of memory") : walk_dir(&w, root, path, 0);
	sqfs_free(root);
	free(w.seen);
	return rc;
}

struct plain_walk {
	tardisk_walk_fn cb;
	void *ctx;
};

static int plain_cb(void *ctx, const struct tardisk_entry *e, const sqfs_inode_generic_t *in)
{
	struct plain_walk *p = ctx;

	(void)in;
	return p->cb(p->ctx, e);
}

int tardisk_walk(struct tardisk *td, tardisk_walk_fn cb, void *ctx, struct rh_err *err)
{
	struct plain_walk p = { cb, ctx };

	return tdk_walk_inodes(td, plain_cb, &p, err);
}

/* Resolves a relative path component by component (no '.', '..' or symlinks followed). */
static int lookup(struct tardisk *td, const char *path, sqfs_inode_generic_t **ret, struct rh_err *err)
{
	sqfs_inode_generic_t *in = NULL;
	char *copy = strdup(path), *save = NULL, *comp;
	int rc;

	if (!copy)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = sqfs_dir_reader_get_root_inode(td->dir, &in);
	if (rc) {
		rc = rh_errf(err, -EINVAL, "%s: root inode: %s", td->name, tdk_sqfs_strerror(rc));
		goto out;
	}
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		sqfs_inode_generic_t *next = NULL;

		if (inode_type_bits(in) != S_IFDIR) {
			rc = rh_errf(err, -ENOTDIR, "%s: '%s': a parent is not a directory", td->name, path);
			goto out;
		}
		rc = sqfs_dir_reader_open_dir(td->dir, in, 0);
		if (!rc)
			rc = sqfs_dir_reader_find(td->dir, comp);
		if (!rc)
			rc = sqfs_dir_reader_get_inode(td->dir, &next);
		if (rc) {
			rc = rh_errf(err, rc == SQFS_ERROR_NO_ENTRY ? -ENOENT : -EINVAL, "%s: '%s': %s", td->name,
				     path, rc == SQFS_ERROR_NO_ENTRY ? "no such entry" : tdk_sqfs_strerror(rc));
			goto out;
		}
		sqfs_free(in);
		in = next;
	}
	*ret = in;
	in = NULL;
out:
	sqfs_free(in);
	free(copy);
	return rc;
}

int tardisk_cat(struct tardisk *td, const char *path, int fd, struct rh_err *err)
{
	static char buf[131072];
	sqfs_inode_generic_t *in = NULL;
	uint64_t size = 0, off = 0;
	int rc = lookup(td, path, &in, err);

	if (rc)
		return rc;
	if (inode_type_bits(in) != S_IFREG) {
		rc = rh_errf(err, -EINVAL, "%s: '%s': not a regular file", td->name, path);
		goto out;
	}
	sqfs_inode_get_file_size(in, &size);
	while (off < size) {
		uint32_t want = size - off < sizeof(buf) ? (uint32_t)(size - off) : (uint32_t)sizeof(buf);
		sqfs_s32 n = sqfs_data_reader_read(td->data, in, off, buf, want);
		size_t done = 0;

		if (n <= 0) {
			rc = rh_errf(err, -EIO, "%s: '%s': reading at byte %llu: %s", td->name, path,
				     (unsigned long long)off, n < 0 ? tdk_sqfs_strerror(n) : "ended early");
			goto out;
		}
		while (done < (size_t)n) {
			ssize_t w = write(fd, buf + done, (size_t)n - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = rh_errf(err, -errno, "%s: '%s': write: %s", td->name, path, strerror(errno));
				goto out;
			}
			done += (size_t)w;
		}
		off += (uint64_t)n;
	}
out:
	sqfs_free(in);
	return rc;
}
