/* spec.h: the pieces shared by init.conf and boot.env: a ramdisk's description, the key=value line reader and
 * the checks on names and paths.
 *
 * Pure (buf, len) code with no I/O: linked into the static init and into the host library (ramhost df/ready,
 * unit tests, fuzz targets). */
#ifndef RAMHOST_RAMDISK_SPEC_H
#define RAMHOST_RAMDISK_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define RD_MAX_NAME 64      /* a ramdisk or tardisk name, with its NUL */
#define RD_MAX_PATH 256     /* a mount point or file path, with its NUL */
#define RD_MAX_RAMDISKS 16
#define RD_MAX_TARDISKS 64  /* boot.cfg holds at most 64 modules */
#define RD_MAX_LINE 4096

/* A size-limited tmpfs: `NAME MOUNTPOINT SIZE INODES` in both files. */
struct ramdisk_spec {
	char name[RD_MAX_NAME];
	char mountpoint[RD_MAX_PATH];
	uint64_t size;    /* bytes */
	uint64_t inodes;  /* inode limit */
};

/* One non-blank, non-comment line split at its first '=', both sides trimmed; points into the buffer. */
struct kv_line {
	unsigned line;      /* 1-based */
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
};

/* Reads the next key=value line of buf[0..len) from *pos (start at 0, with *line = 0). Returns 1 with *ret
 * filled, 0 at the end, or a negative errno with *ret_what (static text) and *line set: a line without '=', an
 * empty key, a NUL byte, a line longer than RD_MAX_LINE. */
int kv_next(const char *buf, size_t len, size_t *pos, unsigned *line, struct kv_line *ret, const char **ret_what);

/* 1 when key[0..klen) is exactly word. */
int kv_is(const struct kv_line *kv, const char *word);

/* A name: 1..63 bytes of [A-Za-z0-9_.-], not "." or "..". */
int spec_valid_name(const char *s, size_t len);

/* A clean absolute path: starts with '/', no empty, "." or ".." components, no trailing '/' (except "/"), no
 * whitespace or control bytes, shorter than RD_MAX_PATH. */
int spec_valid_abspath(const char *s, size_t len);

/* Parses a decimal number without sign or spaces, at most 2^64-1. Returns 0 or -EINVAL / -ERANGE. */
int spec_parse_u64(const char *s, size_t len, uint64_t *ret);

/* Splits s[0..len) at runs of spaces/tabs into at most max fields (pointers into s). Returns the field count,
 * or -E2BIG when there are more than max. */
int spec_split(const char *s, size_t len, const char **fields, size_t *lens, int max);

/* Parses `NAME MOUNTPOINT SIZE INODES`. Returns 0 or a negative errno with *ret_what (static text). size and
 * inodes must be above zero. */
int spec_parse_ramdisk(const char *s, size_t len, struct ramdisk_spec *ret, const char **ret_what);

/* Copies s[0..len) with a NUL into dst (cap bytes); -E2BIG when it does not fit. */
int spec_copy(char *dst, size_t cap, const char *s, size_t len);

#endif
