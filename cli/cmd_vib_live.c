/* cmd_vib_live.c: `ramhost vib install | remove | update | list` — VIBs on the running host (cmd_vib hands these
 * four on). Parses options and prints; vib/live/live_install.c does the work. Progress lines go to stderr, the
 * result (text or one JSON object with --json) to stdout. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vib/live/live_depot.h"
#include "vib/live/live_install.h"
#include "ramdisk/usage.h"
#include "vib/sig.h"
#include "vib/vibdb.h"
#include "json.h"
#include "print.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: ramhost vib install [--dry-run] [--no-sig-check] [--reboot-required] [--json] FILE|URL\n"
		   "       ramhost vib install --depot URL|DIR [options] NAME[=VER|>=VER...]\n"
		   "       ramhost vib update --depot URL|DIR [--dry-run] [--json]\n"
		   "       ramhost vib remove [--dry-run] [--json] NAME\n"
		   "       ramhost vib list [--json]\n\n"
		   "install  checks the VIB (signature against the host's trust store, acceptance level, payload\n"
		   "         hashes, relationships with the installed VIBs), mounts each payload tardisk read-only and\n"
		   "         layers it on top of /usr, /opt, ... at once (processes that have the old view keep it),\n"
		   "         merges its /etc defaults (a file you changed is kept; the new default goes next to it as\n"
		   "         FILE.vib-new), and on a disk host adds it to the booted bootbank so that it stays after a\n"
		   "         reboot. URL: http://, https://, file://. Any failure leaves the host as it was.\n"
		   "  --dry-run          download and check, change nothing\n"
		   "  --no-sig-check     skip the signature (only on a community-level host)\n"
		   "  --reboot-required  for a VIB without live-install-allowed: stage it in the bootbank only\n"
		   "  --json             one JSON object on stdout, with the phase times in ms\n"
		   "  --depot URL|DIR    resolve NAME against the depot's index.xml and the installed VIBs, fetch\n"
		   "                     what is missing (size and SHA-256 from the index) and install it in\n"
		   "                     dependency order\n"
		   "update   installs the newest depot version of every installed VIB that has a newer one (the old\n"
		   "         version is removed first; never a downgrade)\n"
		   "remove   takes a VIB out of the running view and the bootbank (or, without live-remove-allowed,\n"
		   "         out of the bootbank only: it goes at the next reboot); refused while another installed\n"
		   "         VIB depends on it\n"
		   "list     the installed VIBs: name, version, level, vendor, summary, and a change staged for the\n"
		   "         next boot (--reboot-required install, remove without live-remove-allowed)\n\n"
		   "Environment: RAMHOST_MIN_FREE (bytes, K/M/G; default 64M) RAM that must stay free; RAMHOST_TRUST,\n"
		   "RAMHOST_ACCEPTANCE (docs/vib-signing.md); RAMHOST_VIBDB (database dir, default /run/ramhost/vibs).\n"
		   "See ramhost-vib-live(1) and docs/vib-live.md.\n");
}

static void print_result(const char *verb, const struct live_result *r, int json, int dry_run, int in_array)
{
	unsigned i;

	if (!json) {
		cli_printf(stdout, "%s %s %s (%s)%s%s\n", dry_run ? "would be" : verb, r->name, r->version,
			   vib_level_str(r->level), dry_run ? "" : r->live ? " live" : " staged for the next boot",
			   dry_run ? "" : r->bank ? ", bootbank updated" : ", until reboot (no bootbank)");
		return;
	}
	printf("{\"action\":");
	json_put_string(stdout, verb);
	printf(",\"name\":");
	json_put_string(stdout, r->name);
	printf(",\"version\":");
	json_put_string(stdout, r->version);
	printf(",\"level\":\"%s\",\"dry_run\":%s,\"live\":%s,\"bank\":%s,\"bytes\":%llu,\"etc_kept\":%u,\"payloads\":[",
	       vib_level_str(r->level), dry_run ? "true" : "false", r->live ? "true" : "false",
	       r->bank ? "true" : "false", (unsigned long long)r->bytes, r->etc_kept);
	for (i = 0; i < r->npayloads; i++) {
		printf(i ? "," : "");
		json_put_string(stdout, r->payloads[i]);
	}
	printf("],\"ms\":{\"download\":%.1f,\"verify\":%.1f,\"mount\":%.1f,\"refresh\":%.1f,\"bank\":%.1f,"
	       "\"total\":%.1f}}%s", r->ms_download, r->ms_verify, r->ms_mount, r->ms_refresh, r->ms_bank, r->ms_total,
	       in_array ? "" : "\n");
}

struct depot_print {
	int json, dry_run, n;
};

static void depot_cb(void *ctx, const char *what, const struct live_result *r)
{
	struct depot_print *p = ctx;

	if (!r) {
		if (!p->json)
			printf("nothing to do: the installed VIBs are the newest the depot has\n");
		return;
	}
	if (p->json && p->n++)
		printf(",");
	print_result(what, r, p->json, p->dry_run, 1);
}

static int list(int json)
{
	struct rh_err err = { 0 };
	struct vibdb db = { NULL, 0 };
	size_t i;
	int rc = vibdb_load(live_vibdb_dir(), &db, &err);

	if (rc < 0) {
		return cli_fail("vib list", &err);
	}
	if (json)
		printf("[");
	else if (db.n)
		printf("%-24s %-20s %-10s %-20s %s\n", "NAME", "VERSION", "LEVEL", "VENDOR", "SUMMARY");
	else
		printf("no VIBs installed\n");
	for (i = 0; i < db.n; i++) {
		const struct vib_desc *d = &db.v[i].desc;
		char pending[16] = "";

		live_pending(d->name, pending, sizeof(pending));
		if (!json) {
			cli_printf(stdout, "%-24s %-20s %-10s %-20s %s%s\n", d->name, d->version,
				   vib_level_str(db.v[i].level), d->vendor, d->summary,
				   !strcmp(pending, "install") ? " [installed at the next boot]" :
				   !strcmp(pending, "remove") ? " [removed at the next boot]" : "");
			continue;
		}
		printf("%s{\"name\":", i ? "," : "");
		json_put_string(stdout, d->name);
		printf(",\"version\":");
		json_put_string(stdout, d->version);
		printf(",\"level\":\"%s\",\"vendor\":", vib_level_str(db.v[i].level));
		json_put_string(stdout, d->vendor);
		printf(",\"summary\":");
		json_put_string(stdout, d->summary);
		printf(",\"pending\":");
		if (pending[0])
			json_put_string(stdout, pending);
		else
			printf("null");
		printf("}");
	}
	if (json)
		printf("]\n");
	vibdb_free(&db);
	return 0;
}

/* `install --depot URL NAME[=VER]` and `update --depot URL`. */
static int depot_cmd(const char *sub, const char *depot, const char *request, const struct live_opts *o, int json)
{
	struct depot_print dp = { json, o->dry_run, 0 };
	struct rh_err err = { 0 };
	int rc;

	if (json)
		printf("[");
	rc = live_depot_run(depot, request, o, depot_cb, &dp, &err);
	if (json)
		printf("]\n");
	if (rc < 0) {
		cli_printf(stderr, "ramhost vib %s: %s\n", sub, err.msg[0] ? err.msg : strerror(-rc));
		return 1;
	}
	return 0;
}

/* `install FILE|URL` and `remove NAME`. */
static int one_cmd(const char *sub, const char *arg, const struct live_opts *o, int json)
{
	struct live_result r;
	struct rh_err err = { 0 };
	int rc;

	if (!strcmp(sub, "install"))
		rc = live_install(arg, o, &r, &err);
	else
		rc = live_remove(arg, o, &r, &err);
	if (rc < 0) {
		cli_printf(stderr, "ramhost vib %s: %s\n", sub, err.msg[0] ? err.msg : strerror(-rc));
		if (json) {
			printf("{\"action\":");
			json_put_string(stdout, sub);
			printf(",\"error\":");
			json_put_string(stdout, err.msg[0] ? err.msg : strerror(-rc));
			printf("}\n");
		}
		return 1;
	}
	print_result(!strcmp(sub, "install") ? "installed" : "removed", &r, json, o->dry_run, 0);
	return 0;
}

int cmd_vib_live(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "no-sig-check", no_argument, NULL, 'S' },
		{ "reboot-required", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "depot", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct live_opts o = { 0, 0, 0, 0, stderr, NULL, 0 };
	const char *sub, *depot = NULL;
	int json = 0, c;

	if (argc > 1 && !strcmp(argv[0], "vib")) {   /* called as `vib install ...` or as `install ...` */
		argc--;
		argv++;
	}
	sub = argv[0];
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.dry_run = 1; break;
		case 'S': o.no_sig_check = 1; break;
		case 'R': o.reboot_required = 1; break;
		case 'j': json = 1; break;
		case 'd': depot = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!strcmp(sub, "list")) {
		if (optind != argc) {
			usage(stderr);
			return 2;
		}
		return list(json);
	}
	if (depot || !strcmp(sub, "update")) {
		if (!depot || (strcmp(sub, "update") && strcmp(sub, "install")) ||
		    optind + (!strcmp(sub, "install")) != argc) {
			usage(stderr);
			return 2;
		}
		return depot_cmd(sub, depot, !strcmp(sub, "install") ? argv[optind] : NULL, &o, json);
	}
	if (optind + 1 != argc || (strcmp(sub, "install") && strcmp(sub, "remove"))) {
		usage(stderr);
		return 2;
	}
	return one_cmd(sub, argv[optind], &o, json);
}
