/* http_resp.c: the response head parser and the chunked decoder (http_resp.h). */
#include "http_resp.h"
#include "hex.h"

#include <errno.h>
#include <string.h>

/* tchar of RFC 9110 section 5.6.2: the bytes of a field name. */
static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A byte allowed inside a field value or reason phrase: visible, space, tab or obs-text; no CR, LF, NUL, DEL. */
static int is_vbyte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int name_is(const char *s, size_t n, const char *name)
{
	size_t i;

	if (strlen(name) != n)
		return 0;
	for (i = 0; i < n; i++) {
		char a = s[i], b = name[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

/* Reads 1-19 decimal digits at s[*i..n) (at most 10^19 - 1, so no overflow). Returns 0, or -1 for none or too many. */
static int read_dec(const char *s, size_t n, size_t *i, uint64_t *ret)
{
	uint64_t v = 0;
	size_t start = *i;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		if (*i - start >= 19)
			return -1;
		v = v * 10 + (uint64_t)(s[*i] - '0');
		(*i)++;
	}
	*ret = v;
	return *i > start ? 0 : -1;
}

/* "bytes F-L/S", "bytes F-L/(star)" or "bytes (star)/S" (RFC 9110 section 14.4), with F <= L < S. */
static int parse_content_range(const char *v, size_t n, struct http_resp *r)
{
	size_t i = 6;
	uint64_t a, b, s = UINT64_MAX;

	if (n < 7 || !name_is(v, 5, "bytes") || v[5] != ' ')
		return -1;
	if (v[i] == '*') {
		i++;
		if (i >= n || v[i++] != '/' || read_dec(v, n, &i, &s) || i != n)
			return -1;
		r->has_range = 2;
		r->range_size = s;
		return 0;
	}
	if (read_dec(v, n, &i, &a) || i >= n || v[i++] != '-' || read_dec(v, n, &i, &b) || i >= n || v[i++] != '/')
		return -1;
	if (i < n && v[i] == '*')
		i++;
	else if (read_dec(v, n, &i, &s))
		return -1;
	if (i != n || a > b || (s != UINT64_MAX && b >= s))
		return -1;
	r->has_range = 1;
	r->range_first = a;
	r->range_last = b;
	r->range_size = s;
	return 0;
}

/* One field (name, value without surrounding whitespace) into r; seen counts the fields that must be unique. */
static int parse_field(const char *buf, const char *name, size_t nlen, const char *v, size_t vlen, struct http_resp *r,
		       unsigned *seen, struct rh_err *err)
{
	uint64_t cl;
	size_t i = 0;

	if (name_is(name, nlen, "content-length")) {
		if (*seen & 1)
			return rh_errf(err, -EBADMSG, "HTTP response: more than one Content-Length");
		*seen |= 1;
		if (read_dec(v, vlen, &i, &cl) || i != vlen || cl > (uint64_t)INT64_MAX)
			return rh_errf(err, -EBADMSG, "HTTP response: bad Content-Length '%.*s'", (int)(vlen > 40 ? 40 : vlen), v);
		r->content_length = (int64_t)cl;
	} else if (name_is(name, nlen, "transfer-encoding")) {
		if (*seen & 2)
			return rh_errf(err, -EBADMSG, "HTTP response: more than one Transfer-Encoding");
		*seen |= 2;
		if (!name_is(v, vlen, "chunked"))
			return rh_errf(err, -ENOTSUP, "HTTP response: unsupported Transfer-Encoding '%.*s' (only chunked)",
				       (int)(vlen > 40 ? 40 : vlen), v);
		r->chunked = 1;
	} else if (name_is(name, nlen, "content-range")) {
		if ((*seen & 4) || parse_content_range(v, vlen, r))
			return rh_errf(err, -EBADMSG, "HTTP response: bad or repeated Content-Range '%.*s'",
				       (int)(vlen > 60 ? 60 : vlen), v);
		*seen |= 4;
	} else if (name_is(name, nlen, "location")) {
		if ((*seen & 8) || !vlen)
			return rh_errf(err, -EBADMSG, "HTTP response: empty or repeated Location");
		*seen |= 8;
		r->location_off = (size_t)(v - buf);
		r->location_len = vlen;
	}
	return 0;
}

/* "HTTP/1.x NNN[ reason]" of buf[0..n). */
static int parse_status(const char *s, size_t n, struct http_resp *r, struct rh_err *err)
{
	size_t i;

	if (n < 12 || memcmp(s, "HTTP/1.", 7) || (s[7] != '0' && s[7] != '1') || s[8] != ' ' ||
	    s[9] < '1' || s[9] > '9' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
	    (n > 12 && s[12] != ' '))
		return rh_errf(err, -EBADMSG, "HTTP response: malformed status line '%.*s'", (int)(n > 40 ? 40 : n), s);
	for (i = 12; i < n; i++)
		if (!is_vbyte((unsigned char)s[i]))
			return rh_errf(err, -EBADMSG, "HTTP response: control byte 0x%02x in the status line",
				       (unsigned char)s[i]);
	r->minor = s[7] - '0';
	r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	return 0;
}

/* One field line s[0..n) (no CRLF). */
static int parse_line(const char *buf, const char *s, size_t n, struct http_resp *r, unsigned *seen, struct rh_err *err)
{
	size_t i = 0, e;

	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i == n || s[i] != ':')
		return rh_errf(err, -EBADMSG, "HTTP response: malformed field line '%.*s'", (int)(n > 40 ? 40 : n), s);
	for (e = i + 1; e < n; e++)
		if (!is_vbyte((unsigned char)s[e]))
			return rh_errf(err, -EBADMSG, "HTTP response: control byte 0x%02x in field %.*s",
				       (unsigned char)s[e], (int)i, s);
	e = n;
	while (e > i + 1 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	n = i + 1;
	while (n < e && (s[n] == ' ' || s[n] == '\t'))
		n++;
	return parse_field(buf, s, i, s + n, e - n, r, seen, err);
}

int http_resp_parse(const char *buf, size_t len, struct http_resp *ret, struct rh_err *err)
{
	struct http_resp r;
	size_t pos = 0, fields = 0;
	unsigned seen = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.content_length = -1;
	if (len > HTTP_RESP_HEAD_MAX)
		len = HTTP_RESP_HEAD_MAX;
	for (;;) {
		const char *cr = memchr(buf + pos, '\r', len - pos);
		const char *lf = memchr(buf + pos, '\n', len - pos);
		size_t n;

		if (lf && (!cr || lf < cr))
			return rh_errf(err, -EBADMSG, "HTTP response: a line ends in a bare LF");
		if (!cr || (size_t)(cr - buf) + 1 >= len) /* no CRLF yet */
			return len >= HTTP_RESP_HEAD_MAX ? rh_errf(err, -EMSGSIZE, "HTTP response: head over %d bytes",
								   HTTP_RESP_HEAD_MAX) : -EAGAIN;
		if (cr[1] != '\n')
			return rh_errf(err, -EBADMSG, "HTTP response: a bare CR");
		n = (size_t)(cr - buf) - pos;
		if (pos == 0) {
			rc = parse_status(buf, n, &r, err);
		} else if (n == 0) {
			pos += 2;
			break;
		} else if (buf[pos] == ' ' || buf[pos] == '\t') {
			rc = rh_errf(err, -EBADMSG, "HTTP response: folded field line");
		} else if (++fields > HTTP_RESP_FIELDS_MAX) {
			rc = rh_errf(err, -EMSGSIZE, "HTTP response: more than %d fields", HTTP_RESP_FIELDS_MAX);
		} else {
			rc = parse_line(buf, buf + pos, n, &r, &seen, err);
		}
		if (rc < 0)
			return rc;
		pos += n + 2;
	}
	if (r.chunked && r.content_length >= 0)
		return rh_errf(err, -EBADMSG, "HTTP response: both Transfer-Encoding and Content-Length");
	if (r.chunked && r.minor == 0)
		return rh_errf(err, -EBADMSG, "HTTP response: Transfer-Encoding in an HTTP/1.0 response");
	r.head_len = pos;
	*ret = r;
	return 0;
}

int http_resp_no_body(const struct http_resp *r, int is_head)
{
	return is_head || r->status < 200 || r->status == 204 || r->status == 304;
}

/* ---- chunked ---- */

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LF, CH_END_LF, CH_DONE };

/* One framing byte b in state c->state. */
static int chunk_byte(struct http_chunked *c, unsigned char b, struct rh_err *err)
{
	int h;

	if (c->state == CH_SIZE || c->state == CH_EXT || c->state == CH_TRAILER) {
		if (++c->line > HTTP_CHUNK_LINE_MAX)
			return rh_errf(err, -EBADMSG, "HTTP chunked body: a line over %d bytes", HTTP_CHUNK_LINE_MAX);
		if (c->state == CH_TRAILER && ++c->trailer > HTTP_CHUNK_TRAILER_MAX)
			return rh_errf(err, -EBADMSG, "HTTP chunked body: trailer over %d bytes", HTTP_CHUNK_TRAILER_MAX);
	}
	switch (c->state) {
	case CH_SIZE:
		h = hex_value((char)b);
		if (h >= 0) {
			if (++c->digits > 16)
				return rh_errf(err, -EBADMSG, "HTTP chunked body: chunk size over 16 hex digits");
			c->left = c->left * 16 + (uint64_t)h;
			return 0;
		}
		if (!c->digits)
			return rh_errf(err, -EBADMSG, "HTTP chunked body: chunk size is not hex (byte 0x%02x)", b);
		c->state = CH_EXT; /* the byte after the digits starts the extensions or ends the line */
		__attribute__((fallthrough));
	case CH_EXT:
	case CH_TRAILER:
		if (b == '\r')
			c->state = c->state == CH_TRAILER ? CH_TRAILER_LF : CH_SIZE_LF;
		else if (!is_vbyte(b))
			return rh_errf(err, -EBADMSG, "HTTP chunked body: control byte 0x%02x", b);
		else if (c->state == CH_EXT && c->line == c->digits + 1 && b != ';' && b != ' ' && b != '\t')
			return rh_errf(err, -EBADMSG, "HTTP chunked body: chunk size is not hex (byte 0x%02x)", b);
		return 0;
	case CH_SIZE_LF:
	case CH_DATA_LF:
	case CH_TRAILER_LF:
	case CH_END_LF:
		if (b != '\n')
			return rh_errf(err, -EBADMSG, "HTTP chunked body: CR without LF");
		c->line = 0;
		if (c->state == CH_SIZE_LF)
			c->state = c->left ? CH_DATA : CH_TRAILER;
		else if (c->state == CH_DATA_LF)
			c->state = CH_SIZE, c->digits = 0;
		else
			c->state = c->state == CH_END_LF ? CH_DONE : CH_TRAILER;
		return 0;
	case CH_DATA_CR:
		if (b != '\r')
			return rh_errf(err, -EBADMSG, "HTTP chunked body: no CRLF after a chunk's data");
		c->state = CH_DATA_LF;
		return 0;
	default:
		return rh_errf(err, -EBADMSG, "HTTP chunked body: bytes after the end");
	}
}

int http_chunked_feed(struct http_chunked *c, const uint8_t *in, size_t len, size_t *ret_used, size_t *ret_data_off,
		      size_t *ret_data_len, struct rh_err *err)
{
	size_t i = 0;
	int rc;

	*ret_data_off = *ret_data_len = 0;
	while (i < len && c->state != CH_DONE) {
		if (c->state == CH_DATA) {
			size_t n = len - i;

			if ((uint64_t)n > c->left)
				n = (size_t)c->left;
			*ret_data_off = i;
			*ret_data_len = n;
			c->left -= n;
			i += n;
			if (!c->left)
				c->state = CH_DATA_CR;
			break;
		}
		/* an empty line where a trailer field would start ends the body */
		if (c->state == CH_TRAILER && c->line == 0 && in[i] == '\r') {
			c->state = CH_END_LF;
			i++;
			continue;
		}
		rc = chunk_byte(c, in[i], err);
		if (rc < 0)
			return rc;
		i++;
	}
	*ret_used = i;
	return 0;
}

int http_chunked_done(const struct http_chunked *c)
{
	return c->state == CH_DONE;
}
