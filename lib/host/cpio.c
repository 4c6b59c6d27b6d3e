/* cpio.c: newc cpio writer and the canonical module wrapper (see cpio.h). */
#include "cpio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cpio_writer_init(struct cpio_writer *w, int fd, const char *what)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->what = what ? what : "cpio archive";
	w->next_ino = 1;
}

long cpio_newc_header(char *buf, size_t cap, uint32_t ino, unsigned mode, uint32_t nlink, uint32_t filesize,
		      unsigned rmajor, unsigned rminor, const char *name)
{
	size_t namesize = strlen(name) + 1, len;
	int n;

	if (namesize > CPIO_MAX_NAME || namesize < 2)
		return -EINVAL;
	len = CPIO_NEWC_HEADER_LEN + namesize;
	len = (len + 3) & ~(size_t)3;
	if (len + 1 > cap) /* +1: snprintf's NUL */
		return -E2BIG;
	/* magic ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check */
	n = snprintf(buf, cap, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino, mode, 0u, 0u,
		     nlink, 0u, filesize, 0u, 0u, rmajor, rminor, (unsigned)namesize, 0u);
	if (n != CPIO_NEWC_HEADER_LEN)
		return -EINVAL;
	memcpy(buf + CPIO_NEWC_HEADER_LEN, name, namesize);
	memset(buf + CPIO_NEWC_HEADER_LEN + namesize, 0, len - CPIO_NEWC_HEADER_LEN - namesize);
	return (long)len;
}

static int write_all(struct cpio_writer *w, const void *buf, size_t len, struct rh_err *err)
{
	const char *p = buf;

	if (w->hash)
		sha256_update(w->hash, buf, len);
	while (len) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return rh_errf(err, -errno, "%s: write failed: %s", w->what, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
		w->off += (uint64_t)n;
	}
	return 0;
}

static int put_header(struct cpio_writer *w, const char *name, unsigned mode, uint32_t nlink, uint64_t size,
		      unsigned rmajor, unsigned rminor, struct rh_err *err)
{
	char hdr[CPIO_NEWC_HEADER_LEN + CPIO_MAX_NAME + 8];
	long len;

	if (size > 0xffffffffu)
		return rh_errf(err, -EFBIG, "%s: %s is %llu bytes, over cpio newc's 4 GiB limit", w->what, name,
			       (unsigned long long)size);
	len = cpio_newc_header(hdr, sizeof(hdr), w->next_ino++, mode, nlink, (uint32_t)size, rmajor, rminor, name);
	if (len < 0)
		return rh_errf(err, (int)len, "%s: entry name '%s' is empty or too long", w->what, name);
	return write_all(w, hdr, (size_t)len, err);
}

static int put_pad(struct cpio_writer *w, uint64_t size, struct rh_err *err)
{
	static const char zeros[4];
	size_t pad = (size_t)((4 - (size & 3)) & 3);

	return pad ? write_all(w, zeros, pad, err) : 0;
}

int cpio_add_dir(struct cpio_writer *w, const char *name, unsigned mode, struct rh_err *err)
{
	return put_header(w, name, S_IFDIR | (mode & 07777), 2, 0, 0, 0, err);
}

int cpio_add_buf(struct cpio_writer *w, const char *name, unsigned mode, const void *buf, size_t len,
		 struct rh_err *err)
{
	int rc = put_header(w, name, S_IFREG | (mode & 07777), 1, len, 0, 0, err);

	if (!rc)
		rc = write_all(w, buf, len, err);
	if (!rc)
		rc = put_pad(w, len, err);
	return rc;
}

int cpio_add_fd(struct cpio_writer *w, const char *name, unsigned mode, int in_fd, uint64_t size,
		struct rh_err *err)
{
	char buf[65536];
	uint64_t left = size;
	int rc = put_header(w, name, S_IFREG | (mode & 07777), 1, size, 0, 0, err);

	while (!rc && left) {
		ssize_t n = read(in_fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rh_errf(err, -errno, "%s: reading %s: %s", w->what, name, strerror(errno));
		if (n == 0)
			return rh_errf(err, -EIO, "%s: %s ended %llu bytes early", w->what, name,
				       (unsigned long long)left);
		rc = write_all(w, buf, (size_t)n, err);
		left -= (uint64_t)n;
	}
	if (!rc)
		rc = put_pad(w, size, err);
	return rc;
}

int cpio_add_symlink(struct cpio_writer *w, const char *name, const char *target, struct rh_err *err)
{
	size_t len = strlen(target);
	int rc = put_header(w, name, S_IFLNK | 0777, 1, len, 0, 0, err);

	if (!rc)
		rc = write_all(w, target, len, err);
	if (!rc)
		rc = put_pad(w, len, err);
	return rc;
}

int cpio_add_node(struct cpio_writer *w, const char *name, unsigned mode, unsigned major, unsigned minor,
		  struct rh_err *err)
{
	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		return rh_errf(err, -EINVAL, "%s: %s: mode %o is not a device node", w->what, name, mode);
	return put_header(w, name, mode, 1, 0, major, minor, err);
}

int cpio_finish(struct cpio_writer *w, struct rh_err *err)
{
	char hdr[CPIO_NEWC_HEADER_LEN + 16];
	long len = cpio_newc_header(hdr, sizeof(hdr), 0, 0, 1, 0, 0, 0, "TRAILER!!!");

	if (len < 0)
		return rh_errf(err, (int)len, "%s: trailer", w->what);
	return write_all(w, hdr, (size_t)len, err);
}

/* The canonical module layout: fixed inode numbers so that init can rebuild the headers byte for byte. */
static int wrap_headers(const char *dir, const char *name, uint64_t size, char *dirhdr, long *dirlen,
			char *filehdr, long *filelen, char *trailer, long *traillen, size_t cap)
{
	char path[CPIO_MAX_NAME];

	if (size > 0xffffffffu)
		return -EFBIG;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	*dirlen = cpio_newc_header(dirhdr, cap, 1, S_IFDIR | 0755, 2, 0, 0, 0, dir);
	*filelen = cpio_newc_header(filehdr, cap, 2, S_IFREG | 0444, 1, (uint32_t)size, 0, 0, path);
	*traillen = cpio_newc_header(trailer, cap, 0, 0, 1, 0, 0, 0, "TRAILER!!!");
	if (*dirlen < 0 || *filelen < 0 || *traillen < 0)
		return -EINVAL;
	return 0;
}

int cpio_wrap_file(int out_fd, const char *dir, const char *name, int in_fd, uint64_t size, struct rh_err *err)
{
	char dh[CPIO_NEWC_HEADER_LEN + CPIO_MAX_NAME + 8], fh[sizeof(dh)], th[sizeof(dh)];
	long dl, fl, tl;
	struct cpio_writer w;
	char buf[65536];
	uint64_t left = size;
	int rc;

	rc = wrap_headers(dir, name, size, dh, &dl, fh, &fl, th, &tl, sizeof(dh));
	if (rc < 0)
		return rh_errf(err, rc, "cannot wrap %s/%s (%llu bytes) as a boot module", dir, name,
			       (unsigned long long)size);
	cpio_writer_init(&w, out_fd, name);
	rc = write_all(&w, dh, (size_t)dl, err);
	if (rc < 0)
		return rc;
	rc = write_all(&w, fh, (size_t)fl, err);
	if (rc < 0)
		return rc;
	while (left) {
		ssize_t n = read(in_fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rh_errf(err, n < 0 ? -errno : -EIO, "%s: read failed or ended early", name);
		rc = write_all(&w, buf, (size_t)n, err);
		if (rc < 0)
			return rc;
		left -= (uint64_t)n;
	}
	rc = put_pad(&w, size, err);
	if (rc < 0)
		return rc;
	return write_all(&w, th, (size_t)tl, err);
}

int cpio_wrap_hash_begin(struct cpio_wrap_hash *h, const char *dir, const char *name, uint64_t size)
{
	char dh[sizeof(h->th)], fh[sizeof(h->th)];
	long dl, fl;
	int rc = wrap_headers(dir, name, size, dh, &dl, fh, &fl, h->th, &h->tl, sizeof(dh));

	if (rc < 0)
		return rc;
	h->size = size;
	sha256_init(&h->ctx);
	sha256_update(&h->ctx, dh, (size_t)dl);
	sha256_update(&h->ctx, fh, (size_t)fl);
	return 0;
}

void cpio_wrap_hash_end(struct cpio_wrap_hash *h, uint8_t ret[SHA256_DIGEST_LEN])
{
	static const char zeros[4];

	sha256_update(&h->ctx, zeros, (size_t)((4 - (h->size & 3)) & 3));
	sha256_update(&h->ctx, h->th, (size_t)h->tl);
	sha256_final(&h->ctx, ret);
}

int cpio_wrap_sha256(const char *dir, const char *name, int in_fd, uint64_t size,
		     uint8_t ret[SHA256_DIGEST_LEN], struct rh_err *err)
{
	struct cpio_wrap_hash h;
	char buf[65536];
	uint64_t left = size, off = 0;
	int rc;

	rc = cpio_wrap_hash_begin(&h, dir, name, size);
	if (rc < 0)
		return rh_errf(err, rc, "cannot hash %s/%s as a boot module", dir, name);
	while (left) {
		ssize_t n = pread(in_fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rh_errf(err, n < 0 ? -errno : -EIO, "%s: read failed or ended early", name);
		sha256_update(&h.ctx, buf, (size_t)n);
		left -= (uint64_t)n;
		off += (uint64_t)n;
	}
	cpio_wrap_hash_end(&h, ret);
	return 0;
}
