/* state_gen.c: one generation file: verify, extract (see state_gen.h; writing is state_gen_write.c). */
#include "state_gen.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fileio.h"

#define GEN_FILE_MAX ((size_t)1 << 36)    /* 64 GiB: far beyond any state, below what a size_t holds */
#define MAX_XATTRS 256
#define TMP_NAME ".ramhost-state.tmp"

/* ---- reading ---- */

/* What the walk hands each member to (extraction); all NULL for a plain verification. */
struct member_sink {
	/* a file or symlink member starts; target is the symlink's target (NULL for a file) */
	int (*begin)(void *ctx, const struct state_entry *e, const char *target, const struct state_xattr *x,
		     size_t nx);
	int (*data)(void *ctx, const void *buf, size_t len);
	/* the member ended; ok is 0 when its content did not verify */
	int (*end)(void *ctx, int ok);
};

/* Reads the whole current member (at most max bytes) into a malloc'd buffer. */
static int read_member(struct archive *a, size_t max, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		la_ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= max) {
				free(buf);
				return -EFBIG;
			}
			nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = archive_read_data(a, buf + len, cap - len);
		if (n < 0) {
			free(buf);
			return -EIO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The manifest entry of member ae (named mn), refusing unclean names, members the MANIFEST does not list, a
 * second copy of one (seen: one flag per manifest entry) and hard links. */
static int member_entry(struct archive_entry *ae, const char *mn, const struct state_manifest *m, uint8_t *seen,
			const char *name, const struct state_entry **ret, struct rh_err *err)
{
	char path[STATE_PATH_MAX + 1];
	const struct state_entry *e;
	size_t idx;

	if (!mn || !mn[0] || mn[0] == '/' || strlen(mn) + 1 >= sizeof(path))
		return rh_errf(err, -EINVAL, "%s: member '%s': absolute or empty name refused", name, mn ? mn : "");
	snprintf(path, sizeof(path), "/%s", mn);
	if (!state_path_valid(path, strlen(path)))
		return rh_errf(err, -EINVAL, "%s: member '%s': not a clean relative path (\"..\" or \".\") refused", name,
			       mn);
	e = state_manifest_find(m, path);
	if (!e || e->type == STATE_DELETED)
		return rh_errf(err, -EINVAL, "%s: member '%s' is not in the MANIFEST", name, mn);
	idx = (size_t)(e - m->e);
	if (seen[idx])
		return rh_errf(err, -EINVAL, "%s: member '%s' appears twice", name, mn);
	seen[idx] = 1;
	if (archive_entry_hardlink(ae))
		return rh_errf(err, -EINVAL, "%s: member '%s' is a hard link: refused", name, mn);
	*ret = e;
	return 0;
}

/* Checks that member ae has the type (and, for a symlink, the target: into *ret_target) the MANIFEST says. */
static int member_type_check(struct archive_entry *ae, const char *mn, const struct state_entry *e,
			     const char *name, const char **ret_target, struct rh_err *err)
{
	uint8_t d[SHA256_DIGEST_LEN];
	const char *target;

	if (e->type == STATE_LINK) {
		target = archive_entry_symlink(ae);
		if (archive_entry_filetype(ae) != AE_IFLNK || !target)
			return rh_errf(err, -EINVAL, "%s: member '%s' is not a symlink as the MANIFEST says", name, mn);
		sha256_buf(target, strlen(target), d);
		if (strlen(target) != e->size || memcmp(d, e->sha256, sizeof(d)))
			return rh_errf(err, -EINVAL, "%s: member '%s': symlink target does not match the MANIFEST", name,
				       mn);
		*ret_target = target;
	} else if (archive_entry_filetype(ae) != AE_IFREG || !archive_entry_size_is_set(ae) ||
		   (uint64_t)archive_entry_size(ae) != e->size) {
		return rh_errf(err, -EINVAL, "%s: member '%s' is not a regular file of %" PRIu64 " bytes as the MANIFEST says",
			       name, mn, e->size);
	}
	return 0;
}

/* The xattrs of member ae into x (MAX_XATTRS, pointing into ae), checked against the MANIFEST's digest. */
static int member_xattrs(struct archive_entry *ae, const char *mn, const struct state_entry *e, const char *name,
			 struct state_xattr *x, size_t *ret_nx, struct rh_err *err)
{
	uint8_t d[SHA256_DIGEST_LEN];
	size_t nx = 0, vl;
	const char *k;
	const void *v;

	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &k, &v, &vl) == ARCHIVE_OK) {
		if (nx == MAX_XATTRS)
			return rh_errf(err, -EINVAL, "%s: member '%s': too many xattrs", name, mn);
		x[nx].name = (char *)k;
		x[nx].value = (uint8_t *)v;
		x[nx].len = vl;
		nx++;
	}
	if (nx || e->has_xattrs) {
		state_xattr_digest(x, nx, d);
		if (!nx || !e->has_xattrs || memcmp(d, e->xattr_sha256, sizeof(d)))
			return rh_errf(err, -EINVAL, "%s: member '%s': xattrs do not match the MANIFEST", name, mn);
	}
	*ret_nx = nx;
	return 0;
}

/* Reads a file member's data, hands each block to ops->data and checks length and SHA-256 at the end. */
static int member_file_data(struct archive *a, const char *mn, const struct state_entry *e, const char *name,
			    const struct member_sink *ops, void *ctx, struct rh_err *err)
{
	uint8_t d[SHA256_DIGEST_LEN];
	struct sha256_ctx c;
	uint64_t done = 0;
	int rc;

	sha256_init(&c);
	for (;;) {
		const void *blk;
		size_t bl;
		la_int64_t off;
		int r = archive_read_data_block(a, &blk, &bl, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return rh_errf(err, -EINVAL, "%s: member '%s': %s", name, mn,
				       archive_error_string(a) ? archive_error_string(a) : "cannot be read");
		if (off < 0 || (uint64_t)off != done || bl > e->size - done)
			return rh_errf(err, -EINVAL, "%s: member '%s': sparse or overlong data refused", name, mn);
		sha256_update(&c, blk, bl);
		done += bl;
		if (ops && ops->data && bl) {
			rc = ops->data(ctx, blk, bl);
			if (rc < 0)
				return rc;
		}
	}
	sha256_final(&c, d);
	if (done != e->size || memcmp(d, e->sha256, sizeof(d)))
		return rh_errf(err, -EINVAL, "%s: member '%s': SHA-256 does not match the MANIFEST", name, mn);
	return 0;
}

/* Checks one member (entry ae) against the manifest m and hands it to ops. */
static int walk_member(struct archive *a, struct archive_entry *ae, const struct state_manifest *m, uint8_t *seen,
		       const char *name, const struct member_sink *ops, void *ctx, struct rh_err *err)
{
	const char *mn = archive_entry_pathname(ae), *target = NULL;
	struct state_xattr x[MAX_XATTRS];
	const struct state_entry *e = NULL;
	size_t nx = 0;
	int rc;

	rc = member_entry(ae, mn, m, seen, name, &e, err);
	if (rc < 0)
		return rc;
	rc = member_type_check(ae, mn, e, name, &target, err);
	if (rc < 0)
		return rc;
	rc = member_xattrs(ae, mn, e, name, x, &nx, err);
	if (rc < 0)
		return rc;
	if (ops && ops->begin) {
		rc = ops->begin(ctx, e, target, x, nx);
		if (rc < 0)
			return rc;
	}
	if (e->type == STATE_FILE)
		rc = member_file_data(a, mn, e, name, ops, ctx, err);
	if (ops && ops->begin && ops->end) {
		int erc = ops->end(ctx, rc == 0);

		if (rc == 0)
			rc = erc;
	}
	return rc;
}

/* Walks the payload of a generation whose footer checked out: MANIFEST first (into *ret_m), then every member. */
static int gen_walk(const uint8_t *payload, size_t plen, const char *name, uint64_t gen, struct state_manifest *ret_m,
		    const struct member_sink *ops, void *ctx, struct rh_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct state_manifest m;
	uint8_t *seen = NULL;
	char *text = NULL;
	size_t tlen, i;
	int rc = 0, r;

	memset(&m, 0, sizeof(m));
	if (!a)
		return rh_errf(err, -ENOMEM, "out of memory");
	if (archive_read_support_filter_zstd(a) != ARCHIVE_OK || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, payload, plen) != ARCHIVE_OK) {
		rc = rh_errf(err, -EINVAL, "%s: not a zstd tar: %s", name,
			     archive_error_string(a) ? archive_error_string(a) : "?");
		goto out;
	}
	r = archive_read_next_header(a, &ae);
	if (r != ARCHIVE_OK || strcmp(archive_entry_pathname(ae) ? archive_entry_pathname(ae) : "", STATE_MANIFEST_NAME) ||
	    archive_entry_filetype(ae) != AE_IFREG) {
		rc = rh_errf(err, -EINVAL, "%s: the first member is not the MANIFEST", name);
		goto out;
	}
	r = read_member(a, STATE_MANIFEST_MAX, &text, &tlen);
	if (r < 0) {
		rc = rh_errf(err, r == -ENOMEM ? r : -EINVAL, "%s: MANIFEST: %s", name,
			     r == -EFBIG ? "too large" : r == -ENOMEM ? "out of memory" : "cannot be read");
		goto out;
	}
	rc = state_manifest_parse(text, tlen, &m, err);
	if (rc < 0) {
		rc = rh_err_prefix(err, rc, "%s", name);
		goto out;
	}
	if (m.generation != gen) {
		rc = rh_errf(err, -EINVAL, "%s: MANIFEST says generation %" PRIu64 ", the footer %" PRIu64, name,
			     m.generation, gen);
		goto out;
	}
	seen = calloc(m.n ? m.n : 1, 1);
	if (!seen) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		rc = walk_member(a, ae, &m, seen, name, ops, ctx, err);
		if (rc < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		rc = rh_errf(err, -EINVAL, "%s: archive: %s", name,
			     archive_error_string(a) ? archive_error_string(a) : "damaged");
		goto out;
	}
	for (i = 0; i < m.n; i++)
		if (m.e[i].type != STATE_DELETED && !seen[i]) {
			rc = rh_errf(err, -EINVAL, "%s: '%s' is in the MANIFEST but not in the archive", name, m.e[i].path);
			goto out;
		}
	if (ret_m) {
		*ret_m = m;
		memset(&m, 0, sizeof(m));
	}
out:
	archive_read_free(a);
	free(text);
	free(seen);
	state_manifest_free(&m);
	return rc;
}

/* Reads only the MANIFEST of a payload. */
static int gen_manifest(const uint8_t *payload, size_t plen, const char *name, uint64_t gen,
			struct state_manifest *ret_m, struct rh_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	char *text = NULL;
	size_t tlen;
	int rc = 0, r;

	if (!a)
		return rh_errf(err, -ENOMEM, "out of memory");
	if (archive_read_support_filter_zstd(a) != ARCHIVE_OK || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, payload, plen) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK ||
	    strcmp(archive_entry_pathname(ae) ? archive_entry_pathname(ae) : "", STATE_MANIFEST_NAME)) {
		rc = rh_errf(err, -EINVAL, "%s: the first member is not the MANIFEST", name);
		goto out;
	}
	r = read_member(a, STATE_MANIFEST_MAX, &text, &tlen);
	if (r < 0) {
		rc = rh_errf(err, -EINVAL, "%s: MANIFEST cannot be read", name);
		goto out;
	}
	rc = state_manifest_parse(text, tlen, ret_m, err);
	if (rc == 0 && ret_m->generation != gen) {
		uint64_t said = ret_m->generation;

		state_manifest_free(ret_m);
		rc = rh_errf(err, -EINVAL, "%s: MANIFEST says generation %" PRIu64 ", the footer %" PRIu64, name, said,
			     gen);
	}
out:
	archive_read_free(a);
	free(text);
	return rc;
}

int state_gen_verify_buf(const uint8_t *buf, size_t len, const char *name, uint64_t expect_gen,
			 struct state_manifest *ret_manifest, struct rh_err *err)
{
	struct state_footer f;
	int rc = state_footer_check(buf, len, name, &f, err);

	if (rc < 0)
		return rc;
	if (expect_gen && f.generation != expect_gen)
		return rh_errf(err, -EINVAL, "%s: footer says generation %" PRIu64 ", the name %" PRIu64, name,
			       f.generation, expect_gen);
	return gen_walk(buf, (size_t)f.payload_len, name, f.generation, ret_manifest, NULL, NULL, err);
}

int state_gen_load(const char *path, uint64_t expect_gen, int full, struct state_gen *ret, struct rh_err *err)
{
	struct state_gen g;
	char *buf = NULL;
	int rc;

	memset(&g, 0, sizeof(g));
	rc = rh_read_file(path, GEN_FILE_MAX, &buf, &g.len, err);
	if (rc < 0)
		return rc;
	g.buf = (uint8_t *)buf;
	if (full) {
		rc = state_gen_verify_buf(g.buf, g.len, path, expect_gen, &g.manifest, err);
		if (rc == 0)
			rc = state_footer_parse(g.buf, g.len, path, &g.footer, err);
	} else {
		rc = state_footer_check(g.buf, g.len, path, &g.footer, err);
		if (rc == 0 && expect_gen && g.footer.generation != expect_gen)
			rc = rh_errf(err, -EINVAL, "%s: footer says generation %" PRIu64 ", the name %" PRIu64, path,
				     g.footer.generation, expect_gen);
		if (rc == 0)
			rc = gen_manifest(g.buf, (size_t)g.footer.payload_len, path, g.footer.generation, &g.manifest, err);
	}
	if (rc < 0) {
		state_gen_free(&g);
		return rc;
	}
	*ret = g;
	return 0;
}

void state_gen_free(struct state_gen *g)
{
	if (!g)
		return;
	free(g->buf);
	state_manifest_free(&g->manifest);
	memset(g, 0, sizeof(*g));
}

/* ---- extracting ---- */

/* Opens the directory that holds path (absolute, below rootfd) one component at a time, never following a
 * symlink; with create, missing directories are made (0755, owned by the caller). Sets *ret_base to the last
 * component (inside path). Returns the directory fd, -ENOENT when a directory is missing (without create), or
 * another negative errno with err naming the component. */
static int open_parent(int rootfd, const char *root, const char *path, int create, const char **ret_base,
		       struct rh_err *err)
{
	char comp[NAME_MAX + 1];
	const char *p = path + 1, *slash;
	int fd = dup(rootfd);

	if (fd < 0)
		return rh_errf(err, -errno, "dup: %s", strerror(errno));
	while ((slash = strchr(p, '/'))) {
		size_t n = (size_t)(slash - p);
		int sub;

		if (n > NAME_MAX) {
			close(fd);
			return rh_errf(err, -ENAMETOOLONG, "%s%s: name too long", root, path);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
				int e = errno;

				close(fd);
				return rh_errf(err, -e, "%s%.*s: cannot create the directory: %s", root,
					       (int)(slash - path), path, strerror(e));
			}
			sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (sub < 0) {
			int e = errno;

			close(fd);
			if (e == ENOENT)
				return -ENOENT;
			if (e == ELOOP || e == ENOTDIR)
				return rh_errf(err, -e, "%s%.*s: is a symlink or not a directory: refusing to restore '%s' through it",
					       root, (int)(slash - path), path, path);
			return rh_errf(err, -e, "%s%.*s: cannot open: %s", root, (int)(slash - path), path, strerror(e));
		}
		close(fd);
		fd = sub;
		p = slash + 1;
	}
	*ret_base = p;
	return fd;
}

struct restore_ctx {
	int rootfd;
	const char *root;
	struct rh_err *err;
	const struct state_entry *e;
	const struct state_xattr *x;
	size_t nx;
	int dfd, fd;
	const char *base;
	unsigned files;
};

static void ts_of(const struct state_entry *e, struct timespec ts[2])
{
	ts[0].tv_sec = ts[1].tv_sec = (time_t)e->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = (long)e->mtime_ns;
}

/* Restoring a generation, one member at a time: begin opens a temporary file beside the entry's path (or makes the
 * symlink), write fills it, finish sets owner, mode, xattrs and mtime and renames it into place. */
static int restore_begin(void *ctx, const struct state_entry *e, const char *target, const struct state_xattr *x,
			 size_t nx)
{
	struct restore_ctx *c = ctx;
	struct timespec ts[2];
	int dfd;

	dfd = open_parent(c->rootfd, c->root, e->path, 1, &c->base, c->err);
	if (dfd < 0)
		return dfd == -ENOENT ? rh_errf(c->err, dfd, "%s%s: parent vanished", c->root, e->path) : dfd;
	c->dfd = dfd;
	c->e = e;
	c->x = x;
	c->nx = nx;
	unlinkat(dfd, TMP_NAME, 0);   /* a stale one from a cut-off restore */
	if (target) {
		ts_of(e, ts);
		if (symlinkat(target, dfd, TMP_NAME) < 0)
			goto fail;
		if (fchownat(dfd, TMP_NAME, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    utimensat(dfd, TMP_NAME, ts, AT_SYMLINK_NOFOLLOW) < 0 || renameat(dfd, TMP_NAME, dfd, c->base) < 0) {
			int er = errno;

			unlinkat(dfd, TMP_NAME, 0);
			errno = er;
			goto fail;
		}
		c->files++;
		return 0;
	}
	c->fd = openat(dfd, TMP_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (c->fd < 0)
		goto fail;
	return 0;
fail:
	{
		int er = errno;

		close(dfd);
		c->dfd = -1;
		return rh_errf(c->err, -er, "%s%s: cannot restore: %s", c->root, e->path, strerror(er));
	}
}

static int restore_write(void *ctx, const void *buf, size_t len)
{
	struct restore_ctx *c = ctx;
	int rc = c->fd >= 0 ? rh_write_all(c->fd, buf, len) : 0;

	return rc < 0 ? rh_errf(c->err, rc, "%s%s: cannot write: %s", c->root, c->e->path, strerror(-rc)) : 0;
}

static int restore_finish(void *ctx, int ok)
{
	struct restore_ctx *c = ctx;
	const struct state_entry *e = c->e;
	struct timespec ts[2];
	const char *what = "";
	int rc = 0;
	size_t i;

	if (c->dfd < 0)
		return 0;
	if (c->fd < 0) {   /* a symlink: done in begin */
		close(c->dfd);
		c->dfd = -1;
		return 0;
	}
	ts_of(e, ts);
	if (!ok)
		goto drop;
	/* owner first: chown clears setuid/setgid, the mode put back after it */
	if (fchown(c->fd, e->uid, e->gid) < 0) {
		what = "chown";
		goto fail;
	}
	if (fchmod(c->fd, e->mode & 07777) < 0) {
		what = "chmod";
		goto fail;
	}
	for (i = 0; i < c->nx; i++)
		if (fsetxattr(c->fd, c->x[i].name, c->x[i].value, c->x[i].len, 0) < 0 && errno != ENOTSUP) {
			what = c->x[i].name;
			goto fail;
		}
	if (futimens(c->fd, ts) < 0) {
		what = "mtime";
		goto fail;
	}
	if (close(c->fd) < 0) {
		c->fd = -1;
		what = "close";
		goto fail;
	}
	c->fd = -1;
	if (renameat(c->dfd, TMP_NAME, c->dfd, c->base) < 0) {
		what = "rename";
		goto fail;
	}
	c->files++;
	close(c->dfd);
	c->dfd = -1;
	return 0;
fail:
	rc = rh_errf(c->err, -errno, "%s%s: cannot restore (%s): %s", c->root, e->path, what, strerror(errno));
drop:
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	unlinkat(c->dfd, TMP_NAME, 0);
	close(c->dfd);
	c->dfd = -1;
	return rc;
}

/* Checks, before any write, that every entry can be reached without a symlink and does not land on a directory. */
static int preflight(int rootfd, const char *root, const struct state_manifest *m, struct rh_err *err)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct state_entry *e = &m->e[i];
		const char *base;
		struct stat st;
		int dfd;

		if (e->type == STATE_DELETED)
			continue;
		dfd = open_parent(rootfd, root, e->path, 0, &base, err);
		if (dfd == -ENOENT)
			continue;   /* made on restore */
		if (dfd < 0)
			return dfd;
		if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
			close(dfd);
			return rh_errf(err, -EISDIR, "%s%s: is a directory on this host: refusing to replace it", root,
				       e->path);
		}
		close(dfd);
	}
	return 0;
}

int state_gen_extract(const struct state_gen *g, const char *root, struct rh_err *err)
{
	static const struct member_sink restore_sink = { restore_begin, restore_write, restore_finish };
	struct restore_ctx c;
	const char *shown = strcmp(root, "/") ? root : "";
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	c.dfd = c.fd = -1;
	c.root = shown;
	c.err = err;
	c.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.rootfd < 0)
		return rh_errf(err, -errno, "%s: cannot open the root: %s", root, strerror(errno));
	rc = preflight(c.rootfd, shown, &g->manifest, err);
	if (rc < 0)
		goto out;
	rc = gen_walk(g->buf, (size_t)g->footer.payload_len, "generation", g->footer.generation, NULL, &restore_sink, &c,
		      err);
	if (rc < 0)
		goto out;
	for (i = 0; i < g->manifest.n; i++) {
		const struct state_entry *e = &g->manifest.e[i];
		const char *base;
		struct rh_err ignore = { 0, "" };
		int dfd;

		if (e->type != STATE_DELETED)
			continue;
		/* a parent that is gone, a symlink or not a directory: nothing to delete there */
		dfd = open_parent(c.rootfd, shown, e->path, 0, &base, &ignore);
		if (dfd < 0)
			continue;
		if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT && errno != EISDIR && errno != EPERM) {
			rc = rh_errf(err, -errno, "%s%s: cannot delete: %s", shown, e->path, strerror(errno));
			close(dfd);
			goto out;
		}
		close(dfd);
	}
out:
	close(c.rootfd);
	return rc;
}
