/* cmd_vib.c: `ramhost vib create|info|verify|extract`, the front end of vibfile.h; `install remove update list`
 * are handed to cmd_vib_live() (cli/cmd_vib_live.c). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "fileio.h"
#include "sha256.h"
#include "vib/sig.h"
#include "tardisk/tardisk.h"
#include "vib/vibfile.h"
#include "fs.h"
#include "json.h"
#include "outpath.h"
#include "print.h"
#include "size.h"

static const char usage_text[] =
	"Usage: ramhost vib create --descriptor FILE --payload [NAME=]DIR|ARCHIVE|oci:IMAGE[:TAG] [--payload ...]\n"
	"                          -o OUT.vib\n"
	"                          [--sign-key KEY.pem --sign-cert CERT.pem] [--mtime N] [--max-size SIZE]\n"
	"                          [--force] [--quiet]\n"
	"       ramhost vib info FILE.vib [--json]\n"
	"       ramhost vib verify FILE.vib [--trust CA.pem] [--json]\n"
	"       ramhost vib extract FILE.vib -o DIR [--force]\n"
	"       ramhost vib install|remove|update|list ...   (see ramhost vib install --help)\n"
	"\n"
	"A VIB is an ar archive of descriptor.xml, sig.pkcs7 (a CMS signature over the descriptor; empty for\n"
	"community VIBs) and one NAME.tdk tardisk per payload. create builds each payload's tardisk from a directory\n"
	"or archive, or from a container image, oci:PATH[:TAG] (as tardisk create does; the default payload name is\n"
	"the VIB's name), fills in sizes and both SHA-256 checksums and signs. verify checks\n"
	"the signature against the host's trust store (or --trust) and every payload, and prints the proven\n"
	"acceptance level; it exits 1 naming what was wrong. create and extract refuse to replace an existing file\n"
	"unless --force, and never write over one of their inputs. --max-size caps each payload's content as in\n"
	"tardisk create (default 16G). See ramhost-vib(1) and docs/vib.md.\n";

static int usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "ramhost vib: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage_text);
	return 2;
}

static int fail(const char *what, const struct rh_err *err)
{
	cli_printf(stderr, "ramhost vib %s: %s\n", what, cli_err_text(err));
	return 1;
}

struct payload_arg {
	char name[VIB_NAME_MAX];
	const char *src;
};

/* "[NAME=]SRC": NAME when the part before '=' is a plain name (no '/'), else the VIB's name. */
static void split_payload(const char *arg, const char *vib_name, struct payload_arg *p)
{
	const char *eq = strchr(arg, '=');

	if (eq && eq > arg && (size_t)(eq - arg) < VIB_NAME_MAX && !memchr(arg, '/', (size_t)(eq - arg))) {
		memcpy(p->name, arg, (size_t)(eq - arg));
		p->name[eq - arg] = '\0';
		p->src = eq + 1;
	} else {
		snprintf(p->name, sizeof(p->name), "%s", vib_name);
		p->src = arg;
	}
}

static void progress(void *ctx, uint64_t entries, uint64_t bytes)
{
	fprintf(stderr, "\rvib: payload %s: %llu entries, %.1f MiB", (const char *)ctx, (unsigned long long)entries,
		(double)bytes / (1024.0 * 1024.0));
}

/* What `vib create` was asked for. */
struct create_args {
	const char *desc_path, *out, *key, *cert, *raw[VIB_LIST_MAX];
	size_t npay;
	long long mtime;
	uint64_t max_size;   /* 0: the tardisk default */
	int quiet, force;
};

/* The options of `vib create` into a; -1 to go on, else the exit code (usage, --help). A flat option switch. */
static int create_opts(int argc, char **argv, struct create_args *a)
{
	static const struct option opts[] = {
		{ "descriptor", required_argument, NULL, 'd' }, { "payload", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' }, { "sign-key", required_argument, NULL, 'k' },
		{ "sign-cert", required_argument, NULL, 'c' }, { "mtime", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' }, { "force", no_argument, NULL, 'f' },
		{ "max-size", required_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
	char *end;
	int c;

	a->mtime = -1;
	while ((c = getopt_long(argc, argv, "d:p:o:k:c:m:qfh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->desc_path = optarg; break;
		case 'p':
			if (a->npay == VIB_LIST_MAX)
				return usage_err("more than %s payloads", "256");
			a->raw[a->npay++] = optarg;
			break;
		case 'o': a->out = optarg; break;
		case 'k': a->key = optarg; break;
		case 'c': a->cert = optarg; break;
		case 'm':
			errno = 0;
			a->mtime = strtoll(optarg, &end, 10);
			if (errno || *end || !*optarg || a->mtime < 0)
				return usage_err("--mtime '%s': not a number of seconds", optarg);
			break;
		case 'q': a->quiet = 1; break;
		case 'f': a->force = 1; break;
		case 'S':
			if (size_parse(optarg, &a->max_size) < 0 || !a->max_size)
				return usage_err("--max-size '%s': not a size (bytes, or with K, M, G or T)", optarg);
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_err("%s", "bad option");
		}
	}
	if (optind < argc)
		return usage_err("unexpected argument '%s'", argv[optind]);
	if (!a->desc_path || !a->out)
		return usage_err("%s", "create needs --descriptor FILE and -o OUT.vib");
	if ((a->key != NULL) != (a->cert != NULL))
		return usage_err("%s", "--sign-key and --sign-cert go together");
	return -1;
}

/* The payloads of d are the --payload options (the descriptor's own <payloads>, if any, are replaced); 0, or
 * -1 after saying what was wrong. */
static int create_payload_list(const struct create_args *a, struct vib_desc *d, struct payload_arg *pay)
{
	free(d->payloads);
	d->npayloads = 0;
	d->payloads = calloc(a->npay ? a->npay : 1, sizeof(*d->payloads));
	if (!d->payloads) {
		fprintf(stderr, "ramhost vib create: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < a->npay; i++) {
		split_payload(a->raw[i], d->name, &pay[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(pay[i].name, pay[j].name)) {
				cli_printf(stderr, "ramhost vib create: payload name '%s' given twice (use NAME=DIR)\n",
					   pay[i].name);
				return -1;
			}
		if (!vib_name_valid(pay[i].name)) {
			cli_printf(stderr, "ramhost vib create: payload name '%s' is not a valid name "
				   "([A-Za-z0-9._+-])\n", pay[i].name);
			return -1;
		}
		memcpy(d->payloads[i].name, pay[i].name, sizeof(d->payloads[i].name));
		snprintf(d->payloads[i].type, sizeof(d->payloads[i].type), "tdk");
		d->npayloads++;
	}
	return 0;
}

/* Each payload's tardisk built into work/NAME.tdk (paths[i]); 0, or -1 after saying what was wrong. */
static int create_tardisks(const struct create_args *a, const struct payload_arg *pay, const char *work,
			   char **paths)
{
	struct rh_err err = { 0, "" };

	for (size_t i = 0; i < a->npay; i++) {
		struct tardisk_create_opts o = { .src = pay[i].src, .mtime = a->mtime, .max_size = a->max_size,
						 .progress = !a->quiet && isatty(2), .progress_cb = progress,
						 .progress_ctx = (void *)pay[i].name };

		if (asprintf(&paths[i], "%s/%s.tdk", work, pay[i].name) < 0) {
			paths[i] = NULL;
			fprintf(stderr, "ramhost vib create: out of memory\n");
			return -1;
		}
		o.out = paths[i];
		rh_err_clear(&err);
		if (tardisk_create(&o, &err) < 0) {
			if (o.progress)
				fputc('\n', stderr);
			cli_printf(stderr, "ramhost vib create: payload %s: %s\n", pay[i].name, cli_err_text(&err));
			return -1;
		}
		if (o.progress)
			fputc('\n', stderr);
	}
	return 0;
}

/* The output rule (outpath.h) for a->out against every input: the descriptor, the signing pair and each
 * payload's source; 0, or -1 after saying what was wrong. */
static int create_check_out(const struct create_args *a, const struct payload_arg *pay)
{
	const char *in[VIB_LIST_MAX + 3];
	struct rh_err err = { 0 };
	size_t n = 0;

	in[n++] = a->desc_path;
	in[n++] = a->key;
	in[n++] = a->cert;
	for (size_t i = 0; i < a->npay; i++)
		in[n++] = pay[i].src;
	if (outpath_check(a->out, a->force, in, n, &err) < 0) {
		fail("create", &err);
		return -1;
	}
	return 0;
}

static int do_create(int argc, char **argv)
{
	struct create_args a = { 0 };
	struct payload_arg pay[VIB_LIST_MAX];
	char *xml = NULL, *paths[VIB_LIST_MAX] = { 0 };
	char work[4096] = "";
	struct vib_desc d = { 0 };
	struct rh_err err = { 0 };
	size_t xlen;
	int rc = create_opts(argc, argv, &a);

	if (rc >= 0)
		return rc;
	rc = 1;
	if (rh_read_file(a.desc_path, VIB_DESC_MAX, &xml, &xlen, &err) < 0)
		return fail("create", &err);
	if (vib_desc_parse(xml, xlen, &d, &err) < 0) {
		rh_err_prefix(&err, err.rc, "%s", a.desc_path);
		fail("create", &err);
		goto out;
	}
	if (create_payload_list(&a, &d, pay) < 0 || create_check_out(&a, pay) < 0)
		goto out;
	if (fs_work_dir(NULL, "ramhost-vib", work, sizeof(work), &err) < 0) {
		fail("create", &err);
		goto out;
	}
	if (create_tardisks(&a, pay, work, paths) < 0)
		goto out;
	rh_err_clear(&err);
	if (vib_create(a.out, &d, (const char *const *)paths, a.key, a.cert, &err) < 0) {
		fail("create", &err);
		goto out;
	}
	if (!a.quiet) {
		uint64_t total = 0;

		for (size_t i = 0; i < d.npayloads; i++)
			total += d.payloads[i].size;
		cli_printf(stdout, "%s: %s %s, %s, %zu payload%s, %llu bytes of tardisks\n", a.out, d.name,
			   d.version, a.key ? vib_level_str(d.level) : "community (unsigned)", d.npayloads,
			   d.npayloads == 1 ? "" : "s", (unsigned long long)total);
	}
	rc = 0;
out:
	for (size_t i = 0; i < a.npay; i++) {
		if (paths[i])
			unlink(paths[i]);
		free(paths[i]);
	}
	if (work[0])
		rmdir(work);
	vib_desc_free(&d);
	free(xml);
	return rc;
}

static void print_rels(const char *what, const struct vib_rel *r, size_t n, int json)
{
	if (json) {
		printf(",\"%s\":[", what);
		for (size_t i = 0; i < n; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_put_string(stdout, r[i].name);
			printf(",\"relation\":\"%s\",\"version\":", vib_op_str(r[i].op));
			json_put_string(stdout, r[i].version);
			putchar('}');
		}
		putchar(']');
		return;
	}
	if (!n)
		return;
	printf("%-13s", what);
	for (size_t i = 0; i < n; i++) {
		cli_printf(stdout, "%s%s", i ? ", " : "", r[i].name);
		if (r[i].op != VIB_OP_ANY)
			cli_printf(stdout, " %s %s", vib_op_str(r[i].op), r[i].version);
	}
	putchar('\n');
}

static void print_info(const struct vib_file *v, int json)
{
	const struct vib_desc *d = &v->desc;
	char hex[SHA256_HEX_LEN + 1];

	if (json) {
		printf("{\"file\":");
		json_put_string(stdout, v->path);
		printf(",\"name\":");
		json_put_string(stdout, d->name);
		printf(",\"version\":");
		json_put_string(stdout, d->version);
		printf(",\"vendor\":");
		json_put_string(stdout, d->vendor);
		printf(",\"summary\":");
		json_put_string(stdout, d->summary);
		printf(",\"description\":");
		json_put_string(stdout, d->description);
		printf(",\"release_date\":");
		json_put_string(stdout, d->release_date);
		printf(",\"acceptance_level\":\"%s\",\"signed\":%s", vib_level_str(d->level),
		       v->sig_member.size ? "true" : "false");
		printf(",\"live_install_allowed\":%s,\"live_remove_allowed\":%s,\"stateless_ready\":%s",
		       d->live_install_allowed ? "true" : "false", d->live_remove_allowed ? "true" : "false",
		       d->stateless_ready ? "true" : "false");
		print_rels("depends", d->depends, d->ndepends, 1);
		print_rels("conflicts", d->conflicts, d->nconflicts, 1);
		print_rels("replaces", d->replaces, d->nreplaces, 1);
		print_rels("provides", d->provides, d->nprovides, 1);
		printf(",\"sticky_files\":[");
		for (size_t i = 0; i < d->nsticky; i++) {
			printf("%s", i ? "," : "");
			json_put_string(stdout, d->sticky[i]);
		}
		printf("],\"payloads\":[");
		for (size_t i = 0; i < d->npayloads; i++) {
			sha256_to_hex(d->payloads[i].sha256, hex);
			printf("%s{\"name\":", i ? "," : "");
			json_put_string(stdout, d->payloads[i].name);
			printf(",\"type\":\"tdk\",\"size\":%llu,\"sha256\":\"%s\"", (unsigned long long)d->payloads[i].size,
			       hex);
			sha256_to_hex(d->payloads[i].module_sha256, hex);
			printf(d->payloads[i].has_module_sha256 ? ",\"module_sha256\":\"%s\"}" : "}", hex);
		}
		printf("]}\n");
		return;
	}
	cli_printf(stdout, "%-13s%s\n%-13s%s\n%-13s%s\n", "name", d->name, "version", d->version, "vendor", d->vendor);
	if (d->summary[0])
		cli_printf(stdout, "%-13s%s\n", "summary", d->summary);
	if (d->release_date[0])
		cli_printf(stdout, "%-13s%s\n", "released", d->release_date);
	printf("%-13s%s (%s)\n", "level", vib_level_str(d->level), v->sig_member.size ? "signed" : "unsigned");
	printf("%-13slive install %s, live remove %s, stateless-ready %s\n", "flags",
	       d->live_install_allowed ? "yes" : "no", d->live_remove_allowed ? "yes" : "no",
	       d->stateless_ready ? "yes" : "no");
	print_rels("depends", d->depends, d->ndepends, 0);
	print_rels("conflicts", d->conflicts, d->nconflicts, 0);
	print_rels("replaces", d->replaces, d->nreplaces, 0);
	print_rels("provides", d->provides, d->nprovides, 0);
	for (size_t i = 0; i < d->nsticky; i++)
		cli_printf(stdout, "%-13s%s\n", "sticky", d->sticky[i]);
	for (size_t i = 0; i < d->npayloads; i++) {
		sha256_to_hex(d->payloads[i].sha256, hex);
		cli_printf(stdout, "%-13s%s.tdk %llu bytes sha256 %s\n", "payload", d->payloads[i].name,
			   (unsigned long long)d->payloads[i].size, hex);
		sha256_to_hex(d->payloads[i].module_sha256, hex);
		if (d->payloads[i].has_module_sha256)
			cli_printf(stdout, "%-13sas a boot module: sha256 %s\n", "", hex);
	}
	if (d->description && d->description[0]) {   /* free text: each of its lines indented, escaped */
		putchar('\n');
		cli_print_lines(stdout, "  ", d->description);
	}
}

/* Shared option parsing of info / verify / extract: FILE plus --json, --trust, -o, --force. */
struct read_opts {
	const char *file, *trust, *out;
	int json, force;
};

static int parse_read_opts(int argc, char **argv, const char *sub, struct read_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "trust", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' }, { "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "jt:o:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = 1; break;
		case 't': o->trust = optarg; break;
		case 'o': o->out = optarg; break;
		case 'f': o->force = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_err("%s", "bad option");
		}
	}
	if (optind + 1 != argc)
		return usage_err("%s needs one FILE.vib", sub);
	o->file = argv[optind];
	if ((o->trust && strcmp(sub, "verify")) || ((o->out || o->force) && strcmp(sub, "extract")) ||
	    (o->json && !strcmp(sub, "extract")))
		return usage_err("an option does not apply to vib %s", sub);
	if (!strcmp(sub, "extract") && !o->out)
		return usage_err("%s", "extract needs -o DIR");
	return -1;
}

static const char *errno_name(int rc)
{
	switch (-rc) {
	case ENOKEY: return "ENOKEY";
	case EBADMSG: return "EBADMSG";
	case EKEYREJECTED: return "EKEYREJECTED";
	case EKEYEXPIRED: return "EKEYEXPIRED";
	case EPROTO: return "EPROTO";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	default: return "EIO";
	}
}

static int do_info_verify(int argc, char **argv, int verify)
{
	struct read_opts o;
	struct vib_file *v = calloc(1, sizeof(*v));
	struct vib_trust trust;
	struct rh_err err = { 0 };
	enum vib_level level;
	int r = parse_read_opts(argc, argv, verify ? "verify" : "info", &o), rc = 1;

	if (r >= 0 || !v) {
		free(v);
		return r >= 0 ? r : 1;
	}
	if ((r = vib_open(o.file, v, &err)) < 0)
		goto failed;
	if (!verify) {
		print_info(v, o.json);
		rc = 0;
		goto out;
	}
	if ((r = vib_host_trust(&trust, &err)) < 0 || (r = vib_check(v, trust.dirs, o.trust, 0, &level, &err)) < 0 ||
	    (r = vib_check_plain(v, &err)) < 0)
		goto failed;
	if (o.json) {
		printf("{\"file\":");
		json_put_string(stdout, o.file);
		printf(",\"name\":");
		json_put_string(stdout, v->desc.name);
		printf(",\"version\":");
		json_put_string(stdout, v->desc.version);
		printf(",\"verified\":true,\"level\":\"%s\",\"payloads\":%zu}\n", vib_level_str(level), v->desc.npayloads);
	} else {
		cli_printf(stdout, "%s: %s %s verified: acceptance level %s, %zu payload%s intact\n", o.file,
			   v->desc.name, v->desc.version, vib_level_str(level), v->desc.npayloads,
			   v->desc.npayloads == 1 ? "" : "s");
	}
	rc = 0;
	goto out;
failed:
	if (o.json) {
		printf("{\"file\":");
		json_put_string(stdout, o.file);
		printf(",\"verified\":false,\"error\":\"%s\",\"message\":", errno_name(r));
		json_put_string(stdout, err.msg);
		printf("}\n");
	}
	fail(verify ? "verify" : "info", &err);
out:
	vib_close(v);
	free(v);
	return rc;
}

/* Writes one member to dir/name: never through a symlink, and not over an existing file unless force (O_EXCL:
 * the output rule was checked before, this guards the race). */
static int extract_one(int dirfd, const char *dir, const char *name, const void *data, uint64_t size, int force,
		       struct rh_err *err)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0644);
	int r;

	if (fd < 0)
		return rh_errf(err, -errno, "%s/%s: %s%s", dir, name, strerror(errno),
			       errno == EEXIST ? " (use --force to replace it)" : "");
	r = rh_write_all(fd, data, size);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return rh_errf(err, r, "%s/%s: write: %s", dir, name, strerror(-r));
	return 0;
}

/* Member i of v (descriptor.xml, sig.pkcs7, then NAME.tdk per payload) as its file name (cap VIB_NAME_MAX + 8)
 * and its place in the archive. */
static const struct ar_member *extract_member(const struct vib_file *v, size_t i, char *name)
{
	if (i == 0 || i == 1) {
		strcpy(name, i ? "sig.pkcs7" : "descriptor.xml");
		return i ? &v->sig_member : &v->desc_member;
	}
	vib_payload_module_name(&v->desc.payloads[i - 2], name, VIB_NAME_MAX + 8);
	return &v->payload_member[i - 2];
}

/* Every member into o->out: all checked against the output rule (outpath.h: exists without --force, the VIB
 * itself) before the first is written. */
static int extract_all(int dirfd, const struct read_opts *o, const struct vib_file *v, struct rh_err *err)
{
	char name[VIB_NAME_MAX + 8], path[4096];
	const struct ar_member *m;
	size_t i, n = v->desc.npayloads + 2;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		extract_member(v, i, name);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", o->out, name) >= sizeof(path))
			return rh_errf(err, -ENAMETOOLONG, "%s/%s: path too long", o->out, name);
		rc = outpath_check(path, o->force, &o->file, 1, err);
	}
	for (i = 0; i < n && !rc; i++) {
		m = extract_member(v, i, name);
		rc = extract_one(dirfd, o->out, name, v->map + m->offset, m->size, o->force, err);
	}
	return rc;
}

static int do_extract(int argc, char **argv)
{
	struct read_opts o;
	struct vib_file *v = calloc(1, sizeof(*v));
	struct rh_err err = { 0 };
	int r = parse_read_opts(argc, argv, "extract", &o), dirfd = -1, rc = 1;

	if (r >= 0 || !v) {
		free(v);
		return r >= 0 ? r : 1;
	}
	if (outpath_check_dir(o.out, NULL, 0, &err) < 0 || vib_open(o.file, v, &err) < 0 ||
	    rh_mkdir_p(o.out, 0755, &err) < 0)
		goto out;
	dirfd = open(o.out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rh_errf(&err, -errno, "%s: %s", o.out, strerror(errno));
		goto out;
	}
	if (extract_all(dirfd, &o, v, &err) < 0)
		goto out;
	cli_printf(stdout, "%s: extracted descriptor.xml, sig.pkcs7 and %zu payload%s into %s\n", o.file,
		   v->desc.npayloads, v->desc.npayloads == 1 ? "" : "s", o.out);
	rc = 0;
out:
	if (rc)
		fail("extract", &err);
	if (dirfd >= 0)
		close(dirfd);
	vib_close(v);
	free(v);
	return rc;
}

int cmd_vib(int argc, char **argv)
{
	const char *sub;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	sub = argv[1];
	optind = 1;
	if (!strcmp(sub, "install") || !strcmp(sub, "remove") || !strcmp(sub, "update") || !strcmp(sub, "list"))
		return cmd_vib_live(argc - 1, argv + 1);
	if (!strcmp(sub, "create"))
		return do_create(argc - 1, argv + 1);
	if (!strcmp(sub, "info"))
		return do_info_verify(argc - 1, argv + 1, 0);
	if (!strcmp(sub, "verify"))
		return do_info_verify(argc - 1, argv + 1, 1);
	if (!strcmp(sub, "extract"))
		return do_extract(argc - 1, argv + 1);
	return usage_err("unknown command '%s'", sub);
}
