/* test_esp_chain.c: bootloader/esp_chain.c's pure parts, table-driven: the ESP's syslinux.cfg parser and
 * formatter (which bank a BIOS boot chains to). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bootloader/esp_chain.h"
#include "unit.h"

static void test_parse(void)
{
	static const struct {
		const char *text;
		int rc, bank;
		const char *label, *serial;
		long timeout;
	} t[] = {
		{ "SERIAL 0 115200\nDEFAULT bootbank\nPROMPT 0\nTIMEOUT 0\n\nLABEL bootbank\n  COM32 chain.c32\n", 0, 1,
		  "bootbank", "0 115200", 0 },
		{ "  default altbootbank\r\ntimeout 50\n", 0, 2, "altbootbank", "", 50 },
		{ "# DEFAULT bootbank\nDEFAULT other\nDEFAULT altbootbank\n", 0, 2, "altbootbank", "", 0 },
		{ "DEFAULT menu.c32\n", 0, 0, "menu.c32", "", 0 },
		{ "LABEL bootbank\n", -EINVAL, 0, NULL, NULL, 0 },
		{ "DEFAULT\n", -EINVAL, 0, NULL, NULL, 0 },
		{ "DEFAULT bootbank\nTIMEOUT x\n", -EINVAL, 0, NULL, NULL, 0 },
		{ "DEFAULT bootbank\nTIMEOUT -1\n", -EINVAL, 0, NULL, NULL, 0 },
		{ "DEFAULT aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", -EINVAL, 0, NULL, NULL,
		  0 },
		{ "", -EINVAL, 0, NULL, NULL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct esp_chain_cfg c;
		int rc = esp_chain_parse(t[i].text, strlen(t[i].text), &c);

		CHECK(rc == t[i].rc);
		if (rc || t[i].rc)
			continue;
		CHECK(c.default_bank == t[i].bank);
		CHECK_STR(c.default_label, t[i].label);
		CHECK_STR(c.serial, t[i].serial);
		CHECK(c.timeout == t[i].timeout);
	}
}

static void test_format(void)
{
	struct esp_chain_cfg old, back;
	char buf[2048];
	long len;

	memset(&old, 0, sizeof(old));
	snprintf(old.serial, sizeof(old.serial), "1 9600");
	old.timeout = 35;
	len = esp_chain_format(&old, 2, buf, sizeof(buf));
	CHECK(len > 0);
	CHECK(esp_chain_parse(buf, (size_t)len, &back) == 0);
	CHECK(back.default_bank == 2);
	CHECK_STR(back.serial, "1 9600");
	CHECK(back.timeout == 40);   /* whole seconds, rounded up */
	CHECK(strstr(buf, "LABEL bootbank\n  COM32 chain.c32\n  APPEND label=bootbank\n") != NULL);
	CHECK(strstr(buf, "LABEL altbootbank\n") != NULL);
	len = esp_chain_format(NULL, 1, buf, sizeof(buf));
	CHECK(len > 0 && esp_chain_parse(buf, (size_t)len, &back) == 0 && back.default_bank == 1);
	CHECK_STR(back.serial, "0 115200");
	CHECK(esp_chain_format(NULL, 3, buf, sizeof(buf)) == -EINVAL);
	CHECK(esp_chain_format(NULL, 1, buf, 10) == -E2BIG);
}

int main(void)
{
	RUN(test_parse);
	RUN(test_format);
	UNIT_EXIT();
}
