/* state_format.h: the pure pieces of a state generation file (docs/state.md): the fixed-size footer, the text
 * MANIFEST, generation file names, the keep-N pruning plan and /run/ramhost/state.env.
 *
 * A generation is one file `state-NNNNNNNN.rhs` in the store:
 *   [ payload: a zstd-compressed pax tar whose first member is MANIFEST ][ footer: STATE_FOOTER_SIZE bytes ]
 * The footer carries the payload's length and SHA-256, so a truncated or bit-flipped file is detected before
 * anything in it is unpacked. Everything here takes (buf, len), does no I/O, and is unit-tested and fuzzed. */
#ifndef RAMHOST_STATE_FORMAT_H
#define RAMHOST_STATE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sha256.h"

/* ---- footer ---- */

#define STATE_FOOTER_SIZE 80
#define STATE_FOOTER_MAGIC "RHSTFOOT"
#define STATE_FORMAT_VERSION 1

/* Layout (little-endian):
 *   0  8  magic "RHSTFOOT"
 *   8  4  format version (1)
 *  12  4  footer size (80)
 *  16  8  generation number
 *  24  8  payload length: the bytes before the footer
 *  32 32  SHA-256 of the payload
 *  64  8  creation time (Unix seconds)
 *  72  4  reserved, zero
 *  76  4  CRC32 (as lib/gpt.h) of bytes 0..75 */
struct state_footer {
	uint64_t generation;
	uint64_t payload_len;
	uint8_t sha256[SHA256_DIGEST_LEN];
	int64_t created;
};

/* Writes f into out[0..STATE_FOOTER_SIZE). */
void state_footer_format(const struct state_footer *f, uint8_t out[STATE_FOOTER_SIZE]);

/* Parses the footer at the end of a whole generation file buf[0..len) (len is the file size): checks magic,
 * version, size, CRC and that the payload length is exactly len - STATE_FOOTER_SIZE (a truncated or extended
 * file fails here). Does not hash the payload (state_footer_check does). Sets *ret only on success; errors say
 * what was wrong ("truncated: ...", "footer: bad magic", ...), prefixed by name. */
int state_footer_parse(const uint8_t *buf, size_t len, const char *name, struct state_footer *ret,
		       struct rh_err *err);

/* state_footer_parse plus the payload's SHA-256. */
int state_footer_check(const uint8_t *buf, size_t len, const char *name, struct state_footer *ret,
		       struct rh_err *err);

/* ---- manifest ---- */

#define STATE_MANIFEST_NAME "MANIFEST"
#define STATE_MANIFEST_MAX (64u << 20)   /* the largest MANIFEST member accepted */
#define STATE_PATH_MAX 4096
#define STATE_HOSTNAME_MAX 256

enum state_type {
	STATE_FILE = 'f',     /* a regular file: content in the archive */
	STATE_LINK = 'l',     /* a symlink: target in the archive, size = target length, sha256 of the target */
	STATE_DELETED = 'd',  /* a sticky default that was deleted: only in the manifest */
};

struct state_xattr {
	char *name;
	uint8_t *value;
	size_t len;
};

/* One saved path. Deleted entries have only type and path. */
struct state_entry {
	char type;                     /* enum state_type */
	uint32_t mode;                 /* permission bits incl. setuid/setgid/sticky (07777) */
	uint32_t uid, gid;
	int64_t mtime;                 /* seconds */
	uint32_t mtime_ns;
	uint64_t size;
	uint8_t sha256[SHA256_DIGEST_LEN];
	int has_xattrs;
	uint8_t xattr_sha256[SHA256_DIGEST_LEN];   /* state_xattr_digest of the xattrs, when has_xattrs */
	char *path;                    /* absolute, clean (spec: state_path_valid); owned */
	/* only in live sets (not in a parsed manifest): the xattrs themselves */
	size_t nxattrs;
	struct state_xattr *xattrs;
};

struct state_manifest {
	unsigned version;
	uint64_t generation;
	int64_t created;
	char hostname[STATE_HOSTNAME_MAX];
	size_t n, cap;
	struct state_entry *e;         /* sorted by path (strcmp), unique; owned */
};

/* Text form (one entry per line, fields separated by one space, the path is the rest of the line with bytes
 * below 0x21, 0x7f and '\' written as \ooo):
 *   ramhost-state 1
 *   generation 7
 *   created 1700000000
 *   hostname host1
 *   f 1644 0 0 1700000000.000000000 12 <sha256> <xattr sha256 or -> /etc/hostname
 *   l 0777 0 0 1700000000.000000000 7 <sha256 of the target> - /etc/localtime
 *   d /etc/motd
 *   end 3
 * "end N" repeats the entry count: a manifest cut short never parses. */
int state_manifest_parse(const char *buf, size_t len, struct state_manifest *ret, struct rh_err *err);

/* Formats m into a malloc'd buffer the caller frees. Returns 0 or -ENOMEM. */
int state_manifest_format(const struct state_manifest *m, char **ret_buf, size_t *ret_len);

/* Frees what m owns (entries, paths, xattrs) and zeroes it; NULL-safe. */
void state_manifest_free(struct state_manifest *m);

/* Appends a copy of e (path and xattrs duplicated) to m; no order check. Returns 0 or -ENOMEM. */
int state_manifest_add(struct state_manifest *m, const struct state_entry *e);

/* Sorts m by path and checks what the parser checks: unique paths, and no file or symlink below a symlink or file
 * of the same set (so that restoring can never be steered through a link the set itself creates). */
int state_manifest_sort_check(struct state_manifest *m, struct rh_err *err);

/* The entry for path, or NULL (binary search; m sorted). */
const struct state_entry *state_manifest_find(const struct state_manifest *m, const char *path);

/* 1 when a and b describe the same saved state of one path (type, mode, owner, mtime, size, hashes). */
int state_entry_same(const struct state_entry *a, const struct state_entry *b);

/* A clean absolute path: starts with '/', no empty, "." or ".." components, no trailing '/', not "/" itself, no
 * NUL, shorter than STATE_PATH_MAX. */
int state_path_valid(const char *s, size_t len);

/* SHA-256 over the xattrs sorted by name: for each, the name, a NUL, the value length (8 bytes LE), the value. */
void state_xattr_digest(const struct state_xattr *x, size_t n, uint8_t out[SHA256_DIGEST_LEN]);

/* ---- generation names and pruning ---- */

#define STATE_GEN_MAX 99999999ull
#define STATE_NAME_LEN 22            /* "state-00000007.rhs" + NUL fits */

/* Writes "state-%08llu.rhs" into out (cap >= STATE_NAME_LEN). */
void state_gen_name(uint64_t gen, char *out, size_t cap);

/* Returns the generation number of a file name "state-NNNNNNNN.rhs" (exactly 8 digits, 1..STATE_GEN_MAX), or 0
 * when name is not a generation. */
uint64_t state_gen_from_name(const char *name);

/* 1 when name is a temporary file of an unfinished save (".state-NNNNNNNN.rhs.tmp"). */
int state_is_temp_name(const char *name);

/* Given the generation numbers gens[0..n) present in the store (any order) and the one just written (or 0),
 * marks in ret_drop[i] (n entries) the ones to delete so that the keep newest remain; the just-written
 * generation is never dropped, and keep 0 counts as 1. Returns the number dropped. */
size_t state_prune_plan(const uint64_t *gens, size_t n, uint64_t just_written, unsigned keep, int *ret_drop);

/* ---- /run/ramhost/state.env ---- */

struct state_env {
	int has_generation;            /* 0: generation=none */
	uint64_t generation;
	char store[STATE_PATH_MAX];
	char device[STATE_PATH_MAX];
	int net;                       /* "source=net": the net store of a diskless host (state_net.h) */
};

/* Parses "generation=N|none", "store=", "device=", "source=net" lines ('#' comments; unknown keys ignored). */
int state_env_parse(const char *buf, size_t len, struct state_env *ret, struct rh_err *err);

/* Formats env into out (cap); returns the length or -E2BIG. */
long state_env_format(const struct state_env *env, char *out, size_t cap);

#endif
