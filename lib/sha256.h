/* sha256.h: SHA-256 (FIPS 180-4).
 *
 * Freestanding: no libc, so the same file is compiled into the EFI loader and the host tools (where it is
 * unit-tested against the FIPS vectors). */
#ifndef RAMHOST_SHA256_H
#define RAMHOST_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN 64

struct sha256_ctx {
	uint32_t h[8];
	uint64_t total;  /* bytes hashed so far */
	uint8_t block[64];
	size_t fill;     /* bytes waiting in block */
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]);
void sha256_buf(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);

/* Writes 64 lowercase hex digits and a NUL to out. */
void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1]);
/* Parses exactly 64 hex digits (either case) from s[0..len); returns 0 or -EINVAL. */
int sha256_from_hex(const char *s, size_t len, uint8_t ret[SHA256_DIGEST_LEN]);

#endif
