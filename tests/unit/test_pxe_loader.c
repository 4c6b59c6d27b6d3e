/* test_pxe_loader.c: image-builder/pxe_loader.c and pxe_image.c's pure parts: the server key written into the one
 * record of a loader image (and refused when there is none, two, or a damaged one, the image left unchanged), and
 * which image names --name accepts. The certificate side is tested against the openssl CLI in
 * tests/integration/pxe_image.sh. */
#include <string.h>

#include "image-builder/pxe_image.h"
#include "image-builder/pxe_loader.h"
#include "unit.h"

#define IMG_SIZE 8192

static void make_key(struct netkey *k, uint32_t len)
{
	unsigned i;

	memset(k, 0, sizeof *k);
	k->modulus_len = len;
	k->exponent = 65537;
	for (i = 0; i < len; i++)
		k->modulus[i] = (uint8_t)(i | 0x80);
	for (i = 0; i < 32; i++)
		k->cert_sha256[i] = (uint8_t)(0xa0 + i);
}

/* An "image" of filler bytes (with a few 'R's) holding a no-key record at each offset in at[0..n). */
static void make_image(uint8_t *img, const size_t *at, size_t n)
{
	struct netkey none;
	size_t i;

	memset(img, 0x90, IMG_SIZE);
	memcpy(img + 10, "RHNETKE", 7); /* a near miss is not a record */
	memset(&none, 0, sizeof none);
	for (i = 0; i < n; i++)
		netkey_format(&none, img + at[i]);
}

static void test_embed_key(void)
{
	static uint8_t img[IMG_SIZE];
	static const size_t one[] = { 3000 };
	struct netkey k, got;
	struct rh_err err = { 0 };
	uint32_t lens[] = { 256, 384, 512 };
	size_t i;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		make_image(img, one, 1);
		make_key(&k, lens[i]);
		CHECK(pxe_loader_embed_key(img, IMG_SIZE, &k, "t.efi", &err) == 0);
		CHECK(netkey_find(img, IMG_SIZE) == 3000);
		CHECK(netkey_parse(img + 3000, NETKEY_SIZE, &got) == 0);
		CHECK(got.modulus_len == lens[i] && got.exponent == 65537);
		CHECK(!memcmp(got.modulus, k.modulus, lens[i]) && !memcmp(got.cert_sha256, k.cert_sha256, 32));
		CHECK(img[2999] == 0x90 && img[3000 + NETKEY_SIZE] == 0x90);
	}
	/* and back to "no key": the whole record is rewritten, no modulus bytes remain */
	memset(&k, 0, sizeof k);
	CHECK(pxe_loader_embed_key(img, IMG_SIZE, &k, "t.efi", &err) == 0);
	CHECK(netkey_parse(img + 3000, NETKEY_SIZE, &got) == 0 && got.modulus_len == 0);
}

static void test_embed_refused(void)
{
	static uint8_t img[IMG_SIZE], before[IMG_SIZE];
	static const size_t none[] = { 0 }, two[] = { 1000, 5000 }, one[] = { 2000 };
	static const struct {
		const size_t *at;
		size_t n;
		int damage;       /* offset into the record to flip, or -1 */
		int rc;
		const char *msg;
	} cases[] = {
		{ none, 0, -1, -2, "no server-key record" },
		{ two, 2, -1, -22, "more than once" },
		{ one, 1, 8, -22, "not valid" },    /* version */
		{ one, 1, 100, -22, "not valid" },  /* CRC no longer matches */
	};
	struct netkey k;
	size_t i;

	make_key(&k, 256);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rh_err err = { 0 };

		make_image(img, cases[i].at, cases[i].n);
		if (cases[i].damage >= 0)
			img[cases[i].at[0] + (size_t)cases[i].damage] ^= 0x40;
		memcpy(before, img, IMG_SIZE);
		CHECK(pxe_loader_embed_key(img, IMG_SIZE, &k, "t.efi", &err) == cases[i].rc);
		CHECK(strstr(err.msg, "t.efi: ") == err.msg && strstr(err.msg, cases[i].msg));
		CHECK(!memcmp(img, before, IMG_SIZE));
	}
}

static void test_valid_name(void)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
		{ "demo", 1 }, { "web-1.2_x+y", 1 }, { "", 0 }, { ".hidden", 0 }, { "-x", 0 }, { "a/b", 0 },
		{ "..", 0 }, { "sp ace", 0 }, { "nl\n", 0 },
		{ "a123456789012345678901234567890123456789012345678901234567890123", 0 }, /* 64 chars */
		{ "a12345678901234567890123456789012345678901234567890123456789012", 1 },  /* 63 */
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK(pxe_image_valid_name(cases[i].name) == cases[i].ok);
}

int main(void)
{
	RUN(test_embed_key);
	RUN(test_embed_refused);
	RUN(test_valid_name);
	UNIT_EXIT();
}
