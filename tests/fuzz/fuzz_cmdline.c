/* fuzz_cmdline.c: the kernel command line parser (lib/cmdline.c) never crashes and keeps its promises: a bank
 * is 0-9, a rescue mode one of CMDLINE_RESCUE_*, a GUID is lowercase 8-4-4-4-12, an error names the kernel
 * command line, and a word the caller's mask leaves out never fails the parse; a disk or rescue boot always
 * needs the disk drivers at init (cmdline_needs_disks), and a disk boot always has somewhere to look for its
 * state (cmdline_names_state_source). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned all = CMDLINE_BANK | CMDLINE_BANKUUID | CMDLINE_BREAK | CMDLINE_RESCUE | CMDLINE_DEBUG;
	struct cmdline c;
	struct rh_err err = { 0 };
	size_t i;

	int disks = cmdline_needs_disks((const char *)data, size);
	int state = cmdline_names_state_source((const char *)data, size);

	if ((disks != 0 && disks != 1) || (state != 0 && state != 1))
		abort();
	if (cmdline_parse((const char *)data, size, all, &c, &err) < 0) {
		if (strncmp(err.msg, "kernel command line: ", 21))
			abort();
		return 0;
	}
	if (c.bank > 9 || (c.brk != 0 && c.brk != 1) || (c.debug != 0 && c.debug != 1) ||
	    c.rescue < CMDLINE_RESCUE_NONE || c.rescue > CMDLINE_RESCUE_AUTO)
		abort();
	if ((c.has_uuid || c.rescue != CMDLINE_RESCUE_NONE) && !disks)
		abort();
	if (c.has_uuid && !state)
		abort();
	if (c.has_uuid) {
		if (strlen(c.uuid) != 36)
			abort();
		for (i = 0; i < 36; i++)
			if ((i == 8 || i == 13 || i == 18 || i == 23) ? c.uuid[i] != '-'
								       : !strchr("0123456789abcdef", c.uuid[i]))
				abort();
	}
	if (cmdline_parse((const char *)data, size, 0, &c, &err) != 0)
		abort();
	return 0;
}
