/* main.c: `ramhost`, the one entry point; dispatches to the subcommands in commands.h.
 *
 * Built twice (Makefile): build/ramhost with every command, and with RAMHOST_HOST_BINARY build/host/ramhost, the
 * binary images ship as /usr/bin/ramhost: without `pxe` (the server, on libmicrohttpd), linked with only the
 * libraries a host command needs, and stripped. */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "fileio.h"
#include "tmpreg.h"
#include "version.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "image", cmd_image, "build bootbanks and bootable images from a profile" },
	{ "tardisk", cmd_tardisk, "create, list, read and verify tardisk images" },
	{ "df", cmd_df, "show tardisks and ramdisks with their usage (on a booted host)" },
	{ "du", cmd_du, "sum the space and inodes used under a path" },
	{ "ready", cmd_ready, "print the ready line for this boot (run once by the host at start-up)" },
	{ "bootbank", cmd_bootbank, "show the boot banks and mark the booted one good" },
	{ "install", cmd_install, "install the booted ISO onto a disk (also unattended)" },
	{ "state", cmd_state, "save, list, diff and restore the sticky files kept across reboots" },
	{ "vib", cmd_vib, "create, verify, install and remove signed VIB bundles" },
	{ "depot", cmd_depot, "create and list depots of VIBs and image profiles" },
#ifndef RAMHOST_HOST_BINARY
	{ "pxe", cmd_pxe, "network boot: serve DHCP, TFTP and HTTP to diskless hosts; match rules; status" },
#endif
	{ "rescue", cmd_rescue, "find why a host does not boot and repair it: scan, plan, repair, undo" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: ramhost [--version] COMMAND [ARGS...]\n\n"
		   "Boot-time host images and stateless provisioning.\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'ramhost COMMAND --help' for a command's options. See ramhost(1).\n");
}

/* Runs the command line; every output goes to stdout or stderr, checked by main(). */
static int dispatch(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("ramhost %s\n", RAMHOST_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
#ifdef RAMHOST_HOST_BINARY
	if (!strcmp(argv[1], "pxe")) {
		fprintf(stderr, "ramhost: pxe: not in the host's ramhost (the image ships a smaller build without the "
				"network boot server); run it on the PXE server machine\n");
		return 2;
	}
#endif
	fprintf(stderr, "ramhost: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

/* The first error writing standard output: a command may flush (and fail) long before the end, when errno
 * is gone, so stdout writes through out_write, which keeps it. */
static int stdout_errno;

static ssize_t out_write(void *cookie, const char *buf, size_t len)
{
	int rc = rh_write_all(STDOUT_FILENO, buf, len);

	(void)cookie;
	if (rc < 0) {
		if (!stdout_errno)
			stdout_errno = -rc;
		errno = -rc;
		return -1;
	}
	return (ssize_t)len;
}

/* Replaces stdout by a stream on the same descriptor, buffered the same way, whose write errors are kept. */
static void watch_stdout(void)
{
	cookie_io_functions_t io = { .write = out_write };
	FILE *f = fopencookie(NULL, "w", io);

	if (!f)
		return; /* the plain stdout still reports an error, as EIO */
	setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	stdout = f;
}

/* Flushes and closes stdout once for every command: a write error (a full disk, a closed pipe reader that did
 * not kill us) is a failure, not a silent exit 0. Returns the exit status. */
static int close_stdout(int status)
{
	int e = 0;

	errno = 0;
	if (fflush(stdout) != 0)
		e = errno;
	if (ferror(stdout) && !e)
		e = EIO;
	if (fclose(stdout) != 0 && !e)
		e = errno;
	if (stdout_errno)
		e = stdout_errno; /* the first error is the cause */
	if (!e)
		return status;
	fprintf(stderr, "ramhost: writing standard output: %s\n", strerror(e));
	return status ? status : 1;
}

int main(int argc, char **argv)
{
	/* file names are bytes, written into tardisks and state as UTF-8: libarchive converts them through the
	 * character type of the locale, and in the "C" locale it refuses every name that is not ASCII */
	setlocale(LC_CTYPE, "C.UTF-8");
	/* the temporaries of every command go on exit and on SIGINT/SIGTERM/SIGHUP */
	if (tmpreg_install() < 0) {
		fprintf(stderr, "ramhost: cannot install the clean-up handlers\n");
		return 1;
	}
	watch_stdout();
	return close_stdout(dispatch(argc, argv));
}
