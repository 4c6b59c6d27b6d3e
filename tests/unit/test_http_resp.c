/* test_http_resp.c: the HTTP response head parser, the chunked decoder (lib/http_resp.c) and URL splitting and
 * redirect resolution (lib/http_url.c), one row per case. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http_resp.h"
#include "http_url.h"
#include "unit.h"

#define OK200 "HTTP/1.1 200 OK\r\n"

static void test_head_table(void)
{
	static const struct {
		const char *head;
		int rc, status;
		int64_t length;
		int chunked, has_range;
		uint64_t first, last, size;
		const char *location;
	} rows[] = {
		{ OK200 "Content-Length: 5\r\n\r\nhello", 0, 200, 5, 0, 0, 0, 0, 0, NULL },
		{ "HTTP/1.0 404 Not Found\r\n\r\n", 0, 404, -1, 0, 0, 0, 0, 0, NULL },
		{ "HTTP/1.1 204\r\n\r\n", 0, 204, -1, 0, 0, 0, 0, 0, NULL },
		{ OK200 "transfer-encoding:  Chunked \r\n\r\n", 0, 200, -1, 1, 0, 0, 0, 0, NULL },
		{ "HTTP/1.1 206 Partial\r\nContent-Range: bytes 10-19/100\r\nContent-Length: 10\r\n\r\n", 0, 206, 10, 0, 1,
		  10, 19, 100, NULL },
		{ "HTTP/1.1 206 P\r\nContent-Range: bytes 0-0/*\r\n\r\n", 0, 206, -1, 0, 1, 0, 0, UINT64_MAX, NULL },
		{ "HTTP/1.1 416 R\r\nContent-Range: bytes */1000\r\n\r\n", 0, 416, -1, 0, 2, 0, 0, 1000, NULL },
		{ "HTTP/1.1 302 Found\r\nLocation: /other/x.vib\r\n\r\n", 0, 302, -1, 0, 0, 0, 0, 0, "/other/x.vib" },
		{ OK200 "X-Obs: caf\xc3\xa9\tx\r\n\r\n", 0, 200, -1, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Length: 5\r\n", -EAGAIN, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Length: 5\r\n\r", -EAGAIN, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ "", -EAGAIN, 0, 0, 0, 0, 0, 0, 0, NULL },
		/* refused */
		{ OK200 "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Length: 5, 5\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Length: -1\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Length: +1\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Length: 99999999999999999999\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Length: 9223372036854775808\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Length:\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Transfer-Encoding: gzip, chunked\r\n\r\n", -ENOTSUP, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Range: bytes 20-10/100\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Range: bytes 0-100/100\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Content-Range: items 0-1/2\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Location: /a\r\nLocation: /b\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "X: a\rb\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "X: a\nb\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ "HTTP/1.1 200 OK\n\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 " folded: x\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Bad Name: x\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "Name : x\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ OK200 "NoColon\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ "HTTP/2 200 OK\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ "HTTP/1.1 20 OK\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ "HTTP/1.1 099 OK\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ "HTTP/1.1 200OK\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
		{ "ICY 200 OK\r\n\r\n", -EBADMSG, 0, 0, 0, 0, 0, 0, 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct http_resp r;
		struct rh_err err = { 0, "" };
		int rc = http_resp_parse(rows[i].head, strlen(rows[i].head), &r, &err);

		if (rc != rows[i].rc)
			fprintf(stderr, "  row %zu: rc %d (%s)\n", i, rc, err.msg);
		CHECK(rc == rows[i].rc);
		if (rc || rows[i].rc)
			continue;
		CHECK(r.status == rows[i].status && r.content_length == rows[i].length && r.chunked == rows[i].chunked);
		CHECK(r.has_range == rows[i].has_range);
		if (r.has_range)
			CHECK(r.range_first == rows[i].first && r.range_last == rows[i].last && r.range_size == rows[i].size);
		CHECK(!rows[i].location == !r.location_len);
		if (rows[i].location)
			CHECK(r.location_len == strlen(rows[i].location) &&
			      !memcmp(rows[i].head + r.location_off, rows[i].location, r.location_len));
		CHECK(r.head_len <= strlen(rows[i].head) && !memcmp(rows[i].head + r.head_len - 4, "\r\n\r\n", 4));
	}
}

/* Heads at and over the limits. */
static void test_head_limits(void)
{
	static char big[HTTP_RESP_HEAD_MAX + 100];
	struct http_resp r;
	size_t n;
	int i;

	n = (size_t)snprintf(big, sizeof(big), OK200);
	memset(big + n, 'a', sizeof(big) - n);
	CHECK(http_resp_parse(big, sizeof(big), &r, NULL) == -EMSGSIZE);
	CHECK(http_resp_parse(big, HTTP_RESP_HEAD_MAX - 1, &r, NULL) == -EAGAIN);
	n = (size_t)snprintf(big, sizeof(big), OK200);
	for (i = 0; i <= HTTP_RESP_FIELDS_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%d: y\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	CHECK(http_resp_parse(big, n, &r, NULL) == -EMSGSIZE);
}

/* Decodes body[0..len) fed in pieces of step bytes into out; returns the decoder's result. */
static int dechunk(const char *body, size_t len, size_t step, char *out, size_t *ret_n, int *ret_done)
{
	struct http_chunked c = { 0 };
	size_t pos = 0, n = 0;

	while (pos < len) {
		size_t piece = len - pos < step ? len - pos : step, used, off, dlen;
		int rc = http_chunked_feed(&c, (const uint8_t *)body + pos, piece, &used, &off, &dlen, NULL);

		if (rc < 0)
			return rc;
		memcpy(out + n, body + pos + off, dlen);
		n += dlen;
		pos += used;
		if (!used || http_chunked_done(&c))
			break;
	}
	*ret_n = n;
	*ret_done = http_chunked_done(&c);
	return 0;
}

static void test_chunked_table(void)
{
	static const struct {
		const char *body;
		int rc, done;
		const char *data;
	} rows[] = {
		{ "5\r\nhello\r\n0\r\n\r\n", 0, 1, "hello" },
		{ "5;name=v\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n", 0, 1, "hello world" },
		{ "A \r\n0123456789\r\n0\r\n\r\n", 0, 1, "0123456789" },
		{ "0\r\n\r\n", 0, 1, "" },
		{ "5\r\nhel", 0, 0, "hel" },               /* cut short: not done */
		{ "5\r\nhello\r\n", 0, 0, "hello" },
		{ "5\r\nhello\r\n0\r\n", 0, 0, "hello" },
		{ "g\r\n", -EBADMSG, 0, NULL },
		{ "\r\n", -EBADMSG, 0, NULL },
		{ "-1\r\n", -EBADMSG, 0, NULL },
		{ "5x\r\n", -EBADMSG, 0, NULL },
		{ "11111111111111111\r\n", -EBADMSG, 0, NULL },
		{ "5\r\nhelloX\r\n", -EBADMSG, 0, NULL },
		{ "5\rhello", -EBADMSG, 0, NULL },
		{ "5\r\nhello\r\n0\r\nbad\x01\r\n\r\n", -EBADMSG, 0, NULL },
	};
	size_t i, step;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (step = 1; step <= 64; step *= 4) {   /* the same result however the bytes arrive */
			char out[256];
			size_t n = 0;
			int done = 0, rc = dechunk(rows[i].body, strlen(rows[i].body), step, out, &n, &done);

			CHECK(rc == rows[i].rc);
			if (rc || rows[i].rc)
				continue;
			CHECK(done == rows[i].done && n == strlen(rows[i].data) && !memcmp(out, rows[i].data, n));
		}
	}
}

static void test_url_table(void)
{
	static const struct {
		const char *url;
		int rc, https, ipv6;
		const char *host;
		unsigned port;
		const char *target;
	} rows[] = {
		{ "http://h/depot/a.vib", 0, 0, 0, "h", 80, "/depot/a.vib" },
		{ "HTTPS://mirror.example:8443", 0, 1, 0, "mirror.example", 8443, "/" },
		{ "http://[::1]:8080/x?y=1#frag", 0, 0, 1, "::1", 8080, "/x?y=1" },
		{ "http://127.0.0.1?q", 0, 0, 0, "127.0.0.1", 80, "/?q" },
		{ "ftp://h/x", -EPROTONOSUPPORT, 0, 0, NULL, 0, NULL },
		{ "http:///x", -EINVAL, 0, 0, NULL, 0, NULL },
		{ "http://u:p@h/x", -EINVAL, 0, 0, NULL, 0, NULL },
		{ "http://h:0/x", -EINVAL, 0, 0, NULL, 0, NULL },
		{ "http://h:65536/x", -EINVAL, 0, 0, NULL, 0, NULL },
		{ "http://h:/x", -EINVAL, 0, 0, NULL, 0, NULL },
		{ "http://h:8a/x", -EINVAL, 0, 0, NULL, 0, NULL },
		{ "http://h/a b", -EINVAL, 0, 0, NULL, 0, NULL },
		{ "http://[::1/x", -EINVAL, 0, 0, NULL, 0, NULL },
		{ "http://[::1]x/", -EINVAL, 0, 0, NULL, 0, NULL },
	};
	static const struct {
		const char *base, *loc, *out;
	} res[] = {
		{ "http://h/d/a.vib", "b.vib", "http://h/d/b.vib" },
		{ "http://h/d/a.vib?x=1", "/e/b.vib", "http://h/e/b.vib" },
		{ "http://h:81/d/a", "//other/x", "http://other/x" },
		{ "http://h/d/a", "https://m/x", "https://m/x" },
		{ "http://h", "x", "http://h/x" },
		{ "http://h/d/?q=/z", "x", "http://h/d/x" },
	};
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct http_url u;
		int rc = http_url_parse(rows[i].url, &u, NULL);

		CHECK(rc == rows[i].rc);
		if (rc || rows[i].rc)
			continue;
		CHECK(u.https == rows[i].https && u.ipv6 == rows[i].ipv6 && u.port == rows[i].port);
		CHECK_STR(u.host, rows[i].host);
		CHECK_STR(u.target, rows[i].target);
	}
	for (i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		CHECK(http_url_resolve(res[i].base, res[i].loc, strlen(res[i].loc), out, sizeof(out), NULL) == 0);
		CHECK_STR(out, res[i].out);
	}
	CHECK(http_url_resolve("http://h/", "a b", 3, out, sizeof(out), NULL) == -EINVAL);
	CHECK(http_url_resolve("http://h/", "abcdef", 6, out, 8, NULL) == -ENAMETOOLONG);
}

int main(void)
{
	RUN(test_head_table);
	RUN(test_head_limits);
	RUN(test_chunked_table);
	RUN(test_url_table);
	UNIT_EXIT();
}
