/* source_stream.c: the decompressed bytes of a source archive, verified end to end (see create_int.h).
 *
 * libarchive's filters decompress but do not all verify: its gzip reader skips the CRC-32/ISIZE trailer, and
 * the tar reader stops at the end-of-archive blocks, so a checksum at the end of a bzip2, xz, zstd or lz4
 * stream is never reached. Here the compression is recognised by its magic, gzip is inflated by zlib itself
 * (which checks every member's header, CRC-32 and ISIZE), the others by libarchive's filter, and
 * src_stream_finish() reads every stream to its last byte. Compressions without any integrity check (.Z,
 * lzop, lrzip) and xz, zstd or lz4 streams written without their optional checksum are refused; anything else
 * is read as it is (a plain tar or cpio, or an error from the archive reader). */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "create_int.h"
#include "fileio.h"

struct src_stream {
	const char *path;
	const char *comp;        /* "gzip", "bzip2", ... or NULL when not compressed */
	int fd;
	struct archive *la;      /* bzip2 / xz / zstd / lz4 / lzip: libarchive's raw reader */
	z_stream zs;
	int z_live, z_member_end, eof;
	uint64_t z_members;
	unsigned char in[65536];
	char msg[512];           /* set on the first failure */
};

static const struct magic {
	const char *name;
	const unsigned char bytes[6];
	size_t len;
	int accepted;            /* 0: no integrity check, refused */
} magics[] = {
	{ "gzip", { 0x1f, 0x8b }, 2, 1 },
	{ "bzip2", { 'B', 'Z', 'h' }, 3, 1 },
	{ "xz", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, 1 },
	{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4, 1 },
	{ "lz4", { 0x04, 0x22, 0x4d, 0x18 }, 4, 1 },
	{ "lzip", { 'L', 'Z', 'I', 'P' }, 4, 1 },
	{ "compress (.Z)", { 0x1f, 0x9d }, 2, 0 },
	{ "lzop", { 0x89, 'L', 'Z', 'O', 0 }, 5, 0 },
	{ "lrzip", { 'L', 'R', 'Z', 'I' }, 4, 0 },
};

static int fail(struct src_stream *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->msg[0]) {
		va_start(ap, fmt);
		vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
		va_end(ap);
	}
	return -EIO;
}

static int open_gzip(struct src_stream *s)
{
	/* 15 + 16: a gzip wrapper, whose header CRC, CRC-32 and ISIZE zlib checks. */
	if (inflateInit2(&s->zs, 15 + 16) != Z_OK)
		return fail(s, "zlib: cannot start inflating");
	s->z_live = 1;
	return 0;
}

static int open_libarchive(struct src_stream *s)
{
	struct archive_entry *ae;

	s->la = archive_read_new();
	if (!s->la)
		return -ENOMEM;
	archive_read_support_filter_bzip2(s->la);
	archive_read_support_filter_xz(s->la);
	archive_read_support_filter_zstd(s->la);
	archive_read_support_filter_lz4(s->la);
	archive_read_support_filter_lzip(s->la);
	archive_read_support_format_raw(s->la);
	if (archive_read_open_fd(s->la, s->fd, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(s->la, &ae) != ARCHIVE_OK)
		return fail(s, "corrupt %s stream: %s", s->comp,
			    archive_error_string(s->la) ? archive_error_string(s->la) : "unreadable header");
	return 0;
}

/* xz, zstd and lz4 make their checksum optional: a stream written without one (xz --check=none, zstd
 * --no-check, lz4 --no-frame-crc) cannot be verified, so it is refused. The first frame's flags decide. */
static int checksum_present(const struct src_stream *s, const unsigned char *head, size_t n, struct rh_err *err)
{
	const char *how = NULL;

	if (!strcmp(s->comp, "xz") && n >= 8 && !(head[7] & 0x0f))
		how = "xz --check=none writes it so";
	else if (!strcmp(s->comp, "zstd") && n >= 5 && !(head[4] & 0x04))
		how = "zstd --no-check and bsdtar write it so";
	else if (!strcmp(s->comp, "lz4") && n >= 5 && !(head[4] & 0x04))
		how = "lz4 --no-frame-crc writes it so";
	if (!how)
		return 0;
	return rh_errf(err, -EINVAL, "%s: the %s stream has no checksum (%s), so it cannot be "
		       "verified; compress it again with the %s program's defaults", s->path, s->comp, how, s->comp);
}

int src_stream_open(const char *path, struct src_stream **ret, struct rh_err *err)
{
	struct src_stream *s = calloc(1, sizeof(*s));
	unsigned char head[8] = { 0 };
	ssize_t n;
	size_t i;
	int rc = 0;

	if (!s)
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	s->path = path;
	s->fd = -1;
	rc = rh_open_input(path, &s->fd, err); /* a fifo or a device is refused, not read forever */
	if (rc < 0)
		goto fail;
	n = pread(s->fd, head, sizeof(head), 0);
	for (i = 0; n > 0 && i < sizeof(magics) / sizeof(magics[0]); i++)
		if ((size_t)n >= magics[i].len && !memcmp(head, magics[i].bytes, magics[i].len))
			break;
	if (n > 0 && i < sizeof(magics) / sizeof(magics[0])) {
		s->comp = magics[i].name;
		if (!magics[i].accepted) {
			rc = rh_errf(err, -EINVAL, "%s: %s compression is not accepted: it has no integrity check "
				     "(use gzip, bzip2, xz, zstd or lz4)", path, s->comp);
			goto fail;
		}
		rc = checksum_present(s, head, (size_t)n, err);
		if (rc)
			goto fail;
		rc = !strcmp(s->comp, "gzip") ? open_gzip(s) : open_libarchive(s);
		if (rc) {
			rc = rh_errf(err, rc, "%s: %s", path, s->msg[0] ? s->msg : "out of memory");
			goto fail;
		}
	}
	*ret = s;
	return 0;
fail:
	src_stream_close(s);
	return rc;
}

/* Inflates the next bytes; between members, skips zero padding and starts the next member. */
static ssize_t read_gzip(struct src_stream *s, void *buf, size_t len)
{
	s->zs.next_out = buf;
	s->zs.avail_out = (uInt)len;
	while (s->zs.avail_out == len && !s->eof) {
		int zr;

		if (!s->zs.avail_in) {
			ssize_t n = read(s->fd, s->in, sizeof(s->in));
			if (n < 0)
				return fail(s, "%s", strerror(errno));
			if (n == 0) {
				if (s->z_member_end)
					s->eof = 1;
				else
					return fail(s, "truncated gzip stream (the file ends inside "
						    "compressed data)");
				break;
			}
			s->zs.next_in = s->in;
			s->zs.avail_in = (uInt)n;
		}
		if (s->z_member_end) {
			/* Zero padding after the last member is allowed (tape blocking); anything else must be
			 * another member. */
			while (s->zs.avail_in && !*s->zs.next_in) {
				s->zs.next_in++;
				s->zs.avail_in--;
			}
			if (!s->zs.avail_in)
				continue;
			if (s->zs.avail_in < 2 ? *s->zs.next_in != 0x1f :
			    (s->zs.next_in[0] != 0x1f || s->zs.next_in[1] != 0x8b))
				return fail(s, "corrupt gzip stream: garbage after member %llu",
					    (unsigned long long)s->z_members);
			inflateReset(&s->zs);
			s->z_member_end = 0;
		}
		zr = inflate(&s->zs, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			s->z_member_end = 1;
			s->z_members++;
		} else if (zr != Z_OK && !(zr == Z_BUF_ERROR && !s->zs.avail_in)) {
			return fail(s, "corrupt gzip stream (member %llu): %s", (unsigned long long)s->z_members + 1,
				    s->zs.msg ? s->zs.msg : "inflate failed");
		}
	}
	return (ssize_t)(len - s->zs.avail_out);
}

ssize_t src_stream_read(struct src_stream *s, void *buf, size_t len)
{
	ssize_t n;

	if (s->msg[0])
		return -EIO;
	if (s->z_live)
		return read_gzip(s, buf, len);
	if (s->la) {
		n = archive_read_data(s->la, buf, len);
		if (n < 0)
			return fail(s, "corrupt %s stream: %s", s->comp,
				    archive_error_string(s->la) ? archive_error_string(s->la) : "read error");
		return n;
	}
	do
		n = read(s->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail(s, "%s", strerror(errno));
	return n;
}

int src_stream_finish(struct src_stream *s, struct rh_err *err)
{
	static char sink[65536];
	ssize_t n;

	if (s->comp) {
		/* The rest after the archive's end marker: zeros, then the checksum that vouches for it all. */
		while ((n = src_stream_read(s, sink, sizeof(sink))) > 0)
			;
		if (n < 0)
			return rh_errf(err, -EIO, "%s: %s", s->path, s->msg);
	}
	return 0;
}

/* Without the file name: callers put it first. */
const char *src_stream_error(const struct src_stream *s)
{
	return s->msg[0] ? s->msg : NULL;
}

const char *src_stream_compression(const struct src_stream *s)
{
	return s->comp;
}

void src_stream_close(struct src_stream *s)
{
	if (!s)
		return;
	if (s->z_live)
		inflateEnd(&s->zs);
	if (s->la)
		archive_read_free(s->la);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}
