/* cmd_bootbank.c: `ramhost bootbank status [--json]` and `ramhost bootbank mark-good` — the booted host's two
 * boot banks (ramdisk/bank/bank_disk.h, bank_mark.h, bank_update.h do the work; this file parses options and prints). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ramdisk/bank/bank_disk.h"
#include "ramdisk/bank/bank_mark.h"
#include "ramdisk/bank/bank_esp.h"
#include "ramdisk/bank/bank_update.h"
#include "sysroot.h"
#include "ramdisk/usage.h"
#include "json.h"
#include "print.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: ramhost bootbank status [--json]\n"
		   "       ramhost bootbank mark-good\n"
		   "       ramhost bootbank update [--dry-run] [--json] [--no-state-save] PROFILE|DIR\n\n"
		   "status     shows both boot banks of this boot's disk: partition, bootstate, updated, build, and\n"
		   "           which one was booted (found by ramhost.bankuuid= on the kernel command line), and\n"
		   "           which bank a BIOS boot chains to (the ESP's /syslinux/syslinux.cfg)\n"
		   "mark-good  sets bootstate=0 (VALID) in the booted bank's boot.cfg and regenerates bootcfg.cpio;\n"
		   "           run once the host is up. Does nothing when already VALID, booted from an ISO, or on a\n"
		   "           rescue boot (ramhost.rescue=, /run/ramhost/rescue). Also\n"
		   "           points the ESP's BIOS default at the booted bank (unless the other bank is a pending\n"
		   "           update).\n"
		   "update     writes a new image into the bank that did not boot: DIR is a bootbank (boot.cfg and\n"
		   "           its files; every hash is checked before anything is written), a PROFILE is built first\n"
		   "           (only where `ramhost image build` works: the build host). Saves the state first\n"
		   "           (ramhost state save --if-changed), gives the new bank updated= this bank's + 1 and\n"
		   "           bootstate=1 (UPGRADING), commits its boot.cfg last, then makes BIOS boots chain to it.\n"
		   "           Reboot to try it: the loader rolls back when it never gets marked good.\n"
		   "  --dry-run        check the source and the banks, write nothing\n"
		   "  --json           one JSON summary on stdout (progress lines go to stderr)\n"
		   "  --no-state-save  do not save the state first\n\n"
		   "Environment (tests): RAMHOST_PROC_CMDLINE, RAMHOST_SYS_BLOCK, RAMHOST_DISKS=/dev/loopN, TMPDIR.\n"
		   "See ramhost-bootbank(1).\n");
}

static const char *state_text(const struct bank_disk_slot *s)
{
	if (!s->exists)
		return "no partition";
	if (!s->readable)
		return "unreadable";
	if (!s->present)
		return "missing";
	return bank_dir_state_name(s->bootstate);
}

static void print_text(const struct bank_disk_status *st)
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
	cli_printf(stdout, "booted: bank %d, partition GUID %s on %s\n", st->booted, st->cmdline.uuid, st->disk);
	printf("%-4s %-20s %-11s %-10s %-8s %-20s %s\n", "BANK", "PARTITION", "NAME", "BOOTSTATE", "UPDATED", "BUILD",
	       "BOOTED");
	for (b = 0; b < 2; b++) {
		const struct bank_disk_slot *s = &st->bank[b];
		char updated[24] = "-";

		if (s->present)
			snprintf(updated, sizeof(updated), "%" PRIu64, s->updated);
		cli_printf(stdout, "%-4d %-20s %-11s %-10s %-8s %-20s %s\n", b + 1, s->exists ? s->dev : "-",
			   b ? BANK_DIR_PART_2 : BANK_DIR_PART_1, state_text(s), updated,
			   s->present && s->build[0] ? s->build : "-", s->booted ? "*" : "");
		if (s->problem[0])
			cli_printf(stdout, "     bank %d: %s\n", b + 1, s->problem);
	}
}

static void print_json(const struct bank_disk_status *st, int bios)
{
	int b;

	printf("{\"read_only_media\": %s, \"cmdline_bank\": %u, \"bankuuid\": ", st->read_only_media ? "true" : "false",
	       st->cmdline.bank);
	if (st->cmdline.has_uuid)
		json_put_string(stdout, st->cmdline.uuid);
	else
		printf("null");
	printf(", \"disk\": ");
	if (st->read_only_media)
		printf("null");
	else
		json_put_string(stdout, st->disk);
	if (st->booted)
		printf(", \"booted\": %d, \"banks\": [", st->booted);
	else
		printf(", \"booted\": null, \"banks\": [");
	for (b = 0; !st->read_only_media && b < 2; b++) {
		const struct bank_disk_slot *s = &st->bank[b];

		printf("%s{\"bank\": %d, \"name\": \"%s\", \"partition\": ", b ? ", " : "", b + 1,
		       b ? BANK_DIR_PART_2 : BANK_DIR_PART_1);
		if (s->exists) {
			json_put_string(stdout, s->dev);
			printf(", \"partnum\": %u, \"uuid\": ", s->partno);
			json_put_string(stdout, s->uuid);
		} else {
			printf("null, \"partnum\": null, \"uuid\": null");
		}
		printf(", \"booted\": %s, \"present\": %s, \"state\": ", s->booted ? "true" : "false",
		       s->present ? "true" : "false");
		json_put_string(stdout, state_text(s));
		if (s->present) {
			printf(", \"bootstate\": %d, \"updated\": %" PRIu64 ", \"build\": ", s->bootstate, s->updated);
			json_put_string(stdout, s->build);
		} else {
			printf(", \"bootstate\": null, \"updated\": null, \"build\": null");
		}
		printf(", \"problem\": ");
		if (s->problem[0])
			json_put_string(stdout, s->problem);
		else
			printf("null");
		printf("}");
	}
	if (bios >= 0)
		printf("], \"bios_default\": %d}\n", bios);
	else
		printf("], \"bios_default\": null}\n");
}

/* Which bank a BIOS boot chains to: *ret_bank 1/2 (0 another label), ret_dev the ESP; -ENOENT no ESP or no
 * SYSLINUX there; other errors in note. */
static int bios_default(int *ret_bank, char *ret_dev, char *note, size_t cap)
{
	struct rh_err err = { 0, "" };
	struct cmdline c;
	struct bank_disk d;
	int rc;

	rc = bank_disk_find(&c, &d, &err);
	if (!rc && (!c.has_uuid || !d.esp_part))
		rc = -ENOENT;
	if (!rc) {
		snprintf(ret_dev, BANK_DISK_DEV_MAX, "%s", d.esp_dev);
		rc = bank_esp_default(d.esp_dev, ret_bank, &err);
	}
	if (rc < 0 && rc != -ENOENT)
		snprintf(note, cap, "%s", err.msg);
	return rc;
}

static int do_status(int json)
{
	static struct bank_disk_status st;
	struct rh_err err = { 0, "" };
	char esp[BANK_DISK_DEV_MAX] = "", note[1024] = "";
	int b, rc = 0, bios = 0, brc = -ENOENT;

	if (bank_disk_status(&st, &err) < 0) {
		cli_printf(stderr, "ramhost bootbank: %s\n", cli_err_text(&err));
		return 1;
	}
	if (!st.read_only_media)
		brc = bios_default(&bios, esp, note, sizeof(note));
	if (json) {
		print_json(&st, brc == 0 ? bios : -1);
	} else {
		print_text(&st);
		if (brc == 0 && bios)
			cli_printf(stdout, "bios: %s /syslinux/syslinux.cfg chains to bank %d\n", esp, bios);
		else if (brc == 0)
			cli_printf(stdout, "bios: %s /syslinux/syslinux.cfg chains to no bank\n", esp);
		else if (brc != -ENOENT)
			cli_printf(stdout, "bios: %s\n", note);
	}
	if (!st.read_only_media && st.cmdline.bank && st.cmdline.bank != (unsigned)st.booted)
		cli_printf(stderr, "ramhost bootbank: warning: ramhost.bank=%u but the partition of "
				   "ramhost.bankuuid=%s is bank %d\n", st.cmdline.bank, st.cmdline.uuid, st.booted);
	for (b = 0; !st.read_only_media && b < 2; b++) {
		if (st.bank[b].exists && !st.bank[b].readable) {
			cli_printf(stderr, "ramhost bootbank: bank %d: %s\n", b + 1, st.bank[b].problem);
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
	char dev[BANK_DISK_DEV_MAX];
	int result, old;

	if (bank_mark_good(&result, &old, dev, &err) < 0) {
		cli_printf(stderr, "ramhost bootbank: mark-good: %s\n", cli_err_text(&err));
		return 1;
	}
	switch (result) {
	case BANK_MARK_READ_ONLY_MEDIA:
		printf("ramhost bootbank: booted from read-only media (no ramhost.bankuuid=): nothing to mark\n");
		break;
	case BANK_MARK_RESCUE:
		cli_printf(stdout, "ramhost bootbank: rescue boot (%s): no bank is marked, no disk is read\n",
			   sysroot_rescue());
		break;
	case BANK_MARK_ALREADY_VALID:
		cli_printf(stdout, "ramhost bootbank: %s: already VALID (bootstate=%s), nothing written\n", dev,
			   old < 0 ? "absent" : "0");
		break;
	default:
		cli_printf(stdout, "ramhost bootbank: %s: marked good: bootstate %d (%s) -> 0 (VALID)\n", dev, old,
			   bank_dir_state_name(old));
	}
	if (result != BANK_MARK_READ_ONLY_MEDIA && result != BANK_MARK_RESCUE) {
		struct bank_mark_esp f;
		struct rh_err e = { 0, "" };

		if (bank_mark_esp_follow(&f, &e) < 0)
			cli_printf(stderr, "ramhost bootbank: warning: the ESP's BIOS default was not checked: %s\n",
				   cli_err_text(&e));
		else if (f.changed)
			cli_printf(stdout, "ramhost bootbank: %s: BIOS boots now chain to the booted bank "
				   "(they chained to bank %d)\n", f.esp_dev, f.old_bank);
		else if (f.pending)
			cli_printf(stdout, "ramhost bootbank: %s: BIOS boots chain to bank %d, a pending update "
				   "(left as is)\n", f.esp_dev, f.old_bank);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static void progress_line(void *ctx, const char *msg)
{
	cli_printf((FILE *)ctx, "ramhost bootbank: %s\n", msg);
	fflush((FILE *)ctx);
}

static void json_kv_str(const char *key, const char *v, int last)
{
	printf("\"%s\": ", key);
	json_put_string(stdout, v);
	printf("%s", last ? "" : ", ");
}

static int do_update(int argc, char **argv)
{
	struct bank_update_opts o = { 0 };
	struct bank_update_result r;
	struct rh_err err = { 0, "" };
	int json = 0, i;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			o.dry_run = 1;
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--no-state-save"))
			o.no_state_save = 1;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "ramhost bootbank: update: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		} else if (o.source) {
			fprintf(stderr, "ramhost bootbank: update: give one PROFILE or DIR ('%s' and '%s')\n", o.source,
				argv[i]);
			return 2;
		} else {
			o.source = argv[i];
		}
	}
	if (!o.source) {
		fprintf(stderr, "ramhost bootbank: update: give a PROFILE or a bootbank DIR\n");
		usage(stderr);
		return 2;
	}
	o.progress = progress_line;
	o.progress_ctx = json ? stderr : stdout;
	if (bank_update(&o, &r, &err) < 0) {
		cli_printf(stderr, "ramhost bootbank: update: %s\n", cli_err_text(&err));
		return 1;
	}
	if (!r.bios)
		cli_printf(stderr, "ramhost bootbank: warning: BIOS boots still chain to bank %d: %s\n", r.booted,
			   r.bios_note);
	if (json) {
		printf("{");
		json_kv_str("source", o.source, 0);
		json_kv_str("source_kind", r.source_kind, 0);
		printf("\"dry_run\": %s, ", o.dry_run ? "true" : "false");
		json_kv_str("disk", r.disk, 0);
		printf("\"booted\": %d, \"bank\": %d, ", r.booted, r.target);
		json_kv_str("partition", r.target_dev, 0);
		json_kv_str("uuid", r.target_uuid, 0);
		printf("\"updated\": %" PRIu64 ", \"bootstate\": %d, ", r.updated, BOOTSTATE_UPGRADING);
		json_kv_str("build", r.build, 0);
		printf("\"files\": %u, \"bytes\": %" PRIu64 ", \"state_saved\": %s, ", r.nfiles, r.bytes,
		       r.state_saved ? "true" : "false");
		json_kv_str("state", r.state, 0);
		printf("\"bios\": %s, \"bios_note\": ", r.bios ? "true" : "false");
		if (r.bios_note[0])
			json_put_string(stdout, r.bios_note);
		else
			printf("null");
		printf("}\n");
	} else if (!o.dry_run) {
		cli_printf(stdout, "ramhost bootbank: bank %d (%s) holds build %s as UPGRADING (updated=%" PRIu64
			   "): reboot to try it\n", r.target, r.target_dev, r.build, r.updated);
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
	if (!strcmp(argv[1], "update"))
		return do_update(argc, argv);
	fprintf(stderr, "ramhost bootbank: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
