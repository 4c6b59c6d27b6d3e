/* test_urlpath.c: lib/urlpath.c — percent-encoding of relative paths for URLs (RFC 3986), its inverse, and
 * the rule for names that must survive an index and a URL unchanged. */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "urlpath.h"

static void test_encode(void)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "vibs/hello-1.0-1.vib", "vibs/hello-1.0-1.vib" },
		{ "vibs/hello#1.vib", "vibs/hello%231.vib" },
		{ "with space.vib", "with%20space.vib" },
		{ "a?b=c&d.vib", "a%3Fb%3Dc%26d.vib" },
		{ "100%.vib", "100%25.vib" },
		{ "a+b;c:d@e!f.vib", "a%2Bb%3Bc%3Ad%40e%21f.vib" },
		{ "~user/_x.vib", "~user/_x.vib" },
		{ "caf\xc3\xa9.vib", "caf%C3%A9.vib" },
		{ "\x01\x7f\xff", "%01%7F%FF" },
		{ "", "" },
	};
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int n = urlpath_encode(rows[i].in, strlen(rows[i].in), buf, sizeof(buf));

		CHECK(n == (int)strlen(rows[i].out));
		CHECK_STR(buf, rows[i].out);
	}
	/* embedded NUL is data like any byte */
	CHECK(urlpath_encode("a\0b", 3, buf, sizeof(buf)) == 5);
	CHECK_STR(buf, "a%00b");
}

static void test_encode_room(void)
{
	char buf[8];

	CHECK(urlpath_encode("abcdefg", 7, buf, 8) == 7); /* exactly fits with the NUL */
	CHECK(urlpath_encode("abcdefgh", 8, buf, 8) == -ENAMETOOLONG);
	CHECK_STR(buf, "");
	CHECK(urlpath_encode("abcde#", 6, buf, 8) == -ENAMETOOLONG); /* 5 + 3 + NUL */
	CHECK(urlpath_encode("abcd#", 5, buf, 8) == 7);
	CHECK(urlpath_encode("", 0, buf, 0) == -ENAMETOOLONG);
}

static void test_decode(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *out;
	} rows[] = {
		{ "vibs/hello%231.vib", 16, "vibs/hello#1.vib" },
		{ "caf%c3%A9", 5, "caf\xc3\xa9" },
		{ "plain+text", 10, "plain+text" }, /* '+' is not a space in a path */
		{ "%", -EINVAL, "" },
		{ "%2", -EINVAL, "" },
		{ "a%2", -EINVAL, "" },
		{ "%zz", -EINVAL, "" },
		{ "%00", -EINVAL, "" },
		{ "%20", 1, " " },
		{ "x%2f", 2, "x/" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int n = urlpath_decode(rows[i].in, strlen(rows[i].in), buf, sizeof(buf));

		if (n != rows[i].rc)
			fprintf(stderr, "  row %zu: '%s' -> %d\n", i, rows[i].in, n);
		CHECK(n == rows[i].rc);
		CHECK_STR(buf, rows[i].out);
	}
	CHECK(urlpath_decode("abcdef", 6, buf, 6) == -ENAMETOOLONG);
	CHECK(urlpath_decode("%41%42", 6, buf, 3) == 2);
	CHECK_STR(buf, "AB");
}

/* Every byte value survives encode then decode (NUL aside: a path cannot hold it). */
static void test_round_trip(void)
{
	char in[255], enc[3 * 255 + 1], dec[256];
	int i;

	for (i = 0; i < 255; i++)
		in[i] = (char)(i + 1);
	CHECK(urlpath_encode(in, sizeof(in), enc, sizeof(enc)) > 0);
	CHECK(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/%") == strlen(enc));
	CHECK(urlpath_decode(enc, strlen(enc), dec, sizeof(dec)) == 255);
	CHECK(memcmp(in, dec, sizeof(in)) == 0);
}

static void test_name_problem(void)
{
	static const struct {
		const char *name;
		const char *why; /* NULL: fine */
		size_t off;
	} rows[] = {
		{ "vibs/hello-1.0-1.vib", NULL, 0 },
		{ "hello#1 with space?&%.vib", NULL, 0 },
		{ "caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80.vib", NULL, 0 },
		{ "a\nb.vib", "has a line break", 1 },
		{ "a\rb.vib", "has a line break", 1 },
		{ "ab\tc.vib", "has a control character", 2 },
		{ "\x1b[31m.vib", "has a control character", 0 },
		{ "a\x7f.vib", "has a control character", 1 },
		{ "a\xc2\x85.vib", "has a control character", 1 },    /* U+0085 NEL */
		{ "dir\\x.vib", "has a backslash", 3 },
		{ "caf\xe9.vib", "has a byte that is not UTF-8", 3 },  /* Latin-1 */
		{ "a\xc0\xaf.vib", "has a byte that is not UTF-8", 1 }, /* overlong '/' */
		{ "a\xed\xa0\x80.vib", "has a byte that is not UTF-8", 1 }, /* surrogate */
		{ "a\xf4\x90\x80\x80", "has a byte that is not UTF-8", 1 }, /* past U+10FFFF */
		{ "a\xe2\x82", "has a byte that is not UTF-8", 1 },   /* cut short */
		{ "a\xef\xbf\xbe", "has a character XML cannot hold", 1 },
	};
	size_t i, off;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *why;

		off = 99;
		why = urlpath_name_problem(rows[i].name, strlen(rows[i].name), &off);
		if (!rows[i].why) {
			CHECK(why == NULL);
			CHECK(off == 99);
		} else {
			CHECK_STR(why, rows[i].why);
			CHECK(off == rows[i].off);
		}
	}
	CHECK_STR(urlpath_name_problem("a\0b", 3, NULL), "has a control character");
}

int main(void)
{
	RUN(test_encode);
	RUN(test_encode_room);
	RUN(test_decode);
	RUN(test_round_trip);
	RUN(test_name_problem);
	UNIT_EXIT();
}
