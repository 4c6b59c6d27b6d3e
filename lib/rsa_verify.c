/* rsa_verify.c: PKCS#1 v1.5 SHA-256 signature verification (rsa_verify.h).
 *
 * Numbers are little-endian arrays of 32-bit limbs, k = ceil(mod_len / 4) of them. s^e mod n by left-to-right square-and-multiply in the Montgomery domain (CIOS Montgomery
 * multiplication, R = 2^(32k)); R^2 mod n by doubling. */
#include "rsa_verify.h"

#define MAXL (RSA_VERIFY_MAX_MODULUS / 4)

struct mont {
	unsigned k;               /* limbs */
	uint32_t n[MAXL];
	uint32_t n0inv;           /* -n^-1 mod 2^32 */
};

/* The DER prefix of DigestInfo { sha256, NULL, OCTET STRING(32) } (RFC 8017 9.2 note 1). */
static const uint8_t sha256_prefix[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

/* in[0..len) big-endian into k limbs (4k >= len; the high bytes beyond len are zero). */
static void from_be(uint32_t *out, unsigned k, const uint8_t *in, size_t len)
{
	unsigned i;
	size_t b;

	for (i = 0; i < k; i++)
		out[i] = 0;
	for (b = 0; b < len; b++)
		out[b / 4] |= (uint32_t)in[len - 1 - b] << (8 * (b % 4));
}

/* The low len bytes of the number in[] as big-endian out[0..len) (the number is < n, so nothing is lost). */
static void to_be(uint8_t *out, size_t len, const uint32_t *in)
{
	size_t b;

	for (b = 0; b < len; b++)
		out[len - 1 - b] = (uint8_t)(in[b / 4] >> (8 * (b % 4)));
}

/* a >= b over k limbs. */
static int ge(const uint32_t *a, const uint32_t *b, unsigned k)
{
	unsigned i = k;

	while (i--) {
		if (a[i] != b[i])
			return a[i] > b[i];
	}
	return 1;
}

/* a -= b over k limbs; returns the borrow. */
static uint32_t sub(uint32_t *a, const uint32_t *b, unsigned k)
{
	uint64_t borrow = 0;
	unsigned i;

	for (i = 0; i < k; i++) {
		uint64_t d = (uint64_t)a[i] - b[i] - borrow;

		a[i] = (uint32_t)d;
		borrow = (d >> 32) & 1;
	}
	return (uint32_t)borrow;
}

/* r = a * b * R^-1 mod n (CIOS); r may alias a or b. Inputs < n, output < n. */
static void mont_mul(const struct mont *m, uint32_t *r, const uint32_t *a, const uint32_t *b)
{
	uint32_t t[MAXL + 2];
	unsigned i, j, k = m->k;

	for (j = 0; j < k + 2; j++)
		t[j] = 0;
	for (i = 0; i < k; i++) {
		uint64_t c = 0, s;
		uint32_t q;

		for (j = 0; j < k; j++) {
			s = (uint64_t)a[j] * b[i] + t[j] + c;
			t[j] = (uint32_t)s;
			c = s >> 32;
		}
		s = (uint64_t)t[k] + c;
		t[k] = (uint32_t)s;
		t[k + 1] = (uint32_t)(s >> 32);
		q = t[0] * m->n0inv;
		c = ((uint64_t)q * m->n[0] + t[0]) >> 32;
		for (j = 1; j < k; j++) {
			s = (uint64_t)q * m->n[j] + t[j] + c;
			t[j - 1] = (uint32_t)s;
			c = s >> 32;
		}
		s = (uint64_t)t[k] + c;
		t[k - 1] = (uint32_t)s;
		t[k] = t[k + 1] + (uint32_t)(s >> 32);
	}
	/* t < 2n: one conditional subtraction. */
	if (t[k] || ge(t, m->n, k))
		sub(t, m->n, k);
	for (j = 0; j < k; j++)
		r[j] = t[j];
}

/* r = R^2 mod n = 2^(64k) mod n, by doubling 1 (each step: r < n, 2r < 2n, one subtraction). */
static void mont_r2(const struct mont *m, uint32_t *r)
{
	unsigned i, j, k = m->k;

	for (j = 0; j < k; j++)
		r[j] = 0;
	r[0] = 1;
	for (i = 0; i < 64 * k; i++) {
		uint32_t carry = 0;

		for (j = 0; j < k; j++) {
			uint32_t top = r[j] >> 31;

			r[j] = r[j] << 1 | carry;
			carry = top;
		}
		if (carry || ge(r, m->n, k))
			sub(r, m->n, k);
	}
}

/* Sets up m for the modulus, or returns RSA_VERIFY_EKEY. */
static int mont_init(struct mont *m, const uint8_t *modulus, size_t mod_len)
{
	uint32_t inv = 1;
	unsigned i;

	if (mod_len < RSA_VERIFY_MIN_MODULUS || mod_len > RSA_VERIFY_MAX_MODULUS ||
	    modulus[0] == 0 || !(modulus[mod_len - 1] & 1))
		return RSA_VERIFY_EKEY;
	m->k = (unsigned)((mod_len + 3) / 4);
	from_be(m->n, m->k, modulus, mod_len);
	/* Newton's iteration doubles the correct low bits each step: 1 -> 2 -> 4 -> 8 -> 16 -> 32 (n odd). */
	for (i = 0; i < 5; i++)
		inv *= 2 - m->n[0] * inv;
	m->n0inv = (uint32_t)0 - inv;
	return 0;
}

/* out = s^e mod n, s < n, as k limbs. */
static void mod_exp(const struct mont *m, uint32_t *out, const uint32_t *s, uint32_t e)
{
	uint32_t r2[MAXL], base[MAXL], one[MAXL];
	unsigned j, k = m->k;
	int bit = 31;

	mont_r2(m, r2);
	mont_mul(m, base, s, r2);          /* s R mod n */
	while (bit > 0 && !(e >> bit & 1))
		bit--;
	for (j = 0; j < k; j++)
		out[j] = base[j];
	for (bit--; bit >= 0; bit--) {
		mont_mul(m, out, out, out);
		if (e >> bit & 1)
			mont_mul(m, out, out, base);
	}
	for (j = 0; j < k; j++)
		one[j] = 0;
	one[0] = 1;
	mont_mul(m, out, out, one);        /* out R^-1: back from the Montgomery domain */
}

/* 0 when em[0..len) is exactly 00 01 FF..FF 00 || sha256_prefix || digest; RSA_VERIFY_EBADSIG otherwise. All
 * bytes are compared (no early exit needed: the signature is public). */
static int check_encoding(const uint8_t *em, size_t len, const uint8_t digest[32])
{
	size_t ps = len - 3 - sizeof(sha256_prefix) - 32, i;
	uint8_t diff = 0;

	diff |= em[0];
	diff |= em[1] ^ 0x01;
	for (i = 0; i < ps; i++)
		diff |= em[2 + i] ^ 0xff;
	diff |= em[2 + ps];
	for (i = 0; i < sizeof(sha256_prefix); i++)
		diff |= em[3 + ps + i] ^ sha256_prefix[i];
	for (i = 0; i < 32; i++)
		diff |= em[3 + ps + sizeof(sha256_prefix) + i] ^ digest[i];
	return diff ? RSA_VERIFY_EBADSIG : 0;
}

int rsa_verify_sha256(const uint8_t *modulus, size_t mod_len, uint32_t exponent, const uint8_t digest[32],
		      const uint8_t *sig, size_t sig_len)
{
	struct mont m;
	uint32_t s[MAXL], out[MAXL];
	uint8_t em[RSA_VERIFY_MAX_MODULUS];
	int rc;

	rc = mont_init(&m, modulus, mod_len);
	if (rc < 0)
		return rc;
	if (exponent < 3 || !(exponent & 1))
		return RSA_VERIFY_EKEY;
	if (sig_len != mod_len)
		return RSA_VERIFY_EBADSIG;
	from_be(s, m.k, sig, sig_len);
	if (ge(s, m.n, m.k))
		return RSA_VERIFY_EBADSIG;
	mod_exp(&m, out, s, exponent);
	to_be(em, mod_len, out);
	/* ps = mod_len - 54 >= 202 FF bytes for the moduli accepted: the "at least 8" rule always holds. */
	return check_encoding(em, mod_len, digest);
}
