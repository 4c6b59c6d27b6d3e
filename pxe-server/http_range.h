/* http_range.h: the HTTP Range request header (RFC 9110 section 14), as the PXE server's HTTP side answers it:
 * one byte range only. Pure: (buf, len) in, no I/O; fuzzed (tests/fuzz/fuzz_http_range.c). */
#ifndef RAMHOST_PXE_HTTP_RANGE_H
#define RAMHOST_PXE_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

enum http_range_result {
	HTTP_RANGE_IGNORE = 0,       /* no usable Range: send the whole object (200) */
	HTTP_RANGE_PARTIAL = 1,      /* one satisfiable range: 206 with Content-Range */
	HTTP_RANGE_UNSATISFIABLE = 2 /* a valid single range that selects nothing: 416 */
};

/* Parses the value of a Range header hdr[0..len) for an object of size bytes. Accepts "bytes=a-b", "bytes=a-"
 * and "bytes=-n" (unit case-insensitive, optional spaces around the range). A range whose end lies past the
 * object is cut at its last byte; a suffix longer than the object selects all of it. Anything else (another
 * unit, syntax errors, a > b, several ranges: serving one whole body is always allowed) is IGNORE. Numbers too
 * long for 64 bits count as "beyond the object". On PARTIAL *ret_first <= *ret_last < size are set. */
enum http_range_result http_range_parse(const char *hdr, size_t len, uint64_t size, uint64_t *ret_first,
					uint64_t *ret_last);

#endif
