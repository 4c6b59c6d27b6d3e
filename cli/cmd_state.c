/* cmd_state.c: `ramhost state save|list|show|diff|restore|boot` — the persisted state of a host (docs/state.md). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "ramdisk/usage.h"
#include "ramdisk/state/state_gen.h"
#include "ramdisk/state/state_net.h"
#include "ramdisk/state/state_store.h"
#include "ramdisk/state/state_sticky.h"
#include "json.h"
#include "print.h"

struct opts {
	const char *store, *root;
	int store_given;     /* --store given: boot looks for no partition, save skips the mount check */
	int json, dry_run, if_changed, has_gen, has_keep;
	unsigned keep, every;
	uint64_t gen;
	struct state_net net;   /* net.on: a diskless host, its store on the server (state_net.h) */
	char net_store[PATH_MAX];
};

static int run_save_cmd(const struct opts *o);
static int run_list(const struct opts *o);
static int run_show(const struct opts *o);
static int run_diff(const struct opts *o);
static int run_restore(const struct opts *o);
static int run_boot(const struct opts *o);

/* Which options a subcommand takes besides --store, --root and --help; any other is a usage error. */
enum {
	TAKES_SAVE_OPTS = 1,  /* --dry-run --if-changed --keep --every */
	TAKES_GEN = 2,        /* --generation */
	TAKES_JSON = 4,       /* --json */
	NEEDS_GEN = 8,        /* --generation is required */
};

enum { SUB_COUNT = 6 };

static const struct {
	const char *name;
	int (*run)(const struct opts *o);
	unsigned takes;
	const char *usage, *help;
} subs[SUB_COUNT] = {
	{ "save", run_save_cmd, TAKES_SAVE_OPTS | TAKES_JSON,
	  "ramhost state save [--dry-run] [--if-changed] [--keep N] [--every SECONDS] [--json] [COMMON]",
	  "Saves every sticky file under the root as a new generation in the store (temp file, fsync, rename,\n"
	  "directory fsync), then deletes generations beyond the newest N (--keep, default 3).\n"
	  "  --dry-run      list what would be saved; write nothing\n"
	  "  --if-changed   save only when the sticky set differs from the newest generation\n"
	  "  --every SECS   run forever: sleep SECS, save, repeat (for an hourly --if-changed save)\n"
	  "On a diskless host (ramhost.state.url on the kernel command line, no --store) the generation is\n"
	  "uploaded to the server (HTTP PUT with the token); only 201 Created counts as saved.\n"
	  "Prints: ramhost state: saved generation N (F files, B bytes) to PATH (or: to server HOST:PORT)\n"
	  "    or: ramhost state: nothing changed since generation N\n" },
	{ "list", run_list, TAKES_JSON,
	  "ramhost state list [--json] [COMMON]",
	  "Lists the generations in the store, oldest first, with creation time, file count, size and whether the\n"
	  "file verifies (footer, SHA-256 of the content, MANIFEST).\n" },
	{ "show", run_show, TAKES_GEN | TAKES_JSON,
	  "ramhost state show [--generation N] [--json] [COMMON]",
	  "Shows the MANIFEST of generation N (default: the newest valid one): one line per saved path with type\n"
	  "(f file, l symlink, d deleted default), mode, owner, size, mtime and path.\n" },
	{ "diff", run_diff, TAKES_GEN | TAKES_JSON,
	  "ramhost state diff [--generation N] [--json] [COMMON]",
	  "Compares the live sticky set with generation N (default: the newest valid one): lines 'A path' (new),\n"
	  "'M path' (changed content, mode, owner, mtime or xattrs) and 'D path' (gone).\n" },
	{ "restore", run_restore, TAKES_GEN | NEEDS_GEN,
	  "ramhost state restore --generation N [COMMON]",
	  "Verifies all of generation N first, then restores it over the root: files and symlinks with their mode,\n"
	  "owner, mtime and xattrs, and deletions. A damaged generation fails and changes nothing.\n" },
	{ "boot", run_boot, 0,
	  "ramhost state boot [COMMON]",
	  "What init runs before the base's init: finds the state partition (GPT name 'state' on the disk of\n"
	  "ramhost.bankuuid), mounts it (ext4) at ROOT/run/ramhost/state, restores the newest valid generation and\n"
	  "writes ROOT/run/ramhost/state.env. With --store, no partition is looked for. A diskless host\n"
	  "(ramhost.state.url) restores from ROOT/run/ramhost/state-net, where init put the server's state\n"
	  "module; DEV is then 'server HOST:PORT'. Prints one line:\n"
	  "  ramhost-state: restored generation N (F files) from DEV\n"
	  "  ramhost-state: generation N is damaged (WHY); restored generation M (F files) from DEV\n"
	  "  ramhost-state: no saved state on DEV: booting with the image defaults\n"
	  "  ramhost-state: no state partition: booting with the image defaults (state is not persistent)\n"
	  "and exits 0 in each of these cases.\n" },
};

static void usage(FILE *f)
{
	int i;

	fprintf(f, "Usage:\n");
	for (i = 0; i < SUB_COUNT; i++)
		fprintf(f, "  %s\n", subs[i].usage);
	fprintf(f, "\nCOMMON: --store DIR (default %s)  --root DIR (default /)\n"
		   "Run 'ramhost state SUBCOMMAND --help' for details. See ramhost-state(1) and docs/state.md.\n",
		STATE_STORE_DEFAULT);
}

static void sub_usage(FILE *f, int s)
{
	fprintf(f, "Usage: %s\n\n%s\nCOMMON: --store DIR (default %s)  --root DIR (default /)\n", subs[s].usage,
		subs[s].help, STATE_STORE_DEFAULT);
}

static void fail(const char *sub, const struct rh_err *err)
{
	cli_printf(stderr, "ramhost state %s: %s\n", sub, cli_err_text(err));
}

static void print_time(FILE *f, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (gmtime_r(&tt, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		fputs(buf, f);
	else
		fprintf(f, "%" PRId64, t);
}

/* ---- save ---- */

static void print_dry(const struct state_manifest *live)
{
	size_t i;

	for (i = 0; i < live->n; i++)
		cli_printf(stdout, "  %c %s\n", live->e[i].type, live->e[i].path);
}

static int run_save(const struct opts *o)
{
	struct state_save_opts so = { .root = o->root, .store = o->store, .dry_run = o->dry_run,
				      .keep = o->has_keep ? o->keep : STATE_KEEP_DEFAULT, .if_changed = o->if_changed };
	struct state_save_result r;
	struct rh_err err = { 0, "" };

	/* the default store is the state partition mounted by `state boot`; a plain directory there is RAM */
	if (!o->net.on && !o->store_given && !o->dry_run && access(o->store, F_OK) == 0 && !state_store_is_mounted(o->store)) {
		cli_printf(stderr, "ramhost state save: %s: no state partition is mounted there: state is not "
				   "persistent on this host (use --store DIR to save elsewhere)\n", o->store);
		return 1;
	}
	if ((o->net.on ? state_net_save(&so, &o->net, &r, &err) : state_save(&so, &r, &err)) < 0) {
		fail("save", &err);
		return 1;
	}
	if (r.warning[0])
		cli_printf(stderr, "ramhost state save: warning: %s\n", r.warning);
	if (o->json) {
		printf("{\"generation\":%" PRIu64 ",\"files\":%u,\"deletions\":%u,\"bytes\":%" PRIu64
		       ",\"content_bytes\":%" PRIu64 ",\"path\":",
		       r.generation, r.files, r.deletions, r.bytes, r.content_bytes);
		json_put_string(stdout, r.path);
		printf(",\"written\":%s,\"unchanged\":%s,\"dry_run\":%s,\"pruned\":%u}\n", r.written ? "true" : "false",
		       r.unchanged ? "true" : "false", o->dry_run ? "true" : "false", r.pruned);
	} else if (r.unchanged) {
		printf("ramhost state: nothing changed since generation %" PRIu64 "\n", r.generation);
	} else if (o->dry_run) {
		struct state_manifest live;

		cli_printf(stdout, "ramhost state: would save generation %" PRIu64 " (%u files, %" PRIu64
			   " bytes of content, %u deletions) to %s\n",
			   r.generation, r.files, r.content_bytes, r.deletions, r.path);
		memset(&live, 0, sizeof(live));
		if (state_collect(o->root, &live, &err) == 0)
			print_dry(&live);
		state_manifest_free(&live);
	} else {
		cli_printf(stdout, "ramhost state: saved generation %" PRIu64 " (%u files, %" PRIu64 " bytes) to %s%s\n",
			   r.generation, r.files, r.bytes, o->net.on ? "server " : "", o->net.on ? o->net.server : r.path);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- list ---- */

static int run_list(const struct opts *o)
{
	struct state_gen_info *v = NULL;
	struct rh_err err = { 0, "" };
	char path[PATH_MAX + 64];
	size_t n = 0, i;

	if (state_store_list(o->store, &v, &n, &err) < 0) {
		fail("list", &err);
		return 1;
	}
	if (o->json) {
		printf("{\"store\":");
		json_put_string(stdout, o->store);
		printf(",\"server\":");
		json_put_string(stdout, o->net.on ? o->net.url : "");
		printf(",\"generations\":[");
	} else {
		if (o->net.on)
			cli_printf(stdout, "the store is on server %s; this host has the generation it booted from or "
				   "last saved, in %s\n", o->net.server, o->store);
		if (n)
			printf("%-10s %-20s %7s %12s  %s\n", "GENERATION", "CREATED", "FILES", "SIZE", "STATUS");
		else
			cli_printf(stdout, "no generations in %s\n", o->store);
	}
	for (i = 0; i < n; i++) {
		struct rh_err gerr = { 0, "" };
		struct state_gen g;
		unsigned files = 0;
		size_t k;
		int ok;

		snprintf(path, sizeof(path), "%s/%s", o->store, v[i].name);
		ok = state_gen_load(path, v[i].gen, 0, &g, &gerr) == 0;
		if (ok)
			for (k = 0; k < g.manifest.n; k++)
				files += g.manifest.e[k].type != STATE_DELETED;
		if (o->json) {
			printf("%s{\"generation\":%" PRIu64 ",\"file\":", i ? "," : "", v[i].gen);
			json_put_string(stdout, path);
			printf(",\"size\":%" PRIu64 ",\"valid\":%s", v[i].size, ok ? "true" : "false");
			if (ok) {
				printf(",\"created\":%" PRId64 ",\"hostname\":", g.manifest.created);
				json_put_string(stdout, g.manifest.hostname);
				printf(",\"files\":%u,\"problem\":null}", files);
			} else {
				printf(",\"problem\":");
				json_put_string(stdout, gerr.msg);
				printf("}");
			}
		} else {
			printf("%-10" PRIu64 " ", v[i].gen);
			if (ok) {
				print_time(stdout, g.manifest.created);
				printf(" %7u %12" PRIu64 "  ok\n", files, v[i].size);
			} else {
				cli_printf(stdout, "%-20s %7s %12" PRIu64 "  damaged: %s\n", "-", "-", v[i].size,
					   cli_err_text(&gerr));
			}
		}
		if (ok)
			state_gen_free(&g);
	}
	if (o->json)
		printf("]}\n");
	free(v);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Loads generation o->gen (or the newest valid one) for show/diff. Returns 0, -ENOENT (none at all), <0. */
static int load_gen(const struct opts *o, struct state_gen *g, struct rh_err *err)
{
	char name[STATE_NAME_LEN], path[PATH_MAX + 64];

	if (!o->has_gen) {
		int rc = state_store_newest(o->store, 0, g, err);

		if (rc == -ENOENT && !err->rc)
			rh_errf(err, rc, "%s: no valid generation", o->store);
		return rc;
	}
	state_gen_name(o->gen, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", o->store, name);
	return state_gen_load(path, o->gen, 0, g, err);
}

/* ---- show ---- */

static int run_show(const struct opts *o)
{
	struct rh_err err = { 0, "" };
	struct state_gen g;
	char hex[SHA256_HEX_LEN + 1];
	size_t i;

	if (load_gen(o, &g, &err) < 0) {
		fail("show", &err);
		return 1;
	}
	if (o->json) {
		printf("{\"generation\":%" PRIu64 ",\"created\":%" PRId64 ",\"hostname\":", g.manifest.generation,
		       g.manifest.created);
		json_put_string(stdout, g.manifest.hostname);
		printf(",\"entries\":[");
	} else {
		printf("generation %" PRIu64 "\ncreated    ", g.manifest.generation);
		print_time(stdout, g.manifest.created);
		cli_printf(stdout, "\nhostname   %s\nentries    %zu\n", g.manifest.hostname, g.manifest.n);
	}
	for (i = 0; i < g.manifest.n; i++) {
		const struct state_entry *e = &g.manifest.e[i];

		if (o->json) {
			printf("%s{\"type\":\"%s\",\"path\":", i ? "," : "",
			       e->type == STATE_FILE ? "file" : e->type == STATE_LINK ? "symlink" : "deleted");
			json_put_string(stdout, e->path);
			if (e->type != STATE_DELETED) {
				sha256_to_hex(e->sha256, hex);
				printf(",\"mode\":\"%04o\",\"uid\":%u,\"gid\":%u,\"size\":%" PRIu64 ",\"mtime\":%" PRId64
				       ",\"mtime_ns\":%u,\"sha256\":\"%s\",\"xattrs\":%s",
				       e->mode, e->uid, e->gid, e->size, e->mtime, e->mtime_ns, hex,
				       e->has_xattrs ? "true" : "false");
			}
			printf("}");
		} else if (e->type == STATE_DELETED) {
			cli_printf(stdout, "d %-4s %11s %10s %-20s %s\n", "-", "-", "-", "-", e->path);
		} else {
			char owner[24];

			snprintf(owner, sizeof(owner), "%u:%u", e->uid, e->gid);
			printf("%c %04o %11s %10" PRIu64 " ", e->type, e->mode, owner, e->size);
			print_time(stdout, e->mtime);
			cli_printf(stdout, " %s%s\n", e->path, e->has_xattrs ? " (xattrs)" : "");
		}
	}
	if (o->json)
		printf("]}\n");
	state_gen_free(&g);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- diff ---- */

struct diff_out {
	int json, count;
};

static void diff_line(void *ctx, char op, const char *path)
{
	struct diff_out *d = ctx;

	if (d->json) {
		printf("%s{\"op\":\"%c\",\"path\":", d->count ? "," : "", op);
		json_put_string(stdout, path);
		printf("}");
	} else {
		cli_printf(stdout, "%c %s\n", op, path);
	}
	d->count++;
}

static int run_diff(const struct opts *o)
{
	struct rh_err err = { 0, "" };
	struct state_manifest live;
	struct diff_out d = { o->json, 0 };
	struct state_gen g;
	int rc, have;

	memset(&live, 0, sizeof(live));
	memset(&g, 0, sizeof(g));
	rc = load_gen(o, &g, &err);
	if (rc < 0 && (o->has_gen || rc != -ENOENT)) {
		fail("diff", &err);
		return 1;
	}
	have = rc == 0;
	rh_err_clear(&err);
	if (state_collect(o->root, &live, &err) < 0) {
		fail("diff", &err);
		state_gen_free(&g);
		return 1;
	}
	if (o->json) {
		printf("{\"generation\":");
		if (have)
			printf("%" PRIu64, g.manifest.generation);
		else
			printf("null");
		printf(",\"changes\":[");
	}
	state_diff(have ? &g.manifest : NULL, &live, diff_line, &d);
	if (o->json)
		printf("]}\n");
	state_manifest_free(&live);
	state_gen_free(&g);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- restore and boot ---- */

static int run_restore(const struct opts *o)
{
	struct rh_err err = { 0, "" };
	unsigned files = 0;

	if (state_restore(o->store, o->root, o->gen, &files, &err) < 0) {
		fail("restore", &err);
		return 1;
	}
	cli_printf(stdout, "ramhost state: restored generation %" PRIu64 " (%u files) to %s\n", o->gen, files,
		   o->root);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int run_boot(const struct opts *o)
{
	struct state_boot_result *r = calloc(1, sizeof(*r));
	struct rh_err err = { 0, "" };
	int rc = 0;

	if (!r) {
		fprintf(stderr, "ramhost state boot: out of memory\n");
		return 1;
	}
	if (state_boot(o->root, o->store_given ? o->store : NULL, r, &err) < 0) {
		fail("boot", &err);
		free(r);
		return 1;
	}
	switch (r->kind) {
	case STATE_BOOT_RESTORED:
		cli_printf(stdout, "ramhost-state: restored generation %" PRIu64 " (%u files) from %s\n",
			   r->generation, r->files, r->device);
		break;
	case STATE_BOOT_FALLBACK:
		cli_printf(stdout, "ramhost-state: generation %" PRIu64 " is damaged (%s%s); restored generation %"
			   PRIu64 " (%u files) from %s\n", r->damaged, r->why,
			   r->ndamaged > 1 ? "; older ones too" : "", r->generation, r->files, r->device);
		break;
	case STATE_BOOT_EMPTY:
		cli_printf(stdout, "ramhost-state: no saved state on %s: booting with the image defaults\n", r->device);
		break;
	case STATE_BOOT_ALL_DAMAGED:
		/* not one of the usual four: every generation failed verification */
		cli_printf(stdout, "ramhost-state: generation %" PRIu64 " is damaged (%s); no valid generation on %s: "
			   "booting with the image defaults\n", r->damaged, r->why, r->device);
		break;
	case STATE_BOOT_NO_PARTITION:
		if (r->why[0])
			cli_printf(stderr, "ramhost state boot: %s\n", r->why);
		printf("ramhost-state: no state partition: booting with the image defaults (state is not persistent)\n");
		break;
	}
	if (fflush(stdout) != 0)
		rc = 1;
	free(r);
	return rc;
}

/* ---- arguments ---- */

static int parse_num(const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*ret = v;
	return 0;
}

/* save, or with --every N: save every N seconds, forever. */
static int run_save_cmd(const struct opts *o)
{
	if (!o->every)
		return run_save(o);
	for (;;) {
		sleep(o->every);
		run_save(o);
	}
}

/* What parse_args found wrong: print the usage, or nothing more (the message is out). Both exit 2. */
enum { ARGS_OK, ARGS_USAGE, ARGS_FAILED };

/* --keep N, --generation N or --every N (a is the option, val its argument). */
static int parse_number_opt(struct opts *o, const char *a, const char *val)
{
	uint64_t v;

	if (parse_num(val, a[2] == 'g' ? STATE_GEN_MAX : 1000000, &v) < 0 || (a[2] != 'k' && !v)) {
		fprintf(stderr, "ramhost state: %s needs a number, got '%s'\n", a, val ? val : "");
		return ARGS_FAILED;
	}
	if (a[2] == 'k') {
		o->keep = (unsigned)v;
		o->has_keep = 1;
		if (!v) {
			fprintf(stderr, "ramhost state: --keep must be at least 1\n");
			return ARGS_FAILED;
		}
	} else if (a[2] == 'g') {
		o->gen = v;
		o->has_gen = 1;
	} else {
		o->every = (unsigned)v;
	}
	return ARGS_OK;
}

/* The subcommand named a into *sub. */
static int parse_sub(const char *a, int *sub)
{
	int s;

	for (s = 0; s < SUB_COUNT; s++)
		if (!strcmp(a, subs[s].name))
			*sub = s;
	if (*sub < 0) {
		fprintf(stderr, "ramhost state: unknown subcommand '%s'\n", a);
		usage(stderr);
		return ARGS_FAILED;
	}
	return ARGS_OK;
}

/* Fills o, *sub (-1 when none) and *help from the command line. */
static int parse_args(int argc, char **argv, struct opts *o, int *sub, int *help)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = 1;
		} else if (!strcmp(a, "--store") || !strcmp(a, "--root")) {
			if (!val || !val[0])
				return ARGS_USAGE;
			if (a[2] == 's') {
				o->store = val;
				o->store_given = 1;
			} else {
				o->root = val;
			}
			i++;
		} else if (!strcmp(a, "--json")) {
			o->json = 1;
		} else if (!strcmp(a, "--dry-run")) {
			o->dry_run = 1;
		} else if (!strcmp(a, "--if-changed")) {
			o->if_changed = 1;
		} else if (!strcmp(a, "--keep") || !strcmp(a, "--generation") || !strcmp(a, "--every")) {
			rc = parse_number_opt(o, a, val);
			if (rc != ARGS_OK)
				return rc;
			i++;
		} else if (a[0] != '-' && *sub < 0) {
			rc = parse_sub(a, sub);
			if (rc != ARGS_OK)
				return rc;
		} else {
			fprintf(stderr, "ramhost state: unexpected argument '%s'\n", a);
			return ARGS_USAGE;
		}
	}
	return ARGS_OK;
}

/* Whether the options given all apply to subcommand sub. */
static int opts_fit(const struct opts *o, int sub)
{
	unsigned takes = subs[sub].takes;

	if ((o->dry_run || o->if_changed || o->has_keep || o->every) && !(takes & TAKES_SAVE_OPTS))
		return 0;
	if (o->has_gen && !(takes & TAKES_GEN))
		return 0;
	if (o->json && !(takes & TAKES_JSON))
		return 0;
	return 1;
}

/* A diskless host (ramhost.state.url on the kernel command line): the default store is its net store. A malformed
 * URL or token fails a save and is ignored by the other subcommands. */
static int net_mode(struct opts *o, int sub)
{
	struct rh_err err = { 0, "" };

	if (state_net_read(&o->net, &err) < 0) {
		if (subs[sub].run != run_save_cmd)
			return 0;
		fail(subs[sub].name, &err);
		return -1;
	}
	if (o->net.on) {
		state_net_store(o->root, o->net_store, sizeof(o->net_store));
		o->store = o->net_store;
	}
	return 0;
}

int cmd_state(int argc, char **argv)
{
	struct opts o = { .store = STATE_STORE_DEFAULT, .root = "/" };
	int sub = -1, help = 0, rc;

	rc = parse_args(argc, argv, &o, &sub, &help);
	if (rc == ARGS_FAILED)
		return 2;
	if (rc == ARGS_USAGE)
		goto bad;
	if (help) {
		if (sub < 0)
			usage(stdout);
		else
			sub_usage(stdout, sub);
		return 0;
	}
	if (sub < 0)
		goto bad;
	if (!o.store_given && subs[sub].run != run_boot && net_mode(&o, sub) < 0)
		return 1;
	if (!opts_fit(&o, sub))
		goto bad_sub;
	if ((subs[sub].takes & NEEDS_GEN) && !o.has_gen) {
		fprintf(stderr, "ramhost state %s: --generation N is required\n", subs[sub].name);
		sub_usage(stderr, sub);
		return 2;
	}
	if (o.dry_run && o.every)
		goto bad_sub;
	return subs[sub].run(&o);
bad_sub:
	fprintf(stderr, "ramhost state %s: an option given does not apply to this subcommand\n", subs[sub].name);
	sub_usage(stderr, sub);
	return 2;
bad:
	usage(stderr);
	return 2;
}
