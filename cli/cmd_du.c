/* cmd_du.c: `ramhost du PATH [--json] [-h] [-x]` — space and inodes used under a path, like `du -s -B1`. */
#include <errno.h>
#include <fts.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "print.h"
#include "ramdisk/usage.h"
#include "json.h"

/* The (dev, ino) pairs of multiply linked files already counted: open addressing, grown at half full. */
struct inoset {
	struct { dev_t dev; ino_t ino; int used; } *slot;
	size_t cap, n;
};

/* Adds (dev, ino); returns 1 when new, 0 when already there, -ENOMEM. */
static int inoset_add(struct inoset *s, dev_t dev, ino_t ino)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct inoset big = { NULL, s->cap ? s->cap * 2 : 1024, 0 };

		big.slot = calloc(big.cap, sizeof(*big.slot));
		if (!big.slot)
			return -ENOMEM;
		for (i = 0; i < s->cap; i++)
			if (s->slot[i].used)
				inoset_add(&big, s->slot[i].dev, s->slot[i].ino);
		free(s->slot);
		*s = big;
	}
	i = (size_t)((ino * 0x9E3779B97F4A7C15ull) ^ dev) & (s->cap - 1);
	while (s->slot[i].used) {
		if (s->slot[i].dev == dev && s->slot[i].ino == ino)
			return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i].used = 1;
	s->slot[i].dev = dev;
	s->slot[i].ino = ino;
	s->n++;
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: ramhost du [--json] [-h] [-x] PATH\n\n"
		   "Sums the space (st_blocks * 512) and the inodes used under PATH, counting hard-linked files once.\n"
		   "  --json  print {\"path\":..., \"bytes\":N, \"inodes\":N, \"errors\":N}\n"
		   "  -h      human-readable sizes (K, M, G: powers of 1024)\n"
		   "  -x      stay on PATH's file system\n");
}

struct du_totals {
	uint64_t bytes, inodes;
	int errors;
};

/* Sums the tree fts walks into t, counting a hard-linked file once (seen); unreadable entries are reported
 * and counted as errors. Returns -ENOMEM (reported) or 0. */
static int du_walk(FTS *fts, const char *path, struct inoset *seen, struct du_totals *t)
{
	FTSENT *e;

	while ((e = fts_read(fts))) {
		switch (e->fts_info) {
		case FTS_DP:
			continue; /* counted on the way down */
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			cli_printf(stderr, "ramhost du: %s: %s\n", e->fts_path, strerror(e->fts_errno));
			t->errors++;
			if (e->fts_info != FTS_DNR)
				continue;
			break;
		default:
			break;
		}
		if (!e->fts_statp || e->fts_info == FTS_NS)
			continue;
		if (e->fts_statp->st_nlink > 1 && !S_ISDIR(e->fts_statp->st_mode)) {
			int added = inoset_add(seen, e->fts_statp->st_dev, e->fts_statp->st_ino);
			if (added < 0) {
				fprintf(stderr, "ramhost du: out of memory\n");
				return -ENOMEM;
			}
			if (!added)
				continue;
		}
		t->bytes += (uint64_t)e->fts_statp->st_blocks * 512;
		t->inodes++;
	}
	if (errno) {
		cli_printf(stderr, "ramhost du: %s: %s\n", path, strerror(errno));
		t->errors++;
	}
	return 0;
}

static void du_print(const char *path, const struct du_totals *t, int json, int human)
{
	char size[32];

	if (json) {
		printf("{\"path\":");
		json_put_string(stdout, path);
		printf(",\"bytes\":%" PRIu64 ",\"inodes\":%" PRIu64 ",\"errors\":%d}\n", t->bytes, t->inodes,
		       t->errors);
	} else {
		usage_format_size(t->bytes, human, size, sizeof(size));
		cli_printf(stdout, "%s\t%" PRIu64 "\t%s\n", size, t->inodes, path);
	}
}

int cmd_du(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'H' },
		{ "one-file-system", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, human = 0, xdev = 0, c, rc;
	struct du_totals t = { 0, 0, 0 };
	struct inoset seen = { NULL, 0, 0 };
	char *paths[2] = { NULL, NULL };
	struct stat st;
	FTS *fts;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hx", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': human = 1; break;
		case 'x': xdev = 1; break;
		case 'H': usage(stdout); return 0;
		default:
			fprintf(stderr, "ramhost du: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	paths[0] = argv[optind];
	/* a PATH that cannot be looked at is an error, not a total of 0 */
	if (lstat(paths[0], &st) < 0) {
		cli_printf(stderr, "ramhost du: %s: %s\n", paths[0], strerror(errno));
		return 1;
	}
	fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | (xdev ? FTS_XDEV : 0), NULL);
	if (!fts) {
		cli_printf(stderr, "ramhost du: %s: %s\n", paths[0], strerror(errno));
		return 1;
	}
	rc = 1;
	if (du_walk(fts, paths[0], &seen, &t) == 0) {
		du_print(paths[0], &t, json, human);
		rc = t.errors ? 1 : 0;
	}
	fts_close(fts);
	free(seen.slot);
	return rc;
}
