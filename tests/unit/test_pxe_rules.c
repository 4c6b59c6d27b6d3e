/* test_pxe_rules.c: pxe_choose (pxe-server/rules.c): each match field, first-match order, MAC prefixes, globs,
 * tags from reservations, subnets by address and by relay, option 82 prefixes, no match, the hostname templates
 * and their checks, and that the exact-MAC index gives the answer a scan of every rule gives. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pxe-server/pxe_int.h"
#include "unit.h"

static const char rules_text[] =
	"mode = off\n"
	"reserve 52:54:00:00:00:01 10.0.0.50 hostname=node1 tags=gpu,rack1\n"
	"reserve 52:54:00:00:00:02 10.0.0.51 hostname=node2\n"
	"image a /a\n"
	"image b /b\n"
	"rule exact\n"
	"    match mac 52:54:00:00:00:09 52:54:00:00:00:0a\n"
	"    image b\n"
	"    hostname exact-{mac-}\n"
	"rule gpu\n"
	"    match tag gpu\n"
	"    image b\n"
	"rule dell\n"
	"    match manufacturer dell*\n"
	"    match product Power?dge*\n"
	"    image a\n"
	"    hostname {serial}\n"
	"rule serial\n"
	"    match serial SN-0??\n"
	"    image a\n"
	"rule uuid\n"
	"    match uuid 4c4c4544-*\n"
	"    image a\n"
	"rule asset\n"
	"    match asset RACK7-*\n"
	"    image a\n"
	"rule relay\n"
	"    match subnet 192.168.5.0/24\n"
	"    image a\n"
	"    hostname r-{ip}\n"
	"rule opt82\n"
	"    match option82 0104\n"
	"    image a\n"
	"rule arm\n"
	"    match arch efi-arm64 efi-http\n"
	"    image a\n"
	"rule web\n"
	"    match mac 52:54:00:12:*\n"
	"    match arch efi-x64 bios\n"
	"    image a\n"
	"    kernelopt quiet\n"
	"    hostname web-{mac}\n"
	"    state none\n"
	"    loader ipxe.efi\n"
	"rule num\n"
	"    match arch 42\n"
	"    image a\n"
	"    hostname {uuid}\n";

static struct pxe_config *load(const char *text)
{
	struct pxe_config *cfg = NULL;
	struct rh_err err = { 0, "" };

	if (pxe_config_parse_flags("/t/pxe.conf", text, strlen(text), PXE_PARSE_NO_IO, &cfg, &err) < 0)
		fprintf(stderr, "  %s\n", err.msg);
	return cfg;
}

static void facts(struct pxe_facts *f, const char *mac)
{
	memset(f, 0, sizeof(*f));
	f->arch = -1;
	if (mac) {
		f->has_mac = 1;
		mac_parse(mac, f->mac);
	}
}

static void test_fields(void)
{
	static const uint8_t o82[] = { 1, 4, 0, 0, 0, 7 }, o82b[] = { 1, 5 };
	struct pxe_config *cfg = load(rules_text);
	struct pxe_choice c;
	struct pxe_facts f;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	facts(&f, "52:54:00:00:00:0a");
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "exact");
	CHECK_STR(c.image_name, "b");
	CHECK_STR(c.hostname, "exact-52-54-00-00-00-0a");
	CHECK(strstr(c.why, "rule exact: mac 52:54:00:00:00:0a matched") != NULL);

	facts(&f, "52:54:00:00:00:01");
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "gpu");
	CHECK_STR(c.hostname, "node1");     /* from the reservation: the rule has no hostname */
	CHECK(strstr(c.why, "tag gpu matched") != NULL);

	facts(&f, "00:00:00:00:00:01");
	strcpy(f.manufacturer, "Dell Inc.");
	strcpy(f.product, "PowerEdge R640");
	strcpy(f.serial, "ABC123");
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "dell");
	CHECK_STR(c.hostname, "abc123");
	CHECK(strstr(c.why, "manufacturer dell* matched; product Power?dge* matched") != NULL);

	facts(&f, "00:00:00:00:00:01");
	strcpy(f.serial, "sn-012");
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "serial");
	strcpy(f.serial, "sn-0123");
	pxe_choose(cfg, &f, &c);
	CHECK(c.rule == NULL);

	facts(&f, NULL);
	strcpy(f.uuid, "4c4c4544-0042-3510-8052-b4c04f4b4e31");
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "uuid");

	facts(&f, NULL);
	strcpy(f.asset, "rack7-u12");
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "asset");

	facts(&f, "00:00:00:00:00:02");
	f.giaddr = 0xc0a80501;      /* relayed from 192.168.5.0/24, address unknown yet */
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "relay");
	CHECK_STR(c.hostname, "");   /* {ip} is unknown: no name, and why says so */
	CHECK(strstr(c.why, "hostname r-{ip} gives no name") != NULL);
	f.giaddr = 0;
	f.ip = 0xc0a80507;
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.hostname, "r-192-168-5-7");

	facts(&f, "00:00:00:00:00:03");
	f.opt82 = o82;
	f.opt82_len = sizeof(o82);
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "opt82");
	f.opt82 = o82b;
	f.opt82_len = sizeof(o82b);
	pxe_choose(cfg, &f, &c);
	CHECK(c.rule == NULL);

	facts(&f, "00:00:00:00:00:04");
	f.arch = 11;
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "arm");
	f.arch = 16;
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "arm");
	f.arch = 42;
	strcpy(f.uuid, "4C4C4544-X");
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "uuid");    /* globs are case-insensitive; uuid comes before num */
	pxe_config_free(cfg);
}

static void test_prefix_arch_state(void)
{
	struct pxe_config *cfg = load(rules_text);
	struct pxe_choice c;
	struct pxe_facts f;
	static const int arch_ok[] = { 0, 7, 9 }, arch_no[] = { 6, 10, -1 };
	size_t i;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	for (i = 0; i < 3; i++) {
		facts(&f, "52:54:00:12:34:56");
		f.arch = arch_ok[i];
		pxe_choose(cfg, &f, &c);
		CHECK_STR(c.rule_name, "web");
		CHECK_STR(c.hostname, "web-525400123456");
		CHECK_STR(c.kernelopt, "quiet");
		CHECK(c.state == PXE_STATE_NONE && c.loader == PXE_LOADER_IPXE_EFI);
		CHECK(c.image == &cfg->images[0]);
		f.arch = arch_no[i];
		pxe_choose(cfg, &f, &c);
		CHECK(c.rule == NULL);
		CHECK(strstr(c.why, "no rule matches (11 rules)") != NULL);
	}
	facts(&f, "52:54:00:13:34:56");   /* outside the prefix */
	f.arch = 7;
	pxe_choose(cfg, &f, &c);
	CHECK(c.rule == NULL);
	pxe_config_free(cfg);
}

static void test_order_and_empty(void)
{
	struct pxe_config *cfg = load("mode = off\nimage a /a\nrule all\n    image a\nrule never\n"
				      "    match mac 52:54:00:00:00:01\n    image a\n");
	struct pxe_choice c;
	struct pxe_facts f;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	facts(&f, "52:54:00:00:00:01");
	pxe_choose(cfg, &f, &c);
	CHECK_STR(c.rule_name, "all");       /* the first rule that holds wins */
	CHECK(strstr(c.why, "rule all: no match lines") != NULL);
	pxe_config_free(cfg);
	cfg = load("mode = off\n");
	pxe_choose(cfg, &f, &c);
	CHECK(c.rule == NULL && strstr(c.why, "no rule matches (0 rules)"));
	pxe_config_free(cfg);
}

static void test_hostname_checks(void)
{
	static const struct {
		const char *tpl, *serial, *want;
	} t[] = {
		{ "n-{serial}", "AB12", "n-ab12" },
		{ "n-{serial}", "A B", "" },
		{ "n-{serial}", "x_y", "" },
		{ "{serial}", "-lead", "" },
		{ "{serial}", "trail-", "" },
		{ "{serial}.lab", "s1", "s1.lab" },
		{ "a..{serial}", "s1", "" },
		{ "x{serial}", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "" },
		{ "{serial}", "", "" },
		{ "{nope}", "x", "" },
	};
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pxe_config *cfg;
		struct pxe_choice c;
		struct pxe_facts f;

		snprintf(text, sizeof(text), "mode = off\nimage a /a\nrule r\n    image a\n    hostname %s\n", t[i].tpl);
		cfg = load(text);
		CHECK(cfg != NULL);
		if (!cfg)
			continue;
		facts(&f, "52:54:00:00:00:01");
		strcpy(f.serial, t[i].serial);
		pxe_choose(cfg, &f, &c);
		CHECK(c.rule != NULL);
		if (strcmp(c.hostname, t[i].want)) {
			fprintf(stderr, "  case %zu: '%s' != '%s'\n", i, c.hostname, t[i].want);
			unit_failed_now = 1;
		}
		CHECK(!t[i].want[0] == !!strstr(c.why, "gives no name"));
		pxe_config_free(cfg);
	}
}

/* 10,000 host rules by exact MAC plus general ones between them: the index answers as a scan does. */
static void test_index_equals_scan(void)
{
	size_t cap = 2u << 20, len = 0, i;
	char *text = malloc(cap);
	struct pxe_config *cfg;
	void *index;

	len += (size_t)snprintf(text + len, cap - len, "mode = off\nimage a /a\n");
	for (i = 0; i < 10000; i++) {
		len += (size_t)snprintf(text + len, cap - len, "rule h%zu\n    match mac 02:00:00:00:%02zx:%02zx\n"
					"    image a\n", i, i >> 8, i & 255);
		if (i % 1000 == 500)
			len += (size_t)snprintf(text + len, cap - len, "rule g%zu\n    match mac 02:00:00:00:%02zx:*\n"
						"    image a\n", i, (i >> 8) + 1);
	}
	cfg = load(text);
	CHECK(cfg != NULL);
	for (i = 0; cfg && i < 12000; i += 7) {
		struct pxe_choice a, b;
		struct pxe_facts f;

		facts(&f, NULL);
		f.has_mac = 1;
		f.mac[0] = 2;
		f.mac[4] = (uint8_t)(i >> 8);
		f.mac[5] = (uint8_t)i;
		pxe_choose(cfg, &f, &a);
		index = cfg->rule_index;
		cfg->rule_index = NULL;
		pxe_choose(cfg, &f, &b);
		cfg->rule_index = index;
		CHECK(!strcmp(a.rule_name, b.rule_name) && !strcmp(a.why, b.why));
	}
	pxe_config_free(cfg);
	free(text);
}

int main(void)
{
	RUN(test_fields);
	RUN(test_prefix_arch_state);
	RUN(test_order_and_empty);
	RUN(test_hostname_checks);
	RUN(test_index_equals_scan);
	UNIT_EXIT();
}
