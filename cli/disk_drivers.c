/* disk_drivers.c: the on-demand disk drivers for the commands that look at disks (lib/host/ondemand.h). */
#include <stdio.h>

#include "commands.h"
#include "ondemand.h"
#include "print.h"
#include "sysroot.h"

int cli_disk_drivers(const char *who)
{
	struct rh_err err = { 0 };
	unsigned n = 0;

	if (ondemand_load(sysroot_ondemand_plan(), &n, &err) < 0) {
		cli_printf(stderr, "%s: disk drivers: %s\n", who, cli_err_text(&err));
		return 1;
	}
	if (n)
		fprintf(stderr, "%s: loaded %u kernel modules for disks that this boot had left out (%s)\n", who, n,
			sysroot_ondemand_plan());
	return 0;
}
