/* source_archive.c: a tar or cpio archive (libarchive) as the source of a tardisk. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "create_int.h"
#include "fileio.h"
#include "path_check.h"


static const char *type_name(unsigned type)
{
	switch (type) {
	case AE_IFSOCK: return "socket";
	case 0: return "unknown (0)";
	}
	return "unsupported";
}

/* Copies the entry's data to the spool; the size read must be the size announced. */
static int spool_data(struct archive *a, const char *src, const char *name, int spool_fd, uint64_t size,
		      uint64_t *ret_off, struct tdk_progress *p, struct rh_err *err)
{
	static char buf[65536];
	off_t off = lseek(spool_fd, 0, SEEK_END);
	uint64_t got = 0;
	int rc;

	if (off < 0)
		return rh_errf(err, -errno, "%s: spool file: %s", src, strerror(errno));
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0)
			return rh_errf(err, -EIO, "%s: entry '%s': %s", src, name, archive_error_string(a));
		if (n == 0)
			break;
		rc = rh_write_all(spool_fd, buf, (size_t)n);
		if (rc)
			return rh_errf(err, rc, "%s: entry '%s': writing the spool file: %s", src, name,
				       strerror(-rc));
		got += (uint64_t)n;
		tdk_progress_tick(p, (uint64_t)n, 0, 0);
	}
	if (got != size)
		return rh_errf(err, -EIO, "%s: entry '%s': %llu bytes of data, header says %llu (truncated?)", src,
			       name, (unsigned long long)got, (unsigned long long)size);
	*ret_off = (uint64_t)off;
	return 0;
}

static int take_xattrs(struct archive_entry *ae, struct tdk_ent *e)
{
	const char *key;
	const void *val;
	size_t len;
	int n = archive_entry_xattr_reset(ae);

	if (n <= 0)
		return 0;
	e->xattrs = calloc((size_t)n, sizeof(*e->xattrs));
	if (!e->xattrs)
		return -ENOMEM;
	while (archive_entry_xattr_next(ae, &key, &val, &len) == ARCHIVE_OK) {
		struct tdk_xattr *x;

		if (!entries_xattr_storable(key) || e->n_xattrs == (size_t)n)
			continue; /* squashfs holds user., trusted. and security. only (docs/tardisk.md) */
		x = &e->xattrs[e->n_xattrs];
		x->key = strdup(key);
		x->value = malloc(len + 1);
		if (!x->key || !x->value) {
			free(x->key);
			free(x->value);
			return -ENOMEM;
		}
		memcpy(x->value, val, len);
		x->len = len;
		e->n_xattrs++;
	}
	return 0;
}

/* A hard link entry (target hl): its normalized target, and its data when the archive carries some. */
static int take_hardlink(struct archive *a, struct archive_entry *ae, const char *src, const char *name,
			 const char *hl, int spool_fd, struct tdk_ent *e, struct tdk_progress *p, struct rh_err *err)
{
	char norm[TARDISK_PATH_MAX + 1], shorthl[160];
	size_t len;
	int rc;

	rc = tdk_path_normalize(hl, strlen(hl), norm, sizeof(norm), &len);
	if (rc != TDK_PATH_OK)
		return rh_errf(err, -EINVAL, "%s: entry '%s': hardlink target '%s' %s", src, name,
			       tdk_path_shorten(hl, shorthl, sizeof(shorthl)),
			       rc == TDK_PATH_ROOT ? "is the root directory" : tdk_path_reason(rc));
	e->hardlink = 1;
	e->link = strdup(norm);
	if (!e->link)
		return -ENOMEM;
	if (archive_entry_size_is_set(ae) && archive_entry_size(ae) > 0) {
		e->link_data = 1;
		e->size = (uint64_t)archive_entry_size(ae);
		return spool_data(a, src, name, spool_fd, e->size, &e->spool_off, p, err);
	}
	return 0;
}

/* What each file type of an entry that is not a hard link carries: data, target, device numbers, xattrs. */
static int take_by_type(struct archive *a, struct archive_entry *ae, const char *src, const char *name,
			unsigned type, int spool_fd, struct tdk_ent *e, struct tdk_progress *p, struct rh_err *err)
{
	int rc;

	e->mode = type | (archive_entry_perm(ae) & 07777);
	switch (type) {
	case AE_IFREG:
		if (archive_entry_size(ae) < 0)
			return rh_errf(err, -EINVAL, "%s: entry '%s': negative size", src, name);
		e->size = (uint64_t)archive_entry_size(ae);
		rc = spool_data(a, src, name, spool_fd, e->size, &e->spool_off, p, err);
		if (rc < 0)
			return rc;
		return take_xattrs(ae, e);
	case AE_IFLNK: {
		const char *t = archive_entry_symlink(ae);
		if (!t || !*t)
			return rh_errf(err, -EINVAL, "%s: entry '%s': symlink with an empty target", src, name);
		if (strlen(t) > TARDISK_PATH_MAX)
			return rh_errf(err, -ENAMETOOLONG, "%s: entry '%s': symlink target over %d bytes", src,
				       name, TARDISK_PATH_MAX);
		e->link = strdup(t);
		return e->link ? take_xattrs(ae, e) : -ENOMEM;
	}
	case AE_IFCHR:
	case AE_IFBLK:
		e->rmajor = (uint32_t)archive_entry_rdevmajor(ae);
		e->rminor = (uint32_t)archive_entry_rdevminor(ae);
		if (e->rmajor > 0xfff || e->rminor > 0xfffff)
			return rh_errf(err, -ERANGE, "%s: entry '%s': device %u,%u does not fit squashfs", src,
				       name, e->rmajor, e->rminor);
		return take_xattrs(ae, e);
	case AE_IFDIR:
	case AE_IFIFO:
		return take_xattrs(ae, e);
	}
	return rh_errf(err, -EINVAL, "%s: entry '%s': entry type %s cannot be stored in a tardisk", src, name,
		       type_name(type));
}

/* One header: checks it and fills e (whose pointers the caller then hands to entries_add). Returns 1 to skip
 * the entry (the root). */
static int take_entry(struct archive *a, struct archive_entry *ae, const char *src, struct tdk_list *l,
		      int spool_fd, struct tdk_ent *e, struct tdk_progress *p, struct rh_err *err)
{
	char norm[TARDISK_PATH_MAX + 1];
	const char *name = archive_entry_pathname(ae), *hl = archive_entry_hardlink(ae);
	unsigned type = archive_entry_filetype(ae);
	char shortbuf[160];
	size_t len;
	int rc;

	(void)l;
	if (!name)
		return rh_errf(err, -EINVAL, "%s: an entry has no usable name", src);
	rc = tdk_path_normalize(name, strlen(name), norm, sizeof(norm), &len);
	name = tdk_path_shorten(name, shortbuf, sizeof(shortbuf)); /* for messages only */
	if (rc < 0)
		return rh_errf(err, -EINVAL, "%s: entry '%s': the path %s", src, name, tdk_path_reason(rc));
	if (rc == TDK_PATH_ROOT) {
		if (hl || type != AE_IFDIR)
			return rh_errf(err, -EINVAL, "%s: entry '%s': names the root but is not a directory", src,
				       name);
		return 1; /* the root's attributes are fixed: 0755 root:root (docs/tardisk.md) */
	}
	e->path = strdup(norm);
	if (!e->path)
		return -ENOMEM;
	if (archive_entry_uid(ae) < 0 || archive_entry_uid(ae) > 0xfffffffe || archive_entry_gid(ae) < 0 ||
	    archive_entry_gid(ae) > 0xfffffffe)
		return rh_errf(err, -ERANGE, "%s: entry '%s': uid %lld / gid %lld out of range", src, name,
			       (long long)archive_entry_uid(ae), (long long)archive_entry_gid(ae));
	e->uid = (uint32_t)archive_entry_uid(ae);
	e->gid = (uint32_t)archive_entry_gid(ae);
	e->mtime = archive_entry_mtime(ae);
	if (hl)
		return take_hardlink(a, ae, src, name, hl, spool_fd, e, p, err);
	return take_by_type(a, ae, src, name, type, spool_fd, e, p, err);
}

int source_archive_read(const char *path, struct tdk_list *l, int spool_fd, struct tdk_progress *p,
			struct rh_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	const char *last = NULL;
	char lastbuf[256] = "";
	int rc = 0, r, fd = -1;

	if (!a)
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_cpio(a);
	if ((rc = rh_open_input(path, &fd, err)) < 0) /* a fifo or a device is refused, not read forever */
		goto out;
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		rc = rh_errf(err, -EINVAL, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	for (;;) {
		struct tdk_ent e;

		r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			/* Warnings too: a pax header libarchive could not apply is input we cannot trust. */
			rc = rh_errf(err, -EINVAL, "%s: %s%s%s: %s", path, last ? "after entry '" : "at the start",
				     last ? lastbuf : "", last ? "'" : "", archive_error_string(a));
			goto out;
		}
		memset(&e, 0, sizeof(e));
		r = take_entry(a, ae, path, l, spool_fd, &e, p, err);
		if (r == 1) {
			free(e.path);
			continue;
		}
		if (r == 0)
			r = entries_add(l, &e, err);
		else
			entries_ent_free(&e);
		if (r) {
			rc = r == -ENOMEM ? rh_errf(err, r, "%s: out of memory", path) : r;
			goto out;
		}
		snprintf(lastbuf, sizeof(lastbuf), "%s", archive_entry_pathname(ae));
		last = lastbuf;
		tdk_progress_tick(p, 0, 1, 0);
	}
out:
	archive_read_free(a);
	if (fd >= 0)
		close(fd);
	return rc;
}
