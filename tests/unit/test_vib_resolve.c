/* test_vib_resolve.c: dependency resolution over hand-made descriptors (vib/resolve.h): requests, diamond,
 * conflict, replaces, provides, version constraints, backtracking, level below policy, the explained chain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vib/resolve.h"

#define MAXC 16

struct fix {
	struct vib_desc d[MAXC];
	struct vib_cand c[MAXC];
	size_t n;
};

/* Splits "a>=1.0,b,c=2" into relations (parsed like requests). */
static void rels(const char *list, struct vib_rel **ret, size_t *ret_n)
{
	char buf[512], *save = NULL, *w;

	*ret = NULL;
	*ret_n = 0;
	if (!list || !*list)
		return;
	*ret = calloc(8, sizeof(**ret));
	snprintf(buf, sizeof(buf), "%s", list);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		struct vib_req r;
		struct rh_err err = { 0 };
		if (vib_req_parse(w, &r, &err) < 0) {
			fprintf(stderr, "  bad fixture relation %s: %s\n", w, err.msg);
			unit_failed_now = 1;
			continue;
		}
		memcpy((*ret)[*ret_n].name, r.name, sizeof(r.name));
		(*ret)[*ret_n].op = r.op;
		memcpy((*ret)[*ret_n].version, r.version, sizeof(r.version));
		(*ret_n)++;
	}
}

static size_t add(struct fix *f, const char *name, const char *version, enum vib_level level, const char *deps,
		  const char *confl, const char *repl, const char *prov)
{
	struct vib_desc *d = &f->d[f->n];

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->version, sizeof(d->version), "%s", version);
	d->level = level;
	rels(deps, &d->depends, &d->ndepends);
	rels(confl, &d->conflicts, &d->nconflicts);
	rels(repl, &d->replaces, &d->nreplaces);
	rels(prov, &d->provides, &d->nprovides);
	f->c[f->n].desc = d;
	f->c[f->n].level = level;
	f->c[f->n].origin = "test";
	return f->n++;
}

static void fix_free(struct fix *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->d[i].depends);
		free(f->d[i].conflicts);
		free(f->d[i].replaces);
		free(f->d[i].provides);
	}
}

/* Resolves the requests in "a,b>=2" against f; returns rc and the picked names+versions as "a 1.0,b 2.0". */
static int run(struct fix *f, const struct vib_cand *inst, size_t ninst, const char *reqlist, enum vib_level policy,
	       char *out, size_t cap, struct rh_err *err)
{
	struct vib_req reqs[8];
	size_t nreqs = 0, *pick = NULL, npick = 0, i, len = 0;
	char buf[256], *save = NULL, *w;
	int rc;

	snprintf(buf, sizeof(buf), "%s", reqlist);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
		CHECK(vib_req_parse(w, &reqs[nreqs++], err) == 0);
	out[0] = '\0';
	rc = vib_resolve(f->c, f->n, inst, ninst, reqs, nreqs, policy, &pick, &npick, err);
	if (rc)
		return rc;
	for (i = 0; i < npick; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s %s", i ? "," : "", f->d[pick[i]].name,
					f->d[pick[i]].version);
	free(pick);
	return 0;
}

static void test_req_parse(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *name;
		enum vib_op op;
		const char *version;
	} rows[] = {
		{ "hello", 0, "hello", VIB_OP_ANY, "" },
		{ "hello=1.0-1", 0, "hello", VIB_OP_EQ, "1.0-1" },
		{ "hello>=2.0", 0, "hello", VIB_OP_GE, "2.0" },
		{ "hello >= 2.0", 0, "hello", VIB_OP_GE, "2.0" },
		{ "lib<<3", 0, "lib", VIB_OP_LT, "3" },
		{ "lib<=3", 0, "lib", VIB_OP_LE, "3" },
		{ "lib>>1:3.0", 0, "lib", VIB_OP_GT, "1:3.0" },
		{ "", -EINVAL, NULL, 0, NULL },
		{ "-x", -EINVAL, NULL, 0, NULL },
		{ "a/b", -EINVAL, NULL, 0, NULL },
		{ "hello=", -EINVAL, NULL, 0, NULL },
		{ "hello=>1", -EINVAL, NULL, 0, NULL },
		{ "hello>>>1", -EINVAL, NULL, 0, NULL },
		{ "hello=abc", -EINVAL, NULL, 0, NULL },
		{ "hello=1 2", -EINVAL, NULL, 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vib_req r;
		struct rh_err err = { 0 };
		int rc = vib_req_parse(rows[i].in, &r, &err);
		if (rc != rows[i].rc)
			fprintf(stderr, "  row %zu '%s': rc %d, want %d\n", i, rows[i].in, rc, rows[i].rc);
		CHECK(rc == rows[i].rc);
		if (rc || rows[i].rc)
			continue;
		CHECK_STR(r.name, rows[i].name);
		CHECK(r.op == rows[i].op);
		CHECK_STR(r.version, rows[i].version);
	}
}

static void test_simple_newest(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };
	char out[512];

	add(&f, "libgreet", "1.5-1", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	add(&f, "hello", "1.0-1", VIB_LEVEL_PARTNER, "libgreet>=1.0", NULL, NULL, NULL);
	add(&f, "libgreet", "2.0-1", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	add(&f, "hello", "0.9-1", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	CHECK(run(&f, NULL, 0, "hello", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == 0);
	CHECK_STR(out, "libgreet 2.0-1,hello 1.0-1");
	rh_err_clear(&err);
	CHECK(run(&f, NULL, 0, "hello=0.9-1", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == 0);
	CHECK_STR(out, "hello 0.9-1");
	fix_free(&f);
}

static void test_diamond(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };
	char out[512];

	add(&f, "app", "1.0", VIB_LEVEL_PARTNER, "a,b", NULL, NULL, NULL);
	add(&f, "a", "1.0", VIB_LEVEL_PARTNER, "base>=1.0", NULL, NULL, NULL);
	add(&f, "b", "1.0", VIB_LEVEL_PARTNER, "base>=2.0,base<<3.0", NULL, NULL, NULL);
	add(&f, "base", "1.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	add(&f, "base", "2.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	add(&f, "base", "3.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	/* a takes base 3.0 first; b then cannot have it: backtrack to base 2.0, which both accept */
	CHECK(run(&f, NULL, 0, "app", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK_STR(out, "base 2.0,a 1.0,b 1.0,app 1.0");
	fix_free(&f);
}

static void test_conflict(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };
	char out[512];

	add(&f, "web", "1.0", VIB_LEVEL_PARTNER, "nginx", NULL, NULL, NULL);
	add(&f, "nginx", "1.2", VIB_LEVEL_PARTNER, NULL, "apache", NULL, NULL);
	add(&f, "apache", "2.4", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	CHECK(run(&f, NULL, 0, "apache,web", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == -EDEADLK);
	CHECK(strstr(err.msg, "nginx 1.2 (needed by web 1.0 <- request 'web') conflicts with apache") != NULL);
	CHECK(strstr(err.msg, "web 1.0") != NULL);
	fprintf(stderr, "  (message: %s)\n", err.msg);
	rh_err_clear(&err);
	/* the same against an installed apache */
	CHECK(run(&f, &f.c[2], 1, "web", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == -EDEADLK);
	CHECK(strstr(err.msg, "apache 2.4 (installed)") != NULL);
	fix_free(&f);
}

static void test_replaces(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };
	char out[512];
	size_t inst;

	inst = add(&f, "libgreet", "1.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	add(&f, "hello", "1.0", VIB_LEVEL_PARTNER, "libgreet>=1.0", NULL, NULL, NULL);
	add(&f, "greet-ng", "2.0", VIB_LEVEL_PARTNER, NULL, NULL, "libgreet<<2.0", NULL);
	/* installed libgreet leaves the set; hello's depends on libgreet is met by the replacement */
	CHECK(run(&f, &f.c[inst], 1, "greet-ng,hello", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK_STR(out, "greet-ng 2.0,hello 1.0");
	fix_free(&f);
}

static void test_provides(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };
	char out[512];

	add(&f, "hello", "1.0", VIB_LEVEL_PARTNER, "greeter>=1.0", NULL, NULL, NULL);
	add(&f, "greet-old", "1.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, "greeter=0.5");
	add(&f, "greet-impl", "1.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, "greeter=1.0");
	CHECK(run(&f, NULL, 0, "hello", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == 0);
	CHECK_STR(out, "greet-impl 1.0,hello 1.0");
	fix_free(&f);
}

static void test_version_constraint_unmet(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };
	char out[512];

	add(&f, "web", "1.0", VIB_LEVEL_PARTNER, "hello", NULL, NULL, NULL);
	add(&f, "hello", "1.0-1", VIB_LEVEL_PARTNER, "libgreet>=2.0", NULL, NULL, NULL);
	add(&f, "libgreet", "1.5-1", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	CHECK(run(&f, NULL, 0, "web", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == -ENOENT);
	CHECK(strstr(err.msg, "libgreet >= 2.0 needed by hello 1.0-1 <- web 1.0 <- request 'web'") != NULL);
	CHECK(strstr(err.msg, "the candidates have only libgreet 1.5-1") != NULL);
	fprintf(stderr, "  (message: %s)\n", err.msg);
	rh_err_clear(&err);
	CHECK(run(&f, NULL, 0, "hello>=2.0", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == -ENOENT);
	CHECK(strstr(err.msg, "request 'hello >= 2.0'") != NULL);
	rh_err_clear(&err);
	CHECK(run(&f, NULL, 0, "nosuch", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == -ENOENT);
	CHECK(strstr(err.msg, "no candidate has or provides it") != NULL);
	fix_free(&f);
}

static void test_backtracking(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };
	char out[512];

	add(&f, "app", "1.0", VIB_LEVEL_PARTNER, "lib,tool", NULL, NULL, NULL);
	add(&f, "lib", "1.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	add(&f, "lib", "2.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	add(&f, "tool", "1.0", VIB_LEVEL_PARTNER, NULL, "lib>=2.0", NULL, NULL);
	CHECK(run(&f, NULL, 0, "app", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == 0);
	CHECK_STR(out, "lib 1.0,tool 1.0,app 1.0");
	fix_free(&f);
}

static void test_level_policy(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };
	char out[512];

	add(&f, "hello", "1.0", VIB_LEVEL_CERTIFIED, "libgreet", NULL, NULL, NULL);
	add(&f, "libgreet", "1.0", VIB_LEVEL_COMMUNITY, NULL, NULL, NULL, NULL);
	CHECK(run(&f, NULL, 0, "hello", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == -EPERM);
	CHECK(strstr(err.msg, "libgreet 1.0 is community, below the acceptance level partner") != NULL);
	CHECK(strstr(err.msg, "hello 1.0 <- request 'hello'") != NULL);
	rh_err_clear(&err);
	CHECK(run(&f, NULL, 0, "hello", VIB_LEVEL_COMMUNITY, out, sizeof(out), &err) == 0);
	CHECK_STR(out, "libgreet 1.0,hello 1.0");
	/* a newer community version is passed over for an older signed one */
	add(&f, "libgreet", "0.9", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	rh_err_clear(&err);
	CHECK(run(&f, NULL, 0, "hello", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == 0);
	CHECK_STR(out, "libgreet 0.9,hello 1.0");
	fix_free(&f);
}

static void test_installed_kept_and_upgraded(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };
	char out[512];
	size_t lib1, hello1;

	lib1 = add(&f, "libgreet", "1.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	hello1 = add(&f, "hello", "1.0", VIB_LEVEL_PARTNER, "libgreet", NULL, NULL, NULL);
	add(&f, "hello", "2.0", VIB_LEVEL_PARTNER, "libgreet>=1.0", NULL, NULL, NULL);
	add(&f, "libgreet", "2.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	struct vib_cand inst[2] = { f.c[lib1], f.c[hello1] };
	/* the installed libgreet meets the new hello's depends: only hello is picked */
	CHECK(run(&f, inst, 2, "hello>=2.0", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == 0);
	CHECK_STR(out, "hello 2.0");
	/* an older hello is asked for: the installed libgreet still meets its depends */
	rh_err_clear(&err);
	CHECK(run(&f, inst, 1, "hello=1.0", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == 0);
	CHECK_STR(out, "hello 1.0");
	fix_free(&f);
}

static void test_set_check(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };

	add(&f, "hello", "1.0", VIB_LEVEL_PARTNER, "libgreet>=2.0", NULL, NULL, NULL);
	add(&f, "libgreet", "2.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	add(&f, "libgreet", "1.0", VIB_LEVEL_PARTNER, NULL, NULL, NULL, NULL);
	add(&f, "other", "1.0", VIB_LEVEL_COMMUNITY, NULL, "hello", NULL, NULL);
	CHECK(vib_set_check(f.c, 2, VIB_LEVEL_PARTNER, &err) == 0);
	CHECK(vib_set_check(f.c, 1, VIB_LEVEL_PARTNER, &err) == -ENOENT);
	CHECK(strstr(err.msg, "hello 1.0 depends on libgreet >= 2.0") != NULL);
	rh_err_clear(&err);
	CHECK(vib_set_check(f.c, 3, VIB_LEVEL_PARTNER, &err) == -EDEADLK);
	CHECK(strstr(err.msg, "libgreet is there twice") != NULL);
	rh_err_clear(&err);
	struct vib_cand s2[3] = { f.c[0], f.c[1], f.c[3] };
	CHECK(vib_set_check(s2, 3, VIB_LEVEL_PARTNER, &err) == -EPERM);
	rh_err_clear(&err);
	CHECK(vib_set_check(s2, 3, VIB_LEVEL_COMMUNITY, &err) == -EDEADLK);
	CHECK(strstr(err.msg, "conflicts with hello") != NULL);
	fix_free(&f);
}

static void test_cycle_and_many(void)
{
	struct fix f = { .n = 0 };
	struct rh_err err = { 0 };
	char out[512];

	/* a cycle of depends resolves (each met by the other) */
	add(&f, "a", "1.0", VIB_LEVEL_PARTNER, "b", NULL, NULL, NULL);
	add(&f, "b", "1.0", VIB_LEVEL_PARTNER, "a", NULL, NULL, NULL);
	CHECK(run(&f, NULL, 0, "a", VIB_LEVEL_PARTNER, out, sizeof(out), &err) == 0);
	CHECK(strstr(out, "a 1.0") && strstr(out, "b 1.0"));
	fix_free(&f);
}

int main(void)
{
	RUN(test_req_parse);
	RUN(test_simple_newest);
	RUN(test_diamond);
	RUN(test_conflict);
	RUN(test_replaces);
	RUN(test_provides);
	RUN(test_version_constraint_unmet);
	RUN(test_backtracking);
	RUN(test_level_policy);
	RUN(test_installed_kept_and_upgraded);
	RUN(test_set_check);
	RUN(test_cycle_and_many);
	UNIT_EXIT();
}
