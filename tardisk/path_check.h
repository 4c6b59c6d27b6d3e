/* path_check.h: the hostile-input rules for entry names, as a pure function (no I/O, no allocation).
 *
 * An archive entry name is accepted when, after stripping leading "./" (and the slashes after it) and trailing
 * slashes, it is a relative path of non-empty components, none "." or "..", each at most TARDISK_NAME_MAX
 * bytes, the whole at most TARDISK_PATH_MAX bytes, without NUL bytes. "", ".", "./" name the root. */
#ifndef RAMHOST_TARDISK_PATH_CHECK_H
#define RAMHOST_TARDISK_PATH_CHECK_H

#include <stddef.h>

enum tdk_path_rc {
	TDK_PATH_OK = 0,
	TDK_PATH_ROOT = 1,             /* the name is the root directory itself */
	TDK_PATH_ABSOLUTE = -1,
	TDK_PATH_DOTDOT = -2,
	TDK_PATH_DOT = -3,             /* a "." component after the start */
	TDK_PATH_EMPTY_COMPONENT = -4, /* "a//b" */
	TDK_PATH_NAME_TOO_LONG = -5,
	TDK_PATH_TOO_LONG = -6,
	TDK_PATH_NUL = -7,
};

/* Checks name[0..len) and writes its normal form (NUL-terminated) to out, which holds cap bytes (at least
 * TARDISK_PATH_MAX + 1 to accept every valid name). Returns TDK_PATH_OK or TDK_PATH_ROOT (out is then "")
 * and sets *ret_len; or a negative enum tdk_path_rc, out undefined. */
int tdk_path_normalize(const char *name, size_t len, char *out, size_t cap, size_t *ret_len);

/* A short English reason for a negative code, for error messages ("has a '..' component"). */
const char *tdk_path_reason(int rc);

/* For messages: name itself when it fits in cap - 1 bytes, else its start, "...", and its end, in buf. */
const char *tdk_path_shorten(const char *name, char *buf, size_t cap);

#endif
