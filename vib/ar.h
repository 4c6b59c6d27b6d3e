/* ar.h: the Unix ar archive (the common "!<arch>\n" format with GNU long names), the container of a .vib.
 *
 * The reader works on the whole archive in memory (buf, len) — a .vib is mmapped — and checks every header:
 * magic, decimal fields, member size against what is left, name characters (no '/', no "..", no NUL). It
 * never reads past len. The reader also takes BSD 4.4 long names ("#1/N"); the writer streams members to a file
 * descriptor and, not knowing the later names, writes names over 15 bytes that BSD way (GNU ar and libarchive
 * read both). Fuzzed (tests/fuzz/fuzz_vib_ar.c). */
#ifndef RAMHOST_VIB_AR_H
#define RAMHOST_VIB_AR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define AR_NAME_MAX 256

struct ar_member {
	char name[AR_NAME_MAX];
	uint64_t offset; /* of the member's data in the archive */
	uint64_t size;
	uint32_t mode;
	uint64_t mtime;
};

/* Iterates: *pos starts at 0; each call fills *ret with the next member and advances *pos. Returns 1 when a
 * member was read, 0 at the clean end of the archive, negative errno (-EBADMSG, with the offset and the field
 * in err) on a malformed or truncated archive. */
int ar_next(const void *buf, size_t len, uint64_t *pos, struct ar_member *ret, struct rh_err *err);

/* Finds the member called name; 0 and *ret, -ENOENT when there is none, or a parse error. */
int ar_find(const void *buf, size_t len, const char *name, struct ar_member *ret, struct rh_err *err);

/* Writing: ar_write_start() writes the magic; ar_write_member() writes one member's header and data (padded
 * to an even offset). path names the file in errors. */
int ar_write_start(int fd, const char *path, struct rh_err *err);
int ar_write_member(int fd, const char *path, const char *name, const void *data, uint64_t size, uint64_t mtime,
		    struct rh_err *err);
/* The same for a member whose data comes from another file descriptor (a payload tardisk), size bytes from
 * offset 0. */
int ar_write_member_fd(int fd, const char *path, const char *name, int src_fd, uint64_t size, uint64_t mtime,
		       struct rh_err *err);

#endif
