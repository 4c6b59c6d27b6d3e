/* spec.c: shared line reader and value checks for init.conf and boot.env (see spec.h). */
#include "ramdisk_spec.h"

#include <errno.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int kv_next(const char *buf, size_t len, size_t *pos, unsigned *line, struct kv_line *ret, const char **ret_what)
{
	while (*pos < len) {
		size_t start = *pos, end, k0, k1, v0, v1, eq, i;

		(*line)++;
		while (*pos < len && buf[*pos] != '\n')
			(*pos)++;
		end = *pos;
		if (*pos < len)
			(*pos)++;
		if (end - start > RD_MAX_LINE) {
			*ret_what = "line longer than 4096 bytes";
			return -E2BIG;
		}
		for (i = start; i < end; i++)
			if (buf[i] == '\0') {
				*ret_what = "NUL byte in the file";
				return -EINVAL;
			}
		k0 = start;
		while (k0 < end && is_blank(buf[k0]))
			k0++;
		if (k0 == end || buf[k0] == '#')
			continue;
		eq = k0;
		while (eq < end && buf[eq] != '=')
			eq++;
		if (eq == end) {
			*ret_what = "line is not key=value";
			return -EINVAL;
		}
		k1 = eq;
		while (k1 > k0 && is_blank(buf[k1 - 1]))
			k1--;
		if (k1 == k0) {
			*ret_what = "empty key before '='";
			return -EINVAL;
		}
		v0 = eq + 1;
		v1 = end;
		while (v0 < v1 && is_blank(buf[v0]))
			v0++;
		while (v1 > v0 && is_blank(buf[v1 - 1]))
			v1--;
		ret->line = *line;
		ret->key = buf + k0;
		ret->klen = k1 - k0;
		ret->val = buf + v0;
		ret->vlen = v1 - v0;
		return 1;
	}
	return 0;
}

int kv_is(const struct kv_line *kv, const char *word)
{
	return strlen(word) == kv->klen && !memcmp(kv->key, word, kv->klen);
}

int spec_valid_name(const char *s, size_t len)
{
	size_t i;

	if (!len || len >= RD_MAX_NAME)
		return 0;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int spec_valid_abspath(const char *s, size_t len)
{
	size_t i = 0;

	if (!len || len >= RD_MAX_PATH || s[0] != '/')
		return 0;
	if (len == 1)
		return 1;
	if (s[len - 1] == '/')
		return 0;
	while (i < len) {
		size_t start = ++i; /* skip the '/' */
		while (i < len && s[i] != '/') {
			if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
				return 0;
			i++;
		}
		if (i == start)
			return 0; /* "//" */
		if ((i - start == 1 && s[start] == '.') || (i - start == 2 && s[start] == '.' && s[start + 1] == '.'))
			return 0;
	}
	return 1;
}

int spec_parse_u64(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

int spec_split(const char *s, size_t len, const char **fields, size_t *lens, int max)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		size_t start;

		while (i < len && is_blank(s[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_blank(s[i]))
			i++;
		if (n == max)
			return -E2BIG;
		fields[n] = s + start;
		lens[n] = i - start;
		n++;
	}
	return n;
}

int spec_copy(char *dst, size_t cap, const char *s, size_t len)
{
	if (len >= cap)
		return -E2BIG;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

int spec_parse_ramdisk(const char *s, size_t len, struct ramdisk_spec *ret, const char **ret_what)
{
	struct ramdisk_spec rd;
	const char *f[4];
	size_t fl[4];
	int n = spec_split(s, len, f, fl, 4);

	memset(&rd, 0, sizeof(rd));
	if (n != 4) {
		*ret_what = "ramdisk= needs 4 fields: NAME MOUNTPOINT SIZE INODES";
		return -EINVAL;
	}
	if (!spec_valid_name(f[0], fl[0])) {
		*ret_what = "ramdisk name is not 1-63 characters of [A-Za-z0-9_.-]";
		return -EINVAL;
	}
	if (!spec_valid_abspath(f[1], fl[1])) {
		*ret_what = "ramdisk mount point is not a clean absolute path";
		return -EINVAL;
	}
	if (spec_parse_u64(f[2], fl[2], &rd.size) < 0 || rd.size == 0) {
		*ret_what = "ramdisk size is not a number of bytes above 0";
		return -EINVAL;
	}
	if (spec_parse_u64(f[3], fl[3], &rd.inodes) < 0 || rd.inodes == 0) {
		*ret_what = "ramdisk inode limit is not a number above 0";
		return -EINVAL;
	}
	spec_copy(rd.name, sizeof(rd.name), f[0], fl[0]);
	spec_copy(rd.mountpoint, sizeof(rd.mountpoint), f[1], fl[1]);
	*ret = rd;
	return 0;
}
