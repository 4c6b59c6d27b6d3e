/* ar.c: the Unix ar archive read from memory and written to a file descriptor.
 *
 * Layout: "!<arch>\n", then per member a 60-byte header (name[16] mtime[12] uid[6] gid[6] mode[8] size[10]
 * "`\n") and the data, padded with '\n' to an even offset. Names: GNU short "name/", GNU long "/N" (offset N in
 * the "//" table, which GNU ar puts first or after the "/" symbol table), and BSD 4.4 "#1/N" (the name is the
 * first N bytes of the data). The writer uses "name/" for names of up to 15 bytes and "#1/N" beyond, so it
 * never needs to know the later members' names. The reader trusts no field: every number is checked to be
 * decimal (or octal) and to fit in what is left of the buffer. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ar.h"
#include "fileio.h"

#define AR_MAGIC "!<arch>\n"
#define AR_MAGIC_LEN 8
#define AR_HDR_LEN 60

/* Parses a space-padded unsigned number field of width n in base 10 or 8; -1 when it is not one. */
static int parse_field(const char *f, size_t n, unsigned base, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && f[i] >= '0' && f[i] < (char)('0' + base)) {
		if (v > (UINT64_MAX - 9) / base)
			return -1;
		v = v * base + (uint64_t)(f[i] - '0');
		i++;
	}
	if (i == 0)
		return -1;
	for (; i < n; i++)
		if (f[i] != ' ')
			return -1;
	*ret = v;
	return 0;
}

/* Whether name (n bytes) is a safe member name: not empty, not "." or "..", no '/', no NUL or control byte. */
static bool name_ok(const char *name, size_t n)
{
	if (n == 0 || n >= AR_NAME_MAX)
		return false;
	if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == '/' || name[i] == 0x7f)
			return false;
	return true;
}

/* Finds the GNU "//" long-name table among the first two members; 0 and (*ret_off, *ret_len) or -ENOENT. */
static int find_longnames(const uint8_t *b, size_t len, uint64_t *ret_off, uint64_t *ret_len)
{
	uint64_t pos = AR_MAGIC_LEN, size;

	for (int i = 0; i < 2 && len - pos >= AR_HDR_LEN; i++) {
		const char *h = (const char *)b + pos;

		if (parse_field(h + 48, 10, 10, &size) < 0 || size > len - pos - AR_HDR_LEN)
			return -ENOENT;
		if (!memcmp(h, "//              ", 16)) {
			*ret_off = pos + AR_HDR_LEN;
			*ret_len = size;
			return 0;
		}
		pos += AR_HDR_LEN + size + (size & 1);
		if (pos > len)
			return -ENOENT;
	}
	return -ENOENT;
}

/* BSD "#1/N": the name is the first N bytes of the data (NUL padding included), which then start after it. */
static int bsd_name(const uint8_t *b, const char *h, uint64_t hdr, uint64_t *data, uint64_t *size, char *name,
		    uint64_t *ret_nlen, struct rh_err *err)
{
	uint64_t nlen;

	if (parse_field(h + 3, 13, 10, &nlen) < 0 || nlen > *size || nlen >= AR_NAME_MAX)
		return rh_errf(err, -EBADMSG, "offset %" PRIu64 ": bad BSD name length '%.13s'", hdr, h + 3);
	memcpy(name, b + *data, nlen);
	*data += nlen;
	*size -= nlen;
	while (nlen > 0 && name[nlen - 1] == '\0')
		nlen--;
	name[nlen] = '\0';
	*ret_nlen = nlen;
	return 0;
}

/* GNU "/OFFSET": the name is at OFFSET in the "//" table, up to '\n' (a trailing '/' dropped). */
static int gnu_long_name(const uint8_t *b, size_t len, const char *h, uint64_t hdr, char *name, uint64_t *ret_nlen,
			 struct rh_err *err)
{
	uint64_t off, toff, tlen, e, nlen;

	if (parse_field(h + 1, 15, 10, &off) < 0 || find_longnames(b, len, &toff, &tlen) < 0 || off >= tlen)
		return rh_errf(err, -EBADMSG, "offset %" PRIu64 ": long name '%.16s' not in the name table", hdr, h);
	for (e = off; e < tlen && b[toff + e] != '\n'; e++)
		;
	nlen = e - off;
	if (nlen > 0 && b[toff + off + nlen - 1] == '/')
		nlen--;
	if (nlen >= AR_NAME_MAX)
		return rh_errf(err, -EBADMSG, "offset %" PRIu64 ": long name too long", hdr);
	memcpy(name, b + toff + off, nlen);
	name[nlen] = '\0';
	*ret_nlen = nlen;
	return 0;
}

/* A name in the header's 16 bytes, space-padded, GNU's trailing '/' dropped; returns its length. */
static uint64_t short_name(const char *h, char *name)
{
	uint64_t nlen = 16;

	while (nlen > 0 && h[nlen - 1] == ' ')
		nlen--;
	if (nlen > 0 && h[nlen - 1] == '/')
		nlen--;
	memcpy(name, h, nlen);
	name[nlen] = '\0';
	return nlen;
}

int ar_next(const void *buf, size_t len, uint64_t *pos, struct ar_member *ret, struct rh_err *err)
{
	const uint8_t *b = buf;
	uint64_t p = *pos;

	if (p == 0) {
		if (len < AR_MAGIC_LEN || memcmp(b, AR_MAGIC, AR_MAGIC_LEN))
			return rh_errf(err, -EBADMSG, "offset 0: bad magic (not an ar archive)");
		p = AR_MAGIC_LEN;
	}
	for (;;) {
		const char *h;
		uint64_t hdr = p, size, mtime, mode, data, nlen = 0;
		struct ar_member m;
		char name[AR_NAME_MAX];
		int rc = 0;

		if (p > len)
			return rh_errf(err, -EBADMSG, "offset %" PRIu64 ": past the end of the archive", p);
		if (p == len) {
			*pos = p;
			return 0;
		}
		if (len - p < AR_HDR_LEN)
			return rh_errf(err, -EBADMSG, "offset %" PRIu64 ": truncated member header (%zu of %d bytes)",
				       p, (size_t)(len - p), AR_HDR_LEN);
		h = (const char *)b + p;
		if (h[58] != '`' || h[59] != '\n')
			return rh_errf(err, -EBADMSG, "offset %" PRIu64 ": bad header terminator", p);
		if (parse_field(h + 48, 10, 10, &size) < 0)
			return rh_errf(err, -EBADMSG, "offset %" PRIu64 ": size field '%.10s' is not a number", p, h + 48);
		if (parse_field(h + 16, 12, 10, &mtime) < 0)
			mtime = 0; /* some writers leave it blank; it is informational */
		if (parse_field(h + 40, 8, 8, &mode) < 0)
			mode = 0644;
		data = p + AR_HDR_LEN;
		if (size > len - data)
			return rh_errf(err, -EBADMSG,
				       "offset %" PRIu64 ": member size %" PRIu64 " is past the end of the archive (%" PRIu64
				       " bytes left)", p, size, (uint64_t)(len - data));
		p = data + size + (size & 1);
		if (p == len + 1)
			p = len; /* a missing final pad byte is harmless */

		if (!memcmp(h, "/               ", 16) || !memcmp(h, "/SYM64/         ", 16) ||
		    !memcmp(h, "//              ", 16))
			continue; /* symbol table, long-name table: not members */
		if (!memcmp(h, "#1/", 3))
			rc = bsd_name(b, h, hdr, &data, &size, name, &nlen, err);
		else if (h[0] == '/' && h[1] >= '0' && h[1] <= '9')
			rc = gnu_long_name(b, len, h, hdr, name, &nlen, err);
		else
			nlen = short_name(h, name);
		if (rc < 0)
			return rc;
		if (!name_ok(name, nlen) || strlen(name) != nlen)
			return rh_errf(err, -EBADMSG, "offset %" PRIu64 ": unsafe member name '%.*s'",
				       hdr, (int)strnlen(name, nlen), name);
		memset(&m, 0, sizeof(m));
		memcpy(m.name, name, nlen + 1);
		m.offset = data;
		m.size = size;
		m.mode = (uint32_t)(mode & 07777777);
		m.mtime = mtime;
		*ret = m;
		*pos = p;
		return 1;
	}
}

int ar_find(const void *buf, size_t len, const char *name, struct ar_member *ret, struct rh_err *err)
{
	uint64_t pos = 0;
	struct ar_member m;
	int r;

	while ((r = ar_next(buf, len, &pos, &m, err)) > 0)
		if (!strcmp(m.name, name)) {
			*ret = m;
			return 0;
		}
	if (r < 0)
		return r;
	return rh_errf(err, -ENOENT, "no member '%s' in the archive", name);
}

int ar_write_start(int fd, const char *path, struct rh_err *err)
{
	int r = rh_write_all(fd, AR_MAGIC, AR_MAGIC_LEN);

	if (r < 0)
		return rh_errf(err, r, "%s: write: %s", path, strerror(-r));
	return 0;
}

/* Writes the header of a member whose data is size bytes; for a long name the name follows the header
 * (BSD "#1/N") and counts in the size. */
static int write_header(int fd, const char *path, const char *name, uint64_t size, uint64_t mtime,
			struct rh_err *err)
{
	size_t n = strlen(name);
	char h[160]; /* roomy: the fields are bounded above, but the compiler cannot see it */
	int r;

	if (!name_ok(name, n))
		return rh_errf(err, -EINVAL, "%s: unsafe ar member name '%s'", path, name);
	if (size > 9999999999ULL - n)
		return rh_errf(err, -EFBIG, "%s: member '%s' of %" PRIu64 " bytes is too large for ar", path, name, size);
	if (mtime > 999999999999ULL)
		mtime = 0;
	if (n <= 15)
		snprintf(h, sizeof(h), "%-16s%-12" PRIu64 "%-6s%-6s%-8s%-10" PRIu64 "`\n", "", mtime, "0", "0",
			 "100644", size);
	else
		snprintf(h, sizeof(h), "#1/%-13zu%-12" PRIu64 "%-6s%-6s%-8s%-10" PRIu64 "`\n", n, mtime, "0", "0",
			 "100644", size + n);
	if (n <= 15) {
		memset(h, ' ', 16);
		memcpy(h, name, n);
		h[n] = '/';
	}
	r = rh_write_all(fd, h, AR_HDR_LEN);
	if (r >= 0 && n > 15)
		r = rh_write_all(fd, name, n);
	if (r < 0)
		return rh_errf(err, r, "%s: write: %s", path, strerror(-r));
	return 0;
}

/* Writes the '\n' pad after a member of total (header-counted) size total. */
static int write_pad(int fd, const char *path, uint64_t total, struct rh_err *err)
{
	int r;

	if (!(total & 1))
		return 0;
	r = rh_write_all(fd, "\n", 1);
	if (r < 0)
		return rh_errf(err, r, "%s: write: %s", path, strerror(-r));
	return 0;
}

int ar_write_member(int fd, const char *path, const char *name, const void *data, uint64_t size, uint64_t mtime,
		    struct rh_err *err)
{
	size_t n = strlen(name);
	int r = write_header(fd, path, name, size, mtime, err);

	if (r < 0)
		return r;
	r = rh_write_all(fd, data, size);
	if (r < 0)
		return rh_errf(err, r, "%s: write: %s", path, strerror(-r));
	return write_pad(fd, path, size + (n > 15 ? n : 0), err);
}

int ar_write_member_fd(int fd, const char *path, const char *name, int src_fd, uint64_t size, uint64_t mtime,
		       struct rh_err *err)
{
	size_t n = strlen(name);
	char chunk[1 << 15];
	uint64_t off = 0;
	int r = write_header(fd, path, name, size, mtime, err);

	if (r < 0)
		return r;
	while (off < size) {
		size_t want = size - off < sizeof(chunk) ? (size_t)(size - off) : sizeof(chunk);

		r = rh_pread_all(src_fd, chunk, want, off);
		if (r < 0)
			return rh_errf(err, r, "%s: reading member '%s' at %" PRIu64 ": %s", path, name, off,
				       r == -EIO ? "file shorter than expected" : strerror(-r));
		r = rh_write_all(fd, chunk, want);
		if (r < 0)
			return rh_errf(err, r, "%s: write: %s", path, strerror(-r));
		off += want;
	}
	return write_pad(fd, path, size + (n > 15 ? n : 0), err);
}
