/* fuzz_mbr.c: the MBR parser and the boot code identification on any bytes (the input as sector 0; shorter
 * inputs are refused). What it reports must match the bytes: nparts used entries first, the flags consistent
 * with them; a protective MBR built from the input's code and signature parses back as protective with the same
 * code, signature and identification. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[MBR_SIZE];
	struct mbr m, b;
	unsigned i, ee = 0;
	uint64_t disk;

	if (mbr_parse(data, size, &m) != 0) {
		if (size >= MBR_SIZE)
			abort();
		return 0;
	}
	if (m.nparts > 4 || (unsigned)m.code > MBR_CODE_UNKNOWN || !mbr_code_name(m.code)[0])
		abort();
	for (i = 0; i < 4; i++) {
		if ((i < m.nparts) != (m.part[i].type != 0))
			abort();
		ee += m.part[i].type == MBR_TYPE_GPT_PROTECTIVE;
	}
	if ((m.protective && (m.nparts != 1 || ee != 1 || m.part[0].first_lba != 1)) || (m.hybrid && !ee))
		abort();
	if (m.signature_ok != (data[510] == 0x55 && data[511] == 0xAA))
		abort();
	disk = 0;
	memcpy(&disk, data + 446, sizeof(disk));
	mbr_build_protective(out, data, m.disk_signature, disk);
	if (mbr_parse(out, sizeof(out), &b) != 0 || !b.protective || b.hybrid || b.bad_status || !b.signature_ok)
		abort();
	if (b.code != m.code || b.disk_signature != m.disk_signature || memcmp(out, data, MBR_CODE_LEN))
		abort();
	return 0;
}
