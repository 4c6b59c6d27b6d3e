/* tardisk.h: the tardisk format, a zstd-compressed squashfs image (squashfs-tools-ng's libsquashfs).
 *
 * create: read a directory or a tar / cpio archive (plain, gzip, bzip2, xz, zstd, lz4 or lzip, every stream
 * verified to its checksum), check every entry against the hostile-input rules (tardisk/path_check.h) and the
 * size cap, sort the entries and stream them as a canonical pax tar into `tar2sqfs --compressor zstd -j N`,
 * writing the image atomically. Same input + same mtime clamp gives byte-identical images.
 * read: open an image (or the canonical cpio-wrapped boot module holding one, see lib/host/cpio.h) without mounting
 * it, walk its entries, read a file, verify every block. Library code: never prints, fills struct rh_err. */
#ifndef RAMHOST_TARDISK_H
#define RAMHOST_TARDISK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sha256.h"

#define TARDISK_NAME_MAX 255   /* one path component, bytes */
#define TARDISK_PATH_MAX 4095  /* a whole path, bytes, without a NUL */

struct tardisk_create_opts {
	const char *src;       /* directory, or tar / tar.gz / tar.zst / tar.xz / cpio archive, or oci:PATH[:TAG] (an
				* OCI layout, OCI archive or docker save archive: tardisk/oci/oci_layout.h) */
	const char *oci_arch;  /* oci: sources: the architecture to pick (NULL: this machine's) */
	const char *out;       /* output image path; written atomically (temp + fsync + rename) */
	long long mtime;       /* clamp: every mtime above it is lowered to it, and the root and implicit
				* directories get it. -1: take SOURCE_DATE_EPOCH from the environment; when that is
				* unset too, nothing is clamped (archive mtimes kept) and implicit directories get 0 */
	int progress;          /* 1: call progress_cb now and then (and once at the end) */
	void (*progress_cb)(void *ctx, uint64_t entries, uint64_t bytes);
	void *progress_ctx;
	/* Optional, with progress: called as each phase starts, with one line saying what it does and, before
	 * tar2sqfs runs, how many entries it gets and the largest directory (its time grows with the square of
	 * a directory's entries: docs/tardisk.md). The string is valid during the call only. */
	void (*phase_cb)(void *ctx, const char *line);
	const char *tar2sqfs;  /* the tar2sqfs program; NULL: "tar2sqfs" from PATH */
	/* Optional: reusing an image built before from the same content (image-builder's tardisk cache). Once the
	 * source is read and checked, tardisk_create computes its content key and calls reuse(reuse_ctx, key); when
	 * that returns 1, the callback has put an image made from that key at o->out itself, and nothing is built.
	 * built_key (SHA256_DIGEST_LEN bytes), when set, receives the key of the image at o->out on success: of the
	 * stream tar2sqfs was actually fed, so a source that changed after the first hash is stored by what was
	 * built, never by what was looked up. */
	int (*reuse)(void *ctx, const uint8_t key[SHA256_DIGEST_LEN]);
	void *reuse_ctx;
	uint8_t *built_key;
	uint64_t max_size;     /* cap on the content (sum of regular file sizes, sparse ones at their full size):
				* a source over it is refused before its data is written. 0: TARDISK_MAX_SIZE_DEFAULT */
};

/* The default content cap (16 GiB): far above any boot or payload tree ramhost builds, far below what an
 * archive bomb declares (a 1 TB sparse file, terabytes of zeros). Every caller (tardisk create, vib create,
 * a profile's base and tardisk sources) gets it through tardisk_create(). */
#define TARDISK_MAX_SIZE_DEFAULT (16ull << 30)

/* The content key of an image: SHA-256 over this tag, " mtime=CLAMP\n" (the resolved clamp, -1 for none) and the
 * canonical pax tar stream fed to tar2sqfs (tar_emit.c: sorted, numeric owners, clamped mtimes). The same key
 * gives the same image bytes: the stream is all tar2sqfs reads, and its other options are fixed here. A new
 * tardisk format or tar2sqfs option needs a new tag. */
#define TARDISK_KEY_TAG "ramhost-tardisk-key-1 tar2sqfs --compressor zstd --no-skip"

/* The key of one layer's image of tardisk_create_layers: SHA-256 over this tag, " ", TARDISK_KEY_TAG, " mtime=CLAMP\n"
 * and the digest of that layer and of each one below it ("sha256:HEX\n", lowest first), as the manifest names and
 * oci_image_open checked them. A layer's image depends on the layers below it (a hard link to their file is a
 * copy, a whiteout is written only over what they have, a directory takes their attributes), so the lowest
 * layer's key is its digest's alone, and two images that share their lowest layers share their keys. A change in
 * how a layer is read off needs a new tag. */
#define TARDISK_LAYER_KEY_TAG "ramhost-oci-layer-key-1"

/* `oci-layers = split` (docs/tardisk.md "Split layers"): one image per layer of the oci: source o->src, each with
 * what its layer changes and, for what it removes from the layers below, overlayfs's whiteouts and opaque
 * directories (lib/ovl.h), so that the images mounted as overlayfs lower layers in order show what
 * tardisk_create() makes of the whole image. Every check of tardisk_create() holds; o->out, reuse and built_key
 * are not used.
 * Once every blob is checked, layer(ctx, i, n, key, out, cap, err) is called for each layer i (from 0) of the n,
 * lowest first, with its key (TARDISK_LAYER_KEY_TAG); it returns 1 when it has put that layer's image in place
 * itself (a cache hit), 0 to have it written to out (cap bytes, filled by the callback), or a negative errno with
 * err set. Layers above the last one asked for are not read. Nothing is written until every layer read is
 * checked, and on failure the images this call wrote are removed. */
struct tardisk_layers_opts {
	int (*layer)(void *ctx, unsigned i, unsigned n, const uint8_t key[SHA256_DIGEST_LEN], char *out, size_t cap,
		     struct rh_err *err);
	void *ctx;
};
int tardisk_create_layers(const struct tardisk_create_opts *o, const struct tardisk_layers_opts *lo,
			  struct rh_err *err);

/* Builds o->out from o->src. On failure, neither o->out (when it did not exist before, or the old one stays
 * untouched) nor any temporary file is left behind, and err names the entry that was refused. */
int tardisk_create(const struct tardisk_create_opts *o, struct rh_err *err);

struct tardisk;  /* an open image; see tardisk_open() */

struct tardisk_xattr {
	const char *key;    /* full name, e.g. "user.foo" */
	const uint8_t *value;
	size_t value_len;
};

/* One entry as tardisk_walk() reports it. Pointers are valid only during the callback. */
struct tardisk_entry {
	const char *path;        /* relative, no leading "/", e.g. "usr/bin/sh" */
	uint32_t mode;           /* type and permission bits (S_IFREG | 0644 ...) */
	uint32_t uid, gid;
	uint32_t mtime;
	uint64_t size;           /* regular file: bytes; symlink: target length; else 0 */
	uint32_t inode;          /* squashfs inode number: hardlinks share it */
	uint32_t nlink;
	uint32_t rdev_major, rdev_minor;  /* device nodes */
	const char *link_target; /* symlinks, else NULL */
	const struct tardisk_xattr *xattrs;
	size_t n_xattrs;
};

struct tardisk_info {
	uint64_t image_offset;   /* where the squashfs image starts in the file: 0, or inside a cpio wrapper */
	uint64_t image_size;     /* bytes of the squashfs image (the wrapped file's size, or the file's) */
	uint64_t file_size;      /* the whole file */
	int cpio_wrapped;        /* 1: the file is a newc cpio module holding the image */
	uint32_t block_size;
	uint32_t inode_count;
	uint32_t mkfs_time;
	uint16_t compressor;     /* SQFS_COMP_* id */
	const char *compressor_name;
	uint64_t bytes_used;
};

/* Opens an image read-only. path may be a squashfs image or the cpio-wrapped module holding one. On success
 * *ret_td is the caller's, to be freed with tardisk_close(). */
int tardisk_open(const char *path, struct tardisk **ret_td, struct rh_err *err);
/* The same over a memory buffer (not copied: buf must outlive the handle); name is for messages. */
int tardisk_open_buf(const void *buf, size_t len, const char *name, struct tardisk **ret_td, struct rh_err *err);
void tardisk_close(struct tardisk *td);
const struct tardisk_info *tardisk_info(const struct tardisk *td);

/* Calls cb for every entry below the root (not the root itself), depth first, each directory's entries in
 * name order (squashfs keeps them sorted). A non-zero return from cb stops the walk and is returned. Fails
 * on corrupt metadata (loops, bad names, unreadable inodes) with a message naming the path. */
typedef int (*tardisk_walk_fn)(void *ctx, const struct tardisk_entry *e);
int tardisk_walk(struct tardisk *td, tardisk_walk_fn cb, void *ctx, struct rh_err *err);

/* Writes the content of the regular file at path (relative, a leading "/" allowed) to fd. */
int tardisk_cat(struct tardisk *td, const char *path, int fd, struct rh_err *err);

/* Writes img's tree into the existing directory dir without the file data: directories, symlinks (their
 * targets as stored), and an empty file for every other entry, regular files with their permission bits; the
 * regular files listed in with_data (relative paths, NULL-terminated; may be NULL) get their content. Owners are
 * not kept (no root needed). What dir already holds is read as the layers below img, the way overlayfs shows
 * them (lib/ovl.h): an entry replaces what is at its path (a directory over a directory keeps its children, or
 * drops them when it is opaque) and a whiteout removes it, so the images of a split OCI base written in order
 * give the tree of the whole image. For builders that look at what an image has (which files, where its
 * symlinks lead) without unpacking it: image-builder's ramhost layer over a container image base. */
int tardisk_skeleton(const char *img, const char *dir, const char *const *with_data, struct rh_err *err);

struct tardisk_verify_report {
	uint64_t entries;        /* walked entries, the root not counted */
	uint64_t files;          /* distinct regular-file inodes */
	uint64_t bytes;          /* their content, decompressed */
	uint64_t dirs, symlinks, devices, hardlinks;
	uint8_t sha256[SHA256_DIGEST_LEN];  /* of the whole file as given (a wrapped module: of the module) */
};

/* Checks the superblock (magic, version, block size, zstd compressor, table offsets inside the image), walks
 * every inode, decompresses every data block and fragment, and hashes the file. ret is filled on success. */
int tardisk_verify(struct tardisk *td, struct tardisk_verify_report *ret, struct rh_err *err);

#endif
