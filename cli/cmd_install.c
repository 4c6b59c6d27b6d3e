/* cmd_install.c: `ramhost install`, the front end of install.c: options, the answer file, the confirmation, the
 * unattended mode from the kernel command line, output. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <termios.h>
#include <unistd.h>

#include "image-builder/answer.h"
#include "commands.h"
#include "print.h"
#include "fileio.h"
#include "image-builder/install.h"
#include "image-builder/install_medium.h"
#include "json.h"
#include "sysroot.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: ramhost install --disk DEV [--force] [--yes] [--answer FILE] [--json] [--quiet]\n"
		   "       ramhost install --from-cmdline\n\n"
		   "On a host booted from a ramhost ISO: writes the disk layout of `ramhost image disk` (ESP, bootbank,\n"
		   "altbootbank, state) onto DEV, copies the booted bootbank into bank 1 and checks it, seeds the state\n"
		   "from an answer file, and on UEFI adds a firmware boot entry first in BootOrder (see ramhost-install(1)).\n"
		   "First loads the disk drivers the boot left out (/run/ramhost/ondemand-modules), if any.\n\n"
		   "  -d, --disk DEV      the whole disk to write (e.g. /dev/vdb), or `auto`: the first blank disk\n"
		   "  -f, --force         overwrite a disk that has partitions or data (never the install medium or the\n"
		   "                      disk this host booted from)\n"
		   "  -y, --yes           do not ask for confirmation (without it, asks on a terminal, else refuses)\n"
		   "  -a, --answer FILE   seed hostname, root password hash and sticky files from this answer file\n"
		   "      --from-cmdline  unattended: act on ramhost.install=auto|/dev/X and ramhost.ks=PATH (the answer\n"
		   "                      file on the install medium); do nothing without ramhost.install=; power off\n"
		   "                      or reboot afterwards as the answer file says (default poweroff)\n"
		   "  -j, --json          print the result as JSON on stdout\n"
		   "  -q, --quiet         no progress lines\n"
		   "  -h, --help          this help\n");
}

static void progress(void *ctx, const char *msg)
{
	FILE *f = ctx ? ctx : stderr;
	cli_printf(f, "ramhost install: %s\n", msg);
	fflush(f);
}

static int ask(void *ctx, const char *disk, uint64_t bytes)
{
	char line[16];

	(void)ctx;
	fprintf(stderr, "ramhost install: this erases everything on %s (%.1f GiB). Type yes to go on: ", disk,
		(double)bytes / (1024.0 * 1024 * 1024));
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	return strcmp(line, "yes\n") != 0;
}

static int refuse_no_tty(void *ctx, const char *disk, uint64_t bytes)
{
	(void)ctx;
	(void)bytes;
	fprintf(stderr, "ramhost install: %s would be erased: pass --yes (no terminal to ask on)\n", disk);
	return 1;
}

static void print_json(const struct install_result *r)
{
	printf("{\"disk\":");
	json_put_string(stdout, r->disk);
	printf(",\"medium\":");
	json_put_string(stdout, r->medium);
	printf(",\"build\":");
	json_put_string(stdout, r->build);
	printf(",\"disk_bytes\":%llu,\"written_bytes\":%llu,\"files\":%u,\"seeded\":%s,\"boot_entry\":",
	       (unsigned long long)r->disk_bytes, (unsigned long long)r->written_bytes, r->files,
	       r->seeded ? "true" : "false");
	if (r->boot_entry >= 0)
		printf("\"Boot%04X\"", (unsigned)r->boot_entry);
	else
		printf("null");
	printf(",\"seconds\":%.2f}\n", r->seconds);
}

/* Reads and parses an answer file, from the host's files (medium NULL) or from the install medium. */
static int load_answer(const char *path, int from_medium, struct answer *a)
{
	struct install_medium m = { .fd = -1 };
	struct rh_err err = { 0 };
	char *buf = NULL;
	size_t len;
	int rc;

	if (from_medium) {
		rc = install_medium_find(&m, &err);
		if (!rc)
			rc = install_medium_read(&m, path, ANSWER_MAX_FILE, &buf, &len, &err);
		install_medium_close(&m);
	} else {
		rc = rh_read_file(path, ANSWER_MAX_FILE, &buf, &len, &err);
	}
	if (!rc)
		rc = answer_parse(buf, len, path, a, &err);
	free(buf);
	if (rc)
		cli_printf(stderr, "ramhost install: %s\n", cli_err_text(&err));
	return rc;
}

/* The unattended mode (an inittab line runs it on every boot of the ISO): nothing without ramhost.install=. */
static int from_cmdline(int quiet)
{
	const char *path = sysroot_proc_cmdline();
	struct install_opts o = { 0 };
	struct install_result r;
	struct install_cmdline c;
	struct rh_err err = { 0 };
	struct answer *a = calloc(1, sizeof(*a));
	char *buf = NULL, disk[ANSWER_MAX_PATH];
	size_t len;
	int rc;

	if (sysroot_is_rescue()) {
		/* a rescue boot writes nothing it was not asked to, even with ramhost.install= given too */
		fprintf(stderr, "ramhost install: rescue boot (%s): ramhost.install= is not acted on\n", sysroot_rescue());
		free(a);
		return 0;
	}
	if (!a)
		return 1;
	if (rh_read_file(path, 1 << 16, &buf, &len, &err) || install_cmdline_parse(buf, len, &c, &err)) {
		cli_printf(stdout, "ramhost install: %s\n", cli_err_text(&err));
		rc = 1;
		goto out;
	}
	if (!c.install) {
		rc = 0;
		goto out;
	}
	printf("ramhost install: unattended install (ramhost.install=%s%s%s)\n", c.disk, c.ks[0] ? " ramhost.ks=" : "",
	       c.ks);
	fflush(stdout);
	if (cli_disk_drivers("ramhost install")) {
		rc = 1;
		goto out;
	}
	if (c.ks[0] && load_answer(c.ks, 1, a)) {
		rc = 1;
		goto out;
	}
	snprintf(disk, sizeof(disk), "%s", !strcmp(c.disk, "auto") && a->has_disk ? a->disk : c.disk);
	o.disk = disk;
	o.answer = a;
	o.progress = quiet ? NULL : progress;
	o.progress_ctx = stdout;
	if (install_run(&o, &r, &err)) {
		cli_printf(stdout, "ramhost install: FAILED: %s\n", cli_err_text(&err));
		printf("ramhost install: nothing else done; the shell is yours\n");
		rc = 1;
		goto out;
	}
	cli_printf(stdout, "ramhost install: done: %s from %s (%s) in %.1f s; %s\n", r.disk, r.medium, r.build, r.seconds,
	       a->after == ANSWER_REBOOT ? "rebooting" : "powering off");
	fflush(stdout);
	tcdrain(STDOUT_FILENO); /* the console line must be out before the power is */
	sleep(1);
	sync();
	reboot(a->after == ANSWER_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF);
	printf("ramhost install: %s failed: %s\n", a->after == ANSWER_REBOOT ? "reboot" : "poweroff", strerror(errno));
	rc = 1;
out:
	free(buf);
	free(a);
	return rc;
}

int cmd_install(int argc, char **argv)
{
	enum { OPT_FROM_CMDLINE = 256 };
	static const struct option opts[] = {
		{ "disk", required_argument, NULL, 'd' },   { "force", no_argument, NULL, 'f' },
		{ "yes", no_argument, NULL, 'y' },          { "answer", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },         { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },         { "from-cmdline", no_argument, NULL, OPT_FROM_CMDLINE },
		{ NULL, 0, NULL, 0 },
	};
	const char *disk = NULL, *answer = NULL;
	int force = 0, yes = 0, json = 0, quiet = 0, cmdline = 0, c, rc;
	struct install_opts o = { 0 };
	struct install_result r;
	struct rh_err err = { 0 };
	struct answer *a = NULL;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:fya:jqh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': disk = optarg; break;
		case 'f': force = 1; break;
		case 'y': yes = 1; break;
		case 'a': answer = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case OPT_FROM_CMDLINE: cmdline = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "ramhost install: unknown or incomplete option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ramhost install: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (cmdline) {
		if (disk || force || answer || json) {
			fprintf(stderr, "ramhost install: --from-cmdline takes its settings from the kernel command line\n");
			return 2;
		}
		return from_cmdline(quiet);
	}
	if (!disk) {
		fprintf(stderr, "ramhost install: --disk DEV is required\n");
		usage(stderr);
		return 2;
	}
	if (cli_disk_drivers("ramhost install")) /* before the disk is looked at: an ISO boot left them out */
		return 1;
	if (answer) {
		if (!(a = calloc(1, sizeof(*a))) || load_answer(answer, 0, a)) {
			free(a);
			return 1;
		}
	}
	o.disk = disk;
	o.force = force;
	o.answer = a;
	o.progress = quiet ? NULL : progress;
	o.progress_ctx = stderr;
	o.confirm = yes ? NULL : isatty(0) ? ask : refuse_no_tty;
	rc = install_run(&o, &r, &err);
	free(a);
	if (rc) {
		cli_printf(stderr, "ramhost install: %s\n", cli_err_text(&err));
		return 1;
	}
	if (json)
		print_json(&r);
	else
		cli_printf(stdout, "ramhost install: installed %s onto %s from %s in %.1f s%s%s\n", r.build, r.disk, r.medium,
		       r.seconds, r.seeded ? ", state seeded" : "", r.boot_entry >= 0 ? ", UEFI boot entry added" : "");
	return 0;
}
