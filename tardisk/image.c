/* image.c: opening a tardisk image read-only, bare or inside its cpio boot-module wrapper, via libsquashfs's
 * reader API (no mount). Every read goes through a bounds-checked sqfs_file_t, so corrupt offsets in the
 * image give an error, never a read past the image. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "fileio.h"
#include "image_int.h"

struct sub_file {
	sqfs_file_t base;
	int fd;              /* not owned */
	const uint8_t *mem;  /* not owned */
	uint64_t off, size;
};

static int sub_read_at(sqfs_file_t *f, sqfs_u64 offset, void *buffer, size_t size)
{
	struct sub_file *s = (struct sub_file *)f;
	uint8_t *p = buffer;

	if (offset > s->size || size > s->size - offset)
		return SQFS_ERROR_OUT_OF_BOUNDS;
	if (s->mem) {
		memcpy(buffer, s->mem + s->off + offset, size);
		return 0;
	}
	while (size) {
		ssize_t n = pread(s->fd, p, size, (off_t)(s->off + offset));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SQFS_ERROR_IO;
		p += n;
		size -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static int sub_write_at(sqfs_file_t *f, sqfs_u64 offset, const void *buffer, size_t size)
{
	(void)f, (void)offset, (void)buffer, (void)size;
	return SQFS_ERROR_IO; /* read-only */
}

static sqfs_u64 sub_get_size(const sqfs_file_t *f)
{
	return ((const struct sub_file *)f)->size;
}

static int sub_truncate(sqfs_file_t *f, sqfs_u64 size)
{
	(void)f, (void)size;
	return SQFS_ERROR_IO;
}

static void sub_destroy(sqfs_object_t *o)
{
	free(o);
}

static sqfs_file_t *sub_file_new(int fd, const uint8_t *mem, uint64_t off, uint64_t size)
{
	struct sub_file *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.base.destroy = sub_destroy;
	s->base.read_at = sub_read_at;
	s->base.write_at = sub_write_at;
	s->base.get_size = sub_get_size;
	s->base.truncate = sub_truncate;
	s->fd = fd;
	s->mem = mem;
	s->off = off;
	s->size = size;
	return &s->base;
}

const char *tdk_sqfs_strerror(int rc)
{
	switch (rc) {
	case SQFS_ERROR_ALLOC: return "out of memory";
	case SQFS_ERROR_IO: return "I/O error";
	case SQFS_ERROR_COMPRESSOR: return "decompression failed (corrupt data)";
	case SQFS_ERROR_INTERNAL: return "internal error";
	case SQFS_ERROR_CORRUPTED: return "corrupted metadata";
	case SQFS_ERROR_UNSUPPORTED: return "unsupported feature";
	case SQFS_ERROR_OVERFLOW: return "numeric overflow (corrupt sizes)";
	case SQFS_ERROR_OUT_OF_BOUNDS: return "offset out of bounds (truncated or corrupt image)";
	case SFQS_ERROR_SUPER_MAGIC: return "bad superblock magic (not a squashfs image)";
	case SFQS_ERROR_SUPER_VERSION: return "unsupported squashfs version";
	case SQFS_ERROR_SUPER_BLOCK_SIZE: return "bad block size in the superblock";
	case SQFS_ERROR_NOT_DIR: return "not a directory";
	case SQFS_ERROR_NO_ENTRY: return "no such entry";
	case SQFS_ERROR_LINK_LOOP: return "link loop";
	case SQFS_ERROR_NOT_FILE: return "not a regular file";
	case SQFS_ERROR_ARG_INVALID: return "invalid argument";
	case SQFS_ERROR_SEQUENCE: return "call sequence error";
	}
	return "unknown libsquashfs error";
}

static int readn(struct tardisk *td, uint64_t off, void *buf, size_t len)
{
	if (off > td->info.file_size || len > td->info.file_size - off)
		return -EIO;
	if (td->mem) {
		memcpy(buf, td->mem + off, len);
		return 0;
	}
	return pread(td->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

static int hexfield(const char *p, uint32_t *ret)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* The canonical boot module (lib/host/cpio.h cpio_wrap_file) is a newc cpio: a directory, then the image as a
 * regular file. Finds the first regular file's data; at most 16 entries are looked at. */
static int find_in_cpio(struct tardisk *td, struct rh_err *err)
{
	uint64_t off = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char h[CPIO_NEWC_HEADER_LEN];
		uint32_t f[13];
		uint64_t data;
		int k;

		if (readn(td, off, h, sizeof(h)))
			return rh_errf(err, -EINVAL, "%s: cpio wrapper truncated at byte %llu", td->name,
				       (unsigned long long)off);
		if (memcmp(h, "070701", 6) && memcmp(h, "070702", 6))
			return rh_errf(err, -EINVAL, "%s: cpio wrapper: bad header magic at byte %llu", td->name,
				       (unsigned long long)off);
		for (k = 0; k < 13; k++)
			if (hexfield(h + 6 + 8 * k, &f[k]))
				return rh_errf(err, -EINVAL, "%s: cpio wrapper: bad header field at byte %llu",
					       td->name, (unsigned long long)off);
		/* f[1] mode, f[6] filesize, f[11] namesize */
		if (f[11] < 1 || f[11] > CPIO_MAX_NAME)
			return rh_errf(err, -EINVAL, "%s: cpio wrapper: bad name size %u", td->name, f[11]);
		data = (off + CPIO_NEWC_HEADER_LEN + f[11] + 3) & ~3ull;
		if ((f[1] & S_IFMT) == S_IFREG && f[6] > 0) {
			if (data + f[6] > td->info.file_size)
				return rh_errf(err, -EINVAL, "%s: cpio wrapper: the image (%u bytes at %llu) runs past "
					       "the end of the file (truncated)", td->name, f[6],
					       (unsigned long long)data);
			td->info.image_offset = data;
			td->info.image_size = f[6];
			td->info.cpio_wrapped = 1;
			return 0;
		}
		if (f[6] == 0 && f[11] == 11) {
			char name[11];
			if (!readn(td, off + CPIO_NEWC_HEADER_LEN, name, 11) && !memcmp(name, "TRAILER!!!", 11))
				break;
		}
		off = (data + f[6] + 3) & ~3ull;
	}
	return rh_errf(err, -EINVAL, "%s: cpio archive without a tardisk image inside", td->name);
}

/* A table of `bytes` bytes in 8 KiB metadata blocks, indexed by one u64 per block after `header` bytes at
 * start: does the index fit before end? */
static int table_fits(uint64_t start, uint64_t bytes, uint64_t header, uint64_t end)
{
	uint64_t blocks = (bytes + 8191) / 8192;

	return start <= end && header + blocks * 8 <= end - start;
}

/* The superblock checks libsquashfs leaves to us: every table inside the image and in the order mksquashfs
 * and tar2sqfs write them. */
static int check_super(struct tardisk *td, struct rh_err *err)
{
	const sqfs_super_t *s = &td->super;
	const uint64_t none = 0xffffffffffffffffull, size = td->info.image_size;
	struct {
		const char *name;
		uint64_t v;
		int optional;
	} t[] = {
		{ "inode table", s->inode_table_start, 0 },
		{ "directory table", s->directory_table_start, 0 },
		{ "fragment table", s->fragment_table_start, 1 },
		{ "export table", s->export_table_start, 1 },
		{ "id table", s->id_table_start, 0 },
		{ "xattr id table", s->xattr_id_table_start, 1 },
	};
	size_t i;

	if (s->bytes_used > size)
		return rh_errf(err, -EINVAL, "%s: superblock: bytes_used %llu beyond the image's %llu bytes "
			       "(truncated)", td->name, (unsigned long long)s->bytes_used, (unsigned long long)size);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].optional && t[i].v == none)
			continue;
		if (t[i].v < 96 || t[i].v >= s->bytes_used)
			return rh_errf(err, -EINVAL, "%s: superblock: %s at %llu, outside the image (96..%llu)",
				       td->name, t[i].name, (unsigned long long)t[i].v,
				       (unsigned long long)s->bytes_used);
	}
	if (s->inode_table_start >= s->directory_table_start)
		return rh_errf(err, -EINVAL, "%s: superblock: inode table (%llu) not before the directory table "
			       "(%llu)", td->name, (unsigned long long)s->inode_table_start,
			       (unsigned long long)s->directory_table_start);
	if (s->id_count == 0)
		return rh_errf(err, -EINVAL, "%s: superblock: id count is 0", td->name);
	/* libsquashfs allocates these tables from the counts before reading them: a count whose block index
	 * (one u64 per 8 KiB metadata block) cannot even fit in the image is corrupt, and refused here. */
	if (!table_fits(s->id_table_start, (uint64_t)s->id_count * 4, 0, s->bytes_used))
		return rh_errf(err, -EINVAL, "%s: superblock: %u ids do not fit in the image", td->name, s->id_count);
	if (s->fragment_table_start != none &&
	    !table_fits(s->fragment_table_start, (uint64_t)s->fragment_entry_count * 16, 0, s->bytes_used))
		return rh_errf(err, -EINVAL, "%s: superblock: %u fragments do not fit in the image", td->name,
			       s->fragment_entry_count);
	if (s->xattr_id_table_start != none && !(s->flags & SQFS_FLAG_NO_XATTRS)) {
		uint8_t h[16];
		uint32_t n;

		if (td->file->read_at(td->file, s->xattr_id_table_start, h, sizeof(h)))
			return rh_errf(err, -EINVAL, "%s: xattr id table header outside the image", td->name);
		n = (uint32_t)h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 | (uint32_t)h[11] << 24;
		if (!table_fits(s->xattr_id_table_start, (uint64_t)n * 16, 16, s->bytes_used))
			return rh_errf(err, -EINVAL, "%s: %u xattr ids do not fit in the image", td->name, n);
	}
	return 0;
}

static int open_common(struct tardisk *td, struct rh_err *err)
{
	sqfs_compressor_config_t cfg;
	char magic[6];
	int rc;

	td->info.image_size = td->info.file_size;
	if (!readn(td, 0, magic, 6) && (!memcmp(magic, "070701", 6) || !memcmp(magic, "070702", 6))) {
		rc = find_in_cpio(td, err);
		if (rc)
			return rc;
	}
	td->file = sub_file_new(td->fd, td->mem, td->info.image_offset, td->info.image_size);
	if (!td->file)
		return rh_errf(err, -ENOMEM, "%s: out of memory", td->name);
	rc = sqfs_super_read(&td->super, td->file);
	if (rc)
		return rh_errf(err, -EINVAL, "%s: superblock: %s", td->name, tdk_sqfs_strerror(rc));
	rc = check_super(td, err);
	if (rc)
		return rc;
	td->info.block_size = td->super.block_size;
	td->info.inode_count = td->super.inode_count;
	td->info.mkfs_time = td->super.modification_time;
	td->info.compressor = td->super.compression_id;
	td->info.bytes_used = td->super.bytes_used;
	td->info.compressor_name = sqfs_compressor_name_from_id(td->super.compression_id);
	if (!td->info.compressor_name)
		td->info.compressor_name = "unknown";
	rc = sqfs_compressor_config_init(&cfg, td->super.compression_id, td->super.block_size,
					 SQFS_COMP_FLAG_UNCOMPRESS);
	if (!rc)
		rc = sqfs_compressor_create(&cfg, &td->cmp);
	if (rc)
		return rh_errf(err, -EINVAL, "%s: compressor %s (id %u): %s", td->name, td->info.compressor_name,
			       td->super.compression_id, tdk_sqfs_strerror(rc));
	if (td->super.flags & SQFS_FLAG_COMPRESSOR_OPTIONS) {
		rc = td->cmp->read_options(td->cmp, td->file);
		if (rc)
			return rh_errf(err, -EINVAL, "%s: compressor options: %s", td->name, tdk_sqfs_strerror(rc));
	}
	td->ids = sqfs_id_table_create(0);
	if (!td->ids)
		return rh_errf(err, -ENOMEM, "%s: out of memory", td->name);
	rc = sqfs_id_table_read(td->ids, td->file, &td->super, td->cmp);
	if (rc)
		return rh_errf(err, -EINVAL, "%s: id table: %s", td->name, tdk_sqfs_strerror(rc));
	td->dir = sqfs_dir_reader_create(&td->super, td->cmp, td->file, 0);
	td->data = sqfs_data_reader_create(td->file, td->super.block_size, td->cmp, 0);
	if (!td->dir || !td->data)
		return rh_errf(err, -ENOMEM, "%s: out of memory", td->name);
	rc = sqfs_data_reader_load_fragment_table(td->data, &td->super);
	if (rc)
		return rh_errf(err, -EINVAL, "%s: fragment table: %s", td->name, tdk_sqfs_strerror(rc));
	if (!(td->super.flags & SQFS_FLAG_NO_XATTRS) && td->super.xattr_id_table_start != 0xffffffffffffffffull) {
		td->xattr = sqfs_xattr_reader_create(0);
		if (!td->xattr)
			return rh_errf(err, -ENOMEM, "%s: out of memory", td->name);
		rc = sqfs_xattr_reader_load(td->xattr, &td->super, td->file, td->cmp);
		if (rc)
			return rh_errf(err, -EINVAL, "%s: xattr tables: %s", td->name, tdk_sqfs_strerror(rc));
	}
	return 0;
}

int tardisk_open(const char *path, struct tardisk **ret_td, struct rh_err *err)
{
	struct tardisk *td = calloc(1, sizeof(*td));
	struct stat st;
	int rc;

	if (!td)
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	td->fd = -1;
	td->name = strdup(path);
	if (!td->name) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	rc = rh_open_input(path, &td->fd, err); /* a fifo is refused here, before anything blocks on it */
	if (rc < 0)
		goto fail;
	if (fstat(td->fd, &st) < 0) {
		rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	td->info.file_size = (uint64_t)st.st_size;
	rc = open_common(td, err);
	if (rc)
		goto fail;
	*ret_td = td;
	return 0;
fail:
	tardisk_close(td);
	return rc;
}

int tardisk_open_buf(const void *buf, size_t len, const char *name, struct tardisk **ret_td, struct rh_err *err)
{
	struct tardisk *td = calloc(1, sizeof(*td));
	int rc;

	if (!td)
		return rh_errf(err, -ENOMEM, "%s: out of memory", name);
	td->fd = -1;
	td->mem = buf;
	td->info.file_size = len;
	td->name = strdup(name ? name : "(memory)");
	rc = td->name ? open_common(td, err) : rh_errf(err, -ENOMEM, "out of memory");
	if (rc) {
		tardisk_close(td);
		return rc;
	}
	*ret_td = td;
	return 0;
}

void tardisk_close(struct tardisk *td)
{
	if (!td)
		return;
	sqfs_destroy(td->xattr);
	sqfs_destroy(td->data);
	sqfs_destroy(td->dir);
	sqfs_destroy(td->ids);
	sqfs_destroy(td->cmp);
	sqfs_destroy(td->file);
	if (td->fd >= 0)
		close(td->fd);
	free(td->name);
	free(td);
}

const struct tardisk_info *tardisk_info(const struct tardisk *td)
{
	return &td->info;
}

int tdk_hash_file(struct tardisk *td, uint8_t ret[SHA256_DIGEST_LEN], struct rh_err *err)
{
	struct sha256_ctx ctx;
	static uint8_t buf[1 << 16];
	uint64_t off = 0;

	sha256_init(&ctx);
	if (td->mem) {
		sha256_update(&ctx, td->mem, td->info.file_size);
		off = td->info.file_size;
	}
	while (off < td->info.file_size) {
		ssize_t n = pread(td->fd, buf, sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rh_errf(err, n < 0 ? -errno : -EIO, "%s: read failed at byte %llu", td->name,
				       (unsigned long long)off);
		sha256_update(&ctx, buf, (size_t)n);
		off += (uint64_t)n;
	}
	sha256_final(&ctx, ret);
	return 0;
}
