/* state_gen.h: writing, verifying and extracting one generation file (format: state_format.h, docs/state.md).
 *
 * Verification never trusts the archive: the footer's length and SHA-256 over the whole payload first, then the
 * MANIFEST (first member), then every member against it (name, type, size, SHA-256 of the content or symlink
 * target, xattr digest), and every manifest entry must have exactly one member. Only a generation that passed
 * all of this is extracted, and extraction itself never follows a symlink, never leaves the root (no "..", no
 * absolute names) and replaces each file by renaming a temporary file written beside it. */
#ifndef RAMHOST_STATE_GEN_H
#define RAMHOST_STATE_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "state_format.h"

/* Writes a generation of the live set m (entries as collected from root by state_collect; generation, created
 * and hostname set) to fd: the zstd pax tar with MANIFEST first, then the footer. File contents are read again
 * from root; a file whose size or SHA-256 is no longer what m says fails with -EAGAIN (it changed while being
 * saved: the caller collects again). fdname names the output in errors (e.g. a write hitting ENOSPC). Sets
 * *ret_size to the bytes written. Does not fsync or close fd. */
int state_gen_write(int fd, const char *fdname, const char *root, const struct state_manifest *m,
		    uint64_t *ret_size, struct rh_err *err);

/* A generation file loaded into memory. */
struct state_gen {
	uint8_t *buf;                 /* the whole file; owned */
	size_t len;
	struct state_footer footer;
	struct state_manifest manifest;
};

/* Checks a whole generation held in buf[0..len): footer, payload SHA-256, MANIFEST and every member. name is
 * used in messages; expect_gen (0: any) must match the footer and manifest. On success *ret_manifest (may be
 * NULL) gets the manifest. Pure: fuzzed. */
int state_gen_verify_buf(const uint8_t *buf, size_t len, const char *name, uint64_t expect_gen,
			 struct state_manifest *ret_manifest, struct rh_err *err);

/* Reads path into *ret and verifies it: fully (state_gen_verify_buf) when full, else only the footer, payload
 * SHA-256 and MANIFEST (enough for list, show and diff). */
int state_gen_load(const char *path, uint64_t expect_gen, int full, struct state_gen *ret, struct rh_err *err);

void state_gen_free(struct state_gen *g);

/* Before anything is written: checks that no entry of g would be reached through a symlink or a non-directory
 * under root. Then extracts g over root: files and symlinks (mode, owner, mtime, xattrs) and deletions. g must
 * have been loaded with full verification. */
int state_gen_extract(const struct state_gen *g, const char *root, struct rh_err *err);

#endif
