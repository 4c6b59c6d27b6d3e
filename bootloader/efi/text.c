/* text.c: string helpers and console output for the EFI loader (see text.h). */
#include "text.h"

size_t ascii_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int ascii_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

size_t ascii_copy(char *dst, size_t cap, const char *src)
{
	size_t n = 0;

	if (!cap)
		return 0;
	while (src[n] && n + 1 < cap) {
		dst[n] = src[n];
		n++;
	}
	dst[n] = '\0';
	return n;
}

size_t ascii_append(char *dst, size_t cap, const char *src)
{
	size_t n = ascii_len(dst);

	if (n >= cap)
		return n;
	return n + ascii_copy(dst + n, cap - n, src);
}

size_t ascii_join(char *dst, size_t cap, const char *const *parts, size_t n)
{
	size_t i, len = 0;

	if (cap)
		dst[0] = '\0';
	for (i = 0; i < n; i++)
		len = ascii_append(dst, cap, parts[i]);
	return len;
}

size_t ascii_append_u64(char *dst, size_t cap, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i);
	return ascii_append(dst, cap, tmp + i);
}

void ascii_to_ucs2(CHAR16 *dst, size_t cap, const char *src)
{
	size_t n = 0;

	if (!cap)
		return;
	while (src[n] && n + 1 < cap) {
		unsigned char c = (unsigned char)src[n];

		dst[n] = c < 0x80 ? c : '?';
		n++;
	}
	dst[n] = 0;
}

void ucs2_to_ascii(char *dst, size_t cap, const CHAR16 *src)
{
	size_t n = 0;

	if (!cap)
		return;
	while (src[n] && n + 1 < cap) {
		dst[n] = src[n] < 0x80 ? (char)src[n] : '?';
		n++;
	}
	dst[n] = '\0';
}

static void hex_bytes(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void hex_digest(const uint8_t *d, size_t n, char *out)
{
	hex_bytes(d, n, out);
}

void guid_to_ascii(const EFI_GUID *g, char out[37])
{
	uint8_t be[16];
	int i;

	/* Data1..Data3 are stored little-endian; print them most significant byte first. */
	be[0] = (uint8_t)(g->Data1 >> 24);
	be[1] = (uint8_t)(g->Data1 >> 16);
	be[2] = (uint8_t)(g->Data1 >> 8);
	be[3] = (uint8_t)g->Data1;
	be[4] = (uint8_t)(g->Data2 >> 8);
	be[5] = (uint8_t)g->Data2;
	be[6] = (uint8_t)(g->Data3 >> 8);
	be[7] = (uint8_t)g->Data3;
	for (i = 0; i < 8; i++)
		be[8 + i] = g->Data4[i];
	hex_bytes(be, 4, out);
	out[8] = '-';
	hex_bytes(be + 4, 2, out + 9);
	out[13] = '-';
	hex_bytes(be + 6, 2, out + 14);
	out[18] = '-';
	hex_bytes(be + 8, 2, out + 19);
	out[23] = '-';
	hex_bytes(be + 10, 6, out + 24);
}

void text_put(const char *s)
{
	CHAR16 buf[128];
	size_t i;

	/* In chunks, turning "\n" into "\r\n" for the console. */
	while (*s) {
		for (i = 0; *s && i + 2 < sizeof(buf) / sizeof(buf[0]); s++) {
			if (*s == '\n')
				buf[i++] = '\r';
			buf[i++] = (unsigned char)*s < 0x80 ? (CHAR16)*s : '?';
		}
		buf[i] = 0;
		uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, buf);
	}
}

void text_say(const char *msg)
{
	text_put("ramhost.efi: ");
	text_put(msg);
	text_put("\n");
}

void text_say4(const char *a, const char *b, const char *c, const char *d)
{
	text_put("ramhost.efi: ");
	if (a)
		text_put(a);
	if (b)
		text_put(b);
	if (c)
		text_put(c);
	if (d)
		text_put(d);
	text_put("\n");
}
