/* test_ondemand.c: the on-demand modules' plan (lib/host/ondemand.c): reading it line by line with its refusals,
 * writing it, and loading from it: a missing plan is nothing to do, a module that cannot be read or loaded
 * stops the run naming the file. No real kernel module is loaded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "ondemand.h"
#include "unit.h"

static void test_plan_next(void)
{
	static const char plan[] = "# comment\n\n/run/a/libata.ko\n/run/a/ata_piix.ko";
	struct rh_err err = { 0 };
	const char *p;
	size_t pos = 0, len;

	CHECK(ondemand_plan_next(plan, sizeof(plan) - 1, &pos, "plan", &p, &len, &err) == 1);
	CHECK(len == 16 && !memcmp(p, "/run/a/libata.ko", len));
	CHECK(ondemand_plan_next(plan, sizeof(plan) - 1, &pos, "plan", &p, &len, &err) == 1);
	CHECK(len == 18 && !memcmp(p, "/run/a/ata_piix.ko", len));
	CHECK(ondemand_plan_next(plan, sizeof(plan) - 1, &pos, "plan", &p, &len, &err) == 0);
}

static void test_plan_refusals(void)
{
	static const char *const bad[] = { "/a/b.ko\nrelative/x.ko\n", "/a/b.ko\n/a/../x.ko\n", "/a/b.ko\n/a//x.ko\n",
					   "/a/b.ko\n/a/x.ko.xz\n", "/a/b.ko\n/a/x.k\0o\n", "/a/b.ko\n.ko\n" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rh_err err = { 0 };
		const char *p;
		size_t pos = 0, len, n = i == 4 ? 17 : strlen(bad[i]);
		int rc;

		while ((rc = ondemand_plan_next(bad[i], n, &pos, "/run/plan", &p, &len, &err)) > 0)
			;
		CHECK(rc == -EINVAL);
		if (!strstr(err.msg, "/run/plan: line 2: not a clean absolute path"))
			fprintf(stderr, "  case %zu: %s\n", i, err.msg);
		CHECK(strstr(err.msg, "/run/plan: line 2: not a clean absolute path") != NULL);
	}
}

/* Writes text to path. */
static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_write_and_load(void)
{
	char dir[] = "/tmp/ramhost-ondemand-XXXXXX", plan[128], mod[128], *buf = NULL;
	const char *paths[2];
	struct rh_err err = { 0 };
	unsigned n = 7;
	size_t len;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	/* no plan: nothing to load */
	CHECK(ondemand_load(plan, &n, &err) == 0 && n == 0 && err.rc == 0);
	/* a plan naming a module that is not there: the error names it */
	snprintf(mod, sizeof(mod), "%s/missing.ko", dir);
	paths[0] = mod;
	paths[1] = NULL;
	CHECK(ondemand_plan_write(plan, paths, 1, &err) == 0);
	CHECK(rh_read_file(plan, 4096, &buf, &len, &err) == 0);
	CHECK(buf && buf[0] == '#' && strstr(buf, "\n") && strstr(buf, mod) != NULL);
	free(buf);
	n = 7;
	CHECK(ondemand_load(plan, &n, &err) == -ENOENT && n == 0);
	CHECK(strstr(err.msg, "missing.ko") != NULL);
	/* a file that is not a module: the kernel refuses it, and the error names it */
	snprintf(mod, sizeof(mod), "%s/junk.ko", dir);
	put(mod, "not an ELF module");
	err = (struct rh_err){ 0 };
	CHECK(ondemand_plan_write(plan, paths, 1, &err) == 0);
	CHECK(ondemand_load(plan, &n, &err) < 0 && n == 0);
	CHECK(strstr(err.msg, "junk.ko: finit_module") != NULL);
	/* a plan that is not one */
	put(plan, "/etc/passwd\n");
	err = (struct rh_err){ 0 };
	CHECK(ondemand_load(plan, &n, &err) == -EINVAL && strstr(err.msg, "line 1") != NULL);
	snprintf(mod, sizeof(mod), "rm -rf %s", dir);
	CHECK(system(mod) == 0);
}

int main(void)
{
	RUN(test_plan_next);
	RUN(test_plan_refusals);
	RUN(test_write_and_load);
	UNIT_EXIT();
}
