/* sha256.c: SHA-256 per FIPS 180-4. Freestanding (see sha256.h). */
#include "sha256.h"
#include "hex.h"

#define RH_EINVAL 22

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t h[8], const uint8_t p[64])
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
		       p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

void sha256_c_init(struct sha256_c_ctx *ctx)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	unsigned i;

	for (i = 0; i < 8; i++)
		ctx->h[i] = iv[i];
	ctx->total = 0;
	ctx->fill = 0;
}

void sha256_c_update(struct sha256_c_ctx *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;

	ctx->total += len;
	if (ctx->fill) {
		while (len && ctx->fill < 64) {
			ctx->block[ctx->fill++] = *p++;
			len--;
		}
		if (ctx->fill < 64)
			return;
		compress(ctx->h, ctx->block);
		ctx->fill = 0;
	}
	while (len >= 64) {
		compress(ctx->h, p);
		p += 64;
		len -= 64;
	}
	while (len--)
		ctx->block[ctx->fill++] = *p++;
}

void sha256_c_final(struct sha256_c_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN])
{
	uint64_t bits = ctx->total * 8;
	unsigned i;

	ctx->block[ctx->fill++] = 0x80;
	if (ctx->fill > 56) {
		while (ctx->fill < 64)
			ctx->block[ctx->fill++] = 0;
		compress(ctx->h, ctx->block);
		ctx->fill = 0;
	}
	while (ctx->fill < 56)
		ctx->block[ctx->fill++] = 0;
	for (i = 0; i < 8; i++)
		ctx->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	compress(ctx->h, ctx->block);
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(ctx->h[i / 4] >> (24 - 8 * (i % 4)));
}

#ifndef SHA256_WITH_OPENSSL
void sha256_init(struct sha256_ctx *ctx)
{
	sha256_c_init(&ctx->u.c);
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
	sha256_c_update(&ctx->u.c, data, len);
}

void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN])
{
	sha256_c_final(&ctx->u.c, out);
}
#endif

void sha256_buf(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, data, len);
	sha256_final(&ctx, out);
}

void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1])
{
	unsigned i;

	for (i = 0; i < SHA256_DIGEST_LEN; i++) {
		out[2 * i] = hex_digits[digest[i] >> 4];
		out[2 * i + 1] = hex_digits[digest[i] & 15];
	}
	out[SHA256_HEX_LEN] = '\0';
}

int sha256_from_hex(const char *s, size_t len, uint8_t ret[SHA256_DIGEST_LEN])
{
	uint8_t tmp[SHA256_DIGEST_LEN];
	unsigned i;

	if (len != SHA256_HEX_LEN)
		return -RH_EINVAL;
	for (i = 0; i < SHA256_DIGEST_LEN; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -RH_EINVAL;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	for (i = 0; i < SHA256_DIGEST_LEN; i++)
		ret[i] = tmp[i];
	return 0;
}
