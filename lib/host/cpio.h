/* cpio.h: writer for the "newc" cpio format (the one the Linux kernel unpacks as an initramfs).
 *
 * Every entry is written with fixed inode numbers, mtime and owner, so the same input gives the same bytes.
 * A ramhost boot module holding one file (a tardisk) is written in a canonical form, `cpio_wrap_file()`, whose
 * SHA-256 can be recomputed from the unpacked file alone (`cpio_wrap_sha256()`): boot.cfg records one hash per
 * module, the loader checks it over the module file, and init checks the same hash over the unpacked file. */
#ifndef RAMHOST_CPIO_H
#define RAMHOST_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "sha256.h"

#define CPIO_NEWC_HEADER_LEN 110
#define CPIO_MAX_NAME 4096

struct cpio_writer {
	int fd;                   /* written to, not owned */
	const char *what;         /* name of the output for error messages */
	uint64_t off;             /* bytes written so far */
	uint32_t next_ino;
	struct sha256_ctx *hash;  /* when set, every byte written is also hashed */
};

/* Starts a writer on fd (owned by the caller); what names it in error messages. */
void cpio_writer_init(struct cpio_writer *w, int fd, const char *what);

int cpio_add_dir(struct cpio_writer *w, const char *name, unsigned mode, struct rh_err *err);
int cpio_add_buf(struct cpio_writer *w, const char *name, unsigned mode, const void *buf, size_t len,
		 struct rh_err *err);
/* Copies size bytes from in_fd (from its current offset); fails with -EIO if in_fd ends early. */
int cpio_add_fd(struct cpio_writer *w, const char *name, unsigned mode, int in_fd, uint64_t size,
		struct rh_err *err);
int cpio_add_symlink(struct cpio_writer *w, const char *name, const char *target, struct rh_err *err);
/* A device node: mode includes S_IFCHR or S_IFBLK. No root is needed to describe one in an archive. */
int cpio_add_node(struct cpio_writer *w, const char *name, unsigned mode, unsigned major, unsigned minor,
		  struct rh_err *err);
/* Writes the TRAILER!!! entry. */
int cpio_finish(struct cpio_writer *w, struct rh_err *err);

/* Formats one newc header plus name and padding into buf (cap bytes). Returns its length or -E2BIG / -EINVAL.
 * Exposed for the canonical wrapper and for tests. */
long cpio_newc_header(char *buf, size_t cap, uint32_t ino, unsigned mode, uint32_t nlink, uint32_t filesize,
		      unsigned rmajor, unsigned rminor, const char *name);

/* Canonical module: directory `dir` then `dir/name` (mode 0444) holding size bytes of in_fd, then the trailer.
 * size must be below 4 GiB (newc's limit). */
int cpio_wrap_file(int out_fd, const char *dir, const char *name, int in_fd, uint64_t size, struct rh_err *err);

/* SHA-256 of what cpio_wrap_file() would write for this file, computed by reading in_fd (from offset 0). */
int cpio_wrap_sha256(const char *dir, const char *name, int in_fd, uint64_t size,
		     uint8_t ret[SHA256_DIGEST_LEN], struct rh_err *err);
/* The same hash fed piece by piece, for a file read for other reasons too (vib/vibfile.c hashes a payload
 * as a file and as a module in one pass): begin() hashes the headers for a file of size bytes (-EFBIG,
 * -ENAMETOOLONG, -EINVAL as cpio_wrap_file refuses), the caller feeds exactly size bytes to
 * sha256_update(&h->ctx, ...), end() adds the padding and trailer and gives the digest. */
struct cpio_wrap_hash {
	struct sha256_ctx ctx;
	char th[CPIO_NEWC_HEADER_LEN + CPIO_MAX_NAME + 8];   /* the trailer, formatted by begin() */
	long tl;
	uint64_t size;
};
int cpio_wrap_hash_begin(struct cpio_wrap_hash *h, const char *dir, const char *name, uint64_t size);
void cpio_wrap_hash_end(struct cpio_wrap_hash *h, uint8_t ret[SHA256_DIGEST_LEN]);

#endif
