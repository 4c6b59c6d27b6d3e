/* partfs.c: FAT partitions read through the plan (see partfs.h). */
#include "partfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "sha256.h"
#include "stage.h"

static int read_cb(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct partfs *p = ctx;

	if (off > p->len || len > p->len - off)
		return -EIO;
	return stage_read(p->d, p->pending, p->base + off, buf, len, NULL);
}

int partfs_open(struct partfs *p, const struct rdisk *d, const struct wset *pending, uint64_t base, uint64_t len,
		const char *label, struct rh_err *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->d = d;
	p->pending = pending;
	p->base = base;
	p->len = len;
	snprintf(p->label, sizeof(p->label), "%s", label);
	rc = fat_open(&p->v, read_cb, p, len);
	if (rc < 0)
		return rh_errf(err, rc, "%s: %s: no FAT file system that reads (%s)", d->path, label,
			       p->v.why[0] ? p->v.why : strerror(-rc));
	return 0;
}

static int lookup(struct partfs *p, const char *path, struct fat_dirent *e, struct rh_err *err)
{
	int rc = fat_lookup(&p->v, path, e);

	if (rc < 0)
		return rh_errf(err, rc, "%s: %s: %s: %s", p->d->path, p->label, path,
			       rc == -EINVAL && p->v.why[0] ? p->v.why : strerror(-rc));
	if (e->is_dir)
		return rh_errf(err, -EISDIR, "%s: %s: %s is a directory", p->d->path, p->label, path);
	return 0;
}

struct membuf {
	char *buf;
	size_t len, cap;
};

static int mem_put(void *ctx, const void *buf, size_t len)
{
	struct membuf *m = ctx;

	if (len > m->cap - m->len)
		return -EFBIG;
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

int partfs_read_entry(struct fat_volume *v, const struct fat_dirent *e, size_t max, char **ret, size_t *ret_len)
{
	struct membuf m = { NULL, 0, 0 };
	int rc;

	if (e->size > max)
		return -EFBIG;
	m.cap = e->size;
	m.buf = malloc(m.cap + 1);
	if (!m.buf)
		return -ENOMEM;
	rc = fat_read(v, e, mem_put, &m);
	if (rc < 0) {
		free(m.buf);
		return rc;
	}
	m.buf[m.len] = '\0';
	*ret = m.buf;
	*ret_len = m.len;
	return 0;
}

int partfs_read(struct partfs *p, const char *path, size_t max, char **ret, size_t *ret_len, struct rh_err *err)
{
	struct fat_dirent e;
	int rc = lookup(p, path, &e, err);

	if (rc < 0)
		return rc;
	rc = partfs_read_entry(&p->v, &e, max, ret, ret_len);
	if (rc == -EFBIG)
		return rh_errf(err, rc, "%s: %s: %s is %u bytes, more than the %zu expected", p->d->path, p->label,
			       path, e.size, max);
	if (rc == -ENOMEM)
		return rh_errf(err, rc, "out of memory");
	if (rc < 0)
		return rh_errf(err, rc, "%s: %s: %s: cannot be read (%s)", p->d->path, p->label, path,
			       p->v.why[0] ? p->v.why : strerror(-rc));
	return 0;
}

static int hash_put(void *ctx, const void *buf, size_t len)
{
	sha256_update(ctx, buf, len);
	return 0;
}

int partfs_sha256(struct partfs *p, const char *path, uint8_t sha[32], uint64_t *ret_size, struct rh_err *err)
{
	struct sha256_ctx c;
	struct fat_dirent e;
	int rc = lookup(p, path, &e, err);

	if (rc < 0)
		return rc;
	sha256_init(&c);
	rc = fat_read(&p->v, &e, hash_put, &c);
	if (rc < 0)
		return rh_errf(err, rc, "%s: %s: %s: cannot be read (%s)", p->d->path, p->label, path,
			       p->v.why[0] ? p->v.why : strerror(-rc));
	sha256_final(&c, sha);
	if (ret_size)
		*ret_size = e.size;
	return 0;
}

static int fd_put(void *ctx, const void *buf, size_t len)
{
	return rh_write_all(*(int *)ctx, buf, len);
}

int partfs_extract(struct partfs *p, const char *path, const char *dst, struct rh_err *err)
{
	struct fat_dirent e;
	int fd, rc = lookup(p, path, &e, err);

	if (rc < 0)
		return rc;
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return rh_errf(err, -errno, "%s: %s", dst, strerror(errno));
	rc = fat_read(&p->v, &e, fd_put, &fd);
	if (rc < 0)
		rh_errf(err, rc, "%s: %s: %s: cannot be read (%s)", p->d->path, p->label, path,
			p->v.why[0] ? p->v.why : strerror(-rc));
	else if (fsync(fd) < 0)
		rc = rh_errf(err, -errno, "%s: %s", dst, strerror(errno));
	close(fd);
	if (rc < 0)
		unlink(dst);
	return rc;
}

int partfs_exists(struct partfs *p, const char *path)
{
	struct fat_dirent e;
	int rc = fat_lookup(&p->v, path, &e);

	if (rc == -ENOENT || rc == -ENOTDIR)
		return 0;
	return rc < 0 ? rc : 1;
}
