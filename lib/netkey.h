/* netkey.h: the server key embedded in ramhost.efi for network mode (docs/pxe.md "Signed boot.cfg").
 *
 * The loader carries one `struct netkey` record in its data, found by its magic: `ramhost image pxe
 * --sign-cert CERT` writes the certificate's RSA public key into the copy of ramhost.efi it puts in the image
 * directory (before any Secure Boot signature is added, so the firmware's check covers the key too). In network
 * mode the loader refuses a boot.cfg whose signature (RSA PKCS#1 v1.5, SHA-256) does not verify with that key;
 * a record with modulus_len 0 means "no key": the loader says the boot.cfg is unsigned and checks the hashes
 * only.
 *
 * Record layout (little-endian, NETKEY_SIZE bytes):
 *    0   8  magic "RHNETKEY"
 *    8   4  version (1)
 *   12   4  modulus length in bytes (0 = no key; else 256..512, i.e. RSA 2048..4096)
 *   16   4  public exponent (3..2^31-1, odd; 65537 as a rule)
 *   20  32  SHA-256 of the certificate (DER) the key came from, printed by the loader and the server
 *   52 512  modulus, big-endian, in the first modulus-length bytes, zeros after
 *  564   4  CRC32 (lib/gpt.h's) of bytes 0..563
 * Freestanding: the loader, the host and the tests use the same code. */
#ifndef RAMHOST_NETKEY_H
#define RAMHOST_NETKEY_H

#include <stddef.h>
#include <stdint.h>

#define NETKEY_MAGIC "RHNETKEY"
#define NETKEY_VERSION 1
#define NETKEY_SIZE 568
#define NETKEY_MAX_MODULUS 512
#define NETKEY_MIN_MODULUS 256

struct netkey {
	uint32_t modulus_len;           /* 0: no key */
	uint32_t exponent;
	uint8_t cert_sha256[32];
	uint8_t modulus[NETKEY_MAX_MODULUS];
};

/* Writes k as a record into out[0..NETKEY_SIZE). */
void netkey_format(const struct netkey *k, uint8_t out[NETKEY_SIZE]);

/* Parses a record: magic, version, CRC, lengths. 0 or -22 (EINVAL); *k set only on success. A record with
 * modulus_len 0 is valid (no key). */
int netkey_parse(const uint8_t *buf, size_t len, struct netkey *k);

/* The offset of the one record in an image buf[0..len) (e.g. ramhost.efi), or -2 (ENOENT) when there is none,
 * -22 (EINVAL) when the magic occurs more than once (the file is not one this code wrote). */
long netkey_find(const uint8_t *buf, size_t len);

#endif
