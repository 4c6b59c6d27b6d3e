/* rsa_verify.h: RSASSA-PKCS1-v1_5 signature verification with SHA-256 (RFC 8017 8.2.2), freestanding.
 *
 * Written for ramhost.efi's network mode (a boot.cfg signed by the PXE server's key, lib/netkey.h) and used by the
 * host tools and tests with the same code: no libc, no allocation, fixed-size stack buffers (32-bit limbs,
 * Montgomery multiplication). Public-key operation only, so it is not constant time. Moduli of 2048..4096 bits
 * (RSA_VERIFY_MIN_MODULUS..RSA_VERIFY_MAX_MODULUS bytes, most significant byte non-zero, odd). */
#ifndef RAMHOST_RSA_VERIFY_H
#define RAMHOST_RSA_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#define RSA_VERIFY_MIN_MODULUS 256   /* bytes: RSA 2048 */
#define RSA_VERIFY_MAX_MODULUS 512   /* bytes: RSA 4096 */

/* Return codes (negative errno values, as the rest of lib/). */
#define RSA_VERIFY_EKEY (-22)        /* EINVAL: modulus or exponent unusable (length, even, leading zero byte) */
#define RSA_VERIFY_EBADSIG (-74)     /* EBADMSG: wrong length, s >= n, or the encoded message is not the
                                      * PKCS#1 v1.5 SHA-256 encoding of digest */

/* Checks that sig[0..sig_len) is a valid PKCS#1 v1.5 signature of the SHA-256 digest under the public key
 * (modulus[0..mod_len) big-endian, exponent e: odd, >= 3). sig_len must equal mod_len and s < n; the recovered
 * encoded message must be exactly 00 01 FF..FF 00 || DigestInfo(SHA-256) || digest (compared in full, so short
 * padding, other hash algorithms, PSS and trailing garbage all fail). Returns 0, RSA_VERIFY_EKEY or
 * RSA_VERIFY_EBADSIG. */
int rsa_verify_sha256(const uint8_t *modulus, size_t mod_len, uint32_t exponent, const uint8_t digest[32],
		      const uint8_t *sig, size_t sig_len);

#endif
