/* tar_emit.c: the canonical pax tar stream that tar2sqfs turns into the image. Entries come sorted by path;
 * owners are numeric only (no user/group names), mtimes are clamped, and each hardlink group's data goes
 * with its smallest path (entries.c), so the stream depends on the content only. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "create_int.h"

struct sink {
	int fd;
	int err;  /* errno of the first failed send */
};

static la_ssize_t sink_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct sink *s = ctx;
	const char *p = buf;
	size_t left = len;

	while (left) {
		/* MSG_NOSIGNAL: when tar2sqfs dies, we want its error message, not SIGPIPE. */
		ssize_t n = send(s->fd, p, left, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->err = errno;
			archive_set_error(a, errno, "writing to tar2sqfs: %s", strerror(errno));
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	return (la_ssize_t)len;
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
static int copy_data(struct archive *a, const char *what, const struct tdk_ent *e, int spool_fd,
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
		if (archive_write_data(a, buf, (size_t)n) != n) {
			rc = rh_errf(err, -EIO, "%s: entry '%s': %s", what, e->path, archive_error_string(a));
			goto out;
		}
		left -= (uint64_t)n;
		off += (uint64_t)n;
		tdk_progress_tick(p, (uint64_t)n, 0, 0);
	}
out:
	if (fd != spool_fd)
		close(fd);
	return rc;
}

static int emit_one(struct archive *a, struct archive_entry *ae, const struct tdk_list *l, size_t i,
		    int spool_fd, long long clamp, struct tdk_progress *p, struct rh_err *err)
{
	const struct tdk_ent *e = &l->v[i], *real = e;
	size_t k;
	int rc = 0;

	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, e->path);
	if (e->hardlink)
		real = &l->v[e->target];
	if (real->rep != i) {
		/* Not the group's data carrier (entries.c picks the smallest path): a hardlink to it. */
		archive_entry_set_hardlink(ae, l->v[real->rep].path);
		archive_entry_set_filetype(ae, real->mode & S_IFMT);
		archive_entry_set_perm(ae, real->mode & 07777);
		archive_entry_set_size(ae, 0);
		archive_entry_set_uid(ae, real->uid);
		archive_entry_set_gid(ae, real->gid);
		archive_entry_set_mtime(ae, clamp_time(real->mtime, clamp), 0);
		if (archive_write_header(a, ae) != ARCHIVE_OK)
			return rh_errf(err, -EIO, "%s: entry '%s': %s", l->what, e->path, archive_error_string(a));
		tdk_progress_tick(p, 0, 1, 0);
		return 0;
	}
	archive_entry_set_filetype(ae, real->mode & S_IFMT);
	archive_entry_set_perm(ae, real->mode & 07777);
	archive_entry_set_uid(ae, real->uid);
	archive_entry_set_gid(ae, real->gid);
	archive_entry_set_mtime(ae, clamp_time(real->mtime, clamp), 0);
	if (S_ISREG(real->mode))
		archive_entry_set_size(ae, (la_int64_t)real->size);
	if (S_ISLNK(real->mode))
		archive_entry_set_symlink(ae, real->link);
	if (S_ISCHR(real->mode) || S_ISBLK(real->mode)) {
		archive_entry_set_rdevmajor(ae, real->rmajor);
		archive_entry_set_rdevminor(ae, real->rminor);
	}
	for (k = 0; k < real->n_xattrs; k++)
		archive_entry_xattr_add_entry(ae, real->xattrs[k].key, real->xattrs[k].value, real->xattrs[k].len);
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		return rh_errf(err, -EIO, "%s: entry '%s': %s", l->what, e->path, archive_error_string(a));
	if (S_ISREG(real->mode))
		rc = copy_data(a, l->what, real, spool_fd, p, err);
	tdk_progress_tick(p, 0, 1, 0);
	return rc;
}

int tar_emit(const struct tdk_list *l, int fd, int spool_fd, long long clamp, struct tdk_progress *p,
	     struct rh_err *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	struct sink s = { .fd = fd };
	size_t i;
	int rc = 0;

	if (!a || !ae) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", l->what);
		goto out;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 10240) != ARCHIVE_OK ||
	    archive_write_open2(a, &s, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
		rc = rh_errf(err, -EIO, "%s: tar writer: %s", l->what, archive_error_string(a));
		goto out;
	}
	for (i = 0; !rc && i < l->n; i++)
		rc = emit_one(a, ae, l, i, spool_fd, clamp, p, err);
	if (!rc && archive_write_close(a) != ARCHIVE_OK)
		rc = rh_errf(err, -EIO, "%s: finishing the tar stream: %s", l->what, archive_error_string(a));
out:
	if (s.err)
		rc = -s.err; /* tar2sqfs went away: its own message says why (create.c) */
	if (a)
		archive_write_free(a);
	archive_entry_free(ae);
	return rc;
}
