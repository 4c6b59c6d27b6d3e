/* netkey.c: the server-key record embedded in ramhost.efi (netkey.h). */
#include "netkey.h"

#include "gpt.h"

/* The magic, stored with each byte XORed with 0x20 so that the loader's code never holds the 8 magic bytes in a
 * row: the embedded record must be the only place netkey_find sees them in ramhost.efi. volatile: else the
 * compiler folds the XOR back into a constant "RHNETKEY" table. */
static const volatile uint8_t magic_x20[8] = { 'R' ^ 0x20, 'H' ^ 0x20, 'N' ^ 0x20, 'E' ^ 0x20,
					       'T' ^ 0x20, 'K' ^ 0x20, 'E' ^ 0x20, 'Y' ^ 0x20 };

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void netkey_format(const struct netkey *k, uint8_t out[NETKEY_SIZE])
{
	unsigned i;

	for (i = 0; i < NETKEY_SIZE; i++)
		out[i] = 0;
	for (i = 0; i < 8; i++)
		out[i] = magic_x20[i] ^ 0x20;
	put32(out + 8, NETKEY_VERSION);
	put32(out + 12, k->modulus_len);
	put32(out + 16, k->exponent);
	for (i = 0; i < 32; i++)
		out[20 + i] = k->cert_sha256[i];
	for (i = 0; i < k->modulus_len && i < NETKEY_MAX_MODULUS; i++)
		out[52 + i] = k->modulus[i];
	put32(out + 564, gpt_crc32(0, out, 564));
}

static int magic_at(const uint8_t *p)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		if (p[i] != (magic_x20[i] ^ 0x20))
			return 0;
	return 1;
}

int netkey_parse(const uint8_t *buf, size_t len, struct netkey *k)
{
	uint32_t mlen, e;
	unsigned i;

	if (len < NETKEY_SIZE || !magic_at(buf) || get32(buf + 8) != NETKEY_VERSION)
		return -22;
	if (get32(buf + 564) != gpt_crc32(0, buf, 564))
		return -22;
	mlen = get32(buf + 12);
	e = get32(buf + 16);
	if (mlen != 0 && (mlen < NETKEY_MIN_MODULUS || mlen > NETKEY_MAX_MODULUS || e < 3 || !(e & 1) ||
			  e > 0x7fffffffu || buf[52] == 0))
		return -22;
	for (i = mlen; i < NETKEY_MAX_MODULUS; i++)
		if (buf[52 + i] != 0)
			return -22;
	k->modulus_len = mlen;
	k->exponent = e;
	for (i = 0; i < 32; i++)
		k->cert_sha256[i] = buf[20 + i];
	for (i = 0; i < NETKEY_MAX_MODULUS; i++)
		k->modulus[i] = buf[52 + i];
	return 0;
}

long netkey_find(const uint8_t *buf, size_t len)
{
	long found = -2;
	size_t i;

	if (len < NETKEY_SIZE)
		return -2;
	for (i = 0; i + NETKEY_SIZE <= len; i++) {
		if (buf[i] != 'R' || !magic_at(buf + i))
			continue;
		if (found >= 0)
			return -22;
		found = (long)i;
	}
	return found;
}
