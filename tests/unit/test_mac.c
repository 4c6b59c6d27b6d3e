/* test_mac.c: lib/mac.c, MAC addresses as text (the PXE server's paths and the loader's requests). */
#include <string.h>

#include "mac.h"
#include "unit.h"

static void test_mac_parse_forms(void)
{
	static const char *good[] = { "52:54:00:ab:CD:ef", "52-54-00-AB-cd-EF", "525400abcdef" };
	static const char *bad[] = { "", "52:54:00:ab:cd", "52:54:00:ab:cd:ef:", "52:54-00:ab:cd:ef",
				     "52:54:00:ab:cd:eg", "5254.00ab.cdef", "52:54:00:ab:cd:e", "525400abcdef0",
				     "52:54:00:ab:cd:ef ", " 52:54:00:ab:cd:ef" };
	const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	uint8_t mac[6];
	unsigned i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		memset(mac, 0, sizeof mac);
		CHECK(mac_parse(good[i], mac) == 0);
		CHECK(memcmp(mac, want, 6) == 0);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(mac, 7, sizeof mac);
		CHECK(mac_parse(bad[i], mac) == -22);
		CHECK(mac[0] == 7);
	}
}

static void test_mac_format(void)
{
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f };
	char out[MAC_TEXT];

	mac_format(mac, ':', out);
	CHECK(strcmp(out, "52:54:00:ab:cd:0f") == 0);
	mac_format(mac, '-', out);
	CHECK(strcmp(out, "52-54-00-ab-cd-0f") == 0);
}

int main(void)
{
	RUN(test_mac_parse_forms);
	RUN(test_mac_format);
	UNIT_EXIT();
}
