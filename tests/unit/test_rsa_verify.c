/* test_rsa_verify.c: lib/rsa_verify.c against OpenSSL. Keys of 2048, 3072 and 4096 bits (and one with e = 3) are
 * generated at test time; OpenSSL's PKCS#1 v1.5 SHA-256 signatures of random messages must verify, and every
 * single-bit change of signature, modulus or digest, wrong lengths, s >= n, PSS and SHA-1 signatures and
 * hand-made encodings with short or broken padding (signed raw with the private key) must not. Also the blank
 * netkey record the loader is built with (lib/netkey_blank.h). */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "netkey.h"
#include "netkey_blank.h"
#include "rsa_verify.h"
#include "sha256.h"
#include "unit.h"

struct key {
	EVP_PKEY *pkey;
	uint8_t n[RSA_VERIFY_MAX_MODULUS];
	size_t len;
	uint32_t e;
};

static int make_key(struct key *k, unsigned bits, unsigned long e)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *bn = NULL, *be = BN_new();
	int ok = 0;

	memset(k, 0, sizeof *k);
	if (!ctx || !be || !BN_set_word(be, e) || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 || EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, be) <= 0 ||
	    EVP_PKEY_keygen(ctx, &k->pkey) <= 0)
		goto out;
	if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &bn))
		goto out;
	k->len = bits / 8;
	k->e = (uint32_t)e;
	ok = BN_bn2binpad(bn, k->n, (int)k->len) == (int)k->len;
out:
	BN_free(bn);
	BN_free(be);
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* Signs msg with md and padding (RSA_PKCS1_PADDING or RSA_PKCS1_PSS_PADDING); returns the length or 0. */
static size_t sign(const struct key *k, const EVP_MD *md, int padding, const uint8_t *msg, size_t len, uint8_t *sig)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	size_t slen = RSA_VERIFY_MAX_MODULUS;

	if (!c || EVP_DigestSignInit(c, &pc, md, NULL, k->pkey) <= 0 || EVP_PKEY_CTX_set_rsa_padding(pc, padding) <= 0 ||
	    EVP_DigestSign(c, sig, &slen, msg, len) <= 0)
		slen = 0;
	EVP_MD_CTX_free(c);
	return slen;
}

/* The raw RSA private operation on em (mod_len bytes): a "signature" of any encoding we like. */
static int sign_raw(const struct key *k, const uint8_t *em, uint8_t *sig)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->pkey, NULL);
	size_t slen = RSA_VERIFY_MAX_MODULUS;
	int ok = c && EVP_PKEY_sign_init(c) > 0 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) > 0 &&
		 EVP_PKEY_sign(c, sig, &slen, em, k->len) > 0 && slen == k->len;

	EVP_PKEY_CTX_free(c);
	return ok;
}

static int verify(const struct key *k, const uint8_t *d, const uint8_t *sig, size_t slen)
{
	return rsa_verify_sha256(k->n, k->len, k->e, d, sig, slen);
}

/* Good signatures of random messages verify; each bit of the signature, modulus and digest flipped (every bit, or
 * every stride-th bit) fails. */
static void check_key(struct key *k, unsigned stride)
{
	uint8_t msg[300], d[32], sig[RSA_VERIFY_MAX_MODULUS];
	size_t slen, i;
	int m;

	for (m = 0; m < 3; m++) {
		CHECK(RAND_bytes(msg, sizeof msg) == 1);
		slen = sign(k, EVP_sha256(), RSA_PKCS1_PADDING, msg, (size_t)(m * 100), sig);
		CHECK(slen == k->len);
		sha256_buf(msg, (size_t)(m * 100), d);
		CHECK(verify(k, d, sig, slen) == 0);
	}
	for (i = 0; i < k->len * 8; i += stride) {
		sig[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (verify(k, d, sig, slen) == 0)
			CHECK(!"signature bit flip accepted");
		sig[i / 8] ^= (uint8_t)(1u << (i % 8));
		k->n[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (verify(k, d, sig, slen) == 0)
			CHECK(!"modulus bit flip accepted");
		k->n[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (i = 0; i < 256; i++) {
		d[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (verify(k, d, sig, slen) == 0)
			CHECK(!"digest bit flip accepted");
		d[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	CHECK(verify(k, d, sig, slen) == 0);
}

static void test_rsa_openssl_sizes(void)
{
	static const unsigned bits[] = { 2048, 3072, 4096 };
	static const unsigned stride[] = { 1, 7, 13 };
	struct key k;
	unsigned i;

	for (i = 0; i < 3; i++) {
		CHECK(make_key(&k, bits[i], 65537));
		check_key(&k, stride[i]);
		EVP_PKEY_free(k.pkey);
	}
	CHECK(make_key(&k, 2048, 3));
	check_key(&k, 31);
	EVP_PKEY_free(k.pkey);
}

/* Wrong lengths, s >= n, unusable keys. */
static void test_rsa_refusals(void)
{
	uint8_t msg[] = "boot.cfg", d[32], sig[RSA_VERIFY_MAX_MODULUS + 1], big[RSA_VERIFY_MAX_MODULUS];
	struct key k;
	size_t slen;

	CHECK(make_key(&k, 2048, 65537));
	slen = sign(&k, EVP_sha256(), RSA_PKCS1_PADDING, msg, sizeof msg, sig);
	sha256_buf(msg, sizeof msg, d);
	CHECK(verify(&k, d, sig, slen) == 0);
	CHECK(verify(&k, d, sig, slen - 1) == RSA_VERIFY_EBADSIG);
	sig[slen] = 0;
	CHECK(verify(&k, d, sig, slen + 1) == RSA_VERIFY_EBADSIG);
	CHECK(verify(&k, d, sig, 0) == RSA_VERIFY_EBADSIG);
	CHECK(verify(&k, d, k.n, k.len) == RSA_VERIFY_EBADSIG);           /* s == n */
	memset(big, 0xff, sizeof big);
	CHECK(verify(&k, d, big, k.len) == RSA_VERIFY_EBADSIG);           /* s > n */
	CHECK(rsa_verify_sha256(k.n, k.len, 65536, d, sig, slen) == RSA_VERIFY_EKEY);
	CHECK(rsa_verify_sha256(k.n, k.len, 1, d, sig, slen) == RSA_VERIFY_EKEY);
	CHECK(rsa_verify_sha256(k.n, k.len, 3, d, sig, slen) == RSA_VERIFY_EBADSIG);
	CHECK(rsa_verify_sha256(k.n, 255, k.e, d, sig, 255) == RSA_VERIFY_EKEY);
	CHECK(rsa_verify_sha256(big, 513, k.e, d, big, 513) == RSA_VERIFY_EKEY);
	big[0] = 0;
	CHECK(rsa_verify_sha256(big, 256, k.e, d, sig, 256) == RSA_VERIFY_EKEY); /* leading zero byte */
	memcpy(big, k.n, k.len);
	big[k.len - 1] &= 0xfe;
	CHECK(rsa_verify_sha256(big, k.len, k.e, d, sig, slen) == RSA_VERIFY_EKEY); /* even */
	/* PSS and SHA-1 signatures of the same message */
	slen = sign(&k, EVP_sha256(), RSA_PKCS1_PSS_PADDING, msg, sizeof msg, sig);
	CHECK(slen == k.len && verify(&k, d, sig, slen) == RSA_VERIFY_EBADSIG);
	slen = sign(&k, EVP_sha1(), RSA_PKCS1_PADDING, msg, sizeof msg, sig);
	CHECK(slen == k.len && verify(&k, d, sig, slen) == RSA_VERIFY_EBADSIG);
	EVP_PKEY_free(k.pkey);
}

static const uint8_t prefix256[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				       0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };

/* em = 00 01 FF.. 00 || prefix || digest, with the tail (prefix and digest) of tlen bytes. */
static void encode(uint8_t *em, size_t len, const uint8_t *tail, size_t tlen)
{
	memset(em, 0xff, len);
	em[0] = 0;
	em[1] = 1;
	em[len - tlen - 1] = 0;
	memcpy(em + len - tlen, tail, tlen);
}

/* Hand-made encodings signed raw: the exact one verifies, every variant is refused. */
static void test_rsa_encodings(void)
{
	static const uint8_t prefix1[15] = { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
					     0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14 };
	static const uint8_t noparam[17] = { 0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
					     0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20 };
	uint8_t d[32], tail[60], em[RSA_VERIFY_MAX_MODULUS], sig[RSA_VERIFY_MAX_MODULUS];
	struct key k;

	CHECK(make_key(&k, 2048, 65537));
	sha256_buf((const uint8_t *)"x", 1, d);
	memcpy(tail, prefix256, 19);
	memcpy(tail + 19, d, 32);
	encode(em, k.len, tail, 51);
	CHECK(sign_raw(&k, em, sig) && verify(&k, d, sig, k.len) == 0);
	em[1] = 2;                                              /* block type 2 */
	CHECK(sign_raw(&k, em, sig) && verify(&k, d, sig, k.len) == RSA_VERIFY_EBADSIG);
	encode(em, k.len, tail, 51);
	em[10] = 0;                                             /* padding ends early: 00 then junk */
	CHECK(sign_raw(&k, em, sig) && verify(&k, d, sig, k.len) == RSA_VERIFY_EBADSIG);
	encode(em, k.len, tail, 51);
	memset(em + 2, 0, 200);                                 /* short padding (a few FF), zeros before it */
	em[1] = 0;
	em[202] = 1;
	CHECK(sign_raw(&k, em, sig) && verify(&k, d, sig, k.len) == RSA_VERIFY_EBADSIG);
	encode(em, k.len, tail, 51);
	em[k.len - 52] = 0xff;                                  /* no 00 separator */
	CHECK(sign_raw(&k, em, sig) && verify(&k, d, sig, k.len) == RSA_VERIFY_EBADSIG);
	memcpy(tail, prefix1, 15);                              /* SHA-1 DigestInfo around 20 bytes */
	memcpy(tail + 15, d, 20);
	encode(em, k.len, tail, 35);
	CHECK(sign_raw(&k, em, sig) && verify(&k, d, sig, k.len) == RSA_VERIFY_EBADSIG);
	memcpy(tail, noparam, 17);                              /* parameters absent: not the exact DER */
	memcpy(tail + 17, d, 32);
	encode(em, k.len, tail, 49);
	CHECK(sign_raw(&k, em, sig) && verify(&k, d, sig, k.len) == RSA_VERIFY_EBADSIG);
	EVP_PKEY_free(k.pkey);
}

/* The loader's built-in record: valid, "no key", and what netkey_format writes for an all-zero key. */
static void test_netkey_blank_record(void)
{
	static const uint8_t blank[NETKEY_SIZE] = NETKEY_BLANK_RECORD;
	uint8_t rec[NETKEY_SIZE];
	struct netkey k;

	memset(&k, 0, sizeof k);
	netkey_format(&k, rec);
	CHECK(memcmp(rec, blank, NETKEY_SIZE) == 0);
	memset(&k, 0xaa, sizeof k);
	CHECK(netkey_parse(blank, sizeof blank, &k) == 0);
	CHECK(k.modulus_len == 0);
	CHECK(netkey_find(blank, sizeof blank) == 0);
}

int main(void)
{
	RUN(test_rsa_openssl_sizes);
	RUN(test_rsa_refusals);
	RUN(test_rsa_encodings);
	RUN(test_netkey_blank_record);
	UNIT_EXIT();
}
