/* create_int.h: the parts of tardisk_create() (create.c), shared between its files only. */
#ifndef RAMHOST_TARDISK_CREATE_INT_H
#define RAMHOST_TARDISK_CREATE_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "entries.h"
#include "err.h"
#include "sha256.h"
#include "tardisk.h"

struct tdk_progress {
	const struct tardisk_create_opts *o;
	uint64_t entries, bytes, last_bytes;
};

/* Calls the progress callback every 256 entries or 8 MiB, and always when force is set. */
void tdk_progress_tick(struct tdk_progress *p, uint64_t add_bytes, int add_entry, int force);

/* The decompressed bytes of a source archive (source_stream.c): gzip, bzip2, xz, zstd, lz4, lzip or none,
 * recognised by magic. Every stream is verified end to end: a corrupt or truncated one fails a read or
 * src_stream_finish() with a message naming the file and the compression. */
struct src_stream;
int src_stream_open(const char *path, struct src_stream **ret, struct rh_err *err);
/* Up to len bytes; 0 at the end; -EIO with src_stream_error() set. */
ssize_t src_stream_read(struct src_stream *s, void *buf, size_t len);
/* Reads what is left after the archive's end (padding, then the trailer or checksum) and checks it. */
int src_stream_finish(struct src_stream *s, struct rh_err *err);
const char *src_stream_error(const struct src_stream *s);    /* NULL while nothing failed */
const char *src_stream_compression(const struct src_stream *s); /* NULL: not compressed */
void src_stream_close(struct src_stream *s);

/* The scratch file holding an archive's file data until tar_emit() streams it. Each entry's data sits at
 * [off, off + size); all-zero blocks and sparse holes are left as holes, so a bomb of zeros or a sparse 1 TB
 * file takes no disk space. */
struct tdk_spool {
	int fd;               /* owned by tardisk_create() */
	const char *dir;      /* where it lives (the output's directory), for messages */
	uint64_t end;         /* where the next entry's data goes (the file is at least this long) */
};

/* Reads the archive at path (tar or cpio; gzip, bzip2, xz, zstd, lz4, lzip or none, verified end to end)
 * into l, copying file data to the spool. Refuses hostile entries naming them, and content over
 * l->max_bytes or over the free space of the spool's file system before writing it. */
int source_archive_read(const char *path, struct tdk_list *l, struct tdk_spool *sp, struct tdk_progress *p,
			struct rh_err *err);

/* The same, handing each checked entry (normalised path, data spooled) to sink, which owns its pointers from
 * then on (as entries_add); the content cap is counted on cap->bytes, which the sink keeps up to date. The
 * OCI source (oci/oci_apply.c) applies layers this way. */
int source_archive_each(const char *path, struct tdk_list *cap, int (*sink)(void *ctx, struct tdk_ent *e,
			struct rh_err *err), void *sink_ctx, struct tdk_spool *sp, struct tdk_progress *p,
			struct rh_err *err);

/* An OCI or Docker image (tardisk/oci/oci_layout.h: spec is PATH[:TAG]) for architecture arch (NULL: this
 * machine's), its layers applied in order with their whiteouts (oci/oci_apply.c), into l; file data in the
 * spool. Every blob is checked against its digest first; all layers' data counts against l->max_bytes. */
int source_oci_read(const char *spec, const char *arch, struct tdk_list *l, struct tdk_spool *sp,
		    struct tdk_progress *p, struct rh_err *err);
/* This machine's architecture as OCI names it (amd64, arm64, ...). */
const char *oci_machine_arch(void);

/* Walks the directory at path into l (owner root:root, modes, symlinks, hardlinks, devices, xattrs kept). */
int source_dir_read(const char *path, struct tdk_list *l, struct tdk_progress *p, struct rh_err *err);

/* The clamp time: opt when >= 0, else SOURCE_DATE_EPOCH (a plain decimal number), else -1. */
int tdk_resolve_mtime(long long opt, long long *ret, struct rh_err *err);

/* A scratch file in dir that disappears by itself (O_TMPFILE), for archive data: its fd, or negative errno. */
int tdk_open_spool(const char *dir, struct rh_err *err);

/* Writes the image of l (finished: sorted and checked) to o->out atomically: a registered temporary beside it,
 * tar2sqfs fed from l and the spool, fsync, rename. On failure no temporary is left and o->out is untouched. */
int tdk_write(const struct tardisk_create_opts *o, const struct tdk_list *l, int spool_fd, long long clamp,
	      struct rh_err *err);

/* Writes l (finished: sorted) as a pax tar stream to fd (a socket; owned by the caller), or only hashes it when
 * fd is -1. mtimes above clamp are lowered to it when clamp >= 0. hash, when set, gets every byte of the stream
 * (the content key, tardisk.h). */
int tar_emit(const struct tdk_list *l, int fd, int spool_fd, long long clamp, struct sha256_ctx *hash,
	     struct tdk_progress *p, struct rh_err *err);

#endif
