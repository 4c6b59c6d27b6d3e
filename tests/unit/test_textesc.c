/* test_textesc.c: lib/textesc.c (the escaping rule for text output of untrusted strings) and cli/print.c's
 * cli_printf, which applies it to every %s argument. Table-driven: input and expected output side by side. */
#include <stdlib.h>
#include <string.h>

#include "textesc.h"
#include "print.h"
#include "unit.h"

static const struct {
	const char *in;
	size_t len;        /* 0: strlen(in) */
	const char *want;
} cases[] = {
	{ "plain-name_1.0", 0, "plain-name_1.0" },
	{ "", 0, "" },
	{ "a b", 0, "a b" },
	{ "caf\xc3\xa9", 0, "caf\xc3\xa9" },                       /* "café": UTF-8 kept */
	{ "\xe6\x97\xa5\xe6\x9c\xac", 0, "\xe6\x97\xa5\xe6\x9c\xac" }, /* "日本" */
	{ "\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80" },               /* U+1F600: 4 bytes */
	{ "back\\slash", 0, "back\\\\slash" },
	{ "\\x41", 0, "\\\\x41" },                                   /* a literal "\x41" stays told apart */
	{ "a\n-rwsr-xr-x 0/0 1 1970-01-01 00:00 etc/shadow", 0,
	  "a\\n-rwsr-xr-x 0/0 1 1970-01-01 00:00 etc/shadow" },
	{ "Evil Corp\rVMware, Inc.", 0, "Evil Corp\\rVMware, Inc." },
	{ "tab\there", 0, "tab\\there" },
	{ "\x1b[2J\x1b]0;title\x07", 0, "\\x1b[2J\\x1b]0;title\\x07" },  /* ESC, BEL */
	{ "del\x7f", 0, "del\\x7f" },
	{ "nul\0x", 5, "nul\\x00x" },
	{ "\x01\x1f", 0, "\\x01\\x1f" },
	{ "c1 \xc2\x9b" "31m", 0, "c1 \\xc2\\x9b31m" },                 /* U+009B CSI, valid UTF-8: escaped */
	{ "\xc2\x80\xc2\x9f\xc2\xa0", 0, "\\xc2\\x80\\xc2\\x9f\xc2\xa0" }, /* U+0080, U+009F; U+00A0 kept */
	{ "raw c1 \x9b", 0, "raw c1 \\x9b" },                          /* a lone 0x9b is not UTF-8 */
	{ "\x80\xbf", 0, "\\x80\\xbf" },                               /* stray continuation bytes */
	{ "latin1 caf\xe9!", 0, "latin1 caf\\xe9!" },                  /* 0xe9 then '!': cut short */
	{ "\xc0\xaf", 0, "\\xc0\\xaf" },                               /* overlong '/' */
	{ "\xe0\x80\xaf", 0, "\\xe0\\x80\\xaf" },                      /* overlong, 3 bytes */
	{ "\xed\xa0\x80", 0, "\\xed\\xa0\\x80" },                      /* surrogate U+D800 */
	{ "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80" },             /* past U+10FFFF */
	{ "\xf5\xff", 0, "\\xf5\\xff" },
	{ "cut \xe6\x97", 0, "cut \\xe6\\x97" },                       /* a sequence cut by the end */
	{ "\xe6\x97" "A", 0, "\\xe6\\x97" "A" },                       /* ... and by an ASCII byte */
	{ "\xe2\x80\xae" "txt.exe", 0, "\\xe2\\x80\\xae" "txt.exe" },  /* U+202E right-to-left override */
	{ "l\xe2\x80\xa8" "s", 0, "l\\xe2\\x80\\xa8" "s" },            /* U+2028 line separator */
	{ "\xe2\x81\xa6\xe2\x81\xa9", 0, "\\xe2\\x81\\xa6\\xe2\\x81\\xa9" }, /* U+2066, U+2069 isolates */
	{ "\xe2\x80\x8e\xe2\x80\x8f", 0, "\\xe2\\x80\\x8e\\xe2\\x80\\x8f" }, /* LRM, RLM */
	{ "\xe2\x80\x94", 0, "\xe2\x80\x94" },                         /* an em dash is text */
};

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		size_t need = textesc(NULL, 0, cases[i].in, len);
		char *out = malloc(need + 1);

		CHECK(out != NULL);
		if (!out)
			return;
		CHECK(textesc(out, need + 1, cases[i].in, len) == need);
		CHECK(need == strlen(cases[i].want));
		CHECK(need <= TEXTESC_MAX_GROWTH * len);
		CHECK_STR(out, cases[i].want);
		free(out);
	}
}

/* A buffer too small holds the escapes that fit whole, and the result is still the full length. */
static void test_truncated(void)
{
	char out[8];

	CHECK(textesc(out, sizeof(out), "ab\ncd\x1b", 6) == 10);   /* ab \n cd \x1b */
	CHECK_STR(out, "ab\\ncd");
	CHECK(textesc(out, 4, "a\x01", 2) == 5);
	CHECK_STR(out, "a");                                        /* not "a\x0" */
	CHECK(textesc(out, 3, "\xe6\x97\xa5", 3) == 3);
	CHECK_STR(out, "");                                         /* not half of 日 */
	CHECK(textesc(out, 1, "abc", 3) == 3);
	CHECK_STR(out, "");
	CHECK(textesc(NULL, 0, "abc", 3) == 3);
}

/* cli_printf into a memory stream: %s escaped, the format's own text and other conversions as fprintf. */
static void test_cli_printf(void)
{
	static const char unterminated[4] = { 'a', 'b', 'c', '\n' };   /* no NUL */
	char *mem = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&mem, &size);
	int n;

	CHECK(f != NULL);
	if (!f)
		return;
	n = cli_printf(f, "%-8s|%s|\n", "a\nb", "caf\xc3\xa9");
	CHECK(n == 16);
	cli_printf(f, "%d %u %ld %lld %zu %x %03d %c %5.1f %% %.2s|", -3, 7u, -8L, 9LL, (size_t)10, 255u, 5, 'z',
		   2.25, "xy\n");
	cli_printf(f, "%*s|%-*s|%.*s|", 4, "\t", 3, "a", 2, "\x1bzz");
	cli_printf(f, "%s", "\\");
	cli_printf(f, "[%-6s|%3d|%s|%%]", "ab", 7, "plain");   /* nothing to escape: vfprintf as it is */
	cli_printf(f, "%.3s|", unterminated);                     /* reads 3 bytes only, either way */
	cli_printf(f, "%.2s|", unterminated + 2);
	fclose(f);
	CHECK_STR(mem, ("a\\nb    |caf\xc3\xa9|\n"
			       "-3 7 -8 9 10 ff 005 z   2.2 % xy|"
			       "  \\t|a  |\\x1bz|"
			       "\\\\"
			       "[ab    |  7|plain|%]"
			       "abc|c\\n|"));
	free(mem);
}

int main(void)
{
	RUN(test_table);
	RUN(test_truncated);
	RUN(test_cli_printf);
	UNIT_EXIT();
}
