/* sha256_host.c: the host tools' SHA-256 (sha256.h), OpenSSL's: it picks the CPU's SHA extensions or vector code
 * at run time. init and the UEFI loader build the portable one (sha256.c) instead. */
#include "sha256.h"

#ifdef SHA256_WITH_OPENSSL
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co.: the EVP interface allocates; these fill our struct */
#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((struct sha256_ctx *)0)->u.ossl), "SHA256_CTX fits sha256_ctx");

void sha256_init(struct sha256_ctx *ctx)
{
	SHA256_Init((SHA256_CTX *)ctx->u.ossl);
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
	SHA256_Update((SHA256_CTX *)ctx->u.ossl, data, len);
}

void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN])
{
	SHA256_Final(out, (SHA256_CTX *)ctx->u.ossl);
}
#endif
