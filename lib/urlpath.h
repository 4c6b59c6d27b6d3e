/* urlpath.h: relative paths as they travel inside URLs (RFC 3986 path segments) — pure functions, no I/O.
 *
 * A depot index names each VIB by its path relative to the depot root, as the file is called on disk
 * ("vibs/hello#1.vib"); a URL needs that path percent-encoded, or '#' starts a fragment, '?' a query and a
 * space ends the request line. urlpath_encode keeps '/' (the segment separator) and the unreserved characters
 * (ALPHA DIGIT - . _ ~) and writes every other byte as %XX (uppercase hex), UTF-8 bytes included: the result
 * is valid in any server's path and decodes back to the same bytes. urlpath_decode is its inverse (and reads
 * any valid %-escape). urlpath_name_problem is the rule for a name that has to survive the trip through an
 * XML index and a URL unchanged: UTF-8, no control byte (newline included), no DEL, no backslash. */
#ifndef RAMHOST_URLPATH_H
#define RAMHOST_URLPATH_H

#include <stddef.h>

/* Encodes path[0..len) into out (cap bytes, NUL-terminated). Returns the length written, or -ENAMETOOLONG
 * when it does not fit (out then holds ""). At most 3 * len + 1 bytes are needed. */
int urlpath_encode(const char *path, size_t len, char *out, size_t cap);

/* Decodes the %-escapes of s[0..len) into out (cap bytes, NUL-terminated). Returns the length written,
 * -EINVAL for a '%' not followed by two hex digits or an escape for byte 0 (a path cannot hold it), or
 * -ENAMETOOLONG when it does not fit. Other bytes are copied as they are. */
int urlpath_decode(const char *s, size_t len, char *out, size_t cap);

/* NULL when name[0..len) can travel through an index and a URL unchanged; else what is wrong with it, in
 * plain words to follow "the name" ("has a line break", "has a control character", "has a backslash", "has a
 * byte that is not UTF-8", "has a character XML cannot hold"), and *ret_off (may be NULL) the offset of the
 * first bad byte. Control characters are C0, DEL and C1 (U+0080..U+009F). */
const char *urlpath_name_problem(const char *name, size_t len, size_t *ret_off);

#endif
