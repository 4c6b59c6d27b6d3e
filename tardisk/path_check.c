/* path_check.c: see path_check.h. */
#include "path_check.h"

#include <string.h>

#include "tardisk.h"

int tdk_path_normalize(const char *name, size_t len, char *out, size_t cap, size_t *ret_len)
{
	size_t i = 0, o = 0, comp;

	if (memchr(name, '\0', len))
		return TDK_PATH_NUL;
	/* Only slashes ("/", as umoci writes a layer's root entry) names the root like "./" does: nothing below it
	 * can be reached through it. Any other leading '/' is an absolute path, refused. */
	while (o < len && name[o] == '/')
		o++;
	if (len && o == len) {
		if (cap < 1)
			return TDK_PATH_TOO_LONG;
		out[0] = '\0';
		*ret_len = 0;
		return TDK_PATH_ROOT;
	}
	if (o)
		return TDK_PATH_ABSOLUTE;
	/* Leading "./" (as tar -C dir . writes) is the archive's root: strip it, with any slashes after it. */
	while (i < len && name[i] == '.' && (i + 1 == len || name[i + 1] == '/')) {
		i++;
		while (i < len && name[i] == '/')
			i++;
	}
	while (len > i && name[len - 1] == '/')
		len--;
	if (i == len) {
		if (cap < 1)
			return TDK_PATH_TOO_LONG;
		out[0] = '\0';
		*ret_len = 0;
		return TDK_PATH_ROOT;
	}
	while (i < len) {
		const char *c = name + i;
		const char *slash = memchr(c, '/', len - i);

		comp = slash ? (size_t)(slash - c) : len - i;
		if (comp == 0)
			return TDK_PATH_EMPTY_COMPONENT;
		if (comp == 1 && c[0] == '.')
			return TDK_PATH_DOT;
		if (comp == 2 && c[0] == '.' && c[1] == '.')
			return TDK_PATH_DOTDOT;
		if (comp > TARDISK_NAME_MAX)
			return TDK_PATH_NAME_TOO_LONG;
		if (o + (o ? 1 : 0) + comp > TARDISK_PATH_MAX || o + (o ? 1 : 0) + comp + 1 > cap)
			return TDK_PATH_TOO_LONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, c, comp);
		o += comp;
		i += comp + (slash ? 1 : 0);
	}
	out[o] = '\0';
	*ret_len = o;
	return TDK_PATH_OK;
}

const char *tdk_path_reason(int rc)
{
	switch (rc) {
	case TDK_PATH_OK: return "is valid";
	case TDK_PATH_ROOT: return "is the root directory";
	case TDK_PATH_ABSOLUTE: return "is an absolute path";
	case TDK_PATH_DOTDOT: return "has a '..' component";
	case TDK_PATH_DOT: return "has a '.' component";
	case TDK_PATH_EMPTY_COMPONENT: return "has an empty component ('//')";
	case TDK_PATH_NAME_TOO_LONG: return "has a component over 255 bytes";
	case TDK_PATH_TOO_LONG: return "is over 4095 bytes";
	case TDK_PATH_NUL: return "contains a NUL byte";
	}
	return "is invalid";
}

const char *tdk_path_shorten(const char *name, char *buf, size_t cap)
{
	size_t len = strlen(name), head, tail;

	if (len < cap || cap < 16)
		return name;
	tail = (cap - 4) / 3;
	head = cap - 4 - tail;
	memcpy(buf, name, head);
	memcpy(buf + head, "...", 3);
	memcpy(buf + head + 3, name + len - tail, tail);
	buf[cap - 1] = '\0';
	return buf;
}
