/* sha256.h: SHA-256 (FIPS 180-4).
 *
 * Two implementations behind one API. The portable one (sha256.c, sha256_c_*) is freestanding, no libc: the UEFI
 * loader and init, which have no libcrypto, hash with it. The host tools hash with OpenSSL's (lib/host/
 * sha256_host.c), which uses the CPU's SHA extensions: 1.4 GB/s here against 150 MB/s, and the image builder,
 * the VIB checks and the bank tools hash every module they touch. test_sha256 checks both against the FIPS
 * vectors and against each other. */
#ifndef RAMHOST_SHA256_H
#define RAMHOST_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN 64

/* The builds without libcrypto: init and the UEFI loader. Everything else hashes with OpenSSL. */
#if !defined(RAMHOST_INIT) && !defined(RAMHOST_EFI)
#define SHA256_WITH_OPENSSL 1
#endif

struct sha256_c_ctx {
	uint32_t h[8];
	uint64_t total;  /* bytes hashed so far */
	uint8_t block[64];
	size_t fill;     /* bytes waiting in block */
};

struct sha256_ctx {
	union {
		struct sha256_c_ctx c;
		uint64_t ossl[16];  /* OpenSSL's SHA256_CTX (112 bytes; sha256_host.c checks it fits) */
	} u;
};

/* The portable implementation, in every build. */
void sha256_c_init(struct sha256_c_ctx *ctx);
void sha256_c_update(struct sha256_c_ctx *ctx, const void *data, size_t len);
void sha256_c_final(struct sha256_c_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]);

/* The build's implementation (see above). */
void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]);
void sha256_buf(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);

/* Writes 64 lowercase hex digits and a NUL to out. */
void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1]);
/* Parses exactly 64 hex digits (either case) from s[0..len); returns 0 or -EINVAL. */
int sha256_from_hex(const char *s, size_t len, uint8_t ret[SHA256_DIGEST_LEN]);

#endif
