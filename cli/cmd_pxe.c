/* cmd_pxe.c: `ramhost pxe serve|match|status` — network boot for diskless fleets (docs/pxe.md, ramhost-pxe(1)). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bootcfg.h"
#include "commands.h"
#include "json.h"
#include "mac.h"
#include "print.h"
#include "pxe-server/config.h"
#include "pxe-server/pxe_int.h"
#include "pxe-server/serve.h"
#include "pxe-server/status.h"

static const char usage_serve[] =
	"Usage: ramhost pxe serve CONFIG\n"
	"       ramhost pxe serve --interface IF --image DIR [--range FIRST-LAST | --proxy] [--http-port N]\n"
	"                         [--state-dir DIR]\n\n"
	"Serves DHCP (full or proxy), TFTP and HTTP for network boot until SIGTERM or SIGINT; SIGHUP reloads\n"
	"CONFIG (a bad file keeps the old rules and says why). Without CONFIG, the quick start serves the image in\n"
	"DIR to every host that asks. One log line per host per step on stderr.\n";
static const char usage_match[] =
	"Usage: ramhost pxe match CONFIG --mac MAC [--uuid U] [--serial S] [--asset A] [--manufacturer M]\n"
	"                         [--product P] [--arch ARCH] [--ip IP] [--json]\n\n"
	"The dry run of the rules: which rule a host with these facts gets and why, its image, host name, kernel\n"
	"options and loader. ARCH: bios, efi-ia32, efi-x64, efi-arm32, efi-arm64, efi-http or a number.\n"
	"Exit status: 0 a rule matches, 1 none does (or CONFIG is bad), 2 usage.\n";
static const char usage_status[] =
	"Usage: ramhost pxe status [--state-dir DIR] [--json]\n\n"
	"Lists the hosts a running server has seen, with their last step and its age (STATE_DIR/status;\n"
	"default /var/lib/ramhost-pxe).\n";

static void usage(FILE *f)
{
	fprintf(f, "%s\n%s\n%s\nSee ramhost-pxe(1) and docs/pxe.md.\n", usage_serve, usage_match, usage_status);
}

/* The value of option argv[*i] (moved past), or NULL after a usage message. */
static const char *value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "ramhost pxe: %s needs a value\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static int parse_ip(const char *s, uint32_t *ret)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret = ntohl(a.s_addr);
	return 0;
}

/* ---- serve ---- */

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	cli_printf(stderr, "%s\n", line);
}

static int parse_range(const char *s, struct pxe_quick *q)
{
	char a[32];
	const char *dash = strchr(s, '-');

	if (!dash || (size_t)(dash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (parse_ip(a, &q->range_first) < 0 || parse_ip(dash + 1, &q->range_last) < 0 ||
	    q->range_first > q->range_last)
		return -EINVAL;
	return 0;
}

static int serve_opt(int argc, char **argv, int *i, struct pxe_serve_opts *o)
{
	const char *a = argv[*i], *v;
	char *end;

	unsigned long port;

	if (!strcmp(a, "--proxy")) {
		o->quick.proxy = 1;
		return 0;
	}
	v = value(argc, argv, i);
	if (!v)
		return -EINVAL;
	if (!strcmp(a, "--interface")) {
		o->quick.interface = v;
	} else if (!strcmp(a, "--image")) {
		o->quick.image_dir = v;
	} else if (!strcmp(a, "--state-dir")) {
		o->quick.state_dir = v;
	} else if (!strcmp(a, "--range")) {
		if (parse_range(v, &o->quick) < 0)
			goto bad;
	} else if (!strcmp(a, "--http-port")) {
		port = strtoul(v, &end, 10);
		if (*end || port < 1 || port > 65535)
			goto bad;
		o->quick.http_port = (unsigned)port;
	} else {
		cli_printf(stderr, "ramhost pxe serve: unknown option '%s'\n", a);
		return -EINVAL;
	}
	return 0;
bad:
	cli_printf(stderr, "ramhost pxe serve: bad value '%s' for %s\n", v, a);
	return -EINVAL;
}

static int run_serve(int argc, char **argv)
{
	struct pxe_serve_opts o;
	struct rh_err err = { 0, "" };
	int i;

	memset(&o, 0, sizeof(o));
	o.log = log_line;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_serve, stdout);
			return 0;
		}
		if (argv[i][0] != '-' && !o.config_path) {
			o.config_path = argv[i];
			continue;
		}
		if (argv[i][0] != '-') {
			cli_printf(stderr, "ramhost pxe serve: unexpected '%s'\n", argv[i]);
			fputs(usage_serve, stderr);
			return 2;
		}
		if (serve_opt(argc, argv, &i, &o) < 0) {
			fputs(usage_serve, stderr);
			return 2;
		}
	}
	if (!o.config_path == !o.quick.image_dir || (o.quick.proxy && o.quick.range_first) ||
	    (o.quick.image_dir && !o.quick.interface)) {
		fputs(usage_serve, stderr);
		return 2;
	}
	if (pxe_serve(&o, &err) < 0)
		return cli_fail("pxe serve", &err);
	return 0;
}

/* ---- match ---- */

struct match_opts {
	const char *config;
	struct pxe_facts f;
	int json;
};

static int fact_opt(const char *a, const char *v, struct pxe_facts *f)
{
	static const struct { const char *opt; size_t off; } text[] = {
		{ "--uuid", offsetof(struct pxe_facts, uuid) }, { "--serial", offsetof(struct pxe_facts, serial) },
		{ "--asset", offsetof(struct pxe_facts, asset) },
		{ "--manufacturer", offsetof(struct pxe_facts, manufacturer) },
		{ "--product", offsetof(struct pxe_facts, product) },
	};
	size_t i;

	if (!strcmp(a, "--mac")) {
		f->has_mac = 1;
		return mac_parse(v, f->mac);
	}
	if (!strcmp(a, "--ip"))
		return parse_ip(v, &f->ip);
	if (!strcmp(a, "--arch")) {
		f->arch = pxe_arch_parse(v);
		if (f->arch == -2)
			f->arch = 7;
		if (f->arch == -3)
			f->arch = 16;
		return f->arch < 0 ? -EINVAL : 0;
	}
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (!strcmp(a, text[i].opt)) {
			if (strlen(v) >= (i ? PXE_FACT_MAX : sizeof(f->uuid)))
				return -EINVAL;
			strcpy((char *)f + text[i].off, v);
			return 0;
		}
	return -ENOENT;
}

static int match_args(int argc, char **argv, struct match_opts *o)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *v;

		if (!strcmp(argv[i], "--json")) {
			o->json = 1;
			continue;
		}
		if (argv[i][0] != '-' && !o->config) {
			o->config = argv[i];
			continue;
		}
		if (argv[i][0] != '-' || !(v = value(argc, argv, &i)))
			return -EINVAL;
		rc = fact_opt(argv[i - 1], v, &o->f);
		if (rc < 0) {
			cli_printf(stderr, "ramhost pxe match: %s '%s'\n", rc == -ENOENT ? "unknown option" :
				   "bad value", rc == -ENOENT ? argv[i - 1] : v);
			return -EINVAL;
		}
	}
	return o->config && o->f.has_mac ? 0 : -EINVAL;
}

static const char *loader_text(const struct pxe_choice *c, int arch)
{
	if (arch <= 0 || arch == 20)
		return "BIOS: undionly.kpxe (an iPXE ROM goes straight to the script), then the iPXE script";
	if (c->loader == PXE_LOADER_IPXE_EFI)
		return "UEFI: ipxe.efi, then the iPXE script";
	return "UEFI: img/IMAGE/ramhost.efi in network mode (boot.cfg over TFTP or HTTP)";
}

/* The kernel options the host would get (pxe_kernelopt: the server's own rule), with the server's address when
 * the configuration names it and the state token shown as TOKEN (a new one is made for every boot). */
static void match_kernelopt(const struct pxe_config *cfg, const struct pxe_facts *f, const struct pxe_choice *c,
			    char *out, size_t cap)
{
	struct bootcfg *b = malloc(sizeof(*b));
	char base[128] = "http://SERVER:PORT/", mac[MAC_TEXT];

	out[0] = '\0';
	if (cfg->set.server_ip)
		pxe_base_url(NULL, cfg, base, sizeof(base));
	mac_format(f->mac, '-', mac);
	if (b && bootcfg_parse(c->image->bootcfg_text, c->image->bootcfg_len, b, NULL) == 0)
		pxe_kernelopt(c, b->kernelopt, base, mac, "TOKEN", out, cap, NULL);
	free(b);
}

static void match_json(const struct pxe_choice *c, const char *kopt, const char *loader)
{
	printf("{\"matched\":%s,\"rule\":", c->rule ? "true" : "false");
	if (c->rule)
		json_put_string(stdout, c->rule_name);
	else
		printf("null");
	printf(",\"why\":");
	json_put_string(stdout, c->why);
	if (c->rule) {
		printf(",\"image\":");
		json_put_string(stdout, c->image_name);
		printf(",\"image_dir\":");
		json_put_string(stdout, c->image->dir);
		printf(",\"hostname\":");
		json_put_string(stdout, c->hostname);
		printf(",\"kernelopt\":");
		json_put_string(stdout, kopt);
		printf(",\"loader\":");
		json_put_string(stdout, loader);
		printf(",\"state\":\"%s\"", c->state == PXE_STATE_KEEP ? "keep" : "none");
	}
	printf("}\n");
}

static int run_match(int argc, char **argv)
{
	struct match_opts o;
	struct rh_err err = { 0, "" };
	struct pxe_config *cfg = NULL;
	struct pxe_choice c;
	char kopt[2048] = "";
	const char *loader = "";

	memset(&o, 0, sizeof(o));
	o.f.arch = -1;
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_match, stdout);
		return 0;
	}
	if (match_args(argc, argv, &o) < 0) {
		fputs(usage_match, stderr);
		return 2;
	}
	if (pxe_config_load(o.config, &cfg, &err) < 0)
		return cli_fail("pxe match", &err);
	if (cfg->warnings[0])
		cli_print_lines(stderr, "ramhost pxe match: warning: ", cfg->warnings);
	pxe_choose(cfg, &o.f, &c);
	if (c.rule) {
		match_kernelopt(cfg, &o.f, &c, kopt, sizeof(kopt));
		loader = loader_text(&c, o.f.arch);
	}
	if (o.json) {
		match_json(&c, kopt, loader);
	} else if (c.rule) {
		cli_printf(stdout, "rule:      %s\nwhy:       %s\nimage:     %s (%s)\nhostname:  %s\n", c.rule_name,
			   c.why, c.image_name, c.image->dir, c.hostname[0] ? c.hostname : "(none)");
		cli_printf(stdout, "kernelopt: %s\nloader:    %s\nstate:     %s\n", kopt, loader,
			   c.state == PXE_STATE_KEEP ? "keep" : "none");
	} else {
		cli_printf(stdout, "%s: the host gets the \"no rule matches\" script\n", c.why);
	}
	pxe_config_free(cfg);
	if (fflush(stdout) != 0)
		return 1;
	return c.rule ? 0 : 1;
}

/* ---- status ---- */

/* "42s", "5m", "3h", "2d": how long ago a host's last step was. */
static void age_text(int64_t secs, char *out, size_t cap)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(out, cap, "%llds", (long long)secs);
	else if (secs < 7200)
		snprintf(out, cap, "%lldm", (long long)(secs / 60));
	else if (secs < 172800)
		snprintf(out, cap, "%lldh", (long long)(secs / 3600));
	else
		snprintf(out, cap, "%lldd", (long long)(secs / 86400));
}

static int run_status(int argc, char **argv)
{
	const char *dir = "/var/lib/ramhost-pxe";
	struct pxe_host_status *h = NULL;
	struct rh_err err = { 0, "" };
	char path[PATH_MAX];
	size_t n = 0, i;
	int json = 0, k;
	time_t now = time(NULL);

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
			fputs(usage_status, stdout);
			return 0;
		}
		if (!strcmp(argv[k], "--json")) {
			json = 1;
		} else if (!strcmp(argv[k], "--state-dir") && k + 1 < argc) {
			dir = argv[++k];
		} else {
			fputs(usage_status, stderr);
			return 2;
		}
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/status", dir) >= sizeof(path))
		return cli_printf(stderr, "ramhost pxe status: %s: path too long\n", dir), 1;
	if (pxe_status_read(path, &h, &n, &err) < 0) {
		if (err.rc == -ENOENT)
			rh_err_append(&err, -ENOENT, "no server has run with state directory %s (--state-dir)", dir);
		return cli_fail("pxe status", &err);
	}
	if (json)
		printf("[");
	else if (n)
		printf("%-17s %-15s %-11s %8s  %s\n", "MAC", "IP", "STEP", "AGE", "DETAIL");
	else
		cli_printf(stdout, "no hosts seen yet (%s)\n", path);
	for (i = 0; i < n; i++) {
		if (json) {
			printf("%s{\"mac\":", i ? "," : "");
			json_put_string(stdout, h[i].mac);
			printf(",\"ip\":");
			json_put_string(stdout, h[i].ip);
			printf(",\"step\":");
			json_put_string(stdout, h[i].step);
			printf(",\"when\":%" PRId64 ",\"detail\":", h[i].when);
			json_put_string(stdout, h[i].detail);
			printf("}");
		} else {
			char age[32];

			age_text(now - h[i].when, age, sizeof(age));
			cli_printf(stdout, "%-17s %-15s %-11s %8s  %s\n", h[i].mac, h[i].ip[0] ? h[i].ip : "-",
				   h[i].step, age, h[i].detail);
		}
	}
	if (json)
		printf("]\n");
	free(h);
	return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_pxe(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} subs[] = { { "serve", run_serve }, { "match", run_match }, { "status", run_status } };
	const char *sub = argc >= 2 ? argv[1] : "";
	size_t i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(sub, subs[i].name))
			return subs[i].run(argc - 1, argv + 1);
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return 0;
	}
	if (sub[0])
		cli_printf(stderr, "ramhost pxe: unknown subcommand '%s'\n", sub);
	usage(stderr);
	return 2;
}
