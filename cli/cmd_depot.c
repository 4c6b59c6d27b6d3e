/* cmd_depot.c: `ramhost depot create|ls`, the front end of depot.h. Prints; depot.c does not. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vib/depot.h"
#include "sha256.h"
#include "json.h"
#include "print.h"

#define MAX_TRUST 16

static void usage(FILE *f)
{
	fprintf(f, "Usage: ramhost depot create DIR [--trust-dir D]... [--json] [--quiet]\n"
		   "       ramhost depot ls URL|DIR [--json]\n\n"
		   "A depot is a directory of .vib files (any layout) and image profiles (DIR/profiles/NAME.profile)\n"
		   "with a static index, DIR/index.xml, that any HTTP server can serve (see ramhost-depot(1),\n"
		   "docs/depot.md).\n\n"
		   "  create DIR        check every DIR/**/*.vib (payload hashes; with --trust-dir also the signature,\n"
		   "                    and the level recorded is the proven one) and write DIR/index.xml atomically\n"
		   "  ls URL|DIR        list the VIBs and image profiles of a depot (http://, https://, file:// or a\n"
		   "                    directory)\n\n"
		   "  -t, --trust-dir D  a trust store (certified/ accepted/ partner/ subdirs of CA *.pem); repeatable\n"
		   "  -j, --json         machine-readable output on stdout\n"
		   "  -q, --quiet        no progress lines on stderr\n"
		   "  -h, --help         this help\n\n"
		   "Environment (every HTTP download): RAMHOST_FETCH_TIMEOUT (seconds for the whole transfer, default\n"
		   "3600), RAMHOST_FETCH_MIN_RATE (bytes/s, default 1024) over RAMHOST_FETCH_RATE_WINDOW (seconds,\n"
		   "default 30), RAMHOST_VIB_MAX_SIZE (largest VIB from a depot, default 4G); 0 turns the first two off.\n");
}

static void progress(void *ctx, const char *msg)
{
	(void)ctx;
	cli_printf(stderr, "ramhost depot: %s\n", msg);
}

static void rels_json(FILE *f, const char *key, const struct vib_rel *r, size_t n)
{
	size_t i;

	fprintf(f, ", \"%s\": [", key);
	for (i = 0; i < n; i++) {
		char buf[VIB_NAME_MAX + VIB_VERSION_MAX + 8];
		if (r[i].op == VIB_OP_ANY)
			snprintf(buf, sizeof(buf), "%s", r[i].name);
		else
			snprintf(buf, sizeof(buf), "%s %s %s", r[i].name, vib_op_str(r[i].op), r[i].version);
		fprintf(f, "%s", i ? ", " : "");
		json_put_string(f, buf);
	}
	fprintf(f, "]");
}

static void print_json(const struct depot *d)
{
	size_t i, j;

	printf("{\"depot\": ");
	json_put_string(stdout, d->base);
	printf(", \"vibs\": [");
	for (i = 0; i < d->nvibs; i++) {
		const struct depot_vib *v = &d->vibs[i];
		char hex[SHA256_HEX_LEN + 1];
		uint64_t psize = 0;

		for (j = 0; j < v->desc.npayloads; j++)
			psize += v->desc.payloads[j].size;
		sha256_to_hex(v->sha256, hex);
		printf("%s\n  {\"name\": ", i ? "," : "");
		json_put_string(stdout, v->desc.name);
		printf(", \"version\": ");
		json_put_string(stdout, v->desc.version);
		printf(", \"vendor\": ");
		json_put_string(stdout, v->desc.vendor);
		printf(", \"level\": \"%s\", \"verified\": %s, \"path\": ", vib_level_str(v->level),
		       v->verified ? "true" : "false");
		json_put_string(stdout, v->path);
		printf(", \"size\": %llu, \"sha256\": \"%s\", \"payload_size\": %llu", (unsigned long long)v->size,
		       hex, (unsigned long long)psize);
		rels_json(stdout, "depends", v->desc.depends, v->desc.ndepends);
		rels_json(stdout, "conflicts", v->desc.conflicts, v->desc.nconflicts);
		rels_json(stdout, "replaces", v->desc.replaces, v->desc.nreplaces);
		rels_json(stdout, "provides", v->desc.provides, v->desc.nprovides);
		printf("}");
	}
	printf("],\n \"profiles\": [");
	for (i = 0; i < d->nprofiles; i++) {
		const struct depot_profile *p = &d->profiles[i];
		printf("%s\n  {\"name\": ", i ? "," : "");
		json_put_string(stdout, p->name);
		printf(", \"acceptance\": \"%s\", \"description\": ", vib_level_str(p->acceptance));
		json_put_string(stdout, p->description);
		printf(", \"vibs\": [");
		for (j = 0; j < p->nvibs; j++) {
			char buf[VIB_NAME_MAX + VIB_VERSION_MAX + 8];
			const struct vib_req *r = &p->vibs[j];
			snprintf(buf, sizeof(buf), "%s%s%s", r->name, r->op ? vib_op_str(r->op) : "", r->version);
			printf("%s", j ? ", " : "");
			json_put_string(stdout, buf);
		}
		printf("]}");
	}
	printf("]}\n");
}

static void print_text(const struct depot *d)
{
	size_t i, j;

	printf("%-24s %-20s %-10s %10s  %s\n", "NAME", "VERSION", "LEVEL", "SIZE", "PATH");
	for (i = 0; i < d->nvibs; i++) {
		const struct depot_vib *v = &d->vibs[i];
		cli_printf(stdout, "%-24s %-20s %-10s %10llu  %s\n", v->desc.name, v->desc.version,
			   vib_level_str(v->level), (unsigned long long)v->size, v->path);
	}
	for (i = 0; i < d->nprofiles; i++) {
		const struct depot_profile *p = &d->profiles[i];
		cli_printf(stdout, "profile %s (acceptance %s):", p->name, vib_level_str(p->acceptance));
		for (j = 0; j < p->nvibs; j++)
			cli_printf(stdout, " %s%s%s", p->vibs[j].name, p->vibs[j].op ? vib_op_str(p->vibs[j].op) : "",
				   p->vibs[j].version);
		cli_printf(stdout, "%s%s\n", p->description[0] ? " - " : "", p->description);
	}
	printf("%zu VIBs, %zu image profiles\n", d->nvibs, d->nprofiles);
}

/* `depot create DIR`: writes DIR/index.xml, then shows the depot. */
static int depot_create_cmd(const char *dir, const char *const *trust, int json, int quiet)
{
	struct depot_create_opts co = { 0 };
	struct rh_err err = { 0 };
	struct depot d;

	co.trust_dirs = trust[0] ? trust : NULL;
	if (!quiet)
		co.progress = progress;
	if (depot_create(dir, &co, &d, &err) < 0) {
		return cli_fail("depot create", &err);
	}
	if (json)
		print_json(&d);
	else if (!quiet)
		cli_printf(stderr, "ramhost depot: %s/%s written: %zu VIBs, %zu image profiles\n", dir, DEPOT_INDEX,
			   d.nvibs, d.nprofiles);
	depot_free(&d);
	return 0;
}

/* `depot ls URL|DIR`: the depot's index, as text or JSON. */
static int depot_ls_cmd(const char *where, int json)
{
	struct rh_err err = { 0 };
	struct depot d;

	if (depot_load(where, &d, &err) < 0) {
		return cli_fail("depot ls", &err);
	}
	if (json)
		print_json(&d);
	else
		print_text(&d);
	depot_free(&d);
	return 0;
}

/* The subcommand in argv[1]: -1 to go on, else the exit code (help, unknown). */
static int depot_sub(int argc, char **argv)
{
	const char *sub;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return 0;
	}
	if (strcmp(sub, "create") && strcmp(sub, "ls")) {
		fprintf(stderr, "ramhost depot: unknown command '%s'\n", sub);
		usage(stderr);
		return 2;
	}
	return -1;
}

int cmd_depot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust-dir", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },           { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *trust[MAX_TRUST + 1] = { NULL };
	const char *sub;
	int c, json = 0, quiet = 0, ntrust = 0, rc = depot_sub(argc, argv);

	if (rc >= 0)
		return rc;
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:jqh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (strcmp(sub, "create") || ntrust == MAX_TRUST)
				goto bad;
			trust[ntrust++] = optarg;
			break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			goto bad;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "ramhost depot %s: expected one %s\n", sub, strcmp(sub, "ls") ? "DIR" : "URL or DIR");
		usage(stderr);
		return 2;
	}
	if (!strcmp(sub, "create"))
		return depot_create_cmd(argv[optind], trust, json, quiet);
	return depot_ls_cmd(argv[optind], json);
bad:
	fprintf(stderr, "ramhost depot %s: unknown or incomplete option '%s'\n", sub, argv[optind - 1]);
	usage(stderr);
	return 2;
}
