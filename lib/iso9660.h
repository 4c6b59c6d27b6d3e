/* iso9660.h: a read-only ISO9660 reader (Rock Ridge names, Joliet noted) over a caller-supplied read callback.
 *
 * Used by the UEFI loader to find /bootbank/boot.cfg on the ISO through the whole device's BlockIO, and on the
 * host by tests and fuzz targets. Freestanding: no libc, no allocation, no globals; every byte read from the
 * device is validated before it is used (see iso9660.c and docs/loader-parsers.md for what and why).
 *
 * Errors are negative errno values (numbers as on Linux): ISO_EIO (callback failed or short device),
 * ISO_EINVAL (malformed volume or directory), ISO_ENOENT (no such path), ISO_ENOTDIR, ISO_EISDIR,
 * ISO_ENOTSUP (multi-extent file, or a file of 4 GiB or more), ISO_ELOOP (path too deep), ISO_ENAMETOOLONG. */
#ifndef RAMHOST_ISO9660_H
#define RAMHOST_ISO9660_H

#include <stddef.h>
#include <stdint.h>

#define ISO_EIO 5
#define ISO_ENOENT 2
#define ISO_EISDIR 21
#define ISO_ENOTDIR 20
#define ISO_EINVAL 22
#define ISO_ENAMETOOLONG 36
#define ISO_ELOOP 40
#define ISO_ENOTSUP 95

#define ISO_SECTOR 2048u          /* logical block size; the only one accepted */
#define ISO_MAX_DEPTH 16          /* path components followed by iso_lookup */
#define ISO_MAX_NAME 255          /* longest component name (Rock Ridge NM), without the NUL */
#define ISO_MAX_PATH 1024         /* longest path given to iso_lookup, without the NUL */
#define ISO_MAX_DIR_SIZE (16u * 1024 * 1024)   /* largest directory extent scanned, bytes */
#define ISO_MAX_CE 16             /* SUSP continuation areas followed per directory record */
#define ISO_MAX_VD 64             /* volume descriptors read before the terminator must appear */

/* Reads len bytes at byte offset `offset` of the device into buf. Returns 0, or a negative errno. iso_mount and
 * iso_lookup only ever read one whole 2048-byte sector at a multiple of 2048; iso_read passes the caller's range
 * through unchanged (one call, any offset and length), so a callback over BlockIO must handle partial blocks
 * (UEFI's DiskIO does). */
typedef int (*iso_read_fn)(void *ctx, uint64_t offset, void *buf, uint32_t len);

struct iso_fs {
	iso_read_fn read;
	void *ctx;
	uint64_t size;            /* bytes of the device, 0 = unknown (extents are then checked against the
	                             volume space size from the PVD only) */
	uint32_t root_lba, root_size;
	int rock_ridge;           /* 1 when the root directory carries SUSP "SP" and Rock Ridge "RR"/"NM" */
	int joliet;               /* 1 when a Joliet SVD (escape %/@ %/C %/E) is present; informational */
	/* private */
	uint32_t volume_blocks;   /* volume space size from the PVD, in 2048-byte blocks */
	uint32_t susp_skip;       /* SUSP LEN_SKP from the root's SP entry */
	uint8_t sector[ISO_SECTOR];   /* scratch buffer for directory reads (no allocation) */
	uint8_t ce[ISO_SECTOR];       /* scratch buffer for SUSP continuation areas */
};

struct iso_file {
	uint32_t lba;             /* first 2048-byte block of the extent */
	uint32_t size;            /* bytes */
	int is_dir;
};

/* Mounts the ISO9660 volume read through `read`/`ctx`: reads the volume descriptors from 16*2048, checks
 * "CD001", version 1, logical block size 2048, a sane root directory record inside the volume and the device;
 * notes a Joliet SVD and Rock Ridge (SUSP "SP" + "RR"/"NM" in the root's "." record). Fills *fs (the caller owns
 * it; it holds no pointer except read/ctx). Returns 0 or a negative errno. */
int iso_mount(struct iso_fs *fs, iso_read_fn read, void *ctx, uint64_t size);

/* Looks up an absolute or relative path such as "/bootbank/boot.cfg" ('/' separated, empty components and "."
 * skipped, ".." refused with -ISO_EINVAL). Components are compared case-insensitively (ASCII) against the Rock
 * Ridge NM name when the record has one, else the ISO9660 name with ";1" (any ";version") and a trailing "."
 * stripped. "/" itself gives the root directory. Fills *ret only on success. */
int iso_lookup(struct iso_fs *fs, const char *path, struct iso_file *ret);

/* Reads len bytes at offset off of file f into buf (the caller's). Reading past the end is -ISO_EINVAL (the
 * caller knows f->size); len 0 is a no-op. Returns 0 or a negative errno. */
int iso_read(struct iso_fs *fs, const struct iso_file *f, uint64_t off, void *buf, uint32_t len);

#endif
