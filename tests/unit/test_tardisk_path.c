/* test_tardisk_path.c: the entry-name rules of tardisk/path_check.h, one row per case. */
#include <string.h>

#include "tardisk/path_check.h"
#include "tardisk/tardisk.h"
#include "unit.h"

struct row {
	const char *in;
	int rc;
	const char *out;  /* expected normal form when rc >= 0 */
};

static void test_path_table(void)
{
	static const struct row rows[] = {
		{ "usr/bin/sh", TDK_PATH_OK, "usr/bin/sh" },
		{ "./usr/bin/sh", TDK_PATH_OK, "usr/bin/sh" },
		{ "././usr", TDK_PATH_OK, "usr" },
		{ ".//usr", TDK_PATH_OK, "usr" },
		{ "usr/", TDK_PATH_OK, "usr" },
		{ "usr///", TDK_PATH_OK, "usr" },
		{ ".hidden", TDK_PATH_OK, ".hidden" },
		{ "..hidden", TDK_PATH_OK, "..hidden" },
		{ "a/...", TDK_PATH_OK, "a/..." },
		{ "a/.b/c", TDK_PATH_OK, "a/.b/c" },
		{ "", TDK_PATH_ROOT, "" },
		{ ".", TDK_PATH_ROOT, "" },
		{ "./", TDK_PATH_ROOT, "" },
		{ "./.", TDK_PATH_ROOT, "" },
		{ "/", TDK_PATH_ROOT, "" },
		{ "//", TDK_PATH_ROOT, "" },
		{ "/x", TDK_PATH_ABSOLUTE, NULL },
		{ "/etc/passwd", TDK_PATH_ABSOLUTE, NULL },
		{ "..", TDK_PATH_DOTDOT, NULL },
		{ "../x", TDK_PATH_DOTDOT, NULL },
		{ "./../x", TDK_PATH_DOTDOT, NULL },
		{ "a/../../etc", TDK_PATH_DOTDOT, NULL },
		{ "a/..", TDK_PATH_DOTDOT, NULL },
		{ "a/./b", TDK_PATH_DOT, NULL },
		{ "a/.", TDK_PATH_DOT, NULL },
		{ "a//b", TDK_PATH_EMPTY_COMPONENT, NULL },
	};
	char out[TARDISK_PATH_MAX + 1];
	size_t i, len;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = tdk_path_normalize(rows[i].in, strlen(rows[i].in), out, sizeof(out), &len);
		if (rc != rows[i].rc)
			fprintf(stderr, "  row %zu '%s': got %d, want %d\n", i, rows[i].in, rc, rows[i].rc);
		CHECK(rc == rows[i].rc);
		if (rc >= 0 && rows[i].out) {
			CHECK_STR(out, rows[i].out);
			CHECK(len == strlen(rows[i].out));
		}
	}
}

/* Limits: exactly at the limit passes, one byte over fails; a NUL inside the name fails. */
static void test_path_limits(void)
{
	static char name[8192], out[TARDISK_PATH_MAX + 1];
	size_t len, i;

	memset(name, 'a', 255);
	CHECK(tdk_path_normalize(name, 255, out, sizeof(out), &len) == TDK_PATH_OK);
	CHECK(len == 255);
	memset(name, 'a', 256);
	CHECK(tdk_path_normalize(name, 256, out, sizeof(out), &len) == TDK_PATH_NAME_TOO_LONG);
	/* 16 components of 255 + 15 slashes = 4095 bytes: the longest valid path. */
	for (i = 0; i < 16; i++) {
		memset(name + i * 256, 'b', 255);
		name[i * 256 + 255] = '/';
	}
	CHECK(tdk_path_normalize(name, 16 * 256 - 1, out, sizeof(out), &len) == TDK_PATH_OK);
	CHECK(len == TARDISK_PATH_MAX);
	name[16 * 256 - 1] = '/';
	name[16 * 256] = 'c';
	CHECK(tdk_path_normalize(name, 16 * 256 + 1, out, sizeof(out), &len) == TDK_PATH_TOO_LONG);
	/* A short output buffer is refused, not overrun. */
	CHECK(tdk_path_normalize("abcdef", 6, out, 4, &len) == TDK_PATH_TOO_LONG);
	CHECK(tdk_path_normalize("a\0b", 3, out, sizeof(out), &len) == TDK_PATH_NUL);
}

static void test_path_shorten(void)
{
	char big[600], buf[40];
	const char *s;

	CHECK_STR(tdk_path_shorten("short", buf, sizeof(buf)), "short");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = 'A';
	big[sizeof(big) - 2] = 'Z';
	s = tdk_path_shorten(big, buf, sizeof(buf));
	CHECK(strlen(s) == sizeof(buf) - 1);
	CHECK(s[0] == 'A' && s[strlen(s) - 1] == 'Z' && strstr(s, "...") != NULL);
	CHECK(strcmp(tdk_path_reason(TDK_PATH_DOTDOT), "has a '..' component") == 0);
}

int main(void)
{
	RUN(test_path_table);
	RUN(test_path_limits);
	RUN(test_path_shorten);
	UNIT_EXIT();
}
