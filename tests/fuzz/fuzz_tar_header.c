/* fuzz_tar_header.c: lib/tar_header.c on any entry: the fields come from the input (type, mode, owners, mtime,
 * size, device, then path, link target and xattrs separated by NUL bytes). A header that formats must read back
 * through libarchive's reader with the same values, its size must be what tar_header_size() said, and the same
 * entry must give the same bytes twice; one that does not format must be refused with -EINVAL and a message. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tar_header.h"

#define MAX_X 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The next NUL-terminated piece of the rest (the input copy), or NULL at its end. */
static char *piece(char **rest, char *end)
{
	char *p = *rest, *z;

	if (p >= end)
		return NULL;
	z = memchr(p, 0, (size_t)(end - p));
	*rest = z ? z + 1 : end;
	return p;
}

static int xattr_in(const struct tar_entry *e, const char *name, const void *value, size_t len)
{
	size_t i;

	for (i = 0; i < e->n_xattrs; i++)
		if (!strcmp(e->xattrs[i].name, name))
			return e->xattrs[i].len == len && !memcmp(e->xattrs[i].value, value, len);
	return 0;
}

static int xattr_named(const struct tar_entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->n_xattrs; i++)
		if (!strcmp(e->xattrs[i].name, name))
			return 1;
	return 0;
}

static void check_read_back(const struct tar_entry *e, const uint8_t *buf, size_t len)
{
	static const int ftype[] = { ['0'] = AE_IFREG, ['2'] = AE_IFLNK, ['3'] = AE_IFCHR, ['4'] = AE_IFBLK,
				     ['5'] = AE_IFDIR, ['6'] = AE_IFIFO };
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	const char *k;
	const void *v;
	size_t vl, nx = 0;

	if (!a)
		abort();
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK || archive_read_next_header(a, &ae) != ARCHIVE_OK)
		abort();
	if (strcmp(archive_entry_pathname(ae), e->path) || (uint64_t)archive_entry_uid(ae) != e->uid ||
	    (uint64_t)archive_entry_gid(ae) != e->gid || archive_entry_mtime(ae) != e->mtime ||
	    (uint64_t)archive_entry_size(ae) != e->size || (archive_entry_perm(ae) & 07777) != (e->mode & 07777))
		abort();
	if (e->type == TAR_HARDLINK) {
		if (!archive_entry_hardlink(ae) || strcmp(archive_entry_hardlink(ae), e->linkpath))
			abort();
	} else if (archive_entry_filetype(ae) != (unsigned)ftype[(int)e->type]) {
		abort();
	}
	if (e->type == TAR_SYMLINK && (!archive_entry_symlink(ae) || strcmp(archive_entry_symlink(ae), e->linkpath)))
		abort();
	if ((e->type == TAR_CHR || e->type == TAR_BLK) &&
	    (archive_entry_rdevmajor(ae) != e->devmajor || archive_entry_rdevminor(ae) != e->devminor))
		abort();
	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &k, &v, &vl) == ARCHIVE_OK) {
		if (!xattr_in(e, k, v, vl))
			abort();
		nx++;
	}
	if (nx != e->n_xattrs)
		abort();
	archive_read_free(a);
}

/* Formats e (twice) and checks the promises. */
static void check_entry(const struct tar_entry *e)
{
	struct rh_err err = { 0, "" };
	size_t need = 0, got = 0, got2 = 0, end;
	uint8_t *buf, *buf2;
	int rc = tar_header_size(e, &need, &err);

	if (rc < 0) {
		if (rc != -EINVAL || !err.msg[0] || need)
			abort();
		return;
	}
	if (!need || need % TAR_BLOCK)
		abort();
	end = need + (size_t)tar_end_len(need, TAR_BLOCK);
	buf = calloc(1, end);
	buf2 = calloc(1, need);
	if (!buf || !buf2)
		abort();
	if (tar_header_format(e, buf, need - 1, &got, &err) != -ENOSPC || got)
		abort();
	if (tar_header_format(e, buf, need, &got, NULL) != 0 || got != need)
		abort();
	if (tar_header_format(e, buf2, need, &got2, NULL) != 0 || got2 != need || memcmp(buf, buf2, need))
		abort();
	check_read_back(e, buf, e->size ? need : end);
	free(buf);
	free(buf2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char types[] = { TAR_REG, TAR_HARDLINK, TAR_SYMLINK, TAR_CHR, TAR_BLK, TAR_DIR, TAR_FIFO };
	struct tar_xattr x[MAX_X];
	struct tar_entry e;
	char *copy, *rest, *end, *name;

	if (size < 24)
		return 0;
	memset(&e, 0, sizeof(e));
	e.type = types[data[0] % sizeof(types)];
	e.mode = (uint32_t)le(data + 1, 2);
	e.uid = le(data + 3, 4);
	e.gid = le(data + 7, 4);
	e.mtime = (int64_t)(le(data + 11, 5) << 24) >> 24;   /* +-2^39 s, both sides of ustar's range */
	e.size = e.type == TAR_REG ? le(data + 16, 5) : 0;   /* up to 1 TiB: both sides of 8 GiB */
	e.devmajor = (uint32_t)le(data + 21, 3) & 0x3fffff;  /* around 07777777 */
	e.devminor = (uint32_t)(data[0] >> 3) * 99991u;
	copy = malloc(size - 24 + 1);
	if (!copy)
		abort();
	memcpy(copy, data + 24, size - 24);
	copy[size - 24] = '\0';
	rest = copy;
	end = copy + (size - 24);
	e.path = piece(&rest, end);
	if (e.type == TAR_SYMLINK || e.type == TAR_HARDLINK)
		e.linkpath = piece(&rest, end);
	while (e.n_xattrs < MAX_X && (name = piece(&rest, end))) {
		char *value = piece(&rest, end);

		if (!value)
			break;
		/* a name twice would read back as two: not something either writer does */
		if (!xattr_named(&e, name)) {
			x[e.n_xattrs] = (struct tar_xattr){ name, value, strlen(value) };
			e.xattrs = x;
			e.n_xattrs++;
		}
	}
	if (e.path && (e.type != TAR_SYMLINK && e.type != TAR_HARDLINK ? 1 : e.linkpath != NULL))
		check_entry(&e);
	free(copy);
	return 0;
}
