/* cmd_bootbank.c: `ramhost bootbank status [--json]` and `ramhost bootbank mark-good` — the booted host's two
 * boot banks (ramdisk/bootbank.h does the work; this file parses options and prints). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ramdisk/bootbank.h"
#include "runtime.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: ramhost bootbank status [--json]\n"
		   "       ramhost bootbank mark-good\n\n"
		   "status     shows both boot banks of this boot's disk: partition, bootstate, updated, build, and\n"
		   "           which one was booted (found by ramhost.bankuuid= on the kernel command line)\n"
		   "mark-good  sets bootstate=0 (VALID) in the booted bank's boot.cfg and regenerates bootcfg.cpio;\n"
		   "           run once the host is up. Does nothing when already VALID or booted from an ISO.\n\n"
		   "Environment (tests): RAMHOST_PROC_CMDLINE, RAMHOST_SYS_BLOCK, RAMHOST_DISKS=/dev/loopN, TMPDIR.\n"
		   "See ramhost-bootbank(1).\n");
}

static const char *state_text(const struct bootbank_slot *s)
{
	if (!s->exists)
		return "no partition";
	if (!s->readable)
		return "unreadable";
	if (!s->present)
		return "missing";
	return bootbank_state_name(s->bootstate);
}

static void print_text(const struct bootbank_status *st)
{
	int b;

	if (st->read_only_media && !st->cmdline.bank) {
		printf("booted: not by a ramhost loader (no ramhost.bank= on the kernel command line)\n");
		printf("banks: none known; there is nothing to mark good\n");
		return;
	}
	if (st->read_only_media) {
		printf("booted: bank %u on read-only media (no ramhost.bankuuid= on the kernel command line)\n",
		       st->cmdline.bank);
		printf("banks: none writable on this medium; there is nothing to mark good\n");
		return;
	}
	printf("booted: bank %d, partition GUID %s on %s\n", st->booted, st->cmdline.uuid, st->disk);
	printf("%-4s %-20s %-11s %-10s %-8s %-20s %s\n", "BANK", "PARTITION", "NAME", "BOOTSTATE", "UPDATED", "BUILD",
	       "BOOTED");
	for (b = 0; b < 2; b++) {
		const struct bootbank_slot *s = &st->bank[b];
		char updated[24] = "-";

		if (s->present)
			snprintf(updated, sizeof(updated), "%" PRIu64, s->updated);
		printf("%-4d %-20s %-11s %-10s %-8s %-20s %s\n", b + 1, s->exists ? s->dev : "-",
		       b ? BOOTBANK_NAME_2 : BOOTBANK_NAME_1, state_text(s), updated,
		       s->present && s->build[0] ? s->build : "-", s->booted ? "*" : "");
		if (s->problem[0])
			printf("     bank %d: %s\n", b + 1, s->problem);
	}
}

static void print_json(const struct bootbank_status *st)
{
	int b;

	printf("{\"read_only_media\": %s, \"cmdline_bank\": %u, \"bankuuid\": ", st->read_only_media ? "true" : "false",
	       st->cmdline.bank);
	if (st->cmdline.has_uuid)
		json_string(stdout, st->cmdline.uuid);
	else
		printf("null");
	printf(", \"disk\": ");
	if (st->read_only_media)
		printf("null");
	else
		json_string(stdout, st->disk);
	if (st->booted)
		printf(", \"booted\": %d, \"banks\": [", st->booted);
	else
		printf(", \"booted\": null, \"banks\": [");
	for (b = 0; !st->read_only_media && b < 2; b++) {
		const struct bootbank_slot *s = &st->bank[b];

		printf("%s{\"bank\": %d, \"name\": \"%s\", \"partition\": ", b ? ", " : "", b + 1,
		       b ? BOOTBANK_NAME_2 : BOOTBANK_NAME_1);
		if (s->exists) {
			json_string(stdout, s->dev);
			printf(", \"partnum\": %u, \"uuid\": ", s->partno);
			json_string(stdout, s->uuid);
		} else {
			printf("null, \"partnum\": null, \"uuid\": null");
		}
		printf(", \"booted\": %s, \"present\": %s, \"state\": ", s->booted ? "true" : "false",
		       s->present ? "true" : "false");
		json_string(stdout, state_text(s));
		if (s->present) {
			printf(", \"bootstate\": %d, \"updated\": %" PRIu64 ", \"build\": ", s->bootstate, s->updated);
			json_string(stdout, s->build);
		} else {
			printf(", \"bootstate\": null, \"updated\": null, \"build\": null");
		}
		printf(", \"problem\": ");
		if (s->problem[0])
			json_string(stdout, s->problem);
		else
			printf("null");
		printf("}");
	}
	printf("]}\n");
}

static int do_status(int json)
{
	static struct bootbank_status st;
	struct rh_err err = { 0, "" };
	int b, rc = 0;

	if (bootbank_status_read(&st, &err) < 0) {
		fprintf(stderr, "ramhost bootbank: %s\n", err.msg);
		return 1;
	}
	if (json)
		print_json(&st);
	else
		print_text(&st);
	if (!st.read_only_media && st.cmdline.bank && st.cmdline.bank != (unsigned)st.booted)
		fprintf(stderr, "ramhost bootbank: warning: ramhost.bank=%u but the partition of ramhost.bankuuid=%s "
				"is bank %d\n", st.cmdline.bank, st.cmdline.uuid, st.booted);
	for (b = 0; !st.read_only_media && b < 2; b++) {
		if (st.bank[b].exists && !st.bank[b].readable) {
			fprintf(stderr, "ramhost bootbank: bank %d: %s\n", b + 1, st.bank[b].problem);
			rc = 1;
		}
	}
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}

static int do_mark_good(void)
{
	struct rh_err err = { 0, "" };
	char dev[BOOTBANK_DEV_MAX];
	int result, old;

	if (bootbank_mark_good(&result, &old, dev, &err) < 0) {
		fprintf(stderr, "ramhost bootbank: mark-good: %s\n", err.msg);
		return 1;
	}
	switch (result) {
	case BOOTBANK_READ_ONLY_MEDIA:
		printf("ramhost bootbank: booted from read-only media (no ramhost.bankuuid=): nothing to mark\n");
		break;
	case BOOTBANK_ALREADY_VALID:
		printf("ramhost bootbank: %s: already VALID (bootstate=%s), nothing written\n", dev,
		       old < 0 ? "absent" : "0");
		break;
	default:
		printf("ramhost bootbank: %s: marked good: bootstate %d (%s) -> 0 (VALID)\n", dev, old,
		       bootbank_state_name(old));
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_bootbank(int argc, char **argv)
{
	int json = 0, i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
	}
	if (!strcmp(argv[1], "status")) {
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--json")) {
				fprintf(stderr, "ramhost bootbank: status: unknown option '%s'\n", argv[i]);
				usage(stderr);
				return 2;
			}
			json = 1;
		}
		return do_status(json);
	}
	if (!strcmp(argv[1], "mark-good")) {
		if (argc != 2) {
			fprintf(stderr, "ramhost bootbank: mark-good takes no arguments\n");
			usage(stderr);
			return 2;
		}
		return do_mark_good();
	}
	fprintf(stderr, "ramhost bootbank: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
