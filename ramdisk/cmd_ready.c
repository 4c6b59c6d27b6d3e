/* cmd_ready.c: `ramhost ready` — the one machine-readable line a booted host prints on its console. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "runtime.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: ramhost ready\n\n"
		   "Prints one line for this boot, read from /run/ramhost/boot.env (RAMHOST_BOOTENV overrides):\n"
		   "  ramhost: ready bank=N tardisks=N state=none boot_ms=MS build=BUILD\n"
		   "boot_ms is the time since the kernel started (CLOCK_BOOTTIME). Exits 1 without boot.env.\n");
}

int cmd_ready(int argc, char **argv)
{
	static struct bootenv env;
	struct rh_err err = { 0 };
	const char *path = runtime_path("RAMHOST_BOOTENV", RUNTIME_BOOTENV_DEFAULT);
	struct timespec ts;
	uint64_t ms;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 1) {
		usage(stderr);
		return 2;
	}
	if (bootenv_load(path, &env, &err) < 0) {
		fprintf(stderr, "ramhost ready: %s%s\n", err.msg,
			err.rc == -ENOENT ? " (was this host booted by ramhost's init?)" : "");
		return 1;
	}
	clock_gettime(CLOCK_BOOTTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	printf("ramhost: ready bank=%u tardisks=%u state=none boot_ms=%" PRIu64 " build=%s\n", env.bank,
	       env.ntardisks, ms, env.build[0] ? env.build : "-");
	return fflush(stdout) == 0 ? 0 : 1;
}
