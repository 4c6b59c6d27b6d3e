/* efiload.c: EFI_LOAD_OPTION and BootOrder, decode and encode (see efiload.h). UEFI 2.10 section 3.1.3 (the load
 * option and Boot####), 3.3 (BootOrder), 10.3.1 (generic device path nodes), 10.3.5.1 (hard drive media node),
 * 10.3.5.4 (file path media node).
 *
 * The decoder is strict where a firmware would be (a node shorter than its header, a node running past the
 * list, a list that never ends, a description without its NUL) and tolerant where real firmware differs: several
 * device paths in one list (the first is the boot target, the rest are extra instances such as an initrd), a
 * file path split over consecutive file path nodes (UEFI lets a path be given in pieces; they are joined with
 * one '\' between them, as the device path to text conversion does), a file path node without a trailing NUL. */
#include "efiload.h"
#include "hex.h"
#include "le.h"
#include "utf16.h"

#include <errno.h>
#include <string.h>

#define DP_MEDIA 0x04
#define DP_MEDIA_HD 0x01
#define DP_MEDIA_FILE 0x04
#define DP_END 0x7F
#define DP_END_ENTIRE 0xFF
#define HD_NODE_LEN 42u
#define OPT_HEAD 6u /* Attributes + FilePathListLength */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void hd_decode(const uint8_t *n, struct efiload_hd *hd)
{
	hd->partno = le32(n + 4);
	hd->start = le64(n + 8);
	hd->size = le64(n + 16);
	memcpy(hd->signature, n + 24, 16);
	hd->mbr_type = n[40];
	hd->sig_type = n[41];
}

/* A file path node's text, joined to the path so far when it continues one (see the top of the file). */
static int file_decode(const uint8_t *n, size_t nlen, struct efiload *r, size_t *pos)
{
	if ((nlen - 4) % 2)
		return -EINVAL;
	if (*pos && r->file[*pos - 1] != '\\' && nlen >= 6 && le16(n + 4) != '\\' && le16(n + 4)) {
		if (*pos + 1 >= sizeof(r->file))
			return -E2BIG;
		r->file[(*pos)++] = '\\';
	}
	return utf16le_append(n + 4, (nlen - 4) / 2, r->file, sizeof(r->file), pos);
}

/* Walks the device path list p[0..len): every node inside it, at least one end-of-path node, nothing left over.
 * The first path's consecutive file nodes make r->file. */
static int dp_decode(const uint8_t *p, size_t len, struct efiload *r)
{
	size_t off = 0, fpos = 0;
	int ended = 0, in_file = 0, file_done = 0, rc;

	while (off < len) {
		size_t nlen;
		uint8_t type, sub;

		if (len - off < 4)
			return -EINVAL;
		type = p[off];
		sub = p[off + 1];
		nlen = le16(p + off + 2);
		if (nlen < 4 || nlen > len - off)
			return -EINVAL;
		if (type == DP_MEDIA && sub == DP_MEDIA_FILE && !file_done && (!r->has_file || in_file)) {
			rc = file_decode(p + off, nlen, r, &fpos);
			if (rc)
				return rc;
			r->has_file = 1;
			in_file = 1;
		} else {
			file_done |= in_file;
			in_file = 0;
		}
		if (type == DP_MEDIA && sub == DP_MEDIA_HD) {
			if (nlen != HD_NODE_LEN)
				return -EINVAL;
			if (!r->has_hd)
				hd_decode(p + off, &r->hd);
			r->has_hd = 1;
		} else if (type == DP_END) {
			file_done |= r->has_file;
			ended |= sub == DP_END_ENTIRE;
		} else if (!(type == DP_MEDIA && sub == DP_MEDIA_FILE)) {
			r->other_nodes++;
		}
		off += nlen;
	}
	return ended ? 0 : -EINVAL;
}

int efiload_parse(const uint8_t *buf, size_t len, struct efiload *ret)
{
	struct efiload r;
	size_t i, dlen = 0, dp_len, end;
	int rc;

	if (!buf || len < OPT_HEAD + 2)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.attributes = le32(buf);
	dp_len = le16(buf + 4);
	for (i = OPT_HEAD; i + 1 < len; i += 2)
		if (!le16(buf + i))
			break;
	if (i + 1 >= len)
		return -EINVAL; /* the description has no NUL */
	rc = utf16le_append(buf + OPT_HEAD, (i - OPT_HEAD) / 2, r.desc, sizeof(r.desc), &dlen);
	if (rc)
		return rc;
	end = i + 2;
	if (dp_len > len - end)
		return -EINVAL;
	rc = dp_decode(buf + end, dp_len, &r);
	if (rc)
		return rc;
	r.optional_len = len - end - dp_len;
	*ret = r;
	return 0;
}

/* Appends s (ASCII, non-empty) as UTF-16LE with its NUL at buf+*pos. */
static int put_ucs2(const char *s, uint8_t *buf, size_t cap, size_t *pos)
{
	size_t n = strlen(s), i;

	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return -EINVAL;
	if (*pos > cap || 2 * (n + 1) > cap - *pos)
		return -E2BIG;
	for (i = 0; i <= n; i++)
		put16(buf + *pos + 2 * i, (uint16_t)(unsigned char)s[i]);
	*pos += 2 * (n + 1);
	return 0;
}

/* The device path HD(hd) / File(file) / End at buf+*pos. */
static int put_path(const struct efiload_hd *hd, const char *file, uint8_t *buf, size_t cap, size_t *pos)
{
	size_t p = *pos, fnode;
	int rc;

	if (p > cap || cap - p < HD_NODE_LEN + 4)
		return -E2BIG;
	buf[p] = DP_MEDIA;
	buf[p + 1] = DP_MEDIA_HD;
	put16(buf + p + 2, HD_NODE_LEN);
	put32(buf + p + 4, hd->partno);
	put64(buf + p + 8, hd->start);
	put64(buf + p + 16, hd->size);
	memcpy(buf + p + 24, hd->signature, 16);
	buf[p + 40] = 2; /* MBRType: GPT */
	buf[p + 41] = 2; /* SignatureType: GUID */
	fnode = p + HD_NODE_LEN;
	buf[fnode] = DP_MEDIA;
	buf[fnode + 1] = DP_MEDIA_FILE;
	p = fnode + 4;
	rc = put_ucs2(file, buf, cap, &p);
	if (rc)
		return rc;
	if (p - fnode > 0xFFFF)
		return -E2BIG;
	put16(buf + fnode + 2, (uint16_t)(p - fnode));
	if (cap - p < 4)
		return -E2BIG;
	buf[p] = DP_END;
	buf[p + 1] = DP_END_ENTIRE;
	put16(buf + p + 2, 4);
	*pos = p + 4;
	return 0;
}

int efiload_encode(const char *desc, const struct efiload_hd *hd, const char *file, uint8_t *buf, size_t cap,
		   size_t *ret_len)
{
	size_t pos = OPT_HEAD, dp;
	int rc;

	if (!desc || !file || !*desc || !*file)
		return -EINVAL;
	if (cap < OPT_HEAD)
		return -E2BIG;
	put32(buf, EFILOAD_ACTIVE);
	rc = put_ucs2(desc, buf, cap, &pos);
	if (rc)
		return rc;
	dp = pos;
	rc = put_path(hd, file, buf, cap, &pos);
	if (rc)
		return rc;
	if (pos - dp > 0xFFFF)
		return -E2BIG;
	put16(buf + 4, (uint16_t)(pos - dp));
	*ret_len = pos;
	return 0;
}

size_t efiload_bootorder_parse(const uint8_t *buf, size_t len, uint16_t *out, size_t cap)
{
	size_t n = 0;

	for (; n < cap && 2 * n + 1 < len; n++)
		out[n] = le16(buf + 2 * n);
	return n;
}

int efiload_boot_name(const char *name, uint16_t *ret)
{
	unsigned v = 0, i;

	if (!name || strncmp(name, "Boot", 4) || strlen(name) != 8)
		return -EINVAL;
	for (i = 4; i < 8; i++) {
		int d = hex_value(name[i]);

		/* UEFI 3.1.3: "####" is four upper-case hexadecimal digits; firmware looks names up byte for byte */
		if (d < 0 || (name[i] >= 'a' && name[i] <= 'f'))
			return -EINVAL;
		v = v << 4 | (unsigned)d;
	}
	*ret = (uint16_t)v;
	return 0;
}
