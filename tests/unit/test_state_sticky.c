/* test_state_sticky.c: sticky pattern lists and matching, the never-walked top-level names, and the choice of
 * the state partition on a GPT, table-driven. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ramdisk/state/state_sticky.h"
#include "ramdisk/state/state_store.h"
#include "sticky_rule.h"
#include "unit.h"

static void test_patterns_parse(void)
{
	static const struct {
		const char *text;
		int rc;
		size_t n;
		const char *first, *msg;
	} cases[] = {
		{ "", 0, 0, NULL, NULL },
		{ "# only a comment\n\n   \n", 0, 0, NULL, NULL },
		{ "/etc/hostname\n", 0, 1, "/etc/hostname", NULL },
		{ "  /etc/ssh/ssh_host_*  \r\n/etc/machine-id", 0, 2, "/etc/ssh/ssh_host_*", NULL },
		{ "/root/.ssh/\n", 0, 1, "/root/.ssh", NULL },   /* trailing '/' dropped */
		{ "/\n", 0, 1, "/", NULL },
		{ "etc/hostname\n", -EINVAL, 0, NULL, "list: line 1: pattern 'etc/hostname' is not absolute" },
		{ "/ok\n*.conf\n", -EINVAL, 0, NULL, "list: line 2:" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct state_patterns p = { 0, 0, NULL };
		struct rh_err err = { 0, "" };
		int rc = state_patterns_parse(cases[i].text, strlen(cases[i].text), "list", &p, &err);

		if (rc != cases[i].rc || (cases[i].msg && !strstr(err.msg, cases[i].msg)))
			fprintf(stderr, "  case %zu: rc %d '%s'\n", i, rc, err.msg);
		CHECK(rc == cases[i].rc);
		if (!rc) {
			CHECK(p.n == cases[i].n);
			if (cases[i].first && p.n)
				CHECK_STR(p.p[0], cases[i].first);
		}
		state_patterns_free(&p);
	}
}

static void test_patterns_match(void)
{
	static const char list[] = "/etc/hostname\n/etc/ssh/ssh_host_*\n/root/.ssh\n/var/lib/*/state\n";
	static const struct {
		const char *path;
		int match;
	} cases[] = {
		{ "/etc/hostname", 1 },
		{ "/etc/hostname2", 0 },
		{ "/etc/ssh/ssh_host_rsa_key", 1 },
		{ "/etc/ssh/ssh_host_rsa_key.pub", 1 },
		{ "/etc/ssh/sshd_config", 0 },
		{ "/etc/ssh/ssh_host_x/y", 0 },          /* FNM_PATHNAME: '*' does not cross '/' */
		{ "/root/.ssh", 1 },                     /* a directory: the walk makes what is below it sticky */
		{ "/root/.ssh/authorized_keys", 0 },
		{ "/var/lib/foo/state", 1 },
		{ "/var/lib/foo/bar/state", 0 },
	};
	struct state_patterns p = { 0, 0, NULL };
	struct rh_err err = { 0, "" };
	size_t i;

	CHECK(state_patterns_parse(list, strlen(list), "list", &p, &err) == 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int m = state_patterns_match(&p, cases[i].path);

		if (m != cases[i].match)
			fprintf(stderr, "  '%s': %d\n", cases[i].path, m);
		CHECK(m == cases[i].match);
	}
	state_patterns_free(&p);
}

static void test_excluded_top(void)
{
	static const struct {
		const char *name;
		int ex;
	} cases[] = {
		{ "proc", 1 }, { "sys", 1 }, { "dev", 1 }, { "run", 1 }, { "tmp", 1 }, { "usr", 1 }, { "opt", 1 },
		{ "etc", 0 }, { "var", 0 }, { "root", 0 }, { "home", 0 }, { "usr2", 0 }, { "ru", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(sticky_top_never_saved(cases[i].name) == cases[i].ex);
}

static void test_part_pick(void)
{
	static const struct {
		const char *names[4];
		int bank_at;      /* index of the partition with the bank GUID, -1 none */
		int rc;
		uint32_t partno;
	} cases[] = {
		{ { "EFI system", "bootbank", "altbootbank", "state" }, 1, 0, 4 },
		{ { "EFI system", "bootbank", "altbootbank", "state" }, 2, 0, 4 },
		{ { "EFI system", "bootbank", "altbootbank", "scratch" }, 1, -ESRCH, 0 },
		{ { "EFI system", "bootbank", "altbootbank", "state" }, -1, -ENOENT, 0 },
		{ { "state", "bootbank", "altbootbank", "state" }, 1, -EEXIST, 0 },
		{ { "EFI system", "bootbank", "STATE", "x" }, 1, -ESRCH, 0 },   /* the name is exact */
	};
	static struct gpt_disk d;
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t bank[16];
		uint32_t partno = 0;
		int rc;

		memset(&d, 0, sizeof(d));
		memset(bank, 0xab, sizeof(bank));
		d.nparts = 4;
		for (k = 0; k < 4; k++) {
			d.parts[k].number = (uint32_t)k + 1;
			memset(d.parts[k].unique_guid, (int)k + 1, 16);
			if ((int)k == cases[i].bank_at)
				memcpy(d.parts[k].unique_guid, bank, 16);
			snprintf(d.parts[k].name, sizeof(d.parts[k].name), "%s", cases[i].names[k]);
		}
		rc = state_part_pick(&d, bank, &partno);
		if (rc != cases[i].rc)
			fprintf(stderr, "  case %zu: rc %d\n", i, rc);
		CHECK(rc == cases[i].rc);
		CHECK(partno == cases[i].partno);
	}
}

int main(void)
{
	RUN(test_patterns_parse);
	RUN(test_patterns_match);
	RUN(test_excluded_top);
	RUN(test_part_pick);
	UNIT_EXIT();
}
