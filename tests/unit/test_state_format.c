/* test_state_format.c: the state generation footer and MANIFEST parsers, generation names, the keep-N pruning
 * plan, state.env and the diff of two sets, table-driven. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ramdisk/state/state_format.h"
#include "ramdisk/state/state_store.h"
#include "unit.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A whole "generation": payload then footer, with the right SHA-256 unless told otherwise. */
static size_t make_gen(uint8_t *buf, const char *payload, uint64_t gen)
{
	struct state_footer f;
	size_t n = strlen(payload);

	memcpy(buf, payload, n);
	f.generation = gen;
	f.payload_len = n;
	f.created = 1700000000;
	sha256_buf(buf, n, f.sha256);
	state_footer_format(&f, buf + n);
	return n + STATE_FOOTER_SIZE;
}

static void test_footer(void)
{
	static const struct {
		const char *what;
		int cut;        /* bytes cut off the end */
		int flip;       /* byte index to flip (-1 none); counted from the start */
		int rc;
		const char *msg;
	} cases[] = {
		{ "intact", 0, -1, 0, NULL },
		{ "payload bit flipped", 0, 3, -EINVAL, "SHA-256 mismatch" },
		{ "truncated by one byte", 1, -1, -EINVAL, "no RHSTFOOT magic" },
		{ "footer CRC", 0, 10 + 40, -EINVAL, "CRC32 mismatch" },
		{ "footer magic", 0, 10 + 0, -EINVAL, "no RHSTFOOT magic" },
		{ "shorter than a footer", 10 + 20, -1, -EINVAL, "shorter than the 80-byte footer" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[256];
		size_t len = make_gen(buf, "0123456789", 7);
		struct state_footer f;
		struct rh_err err = { 0, "" };
		int rc;

		if (cases[i].flip >= 0)
			buf[cases[i].flip] ^= 0x01;
		len -= (size_t)cases[i].cut;
		rc = state_footer_check(buf, len, "g", &f, &err);
		if (rc != cases[i].rc || (cases[i].msg && !strstr(err.msg, cases[i].msg)))
			fprintf(stderr, "  case '%s': rc %d, message '%s'\n", cases[i].what, rc, err.msg);
		CHECK(rc == cases[i].rc);
		if (!rc)
			CHECK(f.generation == 7 && f.payload_len == 10 && f.created == 1700000000);
	}
	{   /* a whole file moved: payload length in the footer no longer matches */
		uint8_t buf[256], big[300];
		size_t len = make_gen(buf, "0123456789", 7);
		struct state_footer f;
		struct rh_err err = { 0, "" };

		memset(big, 'x', 5);
		memcpy(big + 5, buf, len);
		CHECK(state_footer_parse(big, len + 5, "g", &f, &err) == -EINVAL);
		CHECK(strstr(err.msg, "truncated: footer says 10 payload bytes, file has 15") != NULL);
	}
}

static void test_manifest_parse(void)
{
	static const struct {
		const char *text;
		int rc;
		const char *msg;
		size_t n;
	} cases[] = {
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nend 0\n", 0, NULL, 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\n"
		  "f 1644 0 0 1.000000000 3 " HEX64 " - /etc/hostname\n"
		  "l 0777 1 2 1.5 3 " HEX64 " - /x\n"
		  "end 2\n",
		  -EINVAL, "line 6: mtime is not SECONDS.NANOSECONDS", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\n"
		  "f 1644 0 0 1.000000000 3 " HEX64 " " HEX64 " /etc/host\\040name\n"
		  "d /etc/motd\n"
		  "l 0777 1 2 1.000000005 3 " HEX64 " - /x\n"
		  "end 3\n",
		  0, NULL, 3 },
		{ "ramhost-state 2\ngeneration 3\ncreated 5\nhostname h\nend 0\n", -EINVAL, "version 2", 0 },
		{ "ramhost-state 1\ngeneration 0\ncreated 5\nhostname h\nend 0\n", -EINVAL, "line 2: bad generation", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\n", -EINVAL, "no end line (truncated)", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nend 0", -EINVAL, "no newline at the end", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nend 1\n", -EINVAL, "end count", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nd /a/../b\nend 1\n", -EINVAL,
		  "not a clean absolute path", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nd a/b\nend 1\n", -EINVAL,
		  "not a clean absolute path", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nd /a b\nend 1\n", -EINVAL,
		  "not a clean absolute path", 0 },   /* a space must be escaped */
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nd /b\nd /a\nend 2\n", -EINVAL, "out of order", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nd /a\nd /a\nend 2\n", -EINVAL, "out of order", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\n"
		  "l 0777 0 0 1.000000000 3 " HEX64 " - /a\n"
		  "f 0644 0 0 1.000000000 3 " HEX64 " - /a/b\nend 2\n",
		  -EINVAL, "'/a/b' lies below '/a', which is a symlink", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\n"
		  "f 0644 0 0 1.000000000 3 " HEX64 " - /a\n"
		  "d /a/b\nend 2\n",
		  0, NULL, 2 },   /* a deletion below a file is harmless */
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nf 0644 0 0 1.000000000 3 xyz - /a\nend 1\n",
		  -EINVAL, "bad sha256", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nf 644 0 0 1.000000000 3 " HEX64 " - /a\nend 1\n",
		  -EINVAL, "not 4 octal digits", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nl 0777 0 0 1.000000000 0 " HEX64 " - /a\nend 1\n",
		  -EINVAL, "symlink target length 0", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nx /a\nend 1\n", -EINVAL, "not an entry", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nend 0\nd /a\n", -EINVAL, "after the end line", 0 },
		{ "ramhost-state 1\ngeneration 3\nhostname h\nend 0\n", -EINVAL, "line 3: expected 'created'", 0 },
		{ "ramhost-state 1\ngeneration 3\ncreated 5\nhostname h\nd /a\\400\nend 1\n", -EINVAL,
		  "not a clean absolute path", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct state_manifest m;
		struct rh_err err = { 0, "" };
		int rc = state_manifest_parse(cases[i].text, strlen(cases[i].text), &m, &err);

		if (rc != cases[i].rc || (cases[i].msg && !strstr(err.msg, cases[i].msg)))
			fprintf(stderr, "  case %zu: rc %d, message '%s'\n", i, rc, err.msg);
		CHECK(rc == cases[i].rc);
		if (!rc) {
			CHECK(m.n == cases[i].n);
			CHECK(m.generation == 3 && m.created == 5);
			state_manifest_free(&m);
		}
	}
}

/* format -> parse -> format gives the same text, with escapes for odd bytes in paths. */
static void test_manifest_round_trip(void)
{
	static const char *const paths[] = { "/etc/a b", "/etc/back\\slash", "/etc/new\nline", "/etc/z", "/\x7f" };
	struct state_manifest m, back;
	struct rh_err err = { 0, "" };
	char *t1 = NULL, *t2 = NULL;
	size_t l1, l2, i;

	memset(&m, 0, sizeof(m));
	m.generation = 12;
	m.created = 99;
	snprintf(m.hostname, sizeof(m.hostname), "host one");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct state_entry e;

		memset(&e, 0, sizeof(e));
		e.type = i == 3 ? STATE_DELETED : i == 4 ? STATE_LINK : STATE_FILE;
		e.mode = i ? 0644 : 01755;
		e.uid = (uint32_t)i;
		e.gid = 4000000000u;
		e.mtime = 1700000000 + (int64_t)i;
		e.mtime_ns = 123456789;
		e.size = i + 1;
		e.sha256[0] = (uint8_t)i;
		e.has_xattrs = i == 1;
		e.xattr_sha256[5] = 9;
		e.path = (char *)paths[i];
		CHECK(state_manifest_add(&m, &e) == 0);
	}
	CHECK(state_manifest_sort_check(&m, &err) == 0);
	CHECK(state_manifest_format(&m, &t1, &l1) == 0);
	CHECK(strstr(t1, "/etc/a\\040b\n") != NULL);
	CHECK(strstr(t1, "/etc/new\\012line\n") != NULL);
	CHECK(strstr(t1, "hostname host\\040one\n") != NULL);
	CHECK(state_manifest_parse(t1, l1, &back, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(back.n == m.n);
	for (i = 0; i < back.n && i < m.n; i++)
		CHECK(state_entry_same(&back.e[i], &m.e[i]));
	CHECK_STR(back.hostname, "host one");
	CHECK(state_manifest_format(&back, &t2, &l2) == 0);
	CHECK(l1 == l2 && !memcmp(t1, t2, l1));
	CHECK(state_manifest_find(&back, "/etc/z") && state_manifest_find(&back, "/etc/z")->type == STATE_DELETED);
	CHECK(state_manifest_find(&back, "/etc/y") == NULL);
	free(t1);
	free(t2);
	state_manifest_free(&back);
	state_manifest_free(&m);
}

static void test_paths(void)
{
	static const struct {
		const char *p;
		int ok;
	} cases[] = {
		{ "/etc/hostname", 1 }, { "/a", 1 }, { "/", 0 }, { "", 0 }, { "etc", 0 }, { "/etc/", 0 },
		{ "//etc", 0 }, { "/etc//x", 0 }, { "/./x", 0 }, { "/x/..", 0 }, { "/x/../y", 0 }, { "/..", 0 },
		{ "/...", 1 }, { "/.hidden", 1 }, { "/a/.b/c", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ok = state_path_valid(cases[i].p, strlen(cases[i].p));

		if (ok != cases[i].ok)
			fprintf(stderr, "  '%s': %d\n", cases[i].p, ok);
		CHECK(ok == cases[i].ok);
	}
}

static void test_names(void)
{
	static const struct {
		const char *name;
		uint64_t gen;
		int temp;
	} cases[] = {
		{ "state-00000007.rhs", 7, 0 }, { "state-99999999.rhs", 99999999, 0 }, { "state-0000007.rhs", 0, 0 },
		{ "state-000000007.rhs", 0, 0 }, { "state-0000000x.rhs", 0, 0 }, { "state-00000007.rhs.tmp", 0, 0 },
		{ ".state-00000007.rhs.tmp", 0, 1 }, { "state-00000007.tgz", 0, 0 }, { "other", 0, 0 },
		{ "state-00000000.rhs", 0, 0 },
	};
	char buf[STATE_NAME_LEN];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(state_gen_from_name(cases[i].name) == cases[i].gen);
		CHECK(state_is_temp_name(cases[i].name) == cases[i].temp);
	}
	state_gen_name(42, buf, sizeof(buf));
	CHECK_STR(buf, "state-00000042.rhs");
	CHECK(state_gen_from_name(buf) == 42);
}

static void test_prune_plan(void)
{
	static const struct {
		uint64_t gens[6];
		size_t n;
		uint64_t just;
		unsigned keep;
		int drop[6];
		size_t dropped;
	} cases[] = {
		{ { 1, 2, 3 }, 3, 3, 3, { 0, 0, 0 }, 0 },
		{ { 1, 2, 3, 4 }, 4, 4, 3, { 1, 0, 0, 0 }, 1 },
		{ { 4, 1, 3, 2, 5 }, 5, 5, 2, { 0, 1, 1, 1, 0 }, 3 },
		{ { 1, 2, 3 }, 3, 3, 1, { 1, 1, 0 }, 2 },
		{ { 1, 2, 3 }, 3, 3, 0, { 1, 1, 0 }, 2 },     /* keep 0 counts as 1 */
		{ { 7, 9, 8 }, 3, 0, 5, { 0, 0, 0 }, 0 },
		/* the just-written one is never dropped, even when a higher number exists */
		{ { 5, 6, 10 }, 3, 6, 1, { 1, 0, 0 }, 1 },
		{ { 0 }, 0, 1, 3, { 0 }, 0 },
	};
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int drop[6] = { 9, 9, 9, 9, 9, 9 };
		size_t d = state_prune_plan(cases[i].gens, cases[i].n, cases[i].just, cases[i].keep, drop);

		CHECK(d == cases[i].dropped);
		for (j = 0; j < cases[i].n; j++) {
			if (drop[j] != cases[i].drop[j])
				fprintf(stderr, "  case %zu: gen %llu drop %d\n", i, (unsigned long long)cases[i].gens[j],
					drop[j]);
			CHECK(drop[j] == cases[i].drop[j]);
		}
	}
}

static void test_state_env(void)
{
	static const struct {
		const char *text;
		int rc, has;
		uint64_t gen;
	} cases[] = {
		{ "generation=7\nstore=/run/ramhost/state\ndevice=/dev/vda4\n", 0, 1, 7 },
		{ "generation=none\nstore=\ndevice=\n", 0, 0, 0 },
		{ "# c\nfuture=1\ngeneration=3", 0, 1, 3 },
		{ "store=/x\n", -EINVAL, 0, 0 },
		{ "generation=x\n", -EINVAL, 0, 0 },
		{ "generation=0\n", -EINVAL, 0, 0 },
		{ "junk\n", -EINVAL, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct state_env e, back;
		struct rh_err err = { 0, "" };
		char out[STATE_PATH_MAX * 3];
		long n;
		int rc = state_env_parse(cases[i].text, strlen(cases[i].text), &e, &err);

		CHECK(rc == cases[i].rc);
		if (rc)
			continue;
		CHECK(e.has_generation == cases[i].has && e.generation == cases[i].gen);
		n = state_env_format(&e, out, sizeof(out));
		CHECK(n > 0 && state_env_parse(out, (size_t)n, &back, &err) == 0);
		CHECK(!memcmp(&e, &back, sizeof(e)));
	}
}

struct collected {
	char text[512];
};

static void collect_diff(void *ctx, char op, const char *path)
{
	struct collected *c = ctx;
	size_t l = strlen(c->text);

	snprintf(c->text + l, sizeof(c->text) - l, "%c %s\n", op, path);
}

static void add(struct state_manifest *m, char type, const char *path, uint8_t sha)
{
	struct state_entry e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.path = (char *)path;
	e.mode = 0644;
	e.sha256[0] = sha;
	state_manifest_add(m, &e);
}

static void test_diff(void)
{
	struct state_manifest old, live;
	struct collected c = { "" };
	struct rh_err err = { 0, "" };

	memset(&old, 0, sizeof(old));
	memset(&live, 0, sizeof(live));
	add(&old, 'f', "/a", 1);      /* same */
	add(&old, 'f', "/b", 1);      /* changed */
	add(&old, 'f', "/c", 1);      /* gone */
	add(&old, 'd', "/d", 0);      /* was deleted, is back */
	add(&old, 'd', "/e", 0);      /* still deleted */
	add(&old, 'f', "/g", 1);      /* now a deletion */
	add(&live, 'f', "/a", 1);
	add(&live, 'f', "/b", 2);
	add(&live, 'f', "/d", 1);
	add(&live, 'd', "/e", 0);
	add(&live, 'f', "/f", 1);     /* new */
	add(&live, 'd', "/g", 0);
	add(&live, 'd', "/h", 0);     /* a new deletion of something never saved */
	CHECK(state_manifest_sort_check(&old, &err) == 0 && state_manifest_sort_check(&live, &err) == 0);
	CHECK(state_diff(&old, &live, collect_diff, &c) == 5);
	CHECK_STR(c.text, "M /b\nD /c\nA /d\nA /f\nD /g\n");
	CHECK(state_diff(&old, &old, NULL, NULL) == 0);
	c.text[0] = '\0';
	CHECK(state_diff(NULL, &old, collect_diff, &c) == 4);
	CHECK_STR(c.text, "A /a\nA /b\nA /c\nA /g\n");
	state_manifest_free(&old);
	state_manifest_free(&live);
}

int main(void)
{
	RUN(test_footer);
	RUN(test_manifest_parse);
	RUN(test_manifest_round_trip);
	RUN(test_paths);
	RUN(test_names);
	RUN(test_prune_plan);
	RUN(test_state_env);
	RUN(test_diff);
	UNIT_EXIT();
}
