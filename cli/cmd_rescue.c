/* cmd_rescue.c: `ramhost rescue scan|plan|repair|undo|OP` — find why a host does not boot and repair it
 * (docs/rescue.md, ramhost-rescue(1)). The report itself is printed by rescue_print.c; this file parses the
 * options, finds the disks, prints plans, asks, and commits through recovery/backup.h. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "disks.h"
#include "fs.h"
#include "json.h"
#include "print.h"
#include "recovery/backup.h"
#include "recovery/rdisk.h"
#include "recovery/repair.h"
#include "recovery/scan.h"
#include "rescue_int.h"
#include "rescue_print.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ramhost rescue scan [DISK...] [--json] [--summary]\n"
		"       ramhost rescue plan [DISK...] [--only OP] [--json]\n"
		"       ramhost rescue verify-bank [DISK...] [--bank N] [--json]\n"
		"       ramhost rescue repair [DISK...] [--only OP] [--yes] [--dry-run] [--force]\n"
		"       ramhost rescue OP [DISK...] [--bank N] [--module NAME] [--generation N] [--partition P]\n"
		"                         [--target bios|uefi] [--yes] [--dry-run]\n"
		"       ramhost rescue undo DISK [BACKUP] [--backup-dir DIR] [--force]\n\n"
		"Finds why a host does not boot and repairs it. scan reads only (verify-bank: the banks alone, every\n"
		"module's hash); plan lists every sector and file a repair would write; repair backs all of it up\n"
		"first (`rescue undo` puts it back) and never replaces another system's boot code without --force.\n"
		"A DISK is a block device or a disk image file; without one, every disk of the machine. On a boot\n"
		"that needed no disk, the disk drivers it left out are loaded first (/run/ramhost/ondemand-modules).\n"
		"OP is one\n"
		"repair:\n"
		"  fix-pmbr fix-gpt find-partitions install-bios install-uefi boot-entries fsck rebuild-cfg\n"
		"  copy-module revert reinstall-bank restore-state grub fix-mbr (with --generic)\n\n"
		"Options:\n"
		"      --json             machine-readable output (scan, plan)\n"
		"      --summary          scan: one line per disk and its problems\n"
		"      --only OP          plan / repair: only this repair\n"
		"      --bank N           the bank (1 or 2) of rebuild-cfg, copy-module, reinstall-bank; revert: the\n"
		"                         bank to boot from now on (default: the other one)\n"
		"      --module NAME      the module of copy-module\n"
		"      --generation N     the generation of restore-state (default: the newest that verifies)\n"
		"      --partition P      fsck: esp, 1, 2 (a bank) or state (default: every one that needs it);\n"
		"                         grub: the Linux installation's partition number (default: the one found)\n"
		"      --target T         grub: bios or uefi only (default: the halves that are broken)\n"
		"  -y, --yes              write without asking (else asks on a terminal, and refuses without one)\n"
		"  -n, --dry-run          print the plan, write nothing\n"
		"  -f, --force            also replace another system's boot code; undo over later changes\n"
		"      --generic          fix-mbr: write a standard MBR boot code (required)\n"
		"      --backup-dir DIR   where backups go (default: rescue-backups/ on the disk's state partition)\n"
		"      --media DIR        the rescue media's bootbank (default: $RAMHOST_RESCUE_MEDIA)\n"
		"      --loader FILE      ramhost.efi to install (default: $RAMHOST_EFI, else the booted ISO's,\n"
		"                         else next to ramhost)\n"
		"      --efivars DIR      firmware variables (default: /sys/firmware/efi/efivars, for a block device;\n"
		"                         an image file has no firmware of its own)\n"
		"      --sector-size N    logical sector size of an image file (512 or 4096; default: detected)\n"
		"  -h, --help             this help\n\n"
		"Exit status: scan 0 no problem, 3 problems found; others 0 done, 1 failed, 2 usage.\n"
		"See ramhost-rescue(1) and docs/rescue.md.\n");
}

int cmd_rescue(int argc, char **argv)
{
	enum { O_JSON = 256, O_SUMMARY, O_ONLY, O_BANK, O_MODULE, O_GEN, O_GENERIC, O_BACKUP, O_MEDIA, O_LOADER,
	       O_EFIVARS, O_SECTOR, O_PART, O_TARGET };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },            { "summary", no_argument, NULL, O_SUMMARY },
		{ "only", required_argument, NULL, O_ONLY },      { "bank", required_argument, NULL, O_BANK },
		{ "module", required_argument, NULL, O_MODULE },  { "generation", required_argument, NULL, O_GEN },
		{ "yes", no_argument, NULL, 'y' },                { "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },              { "generic", no_argument, NULL, O_GENERIC },
		{ "backup-dir", required_argument, NULL, O_BACKUP }, { "media", required_argument, NULL, O_MEDIA },
		{ "loader", required_argument, NULL, O_LOADER },  { "efivars", required_argument, NULL, O_EFIVARS },
		{ "sector-size", required_argument, NULL, O_SECTOR }, { "help", no_argument, NULL, 'h' },
		{ "partition", required_argument, NULL, O_PART },  { "target", required_argument, NULL, O_TARGET },
		{ NULL, 0, NULL, 0 },
	};
	struct rescue_cli o;
	const char *what;
	int c;

	memset(&o, 0, sizeof(o));
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	what = argv[1];
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ynfh", opts, NULL)) != -1) {
		switch (c) {
		case O_JSON: o.json = 1; break;
		case O_SUMMARY: o.summary = 1; break;
		case O_ONLY: o.only = optarg; break;
		case O_BANK: o.bank = optarg; break;
		case O_MODULE: o.module = optarg; break;
		case O_GEN: o.generation = optarg; break;
		case O_PART: o.partition = optarg; break;
		case O_TARGET:
			if (strcmp(optarg, "bios") && strcmp(optarg, "uefi")) {
				fprintf(stderr, "ramhost rescue: --target must be bios or uefi\n");
				return 2;
			}
			o.target = optarg;
			break;
		case 'y': o.yes = 1; break;
		case 'n': o.dry_run = 1; break;
		case 'f': o.force = 1; break;
		case O_GENERIC: o.generic = 1; break;
		case O_BACKUP: o.backup_dir = optarg; break;
		case O_MEDIA: o.media = optarg; break;
		case O_LOADER: o.loader = optarg; break;
		case O_EFIVARS: o.efivars = optarg; break;
		case O_SECTOR:
			o.sector = (uint32_t)strtoul(optarg, NULL, 10);
			if (o.sector != 512 && o.sector != 4096) {
				fprintf(stderr, "ramhost rescue: --sector-size must be 512 or 4096\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "ramhost rescue: unknown or incomplete option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	o.disks = argv + optind;
	o.ndisks = argc - optind;
	return rescue_run(what, &o);
}
