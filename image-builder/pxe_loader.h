/* pxe_loader.h: the UEFI loader of a network image (`ramhost image pxe`): the server's boot.cfg signing key read
 * from its certificate, written into the one server-key record (lib/netkey.h) of a copy of ramhost.efi, and that
 * copy then signed for Secure Boot, so that the firmware's check covers the embedded key too. */
#ifndef RAMHOST_IMGB_PXE_LOADER_H
#define RAMHOST_IMGB_PXE_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "efiboot.h"
#include "err.h"
#include "netkey.h"
#include "sha256.h"

/* The largest loader read into memory to be patched (ramhost.efi is about 250 KiB). */
#define PXE_LOADER_MAX_SIZE (64u << 20)

/* Reads the PEM certificate at path (the first one in the file) and sets *ret to its public key as a netkey
 * record: the RSA modulus big-endian (2048 to 4096 bits), the public exponent (odd, 3 to 2^31-1), and the
 * SHA-256 of the certificate's DER encoding. Anything else (not PEM, not RSA, too small or large a key, an even or
 * huge exponent) is refused naming path and what was wrong. */
int pxe_loader_cert_key(const char *path, struct netkey *ret, struct rh_err *err);

/* Overwrites the one server-key record in the loader image buf[0..len) with k. Refused, with buf unchanged, when
 * the image has no record (a loader without network mode), when the magic occurs more than once (which one would
 * the loader read?), or when the one found is not a valid record (patching it could overwrite code). shown names
 * the loader in messages. */
int pxe_loader_embed_key(uint8_t *buf, size_t len, const struct netkey *k, const char *shown, struct rh_err *err);

/* Reads the loader src and checks that pxe_loader_embed_key can patch it (exactly one valid record), so that a
 * loader without network mode is refused before the long work. */
int pxe_loader_check(const char *src, struct rh_err *err);

/* What pxe_loader_write wrote. */
struct pxe_loader_info {
	uint64_t size;
	uint8_t sha256[SHA256_DIGEST_LEN];
	int signed_sb;                  /* Secure Boot signed (sbsign) */
};

/* Writes out = the loader src with the key k (NULL: a "no key" record) embedded, then, when sb has a key and a
 * certificate, signed with them in place (efiboot_sign_file). out is a new file in a directory the caller
 * commits as a whole. */
int pxe_loader_write(const char *src, const char *out, const struct netkey *k, const struct efiboot_opts *sb,
		     struct pxe_loader_info *ret, struct rh_err *err);

#endif
