/* fuzz_initconf.c: init.conf parser (and the kernel command line parser, on the same bytes) never crash, and
 * what parses keeps the promises init relies on: a root ramdisk, bounded counts, clean paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "ramdisk/init/initconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct initconf c;
	struct cmdline cmd;
	struct rh_err err = { 0 };
	unsigned i;

	if (cmdline_parse((const char *)data, size, CMDLINE_BANK | CMDLINE_BREAK, &cmd, &err) == 0 && cmd.bank > 9)
		abort();
	rh_err_clear(&err);
	if (initconf_parse((const char *)data, size, "init.conf", &c, &err) < 0) {
		if (!err.msg[0] || strncmp(err.msg, "init.conf: ", 11))
			abort(); /* every error names the file */
		return 0;
	}
	if (!initconf_root(&c) || c.nramdisks > RD_MAX_RAMDISKS || c.nkmods > INITCONF_MAX_KMODS)
		abort();
	if (!spec_valid_abspath(c.init, strlen(c.init)))
		abort();
	for (i = 0; i < c.nramdisks; i++)
		if (!spec_valid_abspath(c.ramdisks[i].mountpoint, strlen(c.ramdisks[i].mountpoint)) ||
		    !c.ramdisks[i].size || !c.ramdisks[i].inodes)
			abort();
	for (i = 0; i < c.nkmods; i++) {
		char abs[RD_MAX_PATH + 1] = "/";

		/* relative and clean: "/" + it is a clean absolute path ("k..ko" is a fine name, "../x" is not) */
		strcat(abs, c.kmods[i]);
		if (c.kmods[i][0] == '/' || !spec_valid_abspath(abs, strlen(abs)))
			abort();
	}
	return 0;
}
