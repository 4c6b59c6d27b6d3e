/* image_int.h: struct tardisk, shared by image.c, walk.c and verify.c only. */
#ifndef RAMHOST_TARDISK_IMAGE_INT_H
#define RAMHOST_TARDISK_IMAGE_INT_H

#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>
#include <sqfs/xattr_reader.h>

#include "tardisk.h"

struct tardisk {
	char *name;                /* for messages */
	int fd;                    /* -1 for a memory image */
	const uint8_t *mem;        /* memory image, not owned */
	struct tardisk_info info;
	sqfs_file_t *file;         /* the squashfs image, at info.image_offset */
	sqfs_super_t super;
	sqfs_compressor_t *cmp;
	sqfs_id_table_t *ids;
	sqfs_dir_reader_t *dir;
	sqfs_data_reader_t *data;
	sqfs_xattr_reader_t *xattr;  /* NULL when the image has no xattrs */
};

/* A message for a libsquashfs error code. */
const char *tdk_sqfs_strerror(int rc);

/* Reads the whole file (or memory image) from byte 0 and hashes it. */
int tdk_hash_file(struct tardisk *td, uint8_t ret[SHA256_DIGEST_LEN], struct rh_err *err);

/* tardisk_walk() with the squashfs inode too (verify.c reads the data through it). */
typedef int (*tdk_walk_inode_fn)(void *ctx, const struct tardisk_entry *e, const sqfs_inode_generic_t *in);
int tdk_walk_inodes(struct tardisk *td, tdk_walk_inode_fn cb, void *ctx, struct rh_err *err);

#endif
