/* http_resp.h: an HTTP/1.1 response as a client reads it (RFC 9112): the head (status line and the fields a
 * download needs) and the chunked transfer coding of the body. Pure: (buf, len) in, no I/O; fuzzed
 * (tests/fuzz/fuzz_http_resp.c). The socket side is vib/http_conn.c.
 *
 * Strict on purpose: a head that two readers could understand differently (duplicate or conflicting lengths,
 * Transfer-Encoding next to Content-Length, folded lines, bare CR or LF, control bytes) is refused rather than
 * guessed at, because the length of the body is what tells a complete download from a truncated one. */
#ifndef RAMHOST_HTTP_RESP_H
#define RAMHOST_HTTP_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define HTTP_RESP_HEAD_MAX 16384   /* bytes of a head, status line to the empty line included */
#define HTTP_RESP_FIELDS_MAX 100   /* field lines of a head */

struct http_resp {
	int status;                    /* 100..999 */
	int minor;                     /* HTTP/1.minor (0 or 1) */
	int64_t content_length;        /* -1: none */
	int chunked;                   /* Transfer-Encoding: chunked */
	int has_range;                 /* a Content-Range field: 1 "bytes F-L/S" (S may be '*'), 2 "bytes * / S" */
	uint64_t range_first, range_last;
	uint64_t range_size;           /* UINT64_MAX: '*' (unknown) */
	size_t location_off, location_len; /* the Location value inside the head; location_len 0: none */
	size_t head_len;               /* bytes of the head, the body starts after them */
};

/* Parses the response head at the start of buf[0..len). Returns 0 and fills *ret when the head is complete (the
 * body's first bytes may follow it in buf), -EAGAIN when more bytes are needed (no empty line yet and len is
 * under HTTP_RESP_HEAD_MAX), -EMSGSIZE for a head over HTTP_RESP_HEAD_MAX bytes or HTTP_RESP_FIELDS_MAX
 * fields, -EBADMSG for a malformed head and -ENOTSUP for a transfer coding other than chunked; err says which
 * field and why. *ret is set only on success. */
int http_resp_parse(const char *buf, size_t len, struct http_resp *ret, struct rh_err *err);

/* 1 when a response with this status to a request with method HEAD (is_head) carries no body (1xx, 204, 304). */
int http_resp_no_body(const struct http_resp *r, int is_head);

/* The chunked transfer coding, decoded as bytes arrive: zero-initialised, then fed with http_chunked_feed. */
struct http_chunked {
	int state;
	uint64_t left;      /* data bytes left in the current chunk */
	unsigned digits;    /* hex digits of the current size */
	unsigned line;      /* bytes of the current size or trailer line */
	unsigned trailer;   /* bytes of trailer fields so far */
};

#define HTTP_CHUNK_LINE_MAX 1024   /* a size line with its extensions, or one trailer line */
#define HTTP_CHUNK_TRAILER_MAX 8192

/* Consumes framing bytes of in[0..len) up to and including the next run of body data, or to the end of in.
 * Returns 0 and sets *ret_used (bytes of in consumed) and *ret_data_off, *ret_data_len (a run of body data
 * inside in[0..*ret_used); len 0: none); call again with in + *ret_used for the rest. Once the last chunk and
 * its trailers are read, http_chunked_done is 1 and nothing more is consumed. -EBADMSG (err says why) for a
 * malformed coding: a size that is not hex or over 16 digits, a missing CRLF after the data, a control byte or
 * an over-long line. */
int http_chunked_feed(struct http_chunked *c, const uint8_t *in, size_t len, size_t *ret_used, size_t *ret_data_off,
		      size_t *ret_data_len, struct rh_err *err);
int http_chunked_done(const struct http_chunked *c);

#endif
