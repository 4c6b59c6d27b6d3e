/* test_pxe_config.c: pxe-server/config.c and config_settings.c, the configuration file of `ramhost pxe serve`:
 * every setting and its default, reservations, rule blocks, and every error with its FILE:LINE (a table). The
 * image directories are not read here (PXE_PARSE_NO_IO); test_pxe_resolve.c loads real ones. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxe-server/pxe_int.h"
#include "unit.h"

static struct pxe_config *parse(const char *text, struct rh_err *err)
{
	struct pxe_config *cfg = NULL;

	rh_err_clear(err);
	if (pxe_config_parse_flags("/etc/pxe.conf", text, strlen(text), PXE_PARSE_NO_IO, &cfg, err) < 0)
		return NULL;
	return cfg;
}

static void test_settings(void)
{
	static const char text[] =
		"# comment\n"
		"mode = full   # inline comment\n"
		"interface = br0\n"
		"server-ip = 10.0.0.1\n"
		"range = 10.0.0.100-10.0.0.199\n"
		"router = 10.0.0.1\n"
		"dns = 10.0.0.1 10.0.0.2\n"
		"domain = lab.example\n"
		"lease-time = 2h\n"
		"state-dir = /var/lib/rp\n"
		"http-port = 8081\n"
		"dhcp-port=1067\n"
		"tftp-port = 1069\n"
		"proxy-port = 4012\n"
		"tftp-max-blksize = 1468\n"
		"tftp-max-window = 16\n"
		"artifact-url = http://cdn.example/ramhost\n"
		"ipxe-dir = ipxe\n"
		"state-max-size = 64M\n"
		"state-keep = 5\n"
		"\n";
	struct rh_err err;
	struct pxe_config *cfg = parse(text, &err);

	CHECK(cfg != NULL);
	if (!cfg) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK(cfg->set.mode == PXE_DHCP_FULL);
	CHECK_STR(cfg->set.interface, "br0");
	CHECK(cfg->set.server_ip == 0x0a000001);
	CHECK(cfg->set.range_first == 0x0a000064 && cfg->set.range_last == 0x0a0000c7);
	CHECK(cfg->set.ndns == 2 && cfg->set.dns[1] == 0x0a000002);
	CHECK_STR(cfg->set.domain, "lab.example");
	CHECK(cfg->set.lease_seconds == 7200);
	CHECK_STR(cfg->set.lease_file, "/var/lib/rp/leases");
	CHECK(cfg->set.http_port == 8081 && cfg->set.dhcp_port == 1067 && cfg->set.tftp_port == 1069);
	CHECK(cfg->set.proxy_port == 4012 && cfg->set.tftp_max_blksize == 1468 && cfg->set.tftp_max_window == 16);
	CHECK_STR(cfg->set.artifact_url, "http://cdn.example/ramhost/");
	CHECK_STR(cfg->set.ipxe_dir, "/etc/ipxe");
	CHECK(cfg->set.state_max_bytes == 64u << 20 && cfg->set.state_keep == 5);
	CHECK(cfg->nrules == 0 && cfg->nimages == 0);
	pxe_config_free(cfg);
}

static void test_defaults(void)
{
	struct rh_err err;
	struct pxe_config *cfg = parse("mode = proxy\n", &err);

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	CHECK(cfg->set.mode == PXE_DHCP_PROXY);
	CHECK(cfg->set.lease_seconds == 3600 && cfg->set.dhcp_port == 67 && cfg->set.proxy_port == 4011);
	CHECK(cfg->set.tftp_port == 69 && cfg->set.http_port == 8080 && cfg->set.tftp_max_window == 64);
	CHECK(cfg->set.state_keep == 3 && cfg->set.state_max_bytes == 256u << 20);
	CHECK_STR(cfg->set.state_dir, "/var/lib/ramhost-pxe");
	CHECK_STR(cfg->set.ipxe_dir, "/usr/lib/ipxe");
	pxe_config_free(cfg);
}

static void test_rules_and_reservations(void)
{
	static const char text[] =
		"mode = off\n"
		"reserve 52:54:00:00:00:01 10.0.0.50 hostname=node1 tags=gpu,rack1\n"
		"reserve 52-54-00-00-00-02 10.0.0.51\n"
		"image demo /srv/demo\n"
		"image other rel/dir\n"
		"rule web\n"
		"    match mac 52:54:00:12:*\n"
		"\tmatch arch efi-x64 bios\n"
		"    match subnet 10.0.0.0/24\n"
		"    image demo\n"
		"    kernelopt console=ttyS0 quiet\n"
		"    hostname web-{mac}\n"
		"    state none\n"
		"    loader ipxe.efi\n"
		"rule rest\n"
		"    image other\n";
	struct rh_err err;
	struct pxe_config *cfg = parse(text, &err);
	const struct pxe_matcher *m;

	CHECK(cfg != NULL);
	if (!cfg) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK(cfg->set.nreservations == 2);
	CHECK_STR(cfg->set.reservations[0].hostname, "node1");
	CHECK_STR(cfg->set.reservations[0].tags, "gpu,rack1");
	CHECK(cfg->set.reservations[1].mac[5] == 2 && cfg->set.reservations[1].ip == 0x0a000033);
	CHECK(cfg->nimages == 2);
	CHECK_STR(cfg->images[1].dir, "/etc/rel/dir");
	CHECK(cfg->nrules == 2);
	CHECK_STR(cfg->rules[0].name, "web");
	CHECK(cfg->rules[0].line == 6 && cfg->rules[0].nmatchers == 3);
	CHECK(cfg->rules[0].image == &cfg->images[0] && cfg->rules[1].image == &cfg->images[1]);
	CHECK_STR(cfg->rules[0].kernelopt, "console=ttyS0 quiet");
	CHECK_STR(cfg->rules[0].hostname, "web-{mac}");
	CHECK(cfg->rules[0].state == PXE_STATE_NONE && cfg->rules[0].loader == PXE_LOADER_IPXE_EFI);
	CHECK(cfg->rules[1].state == PXE_STATE_KEEP && cfg->rules[1].loader == PXE_LOADER_DEFAULT);
	m = cfg->rules[0].matchers;
	CHECK(m[0].field == PXE_M_MAC && m[0].nvals == 1 && m[0].vals[0].mac_len == 4);
	CHECK(m[1].field == PXE_M_ARCH && m[1].nvals == 2 && m[1].vals[0].arch == -2 && m[1].vals[1].arch == 0);
	CHECK(m[2].field == PXE_M_SUBNET && m[2].vals[0].net == 0x0a000000 && m[2].vals[0].mask == 0xffffff00);
	CHECK(cfg->rule_index != NULL);
	pxe_config_free(cfg);
}

static void test_errors_table(void)
{
	static const struct {
		const char *text;
		const char *msg;   /* expected substring of the error, with the line */
	} t[] = {
		{ "colour = blue\n", "pxe.conf:1: unknown setting 'colour'" },
		{ "mode = off\nmode = sideways\n", ":2: mode 'sideways': want full, proxy or off" },
		{ "mode = full\n", ":1: mode full needs a range" },
		{ "mode = off\nrange = 10.0.0.9-10.0.0.1\n", ":2: range '10.0.0.9-10.0.0.1'" },
		{ "mode = off\nrange = 10.0.0.9\n", ":2: range '10.0.0.9': want FIRST-LAST" },
		{ "mode = off\nrouter = 10.0.0.300\n", ":2: router: '10.0.0.300' is not an IPv4 address" },
		{ "mode = off\nhttp-port = 0\n", ":2: http-port '0': want a number from 1 to 65535" },
		{ "mode = off\nhttp-port = 70000\n", ":2: http-port '70000'" },
		{ "mode = off\nhttp-port = 80x\n", ":2: http-port '80x'" },
		{ "mode = off\ntftp-max-window = 65\n", ":2: tftp-max-window '65'" },
		{ "mode = off\nlease-time = 1y\n", ":2: lease-time '1y': want a time" },
		{ "mode = off\nlease-time = 10\n", ":2: lease-time '10'" },
		{ "mode = off\nstate-max-size = lots\n", ":2: state-max-size 'lots'" },
		{ "mode = off\nstate-keep = 0\n", ":2: state-keep '0'" },
		{ "mode = off\ndns = 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5\n", ":2: dns: at most 4 servers" },
		{ "mode = off\nartifact-url = ftp://x/\n", ":2: artifact-url 'ftp://x/'" },
		{ "mode = off\ninterface =\n", ":2: interface needs a value" },
		{ "mode = off\ntls-cert = /a\n", "tls-cert and tls-key go together" },
		{ "mode = off\nreserve 52:54:00:00:00:01\n", ":2: reserve needs a MAC and an address" },
		{ "mode = off\nreserve 52:54:00:00:00 10.0.0.1\n", ":2: reserve: '52:54:00:00:00' is not a MAC" },
		{ "mode = off\nreserve 52:54:00:00:00:01 10.0.0\n", ":2: reserve: '10.0.0' is not an IPv4" },
		{ "mode = off\nreserve 52:54:00:00:00:01 10.0.0.1 hostname=-bad\n", ":2: reserve: hostname '-bad'" },
		{ "mode = off\nreserve 52:54:00:00:00:01 10.0.0.1 tags=a;b\n", ":2: reserve: tags 'a;b'" },
		{ "mode = off\nreserve 52:54:00:00:00:01 10.0.0.1 color=red\n", ":2: reserve: unknown option" },
		{ "mode = off\nreserve 52:54:00:00:00:01 10.0.0.1\nreserve 52-54-00-00-00-01 10.0.0.2\n",
		  ":3: reserve: this MAC is reserved already on line 2" },
		{ "mode = off\nreserve 52:54:00:00:00:01 10.0.0.1\nreserve 52:54:00:00:00:02 10.0.0.1\n",
		  ":3: reserve: this address is reserved already on line 2" },
		{ "mode = off\nimage demo\n", ":2: want: image NAME DIR" },
		{ "mode = off\nimage de/mo /x\n", ":2: image name 'de/mo'" },
		{ "mode = off\nimage a /x\nimage a /y\n", ":3: image a is defined twice" },
		{ "mode = off\nrule\n", ":2: want: rule NAME" },
		{ "mode = off\nimage a /x\nrule r\n    image a\nrule r\n    image a\n",
		  ":5: rule r is defined twice (first on line 3)" },
		{ "mode = off\nrule r\n    match mac 52:54:00:*\n", ":2: rule r has no image line" },
		{ "mode = off\nimage a /x\nrule r\n    image b\n", ":4: image 'b' is not defined above" },
		{ "mode = off\n    image a\n", ":2: indented line outside a rule" },
		{ "mode = off\nimage a /x\nrule r\n    image a\n    image a\n", ":5: rule r: image given twice" },
		{ "mode = off\nimage a /x\nrule r\n    colour red\n", ":4: rule r: unknown line 'colour'" },
		{ "mode = off\nimage a /x\nrule r\n    match colour red\n", ":4: unknown match field 'colour'" },
		{ "mode = off\nimage a /x\nrule r\n    match mac\n", ":4: match mac needs at least one value" },
		{ "mode = off\nimage a /x\nrule r\n    match mac 52:54:0:*\n", ":4: match mac: bad value '52:54:0:*'" },
		{ "mode = off\nimage a /x\nrule r\n    match mac zz:*\n", ":4: match mac: bad value 'zz:*'" },
		{ "mode = off\nimage a /x\nrule r\n    match arch pdp11\n", ":4: match arch: bad value 'pdp11'" },
		{ "mode = off\nimage a /x\nrule r\n    match arch 70000\n", ":4: match arch: bad value '70000'" },
		{ "mode = off\nimage a /x\nrule r\n    match subnet 10.0.0.0/33\n", ":4: match subnet: bad value" },
		{ "mode = off\nimage a /x\nrule r\n    match subnet 10.0.0.0\n", ":4: match subnet: bad value" },
		{ "mode = off\nimage a /x\nrule r\n    match option82 abc\n", ":4: match option82: bad value" },
		{ "mode = off\nimage a /x\nrule r\n    match option82 zz\n", ":4: match option82: bad value" },
		{ "mode = off\nimage a /x\nrule r\n    image a\n    state maybe\n", ":5: state 'maybe'" },
		{ "mode = off\nimage a /x\nrule r\n    image a\n    loader grub\n", ":5: loader 'grub'" },
		{ "mode = off\nimage a /x\nrule r\n    image a\n    kernelopt a=${x}\n", ":5: kernelopt has a '$'" },
		{ "mode = off\nimage a /x\nrule r\n    image a\n    hostname web_{mac}\n", ":5: hostname 'web_{mac}'" },
		{ "mode = off\nimage a /x\nrule r\n    image\n", ":4: rule r: image needs a value" },
		{ "mode = off\nfrobnicate now\n", ":2: unknown line 'frobnicate'" },
		{ "mode = off\nx\0y = 1\n", ":2: NUL byte" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rh_err err;
		struct pxe_config *cfg = NULL;
		size_t len = strlen(t[i].text);
		int rc;

		if (strstr(t[i].msg, "NUL"))
			len = sizeof("mode = off\nx\0y = 1\n") - 1;
		rh_err_clear(&err);
		rc = pxe_config_parse_flags("/etc/pxe.conf", t[i].text, len, PXE_PARSE_NO_IO, &cfg, &err);
		CHECK(rc == -EINVAL);
		if (rc == 0)
			pxe_config_free(cfg);
		if (!strstr(err.msg, t[i].msg)) {
			fprintf(stderr, "  case %zu: '%s' lacks '%s'\n", i, err.msg, t[i].msg);
			unit_failed_now = 1;
		}
		CHECK(!strncmp(err.msg, "/etc/pxe.conf:", 14));
	}
}

static void test_long_line(void)
{
	size_t n = 10000;
	char *text = malloc(n + 1);
	struct rh_err err;

	memset(text, 'a', n);
	text[n] = '\0';
	CHECK(parse(text, &err) == NULL);
	CHECK(strstr(err.msg, ":1: line longer than") != NULL);
	free(text);
}

int main(void)
{
	RUN(test_settings);
	RUN(test_defaults);
	RUN(test_rules_and_reservations);
	RUN(test_errors_table);
	RUN(test_long_line);
	UNIT_EXIT();
}
