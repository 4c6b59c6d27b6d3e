/* cmd_tardisk.c: `ramhost tardisk create|ls|cat|verify`, the front end of tardisk.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "tardisk/tardisk.h"
#include "json.h"
#include "outpath.h"
#include "print.h"
#include "size.h"

static const char usage_text[] =
	"Usage: ramhost tardisk create SRC -o OUT [--force] [--mtime N] [--max-size SIZE] [--quiet]\n"
	"       ramhost tardisk ls IMG [-l] [--json]\n"
	"       ramhost tardisk cat IMG PATH\n"
	"       ramhost tardisk verify IMG [--sha256 HEX] [--json]\n"
	"\n"
	"A tardisk is a zstd-compressed squashfs image. create builds one from a directory or a tar / tar.gz /\n"
	"tar.zst / tar.xz / cpio archive, or from a container image, oci:PATH[:TAG] (an OCI layout directory, an\n"
	"OCI archive or a docker save archive: every blob checked against its digest, the layers applied with\n"
	"their whiteouts) (deterministic: same input and SOURCE_DATE_EPOCH or --mtime give the same\n"
	"bytes; hostile entries are refused). ls, cat and verify read an image, or the cpio-wrapped module of a\n"
	"bootbank (NAME.tdk), without mounting it. create refuses an existing OUT unless --force, and never\n"
	"writes over SRC itself. See ramhost-tardisk(1).\n"
	"\n"
	"  --max-size SIZE  refuse a source whose files add up to more than SIZE (bytes, or K/M/G/T;\n"
	"                   sparse files count at full size); default 16G\n";

static int usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "ramhost tardisk: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage_text);
	return 2;
}

static int fail(const struct rh_err *err)
{
	return cli_fail("tardisk", err);
}

static void progress(void *ctx, uint64_t entries, uint64_t bytes)
{
	(void)ctx;
	fprintf(stderr, "\rtardisk: %llu entries, %.1f MiB", (unsigned long long)entries,
		(double)bytes / (1024.0 * 1024.0));
}

/* A phase line of create; it ends the progress line of the phase before, if any. */
static void phase(void *ctx, const char *line)
{
	static int first = 1;

	(void)ctx;
	fprintf(stderr, "%stardisk: %s\n", first ? "" : "\n", line);
	first = 0;
}

static int do_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "mtime", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' }, { "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { "max-size", required_argument, NULL, 'S' }, { 0, 0, 0, 0 } };
	struct tardisk_create_opts o = { .mtime = -1 };
	struct rh_err err = { 0 };
	int c, quiet = 0, force = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "o:m:qfh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 'f': force = 1; break;
		case 'm':
			errno = 0;
			o.mtime = strtoll(optarg, &end, 10);
			if (errno || *end || !*optarg || o.mtime < 0)
				return usage_err("--mtime '%s': not a number of seconds", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'S':
			if (size_parse(optarg, &o.max_size) < 0 || !o.max_size)
				return usage_err("--max-size '%s': not a size (bytes, or with K, M, G or T)", optarg);
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_err("%s", "bad option");
		}
	}
	if (optind + 1 < argc)
		return usage_err("unexpected argument '%s'", argv[optind + 1]);
	if (optind + 1 != argc || !o.out)
		return usage_err("%s", "create needs SRC and -o OUT");
	o.src = argv[optind];
	if (outpath_check(o.out, force, &o.src, 1, &err))
		return fail(&err);
	o.progress = !quiet && isatty(2);
	o.progress_cb = progress;
	o.phase_cb = phase;
	if (tardisk_create(&o, &err)) {
		if (o.progress)
			fputc('\n', stderr);
		return fail(&err);
	}
	if (o.progress)
		fputc('\n', stderr);
	return 0;
}

struct ls_ctx {
	int longfmt, json, first;
};

static void mode_string(uint32_t m, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p'
	       : S_ISSOCK(m) ? 's' : '-';
	for (i = 0; i < 9; i++)
		out[i + 1] = (m & (0400u >> i)) ? rwx[i] : '-';
	if (m & 04000)
		out[3] = (m & 0100) ? 's' : 'S';
	if (m & 02000)
		out[6] = (m & 0010) ? 's' : 'S';
	if (m & 01000)
		out[9] = (m & 0001) ? 't' : 'T';
	out[10] = '\0';
}

static const char *type_word(uint32_t m)
{
	return S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" : S_ISCHR(m) ? "chardev" : S_ISBLK(m) ? "blockdev"
	       : S_ISFIFO(m) ? "fifo" : S_ISSOCK(m) ? "socket" : "file";
}

static int ls_cb(void *ctx, const struct tardisk_entry *e)
{
	struct ls_ctx *l = ctx;
	char mode[11], when[32], size[48];
	time_t t = e->mtime;
	struct tm tm;
	size_t i;

	if (l->json) {
		printf("%s\n  {\"path\": ", l->first ? "" : ",");
		l->first = 0;
		json_write_string(stdout, e->path, strlen(e->path), 1);
		printf(", \"type\": \"%s\", \"mode\": \"%04o\", \"uid\": %u, \"gid\": %u, \"size\": %llu, "
		       "\"mtime\": %u, \"inode\": %u, \"nlink\": %u", type_word(e->mode), e->mode & 07777, e->uid,
		       e->gid, (unsigned long long)e->size, e->mtime, e->inode, e->nlink);
		if (e->link_target) {
			printf(", \"target\": ");
			json_write_string(stdout, e->link_target, strlen(e->link_target), 1);
		}
		if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
			printf(", \"rdev\": [%u, %u]", e->rdev_major, e->rdev_minor);
		if (e->n_xattrs) {
			printf(", \"xattrs\": {");
			for (i = 0; i < e->n_xattrs; i++) {
				printf("%s", i ? ", " : "");
				json_write_string(stdout, e->xattrs[i].key, strlen(e->xattrs[i].key), 1);
				printf(": ");
				json_write_string(stdout, (const char *)e->xattrs[i].value, e->xattrs[i].value_len, 1);
			}
			printf("}");
		}
		printf("}");
		return 0;
	}
	if (!l->longfmt) {
		cli_printf(stdout, "%s\n", e->path);
		return 0;
	}
	mode_string(e->mode, mode);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
		snprintf(size, sizeof(size), "%u,%u", e->rdev_major, e->rdev_minor);
	else
		snprintf(size, sizeof(size), "%llu", (unsigned long long)e->size);
	cli_printf(stdout, "%s %u/%u %10s %s %s%s%s\n", mode, e->uid, e->gid, size, when, e->path,
		   e->link_target ? " -> " : "", e->link_target ? e->link_target : "");
	return 0;
}

static int do_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "long", no_argument, NULL, 'l' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
	struct ls_ctx l = { .first = 1 };
	struct rh_err err = { 0 };
	struct tardisk *td = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "ljh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': l.longfmt = 1; break;
		case 'j': l.json = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_err("%s", "bad option");
		}
	}
	if (optind + 1 < argc)
		return usage_err("unexpected argument '%s'", argv[optind + 1]);
	if (optind + 1 != argc)
		return usage_err("%s", "ls needs IMG");
	if (tardisk_open(argv[optind], &td, &err))
		return fail(&err);
	if (l.json)
		printf("{\"image\": "), json_write_string(stdout, argv[optind], strlen(argv[optind]), 1), printf(", \"entries\": [");
	rc = tardisk_walk(td, ls_cb, &l, &err);
	if (l.json)
		printf("\n]}\n");
	fflush(stdout);
	tardisk_close(td);
	return rc ? fail(&err) : 0;
}

static int do_cat(int argc, char **argv)
{
	struct rh_err err = { 0 };
	struct tardisk *td = NULL;
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc > 3)
		return usage_err("unexpected argument '%s'", argv[3]);
	if (argc != 3)
		return usage_err("%s", "cat needs IMG and PATH");
	if (tardisk_open(argv[1], &td, &err))
		return fail(&err);
	rc = tardisk_cat(td, argv[2], 1, &err);
	tardisk_close(td);
	return rc ? fail(&err) : 0;
}

static int do_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sha256", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
	struct tardisk_verify_report r;
	const struct tardisk_info *info;
	uint8_t want[SHA256_DIGEST_LEN];
	char hex[SHA256_HEX_LEN + 1];
	const char *expect = NULL;
	struct rh_err err = { 0 };
	struct tardisk *td = NULL;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's': expect = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_err("%s", "bad option");
		}
	}
	if (optind + 1 < argc)
		return usage_err("unexpected argument '%s'", argv[optind + 1]);
	if (optind + 1 != argc)
		return usage_err("%s", "verify needs IMG");
	if (expect && sha256_from_hex(expect, strlen(expect), want))
		return usage_err("--sha256 '%s': not 64 hex digits", expect);
	if (tardisk_open(argv[optind], &td, &err))
		return fail(&err);
	rc = tardisk_verify(td, &r, &err);
	info = tardisk_info(td);
	if (!rc) {
		sha256_to_hex(r.sha256, hex);
		if (expect && memcmp(want, r.sha256, sizeof(want)))
			rc = rh_errf(&err, -EBADMSG, "%s: SHA-256 mismatch: expected %s, got %s", argv[optind],
				     expect, hex);
	}
	if (!rc && json) {
		printf("{\"image\": ");
		json_write_string(stdout, argv[optind], strlen(argv[optind]), 1);
		printf(", \"ok\": true, \"sha256\": \"%s\", \"cpio_wrapped\": %s, \"image_offset\": %llu, "
		       "\"image_size\": %llu, \"compressor\": \"%s\", \"block_size\": %u, \"inodes\": %u, "
		       "\"entries\": %llu, \"files\": %llu, \"bytes\": %llu, \"dirs\": %llu, \"symlinks\": %llu, "
		       "\"devices\": %llu, \"hardlinks\": %llu}\n", hex, info->cpio_wrapped ? "true" : "false",
		       (unsigned long long)info->image_offset, (unsigned long long)info->image_size,
		       info->compressor_name, info->block_size, info->inode_count, (unsigned long long)r.entries,
		       (unsigned long long)r.files, (unsigned long long)r.bytes, (unsigned long long)r.dirs,
		       (unsigned long long)r.symlinks, (unsigned long long)r.devices,
		       (unsigned long long)r.hardlinks);
	} else if (!rc) {
		cli_printf(stdout, "%s: ok: %llu entries, %llu files, %llu bytes, %s%s, sha256 %s\n", argv[optind],
			   (unsigned long long)r.entries, (unsigned long long)r.files, (unsigned long long)r.bytes,
			   info->compressor_name, info->cpio_wrapped ? ", cpio-wrapped" : "", hex);
	}
	tardisk_close(td);
	return rc ? fail(&err) : 0;
}

int cmd_tardisk(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	optind = 1;
	if (!strcmp(argv[1], "create"))
		return do_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ls"))
		return do_ls(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cat"))
		return do_cat(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return do_verify(argc - 1, argv + 1);
	return usage_err("unknown subcommand '%s'", argv[1]);
}
