/* test_netkey.c: lib/netkey.c, the server-key record in ramhost.efi: round trip, damage, and finding it. */
#include <string.h>

#include "netkey.h"
#include "unit.h"

static void make_key(struct netkey *k)
{
	unsigned i;

	memset(k, 0, sizeof *k);
	k->modulus_len = 256;
	k->exponent = 65537;
	for (i = 0; i < 256; i++)
		k->modulus[i] = (uint8_t)(i | 0x80);
	for (i = 0; i < 32; i++)
		k->cert_sha256[i] = (uint8_t)i;
}

static void test_netkey_roundtrip(void)
{
	struct netkey k, got;
	uint8_t rec[NETKEY_SIZE];

	make_key(&k);
	netkey_format(&k, rec);
	CHECK(netkey_parse(rec, sizeof rec, &got) == 0);
	CHECK(memcmp(&k, &got, sizeof k) == 0);
	k.modulus_len = 0;
	memset(k.modulus, 0, sizeof k.modulus);
	netkey_format(&k, rec);
	CHECK(netkey_parse(rec, sizeof rec, &got) == 0);
	CHECK(got.modulus_len == 0);
}

static void test_netkey_damage(void)
{
	struct netkey k, got;
	uint8_t rec[NETKEY_SIZE];
	unsigned i;

	make_key(&k);
	netkey_format(&k, rec);
	for (i = 0; i < NETKEY_SIZE; i += 7) {
		rec[i] ^= 0x10;
		CHECK(netkey_parse(rec, sizeof rec, &got) == -22);
		rec[i] ^= 0x10;
	}
	CHECK(netkey_parse(rec, sizeof rec - 1, &got) == -22);
	k.exponent = 65536; /* even */
	netkey_format(&k, rec);
	CHECK(netkey_parse(rec, sizeof rec, &got) == -22);
	make_key(&k);
	k.modulus_len = 100; /* below RSA 2048 */
	netkey_format(&k, rec);
	CHECK(netkey_parse(rec, sizeof rec, &got) == -22);
}

static void test_netkey_find(void)
{
	static uint8_t img[4096];
	struct netkey k;

	memset(img, 'R', sizeof img);
	CHECK(netkey_find(img, sizeof img) == -2);
	make_key(&k);
	netkey_format(&k, img + 1000);
	CHECK(netkey_find(img, sizeof img) == 1000);
	netkey_format(&k, img + 2000);
	CHECK(netkey_find(img, sizeof img) == -22);
	CHECK(netkey_find(img, 10) == -2);
}

int main(void)
{
	RUN(test_netkey_roundtrip);
	RUN(test_netkey_damage);
	RUN(test_netkey_find);
	UNIT_EXIT();
}
