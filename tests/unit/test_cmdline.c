/* test_cmdline.c: lib/cmdline.c, the kernel command line's ramhost.* words, table-driven: init's keys (bank,
 * break; rescue on its own) and the banks' keys (bank, bankuuid), each with the mask its caller passes. */
#include <errno.h>
#include <string.h>

#include "cmdline.h"
#include "unit.h"

#define G1 "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define G2 "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define INIT_KEYS (CMDLINE_BANK | CMDLINE_BREAK)
#define BANK_KEYS (CMDLINE_BANK | CMDLINE_BANKUUID)

/* ramhost.debug: a flag word like ramhost.break, only for the callers that ask for it */
static void test_cmdline_debug(void)
{
	static const struct {
		unsigned mask;
		const char *text;
		int rc, debug, brk;
	} t[] = {
		{ CMDLINE_DEBUG, "ramhost.debug", 0, 1, 0 },
		{ CMDLINE_DEBUG, "quiet ramhost.debug=1", 0, 1, 0 },
		{ CMDLINE_DEBUG, "ramhost.debug ramhost.debug=0", 0, 0, 0 },
		{ CMDLINE_DEBUG, "ramhost.debugger ramhost.break", 0, 0, 0 },
		{ CMDLINE_DEBUG | CMDLINE_BREAK, "ramhost.break ramhost.debug", 0, 1, 1 },
		{ CMDLINE_DEBUG, "ramhost.debug=yes", -EINVAL, 0, 0 },
		{ CMDLINE_BREAK, "ramhost.debug=yes ramhost.break", 0, 0, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cmdline c;
		struct rh_err err = { 0, "" };
		int rc = cmdline_parse(t[i].text, strlen(t[i].text), t[i].mask, &c, &err);

		CHECK(rc == t[i].rc);
		if (rc == 0) {
			CHECK(c.debug == t[i].debug);
			CHECK(c.brk == t[i].brk);
		} else {
			CHECK(strstr(err.msg, "is not ramhost.debug[=0|1]") != NULL);
		}
	}
}

static void test_cmdline_table(void)
{
	static const struct {
		unsigned mask;
		const char *text;
		int rc;
		unsigned bank;
		int brk;
		int has_uuid;
		const char *uuid;
		const char *msg;   /* substring of the error */
	} t[] = {
		/* init: ramhost.bank and ramhost.break */
		{ INIT_KEYS, "", 0, 0, 0, 0, "", NULL },
		{ INIT_KEYS, "console=ttyS0 panic=-1 ramhost.bank=1\n", 0, 1, 0, 0, "", NULL },
		{ INIT_KEYS, "ramhost.bank=2 ramhost.break", 0, 2, 1, 0, "", NULL },
		{ INIT_KEYS, "ramhost.break=1 quiet", 0, 0, 1, 0, "", NULL },
		{ INIT_KEYS, "ramhost.break ramhost.break=0", 0, 0, 0, 0, "", NULL },
		{ INIT_KEYS, "ramhost.breakfast", 0, 0, 0, 0, "", NULL },
		{ INIT_KEYS, "x=\"a ramhost.break b\" ramhost.bank=1", 0, 1, 0, 0, "", NULL },
		{ INIT_KEYS, "\tramhost.bank=9\t", 0, 9, 0, 0, "", NULL },
		{ INIT_KEYS, "ramhost.bank=1 ramhost.bank=2", 0, 2, 0, 0, "", NULL },
		{ INIT_KEYS, "ramhost.bankuuid=nonsense ramhost.bank=1", 0, 1, 0, 0, "", NULL },
		{ INIT_KEYS, "ramhost.bank=", -EINVAL, 0, 0, 0, "", "kernel command line" },
		{ INIT_KEYS, "ramhost.bank=10", -EINVAL, 0, 0, 0, "", "kernel command line" },
		{ INIT_KEYS, "ramhost.bank=x", -EINVAL, 0, 0, 0, "", "kernel command line" },
		{ INIT_KEYS, "ramhost.break=yes", -EINVAL, 0, 0, 0, "", "is not ramhost.break[=0|1]" },
		{ INIT_KEYS, "ramhost.break=", -EINVAL, 0, 0, 0, "", "is not ramhost.break[=0|1]" },
		/* the banks: ramhost.bank and ramhost.bankuuid */
		{ BANK_KEYS, "", 0, 0, 0, 0, "", NULL },
		{ BANK_KEYS, "console=ttyS0 ramhost.bank=1\n", 0, 1, 0, 0, "", NULL },
		{ BANK_KEYS, "ramhost.bank=2 ramhost.bankuuid=" G1, 0, 2, 0, 1, G1, NULL },
		{ BANK_KEYS, "ramhost.bankuuid=0FC63DAF-8483-4772-8E79-3D69D8477DE4 ramhost.bank=1", 0, 1, 0, 1, G1, NULL },
		{ BANK_KEYS, "ramhost.bankuuid=\"" G2 "\"", 0, 0, 0, 1, G2, NULL },
		{ BANK_KEYS, "quiet\tramhost.bank=1\tramhost.bankuuid=" G1 " ramhost.bankuuid=" G2, 0, 1, 0, 1, G2, NULL },
		{ BANK_KEYS, "foo=\"ramhost.bank=x y\" ramhost.bank=2", 0, 2, 0, 0, "", NULL },
		{ BANK_KEYS, "ramhost.bankuuidx=1 ramhost.banks=3", 0, 0, 0, 0, "", NULL },
		{ BANK_KEYS, "ramhost.break=yes ramhost.bank=1", 0, 1, 0, 0, "", NULL },
		{ BANK_KEYS, "ramhost.bank=x", -EINVAL, 0, 0, 0, "", "'ramhost.bank=x' is not ramhost.bank=<0-9>" },
		{ BANK_KEYS, "ramhost.bank=12", -EINVAL, 0, 0, 0, "", "ramhost.bank=12" },
		{ BANK_KEYS, "ramhost.bankuuid=", -EINVAL, 0, 0, 0, "", "'ramhost.bankuuid=' is not" },
		{ BANK_KEYS, "ramhost.bankuuid=0fc63daf-8483-4772-8e79-3d69d8477de", -EINVAL, 0, 0, 0, "",
		  "not ramhost.bankuuid" },
		{ BANK_KEYS, "ramhost.bankuuid=0fc63daf-8483-4772-8e79-3d69d8477dex", -EINVAL, 0, 0, 0, "", "8477dex" },
		{ BANK_KEYS, "ramhost.bankuuid=0fc63daf+8483-4772-8e79-3d69d8477de4", -EINVAL, 0, 0, 0, "", "not ramhost" },
		/* a NUL ends the line */
		{ BANK_KEYS, "ramhost.bank=1\0ramhost.bank=x", 0, 1, 0, 0, "", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cmdline c = { 7, 7, "x", 7, 7, 7 };
		struct rh_err err = { 0, "" };
		size_t len = strlen(t[i].text);
		int rc;

		if (i == sizeof(t) / sizeof(t[0]) - 1)
			len = sizeof("ramhost.bank=1\0ramhost.bank=x") - 1;
		rc = cmdline_parse(t[i].text, len, t[i].mask, &c, &err);
		if (rc != t[i].rc)
			fprintf(stderr, "  row %zu: rc %d (%s)\n", i, rc, err.msg);
		CHECK(rc == t[i].rc);
		if (rc == 0) {
			CHECK(c.bank == t[i].bank);
			CHECK(c.brk == t[i].brk);
			CHECK(c.has_uuid == t[i].has_uuid);
			if (t[i].has_uuid)
				CHECK_STR(c.uuid, t[i].uuid);
		} else {
			CHECK(c.bank == 7 && c.brk == 7 && c.has_uuid == 7);   /* untouched on failure */
			CHECK(strstr(err.msg, t[i].msg) != NULL);
			if (!strstr(err.msg, t[i].msg))
				fprintf(stderr, "  row %zu: '%s'\n", i, err.msg);
		}
	}
}

/* init's third key: ramhost.rescue, alone (init parses it on its own, so a bad word loses only itself) */
static void test_cmdline_rescue(void)
{
	static const struct {
		const char *text;
		int rc;
		int rescue;
		const char *msg;
	} t[] = {
		{ "", 0, CMDLINE_RESCUE_NONE, NULL },
		{ "console=ttyS0 ramhost.bank=1", 0, CMDLINE_RESCUE_NONE, NULL },
		{ "ramhost.rescue", 0, CMDLINE_RESCUE_CONSOLE, NULL },
		{ "loglevel=4 ramhost.rescue=1 ramhost.bank=1", 0, CMDLINE_RESCUE_CONSOLE, NULL },
		{ "ramhost.rescue=auto", 0, CMDLINE_RESCUE_AUTO, NULL },
		{ "ramhost.rescue=\"auto\"", 0, CMDLINE_RESCUE_AUTO, NULL },
		{ "ramhost.rescue=0", 0, CMDLINE_RESCUE_NONE, NULL },
		/* the ISO's Rescue label plus words typed at the boot: prompt: the last word wins */
		{ "ramhost.rescue=1 ramhost.rescue=auto", 0, CMDLINE_RESCUE_AUTO, NULL },
		{ "ramhost.rescue=auto ramhost.rescue=0", 0, CMDLINE_RESCUE_NONE, NULL },
		{ "ramhost.rescuer=1 ramhost.rescue.x=auto x=\"ramhost.rescue=1\"", 0, CMDLINE_RESCUE_NONE, NULL },
		{ "ramhost.break=yes ramhost.bank=x ramhost.rescue=1", 0, CMDLINE_RESCUE_CONSOLE, NULL },
		{ "ramhost.rescue=yes", -EINVAL, 0, "'ramhost.rescue=yes' is not ramhost.rescue[=0|1|auto]" },
		{ "ramhost.rescue=", -EINVAL, 0, "'ramhost.rescue=' is not" },
		{ "ramhost.rescue=AUTO", -EINVAL, 0, "kernel command line" },
		{ "ramhost.rescue=1 ramhost.rescue=2", -EINVAL, 0, "'ramhost.rescue=2'" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cmdline c = { 7, 7, "x", 7, 7, 7 };
		struct rh_err err = { 0, "" };
		int rc = cmdline_parse(t[i].text, strlen(t[i].text), CMDLINE_RESCUE, &c, &err);

		if (rc != t[i].rc)
			fprintf(stderr, "  row %zu: rc %d (%s)\n", i, rc, err.msg);
		CHECK(rc == t[i].rc);
		if (rc == 0) {
			CHECK(c.rescue == t[i].rescue);
			CHECK(c.bank == 0 && c.brk == 0);   /* keys outside the mask are left alone */
		} else {
			CHECK(c.rescue == 7);
			CHECK(strstr(err.msg, t[i].msg) != NULL);
		}
	}
	/* init's and the banks' masks never see ramhost.rescue: a bad one does not stop them */
	{
		struct cmdline c;
		struct rh_err err = { 0, "" };

		CHECK(cmdline_parse("ramhost.rescue=yes ramhost.bank=2", 33, INIT_KEYS, &c, &err) == 0);
		CHECK(c.bank == 2 && c.rescue == 0);
		CHECK(cmdline_parse("ramhost.break ramhost.rescue=auto", 33, INIT_KEYS | CMDLINE_RESCUE, &c, &err) == 0);
		CHECK(c.brk == 1 && c.rescue == CMDLINE_RESCUE_AUTO);
	}
}

static void test_next_word(void)
{
	static const char line[] = "  a=\"b c\"\td\n";
	const char *w;
	size_t pos = 0, n;

	CHECK(cmdline_next_word(line, sizeof(line) - 1, &pos, &w, &n) == 1);
	CHECK(n == 7 && !memcmp(w, "a=\"b c\"", 7));
	CHECK(cmdline_next_word(line, sizeof(line) - 1, &pos, &w, &n) == 1);
	CHECK(n == 1 && w[0] == 'd');
	CHECK(cmdline_next_word(line, sizeof(line) - 1, &pos, &w, &n) == 0);
}

/* What a boot needs, by its command line: the on-demand disk drivers at init (cmdline_needs_disks: a disk boot, a
 * rescue boot, a malformed rescue value too, which init takes as the console; not an ISO or PXE boot, not
 * ramhost.rescue=0, not an install alone), and somewhere for `ramhost state boot` to look
 * (cmdline_names_state_source: a disk boot's bank GUID or the server's URL, whatever the value, an empty or wrong
 * one being that command's to report; not an ISO boot, not look-alike keys). */
static void test_boot_needs(void)
{
	static const struct {
		const char *line;
		int disks, state;
	} cases[] = {
		{ "BOOT_IMAGE=vmlinuz console=ttyS0 ramhost.bank=1", 0, 0 },
		{ "ramhost.bank=2 ramhost.bankuuid=0b5f1c52-7a2e-4c1e-9f3a-5a1d2c3b4e5f quiet", 1, 1 },
		{ "ramhost.bankuuid=not-a-guid", 1, 1 },
		{ "ramhost.rescue", 1, 0 },
		{ "ramhost.rescue=1", 1, 0 },
		{ "ramhost.rescue=\"auto\"", 1, 0 },
		{ "ramhost.rescue=yes", 1, 0 },
		{ "ramhost.rescue=0", 0, 0 },
		{ "ramhost.rescue=1 ramhost.rescue=0", 0, 0 },
		{ "ramhost.install=auto ramhost.ks=/ks.cfg", 0, 0 },
		{ "ramhost.state.url=http://10.0.2.2:8080/state/h1 ramhost.state.token=abc", 0, 1 },
		{ "ramhost.state.url= ramhost.bank=1", 0, 1 },
		{ "ramhost.state.url=\"http://10.0.2.2/s\"", 0, 1 },
		{ "ramhost.state.token=abc ramhost.ready.url=http://10.0.2.2/r", 0, 0 },
		{ "ramhost.bankuuidx=1 xramhost.rescue=1", 0, 0 },
		{ "xramhost.bankuuid=1 ramhost.state.urlx=1 ramhost.state.url", 0, 0 },
		{ "", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *l = cases[i].line;
		int disks = cmdline_needs_disks(l, strlen(l)), state = cmdline_names_state_source(l, strlen(l));

		if (disks != cases[i].disks || state != cases[i].state)
			fprintf(stderr, "  '%s': disks %d state %d, want %d %d\n", l, disks, state, cases[i].disks,
				cases[i].state);
		CHECK(disks == cases[i].disks);
		CHECK(state == cases[i].state);
	}
}

int main(void)
{
	RUN(test_cmdline_table);
	RUN(test_cmdline_debug);
	RUN(test_cmdline_rescue);
	RUN(test_next_word);
	RUN(test_boot_needs);
	UNIT_EXIT();
}
