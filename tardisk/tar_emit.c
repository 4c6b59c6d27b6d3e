/* tar_emit.c: the canonical pax tar stream that tar2sqfs turns into the image. Entries come sorted by path;
 * owners are numeric only (no user/group names), mtimes are clamped, and each hardlink group's data goes
 * with its smallest path (entries.c), so the stream depends on the content only. The headers are
 * lib/tar_header.c's; the stream ends with the two zero blocks padded to a 10240-byte record, as tar writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "create_int.h"
#include "tar_header.h"

#define TAR_RECORD 10240

struct sink {
	int fd;           /* tar2sqfs's socket, or -1: the stream is only hashed */
	struct sha256_ctx *hash; /* every byte sent is hashed into it too, when set */
	int err;          /* errno of the first failed send */
	uint64_t written; /* bytes sent so far */
	uint8_t *hdr;     /* the header buffer, grown as entries need (owned) */
	size_t hdr_cap;
};

/* Sends len bytes to tar2sqfs. A failure is recorded in s->err: tar2sqfs went away, and its own message says
 * why (create.c), so the caller only needs the code. */
static int sink_put(struct sink *s, const void *buf, size_t len)
{
	const char *p = buf;

	if (s->hash)
		sha256_update(s->hash, buf, len);
	if (s->fd < 0) {
		s->written += len;
		return 0;
	}
	while (len) {
		/* MSG_NOSIGNAL: when tar2sqfs dies, we want its error message, not SIGPIPE. */
		ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->err = errno;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		s->written += (uint64_t)n;
	}
	return 0;
}

static int sink_zeros(struct sink *s, uint64_t n)
{
	static const char zero[TAR_BLOCK * 4];
	int rc = 0;

	while (!rc && n) {
		size_t k = n < sizeof(zero) ? (size_t)n : sizeof(zero);

		rc = sink_put(s, zero, k);
		n -= k;
	}
	return rc;
}

/* Formats te's headers into s->hdr (grown to fit) and sends them. */
static int sink_header(struct sink *s, const struct tar_entry *te, const char *what, struct rh_err *err)
{
	size_t need, len;
	int rc = tar_header_size(te, &need, err);

	if (rc < 0)
		return rh_err_prefix(err, rc, "%s", what);
	if (need > s->hdr_cap) {
		uint8_t *nb = realloc(s->hdr, need);

		if (!nb)
			return rh_errf(err, -ENOMEM, "%s: out of memory", what);
		s->hdr = nb;
		s->hdr_cap = need;
	}
	rc = tar_header_format(te, s->hdr, s->hdr_cap, &len, err);
	if (rc < 0)
		return rh_err_prefix(err, rc, "%s", what);
	return sink_put(s, s->hdr, len);
}

static int64_t clamp_time(int64_t t, long long clamp)
{
	if (clamp >= 0 && t > clamp)
		t = clamp;
	if (t < 0)
		t = 0;
	if (t > 0xffffffffll)
		t = 0xffffffffll; /* squashfs holds 32-bit unsigned times */
	return t;
}

/* Streams size bytes of one entry's data from the spool (archives) or from its file (directories). */
static int copy_data(struct sink *s, const char *what, const struct tdk_ent *e, int spool_fd,
		     struct tdk_progress *p, struct rh_err *err)
{
	static char buf[131072];
	uint64_t left = e->size, off = e->spool_off;
	int fd = spool_fd, rc = 0;

	if (e->src_path) {
		struct stat st;

		fd = open(e->src_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return rh_errf(err, -errno, "%s: entry '%s': %s", what, e->path, strerror(errno));
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size) {
			rc = rh_errf(err, -EAGAIN, "%s: entry '%s': the file changed while the image was built",
				     what, e->path);
			goto out;
		}
		off = 0;
	}
	while (left) {
		ssize_t n = pread(fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = rh_errf(err, n < 0 ? -errno : -EIO, "%s: entry '%s': reading data: %s", what, e->path,
				     n < 0 ? strerror(errno) : "ended early (file changed?)");
			goto out;
		}
		rc = sink_put(s, buf, (size_t)n);
		if (rc < 0)
			goto out;
		left -= (uint64_t)n;
		off += (uint64_t)n;
		tdk_progress_tick(p, (uint64_t)n, 0, 0);
	}
	rc = sink_zeros(s, tar_data_pad(e->size));
out:
	if (fd != spool_fd)
		close(fd);
	return rc;
}

/* The tar type of mode, or 0 for one tar cannot hold (a socket). */
static char tar_type_of(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return TAR_REG;
	case S_IFDIR: return TAR_DIR;
	case S_IFLNK: return TAR_SYMLINK;
	case S_IFCHR: return TAR_CHR;
	case S_IFBLK: return TAR_BLK;
	case S_IFIFO: return TAR_FIFO;
	}
	return 0;
}

/* Entry i of l as headers and, for the data carrier of a regular file, its data. */
static int emit_one(struct sink *s, const struct tdk_list *l, size_t i, int spool_fd, long long clamp,
		    struct tdk_progress *p, struct rh_err *err)
{
	const struct tdk_ent *e = &l->v[i], *real = e;
	struct tar_entry te;
	struct tar_xattr *tx = NULL;
	size_t k;
	int rc;

	if (e->hardlink)
		real = &l->v[e->target];
	memset(&te, 0, sizeof(te));
	te.path = e->path;
	te.mode = real->mode & 07777;
	te.uid = real->uid;
	te.gid = real->gid;
	te.mtime = clamp_time(real->mtime, clamp);
	if (real->rep != i) {
		/* Not the group's data carrier (entries.c picks the smallest path): a hardlink to it. */
		te.type = TAR_HARDLINK;
		te.linkpath = l->v[real->rep].path;
	} else {
		te.type = tar_type_of(real->mode);
		if (!te.type)
			return rh_errf(err, -EINVAL, "%s: entry '%s': mode 0%o cannot go into tar", l->what, e->path,
				       (unsigned)real->mode);
		te.size = te.type == TAR_REG ? real->size : 0;
		te.linkpath = te.type == TAR_SYMLINK ? real->link : NULL;
		if (te.type == TAR_CHR || te.type == TAR_BLK) {
			te.devmajor = real->rmajor;
			te.devminor = real->rminor;
		}
		if (real->n_xattrs) {
			tx = calloc(real->n_xattrs, sizeof(*tx));
			if (!tx)
				return rh_errf(err, -ENOMEM, "%s: out of memory", l->what);
			for (k = 0; k < real->n_xattrs; k++)
				tx[k] = (struct tar_xattr){ real->xattrs[k].key, real->xattrs[k].value, real->xattrs[k].len };
			te.xattrs = tx;
			te.n_xattrs = real->n_xattrs;
		}
	}
	rc = sink_header(s, &te, l->what, err);
	if (rc == 0 && te.type == TAR_REG)
		rc = copy_data(s, l->what, real, spool_fd, p, err);
	if (rc == 0)
		tdk_progress_tick(p, 0, 1, 0);
	free(tx);
	return rc;
}

int tar_emit(const struct tdk_list *l, int fd, int spool_fd, long long clamp, struct sha256_ctx *hash,
	     struct tdk_progress *p, struct rh_err *err)
{
	struct sink s = { .fd = fd, .hash = hash };
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < l->n; i++)
		rc = emit_one(&s, l, i, spool_fd, clamp, p, err);
	if (!rc)
		rc = sink_zeros(&s, tar_end_len(s.written, TAR_RECORD));
	if (s.err)
		rc = -s.err; /* tar2sqfs went away: its own message says why (create.c) */
	free(s.hdr);
	return rc;
}
