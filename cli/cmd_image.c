/* cmd_image.c: `ramhost image build|iso|disk|pxe|check`, the front end of the image builder. Prints; the library
 * below it (profile.c, bank_build.c, iso.c) does not. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image-builder/bank_build.h"
#include "commands.h"
#include "image-builder/disk.h"
#include "image-builder/iso.h"
#include "image-builder/profile.h"
#include "image-builder/pxe_image.h"
#include "json.h"
#include "vib/version.h"
#include "print.h"

static void usage_main(FILE *f)
{
	fprintf(f, "Usage: ramhost image COMMAND [OPTIONS] PROFILE\n\n"
		   "Build bootbanks and bootable images from an image profile (see ramhost-image(1), docs/profile.md).\n\n"
		   "Commands:\n"
		   "  build PROFILE -o DIR    write the bootbank (boot.cfg, vmlinuz, init.cpio, *.tdk, bootcfg.cpio)\n"
		   "  iso PROFILE -o FILE     write a hybrid ISO that boots on BIOS and UEFI, as a CD and from USB\n"
		   "  iso --bootbank DIR -o FILE   the same from an existing bootbank\n"
		   "  disk PROFILE -o FILE    write a GPT disk image (USB stick, VM disk): ESP, two bootbanks, state\n"
		   "  pxe PROFILE -o DIR      write a network boot image directory for `ramhost pxe serve`\n"
		   "  check PROFILE           parse the profile and print what it says\n\n"
		   "Run 'ramhost image COMMAND --help' for a command's options.\n");
}

static void usage_build(FILE *f)
{
	fprintf(f, "Usage: ramhost image build PROFILE -o DIR [--force] [--quiet]\n\n"
		   "Writes the bootbank of PROFILE into DIR, atomically (DIR.tmp-XXXXXX, then rename).\n\n"
		   "  -o, --output DIR   the bootbank directory; must not exist or be empty\n"
		   "  -f, --force        replace DIR when it holds a bootbank ramhost wrote (a boot.cfg and only\n"
		   "                     the files it names), once the new bootbank is complete; any other\n"
		   "                     directory is refused\n"
		   "  -q, --quiet        no progress lines on stderr\n"
		   "  -h, --help         this help\n\n"
		   "Environment: SOURCE_DATE_EPOCH (reproducible tardisks), RAMHOST_INIT (the static init; default:\n"
		   "`init` next to the ramhost binary), RAMHOST_CACHE (Debian kernel and busybox, VIB payload modules),\n"
		   "RAMHOST_TRUST (trust stores for the VIBs, besides the profile's trust = DIR), TMPDIR.\n");
}

static void usage_iso(FILE *f)
{
	fprintf(f, "Usage: ramhost image iso PROFILE -o FILE [OPTIONS]\n"
		   "       ramhost image iso --bootbank DIR -o FILE [OPTIONS]\n\n"
		   "Writes one hybrid ISO 9660 image that boots four ways: as a CD on BIOS (ISOLINUX) and UEFI (El Torito\n"
		   "EFI entry), and written to a USB stick on BIOS (isohybrid MBR) and UEFI (ESP partition). The\n"
		   "bootbank is under /bootbank, the UEFI loader at /EFI/BOOT/BOOTX64.EFI. Needs xorriso, isolinux,\n"
		   "mtools (and sbsigntool to sign).\n\n"
		   "  -o, --output FILE      the ISO file, written atomically\n"
		   "  -b, --bootbank DIR     use this bootbank (its hashes are checked) instead of building one\n"
		   "      --efi FILE         the UEFI loader (default: $RAMHOST_EFI, else ramhost.efi next to ramhost)\n"
		   "      --sign-key KEY     Secure Boot: sign the loader and the kernel with KEY (PEM, no passphrase)\n"
		   "      --sign-cert CERT   ... and its certificate CERT (PEM); boot.cfg's kernel hash follows\n"
		   "      --answer-file F    put the answer file F (checked) on the ISO as /install/ks.cfg for the\n"
		   "                         unattended install (ramhost-install(1))\n"
		   "  -f, --force            replace an existing FILE (never an input, never a directory)\n"
		   "  -q, --quiet            no progress lines on stderr\n"
		   "  -h, --help             this help\n");
}

static void usage_disk(FILE *f)
{
	fprintf(f, "Usage: ramhost image disk PROFILE -o FILE [OPTIONS]\n"
		   "       ramhost image disk --bootbank DIR -o FILE [OPTIONS]\n\n"
		   "Writes a raw GPT disk image that boots on BIOS (gptmbr + SYSLINUX) and UEFI (ramhost.efi):\n"
		   "p1 ESP (64 MiB), p2 bootbank (bank 1, updated=2), p3 altbootbank (bank 2, updated=1), p4 state.\n"
		   "No root needed (sgdisk, mtools, syslinux on the file). Write it to a stick with dd.\n\n"
		   "  -o, --output FILE      the image file, written atomically\n"
		   "  -b, --bootbank DIR     use this bootbank (its hashes are checked) instead of building one\n"
		   "  -s, --size N           image size (e.g. 512M, 2G; whole MiB); default: banks of twice the\n"
		   "                         bootbank + 16 MiB (at least 64 MiB) and a 64 MiB state partition\n"
		   "      --single-bank      leave bank 2 empty (no boot.cfg)\n"
		   "      --efi FILE         the UEFI loader (default: $RAMHOST_EFI, else ramhost.efi next to ramhost)\n"
		   "      --sign-key KEY     Secure Boot: sign the loader and the kernel with KEY (PEM, no passphrase)\n"
		   "      --sign-cert CERT   ... and its certificate CERT (PEM)\n"
		   "  -f, --force            replace an existing FILE (never an input, never a directory)\n"
		   "  -q, --quiet            no progress lines on stderr\n"
		   "  -h, --help             this help\n\n"
		   "With SOURCE_DATE_EPOCH set the GUIDs, FAT serials and time stamps derive from it: same inputs, same\n"
		   "bytes.\n");
}

static void usage_pxe(FILE *f)
{
	fprintf(f, "Usage: ramhost image pxe PROFILE -o DIR [OPTIONS]\n\n"
		   "Writes the network boot image directory that `ramhost pxe serve` serves (its config: image NAME DIR):\n"
		   "DIR/image.conf (name=, build=, server-cert-sha256=), DIR/boot.cfg (the bootbank's, unchanged),\n"
		   "DIR/a/HEX (the kernel and every module, named by SHA-256) and DIR/ramhost.efi (the UEFI loader).\n"
		   "The bootbank is built as by `image build`; DIR appears by one rename once complete.\n\n"
		   "  -o, --output DIR           the image directory; must not exist or be empty\n"
		   "      --name NAME            image.conf's name= (default: the profile's name)\n"
		   "      --sign-cert CERT       the certificate (PEM, RSA 2048-4096) of the key `pxe serve` signs each\n"
		   "                             host's boot.cfg with (its sign-key): embedded into ramhost.efi, which\n"
		   "                             then refuses a boot.cfg not signed by that key\n"
		   "      --secure-boot-key KEY  Secure Boot: sign ramhost.efi (after the key is embedded) and the kernel\n"
		   "                             with KEY (PEM, no passphrase) ...\n"
		   "      --secure-boot-cert CERT   ... and its certificate CERT (PEM)\n"
		   "      --efi FILE             the UEFI loader (default: $RAMHOST_EFI, else ramhost.efi next to ramhost)\n"
		   "  -f, --force                replace DIR when it is an image directory ramhost wrote (image.conf,\n"
		   "                             boot.cfg, ramhost.efi, a/ and nothing else); any other is refused\n"
		   "      --json                 what was written (files, sizes, SHA-256) as JSON on stdout\n"
		   "  -q, --quiet                no progress lines on stderr\n"
		   "  -h, --help                 this help\n\n"
		   "Environment: as `ramhost image build` (SOURCE_DATE_EPOCH, RAMHOST_INIT, RAMHOST_CACHE, TMPDIR), and\n"
		   "RAMHOST_EFI.\n");
}

static void usage_check(FILE *f)
{
	fprintf(f, "Usage: ramhost image check PROFILE\n\n"
		   "Parses PROFILE and prints its settings with the defaults filled in; errors name FILE:LINE.\n");
}

static void progress(void *ctx, const char *msg)
{
	(void)ctx;
	cli_printf(stderr, "ramhost image: %s\n", msg);
}

struct args {
	const char *out, *bootbank, *profile, *efi, *sign_key, *sign_cert, *size, *answer_file;
	const char *name, *sb_key, *sb_cert; /* image pxe */
	int force, quiet, single_bank, json;
};

/* What a command accepts beyond -o/-f/-q/-h. */
enum { ALLOW_BOOTBANK = 1, ALLOW_EFI = 2, ALLOW_DISK = 4, ALLOW_ANSWER = 8, ALLOW_PXE = 16 };
enum { OPT_EFI = 256, OPT_SIGN_KEY, OPT_SIGN_CERT, OPT_SINGLE_BANK, OPT_ANSWER_FILE, OPT_SB_KEY, OPT_SB_CERT,
       OPT_NAME, OPT_JSON };

/* "ramhost image CMD: MESSAGE" and the usage on stderr; returns the exit status 2. */
static int usage_error(const char *cmd, void (*usage)(FILE *), const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int usage_error(const char *cmd, void (*usage)(FILE *), const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ramhost image %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}

/* Applies option c (value optarg) to a: 0; -1 when this command does not take it; -2 when it is unknown or its
 * value is missing. A flat switch, one case per option. */
static int take_option(int c, struct args *a, int allow)
{
	switch (c) {
	case 'o': a->out = optarg; return 0;
	case 'f': a->force = 1; return 0;
	case 'q': a->quiet = 1; return 0;
	case 'b':
		if (!(allow & ALLOW_BOOTBANK))
			return -1;
		a->bootbank = optarg;
		return 0;
	case 's':
		if (!(allow & ALLOW_DISK))
			return -1;
		a->size = optarg;
		return 0;
	case OPT_SINGLE_BANK:
		if (!(allow & ALLOW_DISK))
			return -1;
		a->single_bank = 1;
		return 0;
	case OPT_ANSWER_FILE:
		if (!(allow & ALLOW_ANSWER))
			return -1;
		a->answer_file = optarg;
		return 0;
	case OPT_EFI:
	case OPT_SIGN_KEY:
	case OPT_SIGN_CERT:
		if (!(allow & ALLOW_EFI))
			return -1;
		if (c == OPT_EFI)
			a->efi = optarg;
		else if (c == OPT_SIGN_KEY)
			a->sign_key = optarg;
		else
			a->sign_cert = optarg;
		return 0;
	}
	return -2;
}

/* The options of `image pxe` (where --sign-cert is the server's certificate, not a Secure Boot one): 0, or -2
 * when c is not one of them. */
static int take_pxe_option(int c, struct args *a)
{
	switch (c) {
	case OPT_EFI: a->efi = optarg; return 0;
	case OPT_SIGN_CERT: a->sign_cert = optarg; return 0;
	case OPT_SB_KEY: a->sb_key = optarg; return 0;
	case OPT_SB_CERT: a->sb_cert = optarg; return 0;
	case OPT_NAME: a->name = optarg; return 0;
	case OPT_JSON: a->json = 1; return 0;
	}
	return -2;
}

/* The checks after the options: one PROFILE (or --bootbank), -o, the signing pair. -1 to go on, else 2. */
static int check_args(int argc, char **argv, struct args *a, int allow, void (*usage)(FILE *))
{
	if (optind < argc)
		a->profile = argv[optind++];
	if (optind < argc)
		return usage_error(argv[0], usage, "unexpected argument '%s'", argv[optind]);
	if (!a->out)
		return usage_error(argv[0], usage, "-o is required");
	if (!(allow & ALLOW_PXE) && !a->sign_key != !a->sign_cert)
		return usage_error(argv[0], usage, "--sign-key and --sign-cert go together");
	if (!a->sb_key != !a->sb_cert)
		return usage_error(argv[0], usage, "--secure-boot-key and --secure-boot-cert go together");
	if (!a->profile == !a->bootbank)
		return usage_error(argv[0], usage, "give %s",
				   (allow & ALLOW_BOOTBANK) ? "a PROFILE or --bootbank DIR (not both)" : "a PROFILE");
	return -1;
}

/* Parses the options shared by build, iso, disk and pxe. Returns -1 to go on, else the exit status (help/usage). */
static int parse_args(int argc, char **argv, struct args *a, int allow, void (*usage)(FILE *))
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },    { "bootbank", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },           { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },            { "size", required_argument, NULL, 's' },
		{ "efi", required_argument, NULL, OPT_EFI },   { "sign-key", required_argument, NULL, OPT_SIGN_KEY },
		{ "sign-cert", required_argument, NULL, OPT_SIGN_CERT },
		{ "single-bank", no_argument, NULL, OPT_SINGLE_BANK },
		{ "answer-file", required_argument, NULL, OPT_ANSWER_FILE },
		{ "secure-boot-key", required_argument, NULL, OPT_SB_KEY },
		{ "secure-boot-cert", required_argument, NULL, OPT_SB_CERT },
		{ "name", required_argument, NULL, OPT_NAME },  { "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:b:s:fqh", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		rc = (allow & ALLOW_PXE) ? take_pxe_option(c, a) : -2;
		if (rc == -2)
			rc = take_option(c, a, allow);
		if (rc == -1)
			return usage_error(argv[0], usage, "unknown option '%s'", argv[optind - 1]);
		if (rc < 0)
			return usage_error(argv[0], usage, "unknown or incomplete option '%s'", argv[optind - 1]);
	}
	return check_args(argc, argv, a, allow, usage);
}

static int load(const char *path, struct profile **ret)
{
	struct rh_err err = { 0 };
	struct profile *p = malloc(sizeof(*p));

	if (!p) {
		fprintf(stderr, "ramhost image: out of memory\n");
		return 1;
	}
	if (profile_load(path, p, &err) < 0) {
		cli_printf(stderr, "ramhost image: %s\n", cli_err_text(&err));
		free(p);
		return 1;
	}
	*ret = p;
	return 0;
}

static int cmd_build(int argc, char **argv)
{
	struct bank_build_opts bo = { 0 };
	struct rh_err err = { 0 };
	struct profile *p = NULL;
	struct args a;
	int rc = parse_args(argc, argv, &a, 0, usage_build);

	if (rc >= 0)
		return rc;
	if (load(a.profile, &p))
		return 1;
	if (!a.quiet)
		bo.progress = progress;
	rc = bank_build(p, a.out, a.force, &bo, &err);
	free(p);
	if (rc < 0) {
		cli_printf(stderr, "ramhost image build: %s\n", cli_err_text(&err));
		return 1;
	}
	if (!a.quiet)
		cli_printf(stderr, "ramhost image: bootbank written to %s\n", a.out);
	return 0;
}

static int cmd_iso(int argc, char **argv)
{
	struct iso_opts io = { 0 };
	struct rh_err err = { 0 };
	struct profile *p = NULL;
	struct args a;
	int rc = parse_args(argc, argv, &a, ALLOW_BOOTBANK | ALLOW_EFI | ALLOW_ANSWER, usage_iso);

	if (rc >= 0)
		return rc;
	if (a.profile && load(a.profile, &p))
		return 1;
	io.force = a.force;
	io.answer_file = a.answer_file;
	io.efi.loader = a.efi;
	io.efi.sign_key = a.sign_key;
	io.efi.sign_cert = a.sign_cert;
	if (!a.quiet)
		io.bank.progress = progress;
	rc = iso_build(p, a.bootbank, a.out, &io, &err);
	free(p);
	if (rc < 0) {
		cli_printf(stderr, "ramhost image iso: %s\n", cli_err_text(&err));
		return 1;
	}
	return 0;
}

static int cmd_disk(int argc, char **argv)
{
	struct disk_opts d = { 0 };
	struct rh_err err = { 0 };
	struct profile *p = NULL;
	struct args a;
	int rc = parse_args(argc, argv, &a, ALLOW_BOOTBANK | ALLOW_EFI | ALLOW_DISK, usage_disk);

	if (rc >= 0)
		return rc;
	if (a.size && (profile_parse_size(a.size, &d.size) < 0 || d.size < DISK_MIB)) {
		fprintf(stderr, "ramhost image disk: bad --size '%s' (expected e.g. 512M, 2G)\n", a.size);
		usage_disk(stderr);
		return 2;
	}
	if (a.profile && load(a.profile, &p))
		return 1;
	d.force = a.force;
	d.single_bank = a.single_bank;
	d.efi.loader = a.efi;
	d.efi.sign_key = a.sign_key;
	d.efi.sign_cert = a.sign_cert;
	if (!a.quiet)
		d.bank.progress = progress;
	rc = disk_build(p, a.bootbank, a.out, &d, &err);
	free(p);
	if (rc < 0) {
		cli_printf(stderr, "ramhost image disk: %s\n", cli_err_text(&err));
		return 1;
	}
	return 0;
}

static void pxe_file_json(const struct pxe_image_file *f, int first)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_to_hex(f->sha256, hex);
	printf("%s\n  {\"path\": ", first ? "" : ",");
	json_put_string(stdout, f->path);
	if (f->name[0]) {
		printf(", \"name\": ");
		json_put_string(stdout, f->name);
		printf(", \"kind\": \"%s\"", f->kernel ? "kernel" : "module");
	}
	printf(", \"size\": %llu, \"sha256\": \"%s\"}", (unsigned long long)f->size, hex);
}

static void pxe_json(const char *out, const struct pxe_image_result *r)
{
	char hex[SHA256_HEX_LEN + 1];
	unsigned i;

	printf("{\"dir\": ");
	json_put_string(stdout, out);
	printf(", \"name\": ");
	json_put_string(stdout, r->name);
	printf(", \"build\": ");
	json_put_string(stdout, r->build);
	if (r->has_key) {
		sha256_to_hex(r->cert_sha256, hex);
		printf(", \"server_cert_sha256\": \"%s\", \"server_key_bits\": %u", hex, (unsigned)r->key_bits);
	} else {
		printf(", \"server_cert_sha256\": null, \"server_key_bits\": 0");
	}
	printf(", \"secure_boot\": %s,\n \"files\": [", r->secure_boot ? "true" : "false");
	for (i = 0; i < r->nfiles; i++)
		pxe_file_json(&r->files[i], i == 0);
	printf("]}\n");
}

/* Builds the image directory of a (parsed, profile p loaded) into *r: 0, or 1 with the error printed. */
static int run_pxe(const struct args *a, const struct profile *p, struct pxe_image_result *r)
{
	const struct pxe_image_opts po = {
		.name = a->name, .server_cert = a->sign_cert, .force = a->force,
		.efi = { .loader = a->efi, .sign_key = a->sb_key, .sign_cert = a->sb_cert },
		.bank = { .progress = a->quiet ? NULL : progress },
	};
	struct rh_err err = { 0 };

	if (pxe_image_build(p, a->out, &po, r, &err) < 0) {
		cli_printf(stderr, "ramhost image pxe: %s\n", cli_err_text(&err));
		return 1;
	}
	return 0;
}

static int cmd_image_pxe(int argc, char **argv)
{
	struct pxe_image_result *r = calloc(1, sizeof(*r));
	struct profile *p = NULL;
	struct args a;
	int rc = parse_args(argc, argv, &a, ALLOW_PXE, usage_pxe);

	if (rc >= 0 || !r) {
		if (rc < 0)
			fprintf(stderr, "ramhost image pxe: out of memory\n");
		free(r);
		return rc >= 0 ? rc : 1;
	}
	if (load(a.profile, &p)) {
		free(r);
		return 1;
	}
	rc = run_pxe(&a, p, r);
	free(p);
	if (!rc && a.json)
		pxe_json(a.out, r);
	else if (!rc && !a.quiet)
		cli_printf(stderr, "ramhost image: image directory written to %s\n", a.out);
	free(r);
	return rc;
}

/* network=dhcp|none|static ADDR [gateway=] [dns=] [interface=], as the profile would say it */
static void print_network(const struct profile_network *n)
{
	if (n->mode != PROFILE_NET_STATIC) {
		printf("network=%s\n", n->mode == PROFILE_NET_DHCP ? "dhcp" : "none");
		return;
	}
	printf("network=static %s", n->address);
	if (n->gateway[0])
		printf(" gateway=%s", n->gateway);
	if (n->dns[0])
		printf(" dns=%s", n->dns);
	if (n->iface[0])
		printf(" interface=%s", n->iface);
	printf("\n");
}

static int cmd_check(int argc, char **argv)
{
	struct profile *p = NULL;
	char cls[32];
	unsigned i;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage_check(stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		usage_check(stderr);
		return 2;
	}
	if (load(argv[1], &p))
		return 1;
	cli_printf(stdout, "name=%s\nversion=%s\ntitle=%s\nkernel=%s\n", p->name, p->version, p->title, p->kernel);
	if (p->kernel_modules[0])
		cli_printf(stdout, "kernel-modules=%s\n", p->kernel_modules);
	cli_printf(stdout, "kernelopt=%s\nbase=%s\ninit=%s\ntimeout=%ld\n", p->kernelopt, p->base, p->init, p->timeout);
	if (profile_base_is_oci(p))
		cli_printf(stdout, "oci-layers=%s\n", p->oci_split ? "split" : "merged");
	if (p->packages[0])
		cli_printf(stdout, "packages=%s\n", p->packages);
	for (i = 0; i < p->ntardisks; i++)
		cli_printf(stdout, "tardisk=%s %s\n", p->tardisks[i].name, p->tardisks[i].source);
	for (i = 0; i < p->nramdisks; i++)
		cli_printf(stdout, "ramdisk=%s %s %llu %llu\n", p->ramdisks[i].name, p->ramdisks[i].mountpoint,
			   (unsigned long long)p->ramdisks[i].size, (unsigned long long)p->ramdisks[i].inodes);
	for (i = 0; i < p->nkmods; i++)
		cli_printf(stdout, "kmod=%s\n", p->kmods[i]);
	cli_printf(stdout, "drivers=%s\n", profile_drivers_str(p->drivers, cls, sizeof(cls)));
	if (!strcmp(p->base, PROFILE_BASE_MINIMAL) || profile_base_gets_layer(p))
		print_network(&p->network);
	for (i = 0; i < p->ndepots; i++)
		cli_printf(stdout, "depot=%s\n", p->depots[i]);
	for (i = 0; i < p->nvibs; i++)
		cli_printf(stdout, "vib=%s\n", p->vibs[i]);
	if (p->image_profile[0])
		cli_printf(stdout, "image-profile=%s\n", p->image_profile);
	if (profile_has_vibs(p))
		cli_printf(stdout, "acceptance=%s\n",
			   p->acceptance[0] ? p->acceptance : vib_level_str(VIB_LEVEL_DEFAULT_POLICY));
	if (p->trust[0])
		cli_printf(stdout, "trust=%s\n", p->trust);
	free(p);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	if (argc < 2) {
		usage_main(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "build"))
		return cmd_build(argc - 1, argv + 1);
	if (!strcmp(argv[1], "iso"))
		return cmd_iso(argc - 1, argv + 1);
	if (!strcmp(argv[1], "disk"))
		return cmd_disk(argc - 1, argv + 1);
	if (!strcmp(argv[1], "pxe"))
		return cmd_image_pxe(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	fprintf(stderr, "ramhost image: unknown command '%s'\n", argv[1]);
	usage_main(stderr);
	return 2;
}
