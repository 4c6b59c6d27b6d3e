/* state_gen_write.c: writing one generation file (see state_gen.h): a zstd-compressed pax tar, MANIFEST first,
 * then the saved files and symlinks, then the footer. The tar headers are lib/tar_header.c's and the compression
 * is libzstd's streaming API at its default level (3, what libarchive's zstd filter used); the archive is read
 * back with libarchive (state_gen.c). */
#include "state_gen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "fileio.h"
#include "tar_header.h"

#define COPY_BUF ((size_t)1 << 17)

/* The compressed output: tar bytes go in through zout_put, compressed bytes out to fd (hashed and counted for the
 * footer). All fields owned. */
struct zout {
	int fd;
	const char *fdname;
	ZSTD_CCtx *cctx;
	uint8_t *obuf;
	size_t ocap;
	struct sha256_ctx sha;
	uint64_t bytes;      /* compressed bytes written to fd */
	uint64_t tar_bytes;  /* tar bytes fed to the compressor */
	uint8_t *hdr;        /* tar header buffer, grown as entries need */
	size_t hdr_cap;
};

/* Feeds len bytes to the compressor and writes what comes out; ZSTD_e_end also flushes the frame to its end. A
 * failed write (ENOSPC included) is returned with its errno. */
static int zout_feed(struct zout *z, const void *buf, size_t len, ZSTD_EndDirective mode, struct rh_err *err)
{
	ZSTD_inBuffer in = { buf, len, 0 };

	for (;;) {
		ZSTD_outBuffer out = { z->obuf, z->ocap, 0 };
		size_t left = ZSTD_compressStream2(z->cctx, &out, &in, mode);
		int rc;

		if (ZSTD_isError(left))
			return rh_errf(err, -EIO, "%s: zstd: %s", z->fdname, ZSTD_getErrorName(left));
		if (out.pos) {
			rc = rh_write_all(z->fd, z->obuf, out.pos);
			if (rc < 0)
				return rh_errf(err, rc, "%s: cannot write: %s", z->fdname, strerror(-rc));
			sha256_update(&z->sha, z->obuf, out.pos);
			z->bytes += out.pos;
		}
		if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

static int zout_put(struct zout *z, const void *buf, size_t len, struct rh_err *err)
{
	z->tar_bytes += len;
	return zout_feed(z, buf, len, ZSTD_e_continue, err);
}

static int zout_zeros(struct zout *z, uint64_t n, struct rh_err *err)
{
	static const uint8_t zero[TAR_BLOCK * 2];
	int rc = 0;

	while (!rc && n) {
		size_t k = n < sizeof(zero) ? (size_t)n : sizeof(zero);

		rc = zout_put(z, zero, k, err);
		n -= k;
	}
	return rc;
}

/* The headers of te, formatted into z->hdr (grown to fit) and compressed. */
static int zout_header(struct zout *z, const struct tar_entry *te, struct rh_err *err)
{
	size_t need, len;
	int rc = tar_header_size(te, &need, err);

	if (rc < 0)
		return rh_err_prefix(err, rc, "%s", z->fdname);
	if (need > z->hdr_cap) {
		uint8_t *nb = realloc(z->hdr, need);

		if (!nb)
			return rh_errf(err, -ENOMEM, "out of memory");
		z->hdr = nb;
		z->hdr_cap = need;
	}
	rc = tar_header_format(te, z->hdr, z->hdr_cap, &len, err);
	if (rc < 0)
		return rh_err_prefix(err, rc, "%s", z->fdname);
	return zout_put(z, z->hdr, len, err);
}

/* Appends the content of file e (read again from rootfd) and its padding to the archive. */
static int write_file_data(struct zout *z, int rootfd, const char *root, const struct state_entry *e, char *buf,
			   size_t cap, struct rh_err *err)
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_LEN];
	uint64_t done = 0;
	int fd, rc = 0;

	fd = openat(rootfd, e->path + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP)
			return rh_errf(err, -EAGAIN, "%s%s: changed while being saved", root, e->path);
		return rh_errf(err, -errno, "%s%s: cannot open: %s", root, e->path, strerror(errno));
	}
	sha256_init(&c);
	while (done < e->size) {
		size_t want = e->size - done < cap ? (size_t)(e->size - done) : cap;
		ssize_t n = read(fd, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rh_errf(err, -errno, "%s%s: cannot read: %s", root, e->path, strerror(errno));
			goto out;
		}
		if (n == 0) {
			rc = rh_errf(err, -EAGAIN, "%s%s: changed while being saved (shorter)", root, e->path);
			goto out;
		}
		sha256_update(&c, buf, (size_t)n);
		rc = zout_put(z, buf, (size_t)n, err);
		if (rc < 0)
			goto out;
		done += (uint64_t)n;
	}
	sha256_final(&c, d);
	if (read(fd, buf, 1) > 0 || memcmp(d, e->sha256, sizeof(d)))
		rc = rh_errf(err, -EAGAIN, "%s%s: changed while being saved", root, e->path);
	else
		rc = zout_zeros(z, tar_data_pad(e->size), err);
out:
	close(fd);
	return rc;
}

/* The MANIFEST, first member of the archive. */
static int write_manifest_member(struct zout *z, const struct state_manifest *m, struct rh_err *err)
{
	struct tar_entry te = { .path = STATE_MANIFEST_NAME, .type = TAR_REG, .mode = 0644, .mtime = m->created };
	char *text = NULL;
	size_t tlen;
	int rc;

	if (state_manifest_format(m, &text, &tlen) < 0)
		return rh_errf(err, -ENOMEM, "out of memory");
	te.size = tlen;
	rc = zout_header(z, &te, err);
	if (rc == 0)
		rc = zout_put(z, text, tlen, err);
	if (rc == 0)
		rc = zout_zeros(z, tar_data_pad(tlen), err);
	free(text);
	return rc;
}

/* Reads the target of the symlink e into target (STATE_PATH_MAX), checking that it is still the one the manifest
 * hashed. */
static int read_link_target(int rootfd, const char *root, const struct state_entry *e, char *target,
			    struct rh_err *err)
{
	ssize_t n = readlinkat(rootfd, e->path + 1, target, STATE_PATH_MAX - 1);
	uint8_t d[SHA256_DIGEST_LEN];

	if (n >= 0)
		sha256_buf(target, (size_t)n, d);
	if (n <= 0 || (uint64_t)n != e->size || memcmp(d, e->sha256, sizeof(d)))
		return rh_errf(err, -EAGAIN, "%s%s: changed while being saved", root, e->path);
	target[n] = '\0';
	return 0;
}

/* One saved file or symlink of the manifest as an archive member (buf, cap: the copy buffer). */
static int write_entry_member(struct zout *z, int rootfd, const char *root, const struct state_entry *e,
			      char *buf, size_t cap, struct rh_err *err)
{
	struct tar_entry te = { .path = e->path + 1, .mode = e->mode, .uid = e->uid, .gid = e->gid,
				.mtime = e->mtime };
	char target[STATE_PATH_MAX];
	struct tar_xattr *tx = NULL;
	size_t j;
	int rc;

	if (e->type == STATE_LINK) {
		rc = read_link_target(rootfd, root, e, target, err);
		if (rc < 0)
			return rc;
		te.type = TAR_SYMLINK;
		te.linkpath = target;
	} else {
		te.type = TAR_REG;
		te.size = e->size;
		if (e->nxattrs) {
			tx = calloc(e->nxattrs, sizeof(*tx));
			if (!tx)
				return rh_errf(err, -ENOMEM, "out of memory");
			for (j = 0; j < e->nxattrs; j++)
				tx[j] = (struct tar_xattr){ e->xattrs[j].name, e->xattrs[j].value, e->xattrs[j].len };
			te.xattrs = tx;
			te.n_xattrs = e->nxattrs;
		}
	}
	rc = zout_header(z, &te, err);
	free(tx);
	if (rc == 0 && e->type == STATE_FILE)
		rc = write_file_data(z, rootfd, root, e, buf, cap, err);
	return rc;
}

/* The footer after the payload: generation, payload length and hash, creation time. */
static int write_footer(struct zout *z, const struct state_manifest *m, struct rh_err *err)
{
	uint8_t footer[STATE_FOOTER_SIZE];
	struct state_footer f;
	int rc;

	f.generation = m->generation;
	f.payload_len = z->bytes;
	f.created = m->created;
	sha256_final(&z->sha, f.sha256);
	state_footer_format(&f, footer);
	rc = rh_write_all(z->fd, footer, sizeof(footer));
	if (rc < 0)
		return rh_errf(err, rc, "%s: cannot write: %s", z->fdname, strerror(-rc));
	return 0;
}

/* The members of m, then the end of the tar (two zero blocks, no record padding) and of the zstd frame. */
static int write_payload(struct zout *z, int rootfd, const char *root, const struct state_manifest *m, char *buf,
			 struct rh_err *err)
{
	size_t i;
	int rc = write_manifest_member(z, m, err);

	for (i = 0; rc == 0 && i < m->n; i++)
		if (m->e[i].type != STATE_DELETED)
			rc = write_entry_member(z, rootfd, root, &m->e[i], buf, COPY_BUF, err);
	if (rc == 0)
		rc = zout_zeros(z, tar_end_len(z->tar_bytes, TAR_BLOCK), err);
	if (rc == 0)
		rc = zout_feed(z, NULL, 0, ZSTD_e_end, err);
	return rc;
}

int state_gen_write(int fd, const char *fdname, const char *root, const struct state_manifest *m,
		    uint64_t *ret_size, struct rh_err *err)
{
	struct zout z = { .fd = fd, .fdname = fdname };
	char *buf = malloc(COPY_BUF);
	int rootfd = -1, rc;

	z.cctx = ZSTD_createCCtx();
	z.ocap = ZSTD_CStreamOutSize();
	z.obuf = malloc(z.ocap);
	if (!buf || !z.cctx || !z.obuf) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_compressionLevel, ZSTD_CLEVEL_DEFAULT))) {
		rc = rh_errf(err, -EINVAL, "%s: zstd: cannot set the compression level", fdname);
		goto out;
	}
	sha256_init(&z.sha);
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		rc = rh_errf(err, -errno, "%s: cannot open the root: %s", root, strerror(errno));
		goto out;
	}
	rc = write_payload(&z, rootfd, root, m, buf, err);
	if (rc == 0)
		rc = write_footer(&z, m, err);
	if (rc == 0)
		*ret_size = z.bytes + STATE_FOOTER_SIZE;
out:
	ZSTD_freeCCtx(z.cctx);   /* NULL is fine */
	free(z.obuf);
	free(z.hdr);
	if (rootfd >= 0)
		close(rootfd);
	free(buf);
	return rc;
}
