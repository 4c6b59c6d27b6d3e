/* fuzz_pxe_config.c: the configuration parser of `ramhost pxe serve` (pxe-server/config.c) on arbitrary bytes,
 * without reading image directories or keys (PXE_PARSE_NO_IO). Whatever parses is then asked for a rule (the
 * matchers and the exact-MAC index run too); nothing may crash, leak or read out of bounds, and an error always
 * names the file and a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxe-server/pxe_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t o82[] = { 1, 4, 0, 0, 0, 7 };
	struct rh_err err = { 0, "" };
	struct pxe_config *cfg = NULL;
	struct pxe_choice c;
	struct pxe_facts f;

	if (pxe_config_parse_flags("f.conf", (const char *)data, size, PXE_PARSE_NO_IO, &cfg, &err) < 0) {
		if (strncmp(err.msg, "f.conf:", 7) != 0)
			abort();
		return 0;
	}
	memset(&f, 0, sizeof(f));
	f.has_mac = 1;
	memcpy(f.mac, "\x52\x54\x00\x12\x34\x56", 6);
	f.arch = 7;
	f.ip = 0x0a000005;
	f.opt82 = o82;
	f.opt82_len = sizeof(o82);
	strcpy(f.serial, "SN-001");
	strcpy(f.uuid, "4c4c4544-0042-3510-8052-b4c04f4b4e31");
	pxe_choose(cfg, &f, &c);
	if (c.rule && !c.image)
		abort();
	pxe_config_free(cfg);
	return 0;
}
