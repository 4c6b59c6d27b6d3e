/* verify.c: tardisk_verify(): the superblock is a tardisk's, every inode is readable, every data block and
 * fragment decompresses, and the file's SHA-256. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image_int.h"

struct vstate {
	struct tardisk *td;
	struct tardisk_verify_report r;
	uint32_t *files;        /* regular-file inode numbers already read (hardlinks are read once) */
	size_t n_files, cap_files;
	struct rh_err *err;
};

static int file_seen(struct vstate *v, uint32_t ino)
{
	size_t i;

	/* Hardlinked files are rare and adjacent-ish; a linear scan of the linked ones only is enough. */
	for (i = 0; i < v->n_files; i++)
		if (v->files[i] == ino)
			return 1;
	if (v->n_files == v->cap_files) {
		size_t cap = v->cap_files ? v->cap_files * 2 : 64;
		uint32_t *f = realloc(v->files, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		v->files = f;
		v->cap_files = cap;
	}
	v->files[v->n_files++] = ino;
	return 0;
}

static int read_all(struct vstate *v, const struct tardisk_entry *e, const sqfs_inode_generic_t *in)
{
	static uint8_t buf[131072];
	uint64_t off = 0;

	while (off < e->size) {
		uint32_t want = e->size - off < sizeof(buf) ? (uint32_t)(e->size - off) : (uint32_t)sizeof(buf);
		sqfs_s32 n = sqfs_data_reader_read(v->td->data, in, off, buf, want);

		if (n <= 0)
			return rh_errf(v->err, -EIO, "%s: '%s': data at byte %llu of %llu: %s", v->td->name, e->path,
				       (unsigned long long)off, (unsigned long long)e->size,
				       n < 0 ? tdk_sqfs_strerror(n) : "ended early");
		off += (uint64_t)n;
	}
	v->r.bytes += e->size;
	v->r.files++;
	return 0;
}

static int verify_cb(void *ctx, const struct tardisk_entry *e, const sqfs_inode_generic_t *in)
{
	struct vstate *v = ctx;

	v->r.entries++;
	if (S_ISDIR(e->mode))
		v->r.dirs++;
	else if (S_ISLNK(e->mode))
		v->r.symlinks++;
	else if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
		v->r.devices++;
	if (S_ISREG(e->mode)) {
		if (e->nlink > 1) {
			int s = file_seen(v, e->inode);
			if (s < 0)
				return rh_errf(v->err, -ENOMEM, "out of memory");
			if (s) {
				v->r.hardlinks++;
				return 0;
			}
		}
		return read_all(v, e, in);
	}
	return 0;
}

int tardisk_verify(struct tardisk *td, struct tardisk_verify_report *ret, struct rh_err *err)
{
	struct vstate v = { .td = td, .err = err };
	const sqfs_super_t *s = &td->super;
	int rc;

	/* magic, version and block size were checked by sqfs_super_read() at open, table offsets there too. */
	if (s->compression_id != SQFS_COMP_ZSTD)
		return rh_errf(err, -EINVAL, "%s: compressor is %s, a tardisk uses zstd", td->name,
			       td->info.compressor_name);
	if (s->block_size < SQFS_MIN_BLOCK_SIZE || s->block_size > SQFS_MAX_BLOCK_SIZE ||
	    (s->block_size & (s->block_size - 1)))
		return rh_errf(err, -EINVAL, "%s: block size %u", td->name, s->block_size);
	if (s->inode_count == 0)
		return rh_errf(err, -EINVAL, "%s: superblock: inode count is 0", td->name);
	rc = tdk_walk_inodes(td, verify_cb, &v, err);
	if (!rc && v.r.entries + 1 < s->inode_count)
		rc = rh_errf(err, -EINVAL, "%s: superblock says %u inodes, the directory tree reaches %llu entries",
			     td->name, s->inode_count, (unsigned long long)v.r.entries + 1);
	if (!rc)
		rc = tdk_hash_file(td, v.r.sha256, err);
	free(v.files);
	if (!rc)
		*ret = v.r;
	return rc;
}
