/* test_sha256.c: both SHA-256 implementations (sha256.h: the portable one of init and the UEFI loader, and the
 * host tools' OpenSSL one) against the FIPS 180-4 / NIST example vectors, split updates, each other on random
 * inputs of random lengths; hex conversion. */
#include <stdlib.h>
#include <strings.h>

#include "sha256.h"
#include "unit.h"

static const struct {
	const char *msg;
	size_t repeat;      /* the message is repeated this many times */
	const char *digest;
} vectors[] = {
	{ "", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrst"
	  "nopqrstu", 1, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	{ "a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	/* 55, 56 and 64 bytes: the padding boundaries */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
	  "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
	  "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
	  "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
};

static void test_vectors(void)
{
	size_t i, r;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct sha256_ctx ctx;
		struct sha256_c_ctx c;
		uint8_t d[32];
		char hex[65];

		sha256_init(&ctx);
		sha256_c_init(&c);
		for (r = 0; r < vectors[i].repeat; r++) {
			sha256_update(&ctx, vectors[i].msg, strlen(vectors[i].msg));
			sha256_c_update(&c, vectors[i].msg, strlen(vectors[i].msg));
		}
		sha256_final(&ctx, d);
		sha256_to_hex(d, hex);
		CHECK_STR(hex, vectors[i].digest);
		sha256_c_final(&c, d);
		sha256_to_hex(d, hex);
		CHECK_STR(hex, vectors[i].digest);
	}
}

/* Splitting the input at every position gives the same digest as one update. */
static void test_split_updates(void)
{
	static const char msg[] = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over";
	uint8_t whole[32], part[32];
	size_t cut, n = sizeof(msg) - 1;

	sha256_buf(msg, n, whole);
	for (cut = 0; cut <= n; cut++) {
		struct sha256_ctx ctx;

		sha256_init(&ctx);
		sha256_update(&ctx, msg, cut);
		sha256_update(&ctx, msg + cut, n - cut);
		sha256_final(&ctx, part);
		CHECK(memcmp(whole, part, 32) == 0);
	}
	for (cut = 0; cut <= n; cut++) {
		struct sha256_c_ctx c;

		sha256_c_init(&c);
		sha256_c_update(&c, msg, cut);
		sha256_c_update(&c, msg + cut, n - cut);
		sha256_c_final(&c, part);
		CHECK(memcmp(whole, part, 32) == 0);
	}
}

/* The two implementations agree on 200 random inputs of 0-5000 bytes, fed in random pieces. */
static void test_both_agree(void)
{
	static uint8_t buf[5000];
	unsigned i, seed = 12345;

	for (i = 0; i < 200; i++) {
		size_t n = (size_t)(rand_r(&seed) % 5001), pos = 0, k;
		struct sha256_ctx ctx;
		struct sha256_c_ctx c;
		uint8_t a[32], b[32];

		for (k = 0; k < n; k++)
			buf[k] = (uint8_t)rand_r(&seed);
		sha256_init(&ctx);
		sha256_c_init(&c);
		while (pos < n) {
			size_t piece = (size_t)(rand_r(&seed) % 300);

			if (piece > n - pos)
				piece = n - pos;
			sha256_update(&ctx, buf + pos, piece);
			sha256_c_update(&c, buf + pos, piece);
			pos += piece;
		}
		sha256_final(&ctx, a);
		sha256_c_final(&c, b);
		CHECK(memcmp(a, b, 32) == 0);
	}
}

static void test_hex(void)
{
	static const struct {
		const char *in;
		int rc;
	} rows[] = {
		{ "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 0 },
		{ "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", 0 },
		{ "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a", -22 },   /* 63 digits */
		{ "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adX", -22 }, /* 65 */
		{ "zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", -22 },  /* not hex */
		{ "", -22 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t d[32];
		char back[65];
		int rc = sha256_from_hex(rows[i].in, strlen(rows[i].in), d);

		CHECK(rc == rows[i].rc);
		if (!rc) {
			sha256_to_hex(d, back);
			CHECK(strcasecmp(back, rows[i].in) == 0);
		}
	}
}

int main(void)
{
	RUN(test_vectors);
	RUN(test_split_updates);
	RUN(test_both_agree);
	RUN(test_hex);
	UNIT_EXIT();
}
