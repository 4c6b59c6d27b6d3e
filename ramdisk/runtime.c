/* runtime.c: shared helpers of the booted-host commands (see runtime.h). */
#include "runtime.h"

#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


const char *runtime_path(const char *var, const char *def)
{
	const char *v = getenv(var);

	return v && v[0] ? v : def;
}


int bootenv_load(const char *path, struct bootenv *ret, struct rh_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = rh_read_file(path, RUNTIME_MAX_FILE, &buf, &len, err);

	if (rc < 0)
		return rc;
	rc = bootenv_parse(buf, len, path, ret, err);
	free(buf);
	return rc;
}

/* Copies field f[0..len) decoding \ooo escapes; returns 0 or -1 when it does not fit. */
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
		if (o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int procmounts_find(const char *buf, size_t len, const char *mountpoint, char *ret_fstype, size_t cap)
{
	char mp[4096], fst[64];
	size_t pos = 0;
	int found = 0;

	while (pos < len) {
		const char *f[3];
		size_t fl[3], end = pos, i = pos;
		int n = 0;

		while (end < len && buf[end] != '\n')
			end++;
		while (n < 3 && i < end) {
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
		pos = end < len ? end + 1 : end;
		if (n < 3 || unescape(f[1], fl[1], mp, sizeof(mp)) < 0 || strcmp(mp, mountpoint))
			continue;
		if (unescape(f[2], fl[2], fst, sizeof(fst)) < 0)
			continue;
		if (strlen(fst) < cap) {
			strcpy(ret_fstype, fst);
			found = 1;
		}
	}
	return found;
}

void format_size(uint64_t bytes, int human, char *out, size_t cap)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (!human || bytes < 1024) {
		snprintf(out, cap, "%" PRIu64, bytes);
		return;
	}
	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	snprintf(out, cap, "%.1f%c", v, units[u]);
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
