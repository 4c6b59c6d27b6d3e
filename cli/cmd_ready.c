/* cmd_ready.c: `ramhost ready` — the one machine-readable line a booted host prints on its console. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "print.h"
#include "fileio.h"
#include "ramdisk/usage.h"
#include "ramdisk/state/state_format.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: ramhost ready\n\n"
		   "Prints one line for this boot, read from /run/ramhost/boot.env (RAMHOST_BOOTENV overrides):\n"
		   "  ramhost: ready bank=N tardisks=N state=none boot_ms=MS build=BUILD\n"
		   "boot_ms is the time since the kernel started (CLOCK_BOOTTIME); state is the generation that\n"
		   "`ramhost state boot` restored, from /run/ramhost/state.env (RAMHOST_STATEENV overrides), or none;\n"
		   "N@net or none@net on a diskless host whose state the PXE server keeps.\n"
		   "Exits 1 without boot.env.\n");
}

/* The restored state generation as text: "N", or "none" when state.env is missing, unreadable or says none;
 * "@net" follows on a diskless host whose state is kept by the PXE server. */
static void state_word(char *out, size_t cap)
{
	const char *path = sysroot_stateenv();
	struct state_env env;
	char *buf = NULL;
	size_t len;

	snprintf(out, cap, "none");
	if (rh_read_file(path, 64 << 10, &buf, &len, NULL) < 0)
		return;
	if (state_env_parse(buf, len, &env, NULL) == 0) {
		if (env.has_generation)
			snprintf(out, cap, "%" PRIu64 "%s", env.generation, env.net ? "@net" : "");
		else if (env.net)
			snprintf(out, cap, "none@net");
	}
	free(buf);
}

int cmd_ready(int argc, char **argv)
{
	static struct bootenv env;
	struct rh_err err = { 0 };
	const char *path = sysroot_bootenv();
	struct timespec ts;
	char state[24];
	uint64_t ms;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 1) {
		usage(stderr);
		return 2;
	}
	if (usage_bootenv_load(path, &env, &err) < 0) {
		cli_printf(stderr, "ramhost ready: %s%s\n", cli_err_text(&err),
			err.rc == -ENOENT ? " (was this host booted by ramhost's init?)" : "");
		return 1;
	}
	clock_gettime(CLOCK_BOOTTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	state_word(state, sizeof(state));
	cli_printf(stdout, "ramhost: ready bank=%u tardisks=%u state=%s boot_ms=%" PRIu64 " build=%s\n", env.bank,
	       env.ntardisks, state, ms, env.build[0] ? env.build : "-");
	if (fflush(stdout) != 0)
		return 1;
	/* On a terminal, wait until the line has left: a getty that opens the console next flushes whatever is
	 * still queued */
	if (isatty(STDOUT_FILENO))
		(void)tcdrain(STDOUT_FILENO);
	return 0;
}
