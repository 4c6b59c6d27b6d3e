/* cmd_df.c: `ramhost df [--json] [-h]` — the tardisks and ramdisks of this boot, like ESXi's vdf.
 *
 * Reads boot.env for what should exist, /proc/mounts for what is mounted, statvfs for the usage and
 * /sys/block/loopN/loop/backing_file for the loop device behind each tardisk. A ramdisk or tardisk that is not
 * mounted (or not as tmpfs / squashfs) is an error: reported, and the exit status is 1. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "commands.h"
#include "fileio.h"
#include "procmounts.h"
#include "ramdisk/usage.h"
#include "json.h"
#include "print.h"

#define FLAG_PERCENT 90

struct td_row {
	const struct tardisk_entry *t;
	uint64_t size;       /* the file's size: what it takes in RAM */
	char loop[64];       /* "/dev/loopN" or "-" */
	char error[512];
};

struct rd_row {
	const struct ramdisk_spec *r;
	uint64_t limit, used, avail, ilimit, iused;
	unsigned pct;        /* the higher of bytes and inodes, rounded up */
	const char *flag;    /* "FULL", "!" or "" */
	char error[512];
};

#define MAX_OVERLAYS 16

/* An overlay of the system view (/usr, /opt, ...): read-only by design, made of the tardisks named in layers. */
struct ov_row {
	char mountpoint[256];
	int read_only;
	char layers[512];    /* tardisk names, topmost first, ',' between */
};

/* The tardisk whose mount point the overlay layer dir lies in (init mounted it under /sysroot, which the
 * options still show), or NULL. */
static const char *layer_name(const struct bootenv *env, const char *dir, size_t len)
{
	unsigned i;

	for (i = 0; i < env->ntardisks; i++) {
		const char *mp = env->tardisks[i].mountpoint;
		size_t ml = strlen(mp);
		const char *hit;

		for (hit = memmem(dir, len, mp, ml); hit; hit = memmem(hit + 1, len - (size_t)(hit + 1 - dir), mp, ml))
			if ((size_t)(hit - dir) + ml == len || hit[ml] == '/')
				return env->tardisks[i].name;
	}
	return NULL;
}

/* The overlay mounts whose lower layers are this boot's tardisks: the read-only parts of the view. */
static unsigned find_overlays(const struct bootenv *env, const char *mounts, size_t mlen, struct ov_row *ov)
{
	static struct procmount m;
	size_t pos = 0;
	unsigned n = 0;

	while (n < MAX_OVERLAYS && procmounts_next(mounts, mlen, &pos, &m)) {
		const char *lower = strstr(m.options, "lowerdir="), *p, *end;
		size_t used = 0;

		if (strcmp(m.fstype, "overlay") || !lower || strlen(m.mountpoint) >= sizeof(ov[n].mountpoint))
			continue;
		memset(&ov[n], 0, sizeof(ov[n]));
		p = lower + strlen("lowerdir=");
		end = p + strcspn(p, ",");
		while (p < end) {
			const char *q = memchr(p, ':', (size_t)(end - p)), *name;
			size_t l = q ? (size_t)(q - p) : (size_t)(end - p);
			name = layer_name(env, p, l);
			if (name && used + strlen(name) + 2 < sizeof(ov[n].layers))
				used += (size_t)snprintf(ov[n].layers + used, sizeof(ov[n].layers) - used, "%s%s",
							 used ? "," : "", name);
			p += l + (q ? 1 : 0);
		}
		if (!used)
			continue; /* not one of ours */
		strcpy(ov[n].mountpoint, m.mountpoint);
		ov[n].read_only = !strcmp(m.options, "ro") || !strncmp(m.options, "ro,", 3);
		n++;
	}
	return n;
}

/* The loop device whose backing file is file, from sysblock/loopN/loop/backing_file; "-" when none. */
static void find_loop(const char *sysblock, const char *file, char *out, size_t cap)
{
	DIR *d = opendir(sysblock);
	struct dirent *de;
	char path[600], *buf = NULL;
	size_t len;

	snprintf(out, cap, "-");
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "loop", 4) || strlen(de->d_name) > 32)
			continue;
		snprintf(path, sizeof(path), "%.500s/%.32s/loop/backing_file", sysblock, de->d_name);
		if (rh_read_file(path, SYSROOT_MAX_FILE, &buf, &len, NULL) < 0)
			continue;
		while (len && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (!strcmp(buf, file)) {
			snprintf(out, cap, "/dev/%.32s", de->d_name);
			free(buf);
			break;
		}
		free(buf);
		buf = NULL;
	}
	closedir(d);
}

static void fill_tardisk(struct td_row *row, const char *mounts, size_t mlen, const char *sysblock)
{
	char fstype[64];
	struct stat st;

	row->size = row->t->size;
	if (stat(row->t->file, &st) < 0)
		snprintf(row->error, sizeof(row->error), "tardisk %s: %s: %s", row->t->name, row->t->file,
			 strerror(errno));
	else
		row->size = (uint64_t)st.st_size;
	find_loop(sysblock, row->t->file, row->loop, sizeof(row->loop));
	if (row->error[0])
		return;
	if (!procmounts_find(mounts, mlen, row->t->mountpoint, fstype, sizeof(fstype)))
		snprintf(row->error, sizeof(row->error), "tardisk %s: %s is not mounted", row->t->name,
			 row->t->mountpoint);
	else if (strcmp(fstype, "squashfs"))
		snprintf(row->error, sizeof(row->error), "tardisk %s: %s is %s, not squashfs", row->t->name,
			 row->t->mountpoint, fstype);
}

static unsigned pct_up(uint64_t part, uint64_t whole)
{
	if (!whole)
		return 0;
	return (unsigned)((part * 100 + whole - 1) / whole);
}

static void fill_ramdisk(struct rd_row *row, const char *mounts, size_t mlen)
{
	char fstype[64];
	struct statvfs sv;
	unsigned ipct;

	row->flag = "";
	if (!procmounts_find(mounts, mlen, row->r->mountpoint, fstype, sizeof(fstype))) {
		snprintf(row->error, sizeof(row->error), "ramdisk %s: %s is not mounted", row->r->name,
			 row->r->mountpoint);
		return;
	}
	if (strcmp(fstype, "tmpfs")) {
		snprintf(row->error, sizeof(row->error), "ramdisk %s: %s is %s, not tmpfs", row->r->name,
			 row->r->mountpoint, fstype);
		return;
	}
	if (statvfs(row->r->mountpoint, &sv) < 0) {
		snprintf(row->error, sizeof(row->error), "ramdisk %s: statvfs %s: %s", row->r->name,
			 row->r->mountpoint, strerror(errno));
		return;
	}
	row->limit = (uint64_t)sv.f_blocks * sv.f_frsize;
	row->used = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	row->avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	row->ilimit = sv.f_files;
	row->iused = sv.f_files - sv.f_ffree;
	row->pct = pct_up(row->used, row->limit);
	ipct = pct_up(row->iused, row->ilimit);
	if (ipct > row->pct)
		row->pct = ipct;
	if ((row->limit && row->avail == 0) || (row->ilimit && sv.f_ffree == 0))
		row->flag = "FULL";
	else if (row->pct >= FLAG_PERCENT)
		row->flag = "!";
}

static void print_json(const struct td_row *td, unsigned ntd, const struct rd_row *rd, unsigned nrd,
		       const struct ov_row *ov, unsigned nov)
{
	unsigned i;

	printf("{\"tardisks\":[");
	for (i = 0; i < ntd; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_put_string(stdout, td[i].t->name);
		printf(",\"file\":");
		json_put_string(stdout, td[i].t->file);
		printf(",\"size\":%" PRIu64 ",\"mountpoint\":", td[i].size);
		json_put_string(stdout, td[i].t->mountpoint);
		printf(",\"loop\":");
		if (strcmp(td[i].loop, "-"))
			json_put_string(stdout, td[i].loop);
		else
			printf("null");
		printf(",\"error\":");
		if (td[i].error[0])
			json_put_string(stdout, td[i].error);
		else
			printf("null");
		printf("}");
	}
	printf("],\"ramdisks\":[");
	for (i = 0; i < nrd; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_put_string(stdout, rd[i].r->name);
		printf(",\"mountpoint\":");
		json_put_string(stdout, rd[i].r->mountpoint);
		printf(",\"configured_size\":%" PRIu64 ",\"configured_inodes\":%" PRIu64, rd[i].r->size,
		       rd[i].r->inodes);
		printf(",\"limit\":%" PRIu64 ",\"used\":%" PRIu64 ",\"free\":%" PRIu64 ",\"use_percent\":%u"
		       ",\"inodes_used\":%" PRIu64 ",\"inodes_limit\":%" PRIu64 ",\"flag\":",
		       rd[i].limit, rd[i].used, rd[i].avail, rd[i].pct, rd[i].iused, rd[i].ilimit);
		json_put_string(stdout, rd[i].flag);
		printf(",\"error\":");
		if (rd[i].error[0])
			json_put_string(stdout, rd[i].error);
		else
			printf("null");
		printf("}");
	}
	printf("],\"overlays\":[");
	for (i = 0; i < nov; i++) {
		char *p, layers[sizeof(ov[i].layers)];
		printf("%s{\"mountpoint\":", i ? "," : "");
		json_put_string(stdout, ov[i].mountpoint);
		printf(",\"read_only\":%s,\"layers\":[", ov[i].read_only ? "true" : "false");
		strcpy(layers, ov[i].layers);
		for (p = strtok(layers, ","); p; p = strtok(NULL, ",")) {
			if (p != layers)
				printf(",");
			json_put_string(stdout, p);
		}
		printf("]}");
	}
	printf("]}\n");
}

static void print_table(const struct td_row *td, unsigned ntd, const struct rd_row *rd, unsigned nrd,
			const struct ov_row *ov, unsigned nov, int human)
{
	char a[32], b[32], c[32];
	unsigned i;

	printf("%-12s %-28s %12s %-32s %s\n", "TARDISK", "FILE", "SIZE", "MOUNTPOINT", "LOOP");
	for (i = 0; i < ntd; i++) {
		usage_format_size(td[i].size, human, a, sizeof(a));
		cli_printf(stdout, "%-12s %-28s %12s %-32s %s%s\n", td[i].t->name, td[i].t->file, a,
			   td[i].t->mountpoint, td[i].loop, td[i].error[0] ? "  ERROR" : "");
	}
	printf("\n%-12s %-16s %12s %12s %12s %5s %9s %9s %s\n", "RAMDISK", "MOUNTPOINT", "LIMIT", "USED", "FREE",
	       "USE%", "INODES", "ILIMIT", "FLAG");
	for (i = 0; i < nrd; i++) {
		if (rd[i].error[0]) {
			cli_printf(stdout, "%-12s %-16s %12s %12s %12s %5s %9s %9s %s\n", rd[i].r->name,
				   rd[i].r->mountpoint, "-", "-", "-", "-", "-", "-", "ERROR");
			continue;
		}
		usage_format_size(rd[i].limit, human, a, sizeof(a));
		usage_format_size(rd[i].used, human, b, sizeof(b));
		usage_format_size(rd[i].avail, human, c, sizeof(c));
		cli_printf(stdout, "%-12s %-16s %12s %12s %12s %4u%% %9" PRIu64 " %9" PRIu64 " %s\n", rd[i].r->name,
			   rd[i].r->mountpoint, a, b, c, rd[i].pct, rd[i].iused, rd[i].ilimit, rd[i].flag);
	}
	if (!nov)
		return;
	/* a read-only overlay has no free space by design: its size is its tardisks' (above), not a use% */
	printf("\n%-12s %-16s %-10s %s\n", "OVERLAY", "MOUNTPOINT", "ACCESS", "LAYERS (topmost first)");
	for (i = 0; i < nov; i++)
		cli_printf(stdout, "%-12s %-16s %-10s %s\n", "overlay", ov[i].mountpoint,
			   ov[i].read_only ? "read-only" : "read-write", ov[i].layers);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: ramhost df [--json] [-h]\n\n"
		   "Shows this boot's tardisks (image file, its size in RAM, mount point, loop device) and ramdisks\n"
		   "(limit, used, free, use%%, inodes used and limit; FLAG is \"!\" at %d%% of bytes or inodes and\n"
		   "\"FULL\" when nothing is left), then the read-only overlays of the system view (/usr, ...) with\n"
		   "the tardisks they are made of: they take no space of their own and have none free, by design.\n"
		   "Sizes are bytes unless -h (K, M, G: powers of 1024).\n"
		   "  --json  {\"tardisks\":[...],\"ramdisks\":[...],\"overlays\":[...]} (sizes always in bytes)\n"
		   "Exits 1 when a ramdisk or tardisk of boot.env is not mounted as it should be.\n"
		   "Environment: RAMHOST_BOOTENV, RAMHOST_PROC_MOUNTS, RAMHOST_SYS_BLOCK override the paths.\n",
		FLAG_PERCENT);
}

int cmd_df(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bootenv env;
	static struct td_row td[RD_MAX_TARDISKS];
	static struct rd_row rd[RD_MAX_RAMDISKS];
	static struct ov_row ov[MAX_OVERLAYS];
	const char *envpath = sysroot_bootenv();
	const char *mpath = sysroot_proc_mounts();
	const char *sysblock = sysroot_sys_block();
	struct rh_err err = { 0 };
	int json = 0, human = 0, c, failed = 0;
	unsigned nov;
	char *mounts = NULL;
	size_t mlen = 0;
	unsigned i;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': human = 1; break;
		case 'H': usage(stdout); return 0;
		default:
			fprintf(stderr, "ramhost df: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (usage_bootenv_load(envpath, &env, &err) < 0 ||
	    rh_read_file(mpath, SYSROOT_MAX_FILE, &mounts, &mlen, &err) < 0) {
		cli_printf(stderr, "ramhost df: %s\n", cli_err_text(&err));
		return 1;
	}
	memset(td, 0, sizeof(td));
	memset(rd, 0, sizeof(rd));
	for (i = 0; i < env.ntardisks; i++) {
		td[i].t = &env.tardisks[i];
		fill_tardisk(&td[i], mounts, mlen, sysblock);
	}
	for (i = 0; i < env.nramdisks; i++) {
		rd[i].r = &env.ramdisks[i];
		fill_ramdisk(&rd[i], mounts, mlen);
	}
	nov = find_overlays(&env, mounts, mlen, ov);
	free(mounts);
	if (json)
		print_json(td, env.ntardisks, rd, env.nramdisks, ov, nov);
	else
		print_table(td, env.ntardisks, rd, env.nramdisks, ov, nov, human);
	fflush(stdout);
	for (i = 0; i < env.ntardisks; i++)
		if (td[i].error[0]) {
			cli_printf(stderr, "ramhost df: %s\n", td[i].error);
			failed = 1;
		}
	for (i = 0; i < env.nramdisks; i++)
		if (rd[i].error[0]) {
			cli_printf(stderr, "ramhost df: %s\n", rd[i].error);
			failed = 1;
		}
	return failed;
}
