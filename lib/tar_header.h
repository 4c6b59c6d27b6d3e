/* tar_header.h: the one tar header writer (POSIX pax interchange format on top of ustar), used by the sticky-state
 * archive (ramdisk/state/state_gen_write.c) and the canonical stream tar2sqfs turns into a tardisk
 * (tardisk/tar_emit.c). Pure: formats into a caller's buffer, no I/O, deterministic for the same entry.
 *
 * An entry is one ustar header block; when a field does not fit ustar (a path that no prefix/name split holds, a
 * link target over 100 bytes, a size of 8 GiB or more, an owner over 07777777, an mtime before 1970 or past
 * 077777777777) or the entry has xattrs, a pax extended header ('x') with "LEN key=value\n" records goes before
 * it. Paths are bytes: a pax header whose strings are not all ASCII says hdrcharset=BINARY, so readers take them
 * as they are. Reading stays with libarchive. */
#ifndef RAMHOST_TAR_HEADER_H
#define RAMHOST_TAR_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TAR_BLOCK 512

/* The ustar typeflags written. */
enum tar_type {
	TAR_REG = '0',
	TAR_HARDLINK = '1',
	TAR_SYMLINK = '2',
	TAR_CHR = '3',
	TAR_BLK = '4',
	TAR_DIR = '5',
	TAR_FIFO = '6',
};

struct tar_xattr {
	const char *name;     /* no '=' (it ends a pax key) */
	const void *value;    /* any bytes */
	size_t len;
};

struct tar_entry {
	const char *path;     /* as stored (no '/' added or removed), not empty; a '/' at the end only for TAR_DIR */
	const char *linkpath; /* TAR_SYMLINK: the target; TAR_HARDLINK: the path of the entry it links to */
	char type;            /* enum tar_type */
	uint32_t mode;        /* permission bits; what is above 07777 is ignored */
	uint64_t uid, gid;
	int64_t mtime;        /* seconds since the epoch */
	uint64_t size;        /* bytes of data that follow (TAR_REG only; 0 for the others) */
	uint32_t devmajor, devminor; /* TAR_CHR, TAR_BLK; at most 07777777 */
	const struct tar_xattr *xattrs; /* written in this order as SCHILY.xattr.NAME records */
	size_t n_xattrs;
};

/* The bytes e's headers take (pax header and its data, then the ustar header; a multiple of TAR_BLOCK) into
 * *ret_size. -EINVAL (err names the field) for an entry tar cannot hold. */
int tar_header_size(const struct tar_entry *e, size_t *ret_size, struct rh_err *err);

/* Formats e's headers into buf (cap bytes) and sets *ret_len to their length. -ENOSPC when cap is smaller than
 * tar_header_size() says (buf is then unspecified), -EINVAL as tar_header_size(). */
int tar_header_format(const struct tar_entry *e, void *buf, size_t cap, size_t *ret_len, struct rh_err *err);

/* The zero bytes that follow len bytes of entry data, up to the next block. */
size_t tar_data_pad(uint64_t len);

/* The zero bytes that end an archive whose entries took `written` bytes: the two zero blocks of the end, then
 * padding to a multiple of record (a multiple of TAR_BLOCK; TAR_BLOCK: no padding, 10240: tar's default). */
uint64_t tar_end_len(uint64_t written, uint64_t record);

#endif
