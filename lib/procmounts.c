/* procmounts.c: the /proc/mounts text (see procmounts.h). */
#include "procmounts.h"

#include <string.h>

/* Copies field f[0..len) decoding \ooo escapes; returns 0, or -1 when it does not fit or holds a NUL. */
static int unescape(const char *f, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < len) {
		char c = f[i];

		if (c == '\\' && i + 3 < len && f[i + 1] >= '0' && f[i + 1] <= '3' && f[i + 2] >= '0' &&
		    f[i + 2] <= '7' && f[i + 3] >= '0' && f[i + 3] <= '7') {
			c = (char)((f[i + 1] - '0') * 64 + (f[i + 2] - '0') * 8 + (f[i + 3] - '0'));
			i += 4;
		} else {
			i++;
		}
		if (o + 1 >= cap || c == '\0')
			return -1; /* too long, or a NUL the kernel never writes: not a mount line */
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int procmounts_next(const char *buf, size_t len, size_t *pos, struct procmount *ret)
{
	while (*pos < len) {
		const char *f[4];
		size_t fl[4], end = *pos, i = *pos;
		int n = 0;

		while (end < len && buf[end] != '\n')
			end++;
		while (n < 4 && i < end) {
			while (i < end && buf[i] == ' ')
				i++;
			if (i == end)
				break;
			f[n] = buf + i;
			while (i < end && buf[i] != ' ')
				i++;
			fl[n] = (size_t)(buf + i - f[n]);
			n++;
		}
		*pos = end < len ? end + 1 : end;
		if (n < 3 || unescape(f[0], fl[0], ret->source, sizeof(ret->source)) < 0 ||
		    unescape(f[1], fl[1], ret->mountpoint, sizeof(ret->mountpoint)) < 0 ||
		    unescape(f[2], fl[2], ret->fstype, sizeof(ret->fstype)) < 0)
			continue;
		ret->options[0] = '\0';
		if (n == 4 && unescape(f[3], fl[3], ret->options, sizeof(ret->options)) < 0)
			continue;
		return 1;
	}
	return 0;
}

int procmounts_find(const char *buf, size_t len, const char *mountpoint, char *ret_fstype, size_t cap)
{
	struct procmount m;
	size_t pos = 0;
	int found = 0;

	while (procmounts_next(buf, len, &pos, &m))
		if (!strcmp(m.mountpoint, mountpoint) && strlen(m.fstype) < cap) {
			strcpy(ret_fstype, m.fstype);
			found = 1;
		}
	return found;
}
