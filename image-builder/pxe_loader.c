/* pxe_loader.c: the server key into a copy of ramhost.efi, then Secure Boot signing (see pxe_loader.h). */
#include "pxe_loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fileio.h"
#include "fs.h"

#define CERT_MAX_SIZE (1u << 20)
#define KEY_MIN_BITS 2048
#define KEY_MAX_BITS 4096

/* The modulus and exponent of the RSA key pk into *ret (modulus_len, exponent, modulus); the checks the loader's
 * record needs (netkey.h): 2048 to 4096 bits, an odd exponent of 3 to 2^31-1. */
static int rsa_numbers(EVP_PKEY *pk, const char *path, struct netkey *ret, struct rh_err *err)
{
	BIGNUM *n = NULL, *e = NULL;
	int bits = EVP_PKEY_get_bits(pk), nbytes, rc = 0;

	if (bits < KEY_MIN_BITS || bits > KEY_MAX_BITS)
		return rh_errf(err, -EINVAL, "%s: the certificate's RSA key has %d bits; the loader takes %d to %d",
			       path, bits, KEY_MIN_BITS, KEY_MAX_BITS);
	if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e)) {
		rc = rh_errf(err, -EINVAL, "%s: cannot read the RSA modulus and exponent of the certificate's key", path);
		goto out;
	}
	nbytes = BN_num_bytes(n);
	if (nbytes < NETKEY_MIN_MODULUS || nbytes > NETKEY_MAX_MODULUS) {
		rc = rh_errf(err, -EINVAL, "%s: RSA modulus of %d bytes; the loader takes %d to %d", path, nbytes,
			     NETKEY_MIN_MODULUS, NETKEY_MAX_MODULUS);
		goto out;
	}
	if (!BN_is_odd(e) || BN_num_bits(e) > 31 || BN_get_word(e) < 3) {
		rc = rh_errf(err, -EINVAL, "%s: RSA public exponent %s; the loader takes an odd exponent of 3 to "
					   "2^31-1 (65537 as a rule)", path, BN_num_bits(e) > 31 ? "too large" : "not usable");
		goto out;
	}
	memset(ret->modulus, 0, sizeof(ret->modulus));
	BN_bn2binpad(n, ret->modulus, nbytes);
	ret->modulus_len = (uint32_t)nbytes;
	ret->exponent = (uint32_t)BN_get_word(e);
out:
	BN_free(n);
	BN_free(e);
	return rc;
}

/* The SHA-256 of x's DER encoding into out. */
static int cert_digest(X509 *x, const char *path, uint8_t out[SHA256_DIGEST_LEN], struct rh_err *err)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);

	if (len <= 0)
		return rh_errf(err, -EINVAL, "%s: cannot encode the certificate as DER", path);
	sha256_buf(der, (size_t)len, out);
	OPENSSL_free(der);
	return 0;
}

int pxe_loader_cert_key(const char *path, struct netkey *ret, struct rh_err *err)
{
	struct netkey k;
	char *text = NULL;
	size_t len;
	BIO *b = NULL;
	X509 *x = NULL;
	EVP_PKEY *pk;
	int rc = rh_read_file(path, CERT_MAX_SIZE, &text, &len, err);

	if (rc)
		return rc;
	memset(&k, 0, sizeof(k));
	b = BIO_new_mem_buf(text, (int)len);
	if (b)
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (!x) {
		rc = rh_errf(err, -EINVAL, "%s: not a PEM certificate (expected a -----BEGIN CERTIFICATE----- block)",
			     path);
		goto out;
	}
	pk = X509_get0_pubkey(x);
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		rc = rh_errf(err, -EINVAL, "%s: the certificate's key is %s, not RSA; the loader checks RSA PKCS#1 v1.5 "
					   "SHA-256 signatures of boot.cfg", path,
			     pk && EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "unreadable");
		goto out;
	}
	rc = rsa_numbers(pk, path, &k, err);
	if (!rc)
		rc = cert_digest(x, path, k.cert_sha256, err);
	if (!rc)
		*ret = k;
out:
	ERR_clear_error(); /* the queue of a refused PEM parse is ours to drop */
	X509_free(x);
	BIO_free(b);
	free(text);
	return rc;
}

int pxe_loader_embed_key(uint8_t *buf, size_t len, const struct netkey *k, const char *shown, struct rh_err *err)
{
	struct netkey old;
	long off = netkey_find(buf, len);

	if (off == -2)
		return rh_errf(err, -ENOENT, "%s: no server-key record (%s) in this loader: it has no network mode "
					     "(rebuild it with make, or give the --efi of a newer one)", shown, NETKEY_MAGIC);
	if (off < 0)
		return rh_errf(err, -EINVAL, "%s: the magic %s occurs more than once; which one is the server-key "
					     "record is unclear, so none is patched", shown, NETKEY_MAGIC);
	if (netkey_parse(buf + off, len - (size_t)off, &old) < 0)
		return rh_errf(err, -EINVAL, "%s: the %s record at offset %ld is not valid (version, lengths or CRC); "
					     "refusing to patch what may not be the record", shown, NETKEY_MAGIC, off);
	netkey_format(k, buf + off);
	return 0;
}

/* The loader src read into *ret_buf (the caller frees it) with k (NULL: "no key") embedded. */
static int read_patched(const char *src, const struct netkey *k, char **ret_buf, size_t *ret_len,
			struct rh_err *err)
{
	struct netkey none;
	char *buf = NULL;
	size_t len;
	int rc = rh_read_file(src, PXE_LOADER_MAX_SIZE, &buf, &len, err);

	if (rc)
		return rc;
	if (!k) {
		memset(&none, 0, sizeof(none));
		k = &none;
	}
	rc = pxe_loader_embed_key((uint8_t *)buf, len, k, src, err);
	if (rc) {
		free(buf);
		return rc;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int pxe_loader_check(const char *src, struct rh_err *err)
{
	char *buf = NULL;
	size_t len;
	int rc = read_patched(src, NULL, &buf, &len, err); /* patched in memory only */

	free(buf);
	return rc;
}

int pxe_loader_write(const char *src, const char *out, const struct netkey *k, const struct efiboot_opts *sb,
		     struct pxe_loader_info *ret, struct rh_err *err)
{
	char *buf = NULL;
	size_t len;
	int rc = read_patched(src, k, &buf, &len, err);

	if (!rc)
		rc = fs_write_file(out, buf, len, 0644, err);
	free(buf);
	if (rc)
		return rc;
	ret->signed_sb = sb->sign_key && sb->sign_cert;
	if (ret->signed_sb) {
		/* after the key is in: the signature covers the record too */
		rc = efiboot_sign_file(sb, out, out, err);
		if (rc)
			return rh_err_prefix(err, rc, "%s: Secure Boot signing", out);
	}
	return fs_sha256_file(out, ret->sha256, &ret->size, err);
}
