/* sparse_zstd.c: a sparse file into one zstd frame (see sparse_zstd.h). */
#include "sparse_zstd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "fileio.h"

#define CHUNK (1u << 20)

struct zjob {
	ZSTD_CCtx *cctx;
	int out;
	uint8_t *obuf;
	size_t ocap;
	const char *dst;
	struct rh_err *err;
};

/* Feeds len bytes (buf, or zeros when buf is NULL) to the compressor; end: finish the frame. */
static int feed(struct zjob *z, const void *buf, size_t len, int end)
{
	static uint8_t zeros[CHUNK]; /* .bss, not 1 MiB of .rodata in the binary; never written */
	ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
	ZSTD_inBuffer in = { buf ? buf : zeros, len, 0 };
	size_t left;

	do {
		ZSTD_outBuffer out = { z->obuf, z->ocap, 0 };

		left = ZSTD_compressStream2(z->cctx, &out, &in, mode);
		if (ZSTD_isError(left))
			return rh_errf(z->err, -EIO, "%s: zstd: %s", z->dst, ZSTD_getErrorName(left));
		if (out.pos && rh_write_all(z->out, z->obuf, out.pos) < 0)
			return rh_errf(z->err, -errno, "%s: write: %s", z->dst, strerror(errno));
	} while (end ? left != 0 : in.pos < in.size);
	return 0;
}

/* Data from fd at [off, off + len) through buf. */
static int feed_data(struct zjob *z, int fd, const char *src, uint8_t *buf, off_t off, uint64_t len)
{
	while (len) {
		ssize_t n = pread(fd, buf, len < CHUNK ? (size_t)len : CHUNK, off);
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rh_errf(z->err, n < 0 ? -errno : -EIO, "%s: read: %s", src, n < 0 ? strerror(errno) :
				       "ended early");
		rc = feed(z, buf, (size_t)n, 0);

		if (rc < 0)
			return rc;
		off += n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int feed_file(struct zjob *z, int fd, const char *src, uint8_t *buf, off_t size)
{
	off_t pos = 0;
	int rc = 0;

	while (!rc && pos < size) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;

		if (data < 0)
			data = errno == ENXIO ? size : pos;   /* ENXIO: only a hole is left; other errors: read it all */
		while (!rc && pos < data) {                   /* the hole, as zeros */
			size_t n = data - pos < CHUNK ? (size_t)(data - pos) : CHUNK;

			rc = feed(z, NULL, n, 0);
			pos += (off_t)n;
		}
		if (rc || pos >= size)
			break;
		hole = lseek(fd, pos, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		rc = feed_data(z, fd, src, buf, pos, (uint64_t)(hole - pos));
		pos = hole;
	}
	return rc;
}

int sparse_zstd(const char *src, const char *dst, int level, struct rh_err *err)
{
	struct zjob z = { .out = -1, .dst = dst, .err = err };
	uint8_t *buf = malloc(CHUNK);
	struct stat st;
	int fd, rc;

	z.ocap = ZSTD_CStreamOutSize();
	z.obuf = malloc(z.ocap);
	z.cctx = ZSTD_createCCtx();
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (!buf || !z.obuf || !z.cctx) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = rh_errf(err, -errno, "%s: %s", src, strerror(errno));
		goto out;
	}
	ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setPledgedSrcSize(z.cctx, (unsigned long long)st.st_size);
	z.out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (z.out < 0) {
		rc = rh_errf(err, -errno, "%s: cannot create: %s", dst, strerror(errno));
		goto out;
	}
	rc = feed_file(&z, fd, src, buf, st.st_size);
	if (!rc)
		rc = feed(&z, NULL, 0, 1);
	if (!rc && close(z.out) < 0)
		rc = rh_errf(err, -errno, "%s: close: %s", dst, strerror(errno));
	z.out = -1;
	if (rc)
		unlink(dst);
out:
	if (z.out >= 0) {
		close(z.out);
		unlink(dst);
	}
	if (fd >= 0)
		close(fd);
	ZSTD_freeCCtx(z.cctx);
	free(z.obuf);
	free(buf);
	return rc;
}
