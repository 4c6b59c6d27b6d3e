/* test_sysview.c: the system view plan, table-driven over small layer sets. */
#include <errno.h>
#include <string.h>

#include "ramdisk/init/sysview.h"
#include "unit.h"

#define D(n) { n, SYSVIEW_ENTRY_DIR, "", 0 }
#define L(n, t) { n, SYSVIEW_ENTRY_SYMLINK, t, 0 }
#define F(n) { n, SYSVIEW_ENTRY_OTHER, "", 0 }
#define W(n) { n, SYSVIEW_ENTRY_WHITEOUT, "", 0 }  /* a whiteout (lib/ovl.h) */
#define O(n) { n, SYSVIEW_ENTRY_DIR, "", 1 }       /* an opaque directory */

/* Renders a plan as "name:kind:layers[:target] ..." for compact expectations. */
static void render(const struct sysview_action *a, size_t n, char *out, size_t cap)
{
	static const char *const kinds[] = { "overlay", "copy", "link" };
	size_t i, pos = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(out + pos, cap - pos, "%s%s:%s:%llx%s%s", i ? " " : "", a[i].name, kinds[a[i].kind],
				 (unsigned long long)a[i].layers, a[i].kind == SYSVIEW_SYMLINK ? ":" : "",
				 a[i].kind == SYSVIEW_SYMLINK ? a[i].target : "");
		pos += (size_t)w;
	}
}

static void test_view_plan_table(void)
{
	static const struct sysview_entry base[] = { D("usr"), L("bin", "usr/bin"), L("sbin", "usr/sbin"), D("etc"),
						  D("var"), D("dev"), D("proc"), D("tmp"), D("root"), D("lib64"),
						  F("README") };
	static const struct sysview_entry extra[] = { D("opt"), D("etc"), D("usr") };
	static const struct sysview_entry shadow[] = { L("opt", "usr/opt"), F("etc"), D("lib64") };
	static const struct sysview_entry third[] = { D("opt") };
	static const struct sysview_entry split[] = { W("var"), O("usr"), W("README"), O("etc") };
	static const struct sysview_entry readd[] = { D("var") };
	static const struct {
		struct sysview_layer layers[4];
		unsigned n;
		const char *expect;
	} cases[] = {
		{ { { base, 11 } }, 1,
		  "README:copy:1 bin:link:1:usr/bin etc:copy:1 lib64:overlay:1 root:copy:1 sbin:link:1:usr/sbin "
		  "usr:overlay:1 var:copy:1" },
		{ { { base, 11 }, { extra, 3 } }, 2,
		  "README:copy:1 bin:link:1:usr/bin etc:copy:3 lib64:overlay:1 opt:overlay:2 root:copy:1 "
		  "sbin:link:1:usr/sbin usr:overlay:3 var:copy:1" },
		/* a later file or symlink replaces the name; a later dir over a symlink hides what is below it */
		{ { { base, 11 }, { extra, 3 }, { shadow, 3 }, { third, 1 } }, 4,
		  "README:copy:1 bin:link:1:usr/bin etc:copy:4 lib64:overlay:5 opt:overlay:8 root:copy:1 "
		  "sbin:link:1:usr/sbin usr:overlay:3 var:copy:1" },
		/* a split container image layer: a whiteout hides the name (a later layer may make it again), an
		 * opaque directory the layers below it */
		{ { { base, 11 }, { extra, 3 }, { split, 4 }, { readd, 1 } }, 4,
		  "bin:link:1:usr/bin etc:copy:4 lib64:overlay:1 opt:overlay:2 root:copy:1 sbin:link:1:usr/sbin "
		  "usr:overlay:4 var:copy:8" },
		{ { { NULL, 0 } }, 1, "" },
		{ { { NULL, 0 } }, 0, "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sysview_action plan[32];
		struct rh_err err = { 0 };
		char got[1024];
		size_t n = 99;

		CHECK(sysview_plan(cases[i].layers, cases[i].n, plan, 32, &n, &err) == 0);
		render(plan, n, got, sizeof(got));
		CHECK_STR(got, cases[i].expect);
	}
}

static void test_view_plan_errors(void)
{
	static const struct sysview_entry slash[] = { D("a/b") };
	static const struct sysview_entry dotdot[] = { D("..") };
	static const struct sysview_entry empty_target[] = { L("bin", "") };
	static const struct sysview_entry many[] = { D("a"), D("b"), D("c") };
	struct sysview_layer layer;
	struct sysview_action plan[2];
	struct rh_err err = { 0 };
	size_t n;

	layer.entries = slash, layer.nentries = 1;
	CHECK(sysview_plan(&layer, 1, plan, 2, &n, &err) == -EINVAL);
	CHECK(strstr(err.msg, "a/b") != NULL);
	layer.entries = dotdot;
	CHECK(sysview_plan(&layer, 1, plan, 2, &n, NULL) == -EINVAL);
	layer.entries = empty_target;
	CHECK(sysview_plan(&layer, 1, plan, 2, &n, NULL) == -EINVAL);
	layer.entries = many, layer.nentries = 3;
	CHECK(sysview_plan(&layer, 1, plan, 2, &n, NULL) == -E2BIG);
	CHECK(sysview_plan(&layer, 65, plan, 2, &n, NULL) == -E2BIG);
}

static void test_view_layer_index(void)
{
	CHECK(sysview_layer_index(0, 1) == -1);
	CHECK(sysview_layer_index(0x6, 1) == 1);
	CHECK(sysview_layer_index(0x6, 0) == 2);
	CHECK(sysview_layer_index(1ull << 63, 1) == 63);
}

int main(void)
{
	RUN(test_view_plan_table);
	RUN(test_view_plan_errors);
	RUN(test_view_layer_index);
	UNIT_EXIT();
}
