/* test_vib_depot.c: the depot index written and read back, hostile indexes refused, depot image profiles, depot
 * load from a directory and file://, a VIB located and checked against the index's hash; and the installed-VIB
 * database (vibdb.h): put, load sorted, sticky.list, del, vibs.cpio with acceptance and trust store. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "image-builder/profile.h"
#include "sha256.h"
#include "unit.h"
#include "vib/depot.h"
#include "vib/vibdb.h"

#define DESC(name, ver, extra)                                                                              \
	"<?xml version=\"1.0\"?>\n<vib version=\"1.0\"><name>" name "</name><version>" ver "</version>"     \
	"<vendor>Example</vendor><summary>s</summary><acceptance-level>partner</acceptance-level>" extra   \
	"</vib>\n"

static const char desc_hello[] = DESC("hello", "1.0-1",
	"<relationships><depends><constraint name=\"libgreet\" relation=\"&gt;=\" version=\"2.0\"/></depends>"
	"<provides><provide name=\"greeter\" version=\"1.0\"/></provides></relationships>"
	"<sticky-files><file>/etc/hello.conf</file><file>/usr/not-saved</file></sticky-files>");
static const char desc_lib[] = DESC("libgreet", "2.0-1", "<sticky-files><file>/etc/greet.conf</file>"
							  "<file>/etc/hello.conf</file></sticky-files>");

static char tmpdir[256];

static void mktmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_vib_depot.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		abort();
}

static void rmtmp(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "  cannot remove %s\n", tmpdir);
}

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), rc;
	if (fd < 0)
		return -errno;
	rc = rh_write_all(fd, buf, len);
	close(fd);
	return rc;
}

/* A depot of two VIBs and one profile, its index text in *ret (malloc'd). */
static int make_index(char **ret, size_t *ret_len)
{
	struct depot d;
	struct depot_vib v[2];
	struct depot_profile p;
	struct vib_req reqs[2];
	const char *descs[2] = { desc_hello, desc_lib };
	size_t lens[2] = { sizeof(desc_hello) - 1, sizeof(desc_lib) - 1 };
	struct rh_err err = { 0 };
	int rc;

	memset(&d, 0, sizeof(d));
	memset(v, 0, sizeof(v));
	memset(&p, 0, sizeof(p));
	strcpy(v[0].path, "vibs/hello-1.0-1.vib");
	v[0].size = 1234;
	v[0].level = VIB_LEVEL_PARTNER;
	v[0].verified = 1;
	sha256_buf("a", 1, v[0].sha256);
	strcpy(v[1].path, "libgreet.vib");
	v[1].size = 99;
	v[1].level = VIB_LEVEL_COMMUNITY;
	sha256_buf("b", 1, v[1].sha256);
	strcpy(p.name, "web");
	strcpy(p.description, "web <servers> & co");
	p.acceptance = VIB_LEVEL_ACCEPTED;
	CHECK(vib_req_parse("hello>=1.0", &reqs[0], &err) == 0);
	CHECK(vib_req_parse("libgreet", &reqs[1], &err) == 0);
	p.vibs = reqs;
	p.nvibs = 2;
	d.vibs = v;
	d.nvibs = 2;
	d.profiles = &p;
	d.nprofiles = 1;
	rc = depot_index_write(&d, descs, lens, ret, ret_len, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	return rc;
}

static void test_index_roundtrip(void)
{
	struct rh_err err = { 0 };
	struct depot d;
	uint8_t h[32];
	char *text = NULL;
	size_t len = 0;

	CHECK(make_index(&text, &len) == 0);
	if (!text)
		return;
	CHECK(depot_index_parse(text, len, "test", &d, &err) == 0);
	if (err.rc) {
		fprintf(stderr, "  %s\n%s\n", err.msg, text);
		free(text);
		return;
	}
	CHECK(d.nvibs == 2 && d.nprofiles == 1);
	CHECK_STR(d.vibs[0].desc.name, "hello");
	CHECK_STR(d.vibs[0].desc.version, "1.0-1");
	CHECK(d.vibs[0].desc.ndepends == 1 && !strcmp(d.vibs[0].desc.depends[0].name, "libgreet") &&
	      d.vibs[0].desc.depends[0].op == VIB_OP_GE);
	CHECK(d.vibs[0].desc.nprovides == 1);
	CHECK_STR(d.vibs[0].path, "vibs/hello-1.0-1.vib");
	CHECK(d.vibs[0].size == 1234 && d.vibs[0].level == VIB_LEVEL_PARTNER && d.vibs[0].verified);
	sha256_buf("a", 1, h);
	CHECK(!memcmp(d.vibs[0].sha256, h, 32));
	CHECK(d.vibs[1].level == VIB_LEVEL_COMMUNITY && !d.vibs[1].verified);
	CHECK_STR(d.profiles[0].name, "web");
	CHECK_STR(d.profiles[0].description, "web <servers> & co");
	CHECK(d.profiles[0].acceptance == VIB_LEVEL_ACCEPTED);
	CHECK(d.profiles[0].nvibs == 2 && d.profiles[0].vibs[0].op == VIB_OP_GE);
	CHECK_STR(d.profiles[0].vibs[0].version, "1.0");
	/* candidates for the resolver point into the depot */
	struct vib_cand *c = NULL;
	size_t nc = 0;
	CHECK(depot_cands(&d, &c, &nc, &err) == 0 && nc == 2);
	CHECK(c && c[1].level == VIB_LEVEL_COMMUNITY && depot_vib_of(&d, c[1].desc) == &d.vibs[1]);
	free(c);
	depot_free(&d);
	free(text);
}

/* Replaces the first occurrence of from in text by to, into out. */
static void subst(const char *text, const char *from, const char *to, char *out, size_t cap)
{
	const char *at = strstr(text, from);
	if (!at) {
		snprintf(out, cap, "%s", text);
		return;
	}
	snprintf(out, cap, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void test_index_hostile(void)
{
	static const struct {
		const char *what, *from, *to;
		int rc;
		const char *msg;
	} rows[] = {
		{ "doctype", "<depot", "<!DOCTYPE depot [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><depot", -EBADMSG,
		  "DOCTYPE" },
		{ "dotdot path", "path=\"vibs/hello-1.0-1.vib\"", "path=\"../../etc/passwd\"", -EINVAL, "relative path" },
		{ "absolute path", "path=\"vibs/hello-1.0-1.vib\"", "path=\"/etc/passwd\"", -EINVAL, "relative path" },
		{ "bad sha", "sha256=\"", "sha256=\"zz", -EINVAL, "bad sha256" },
		{ "bad size", "size=\"1234\"", "size=\"-1\"", -EINVAL, "bad size" },
		{ "bad level", "level=\"partner\"", "level=\"gold\"", -EINVAL, "bad level" },
		{ "wrong root", "<depot version=\"1\">", "<store version=\"1\">", -EBADMSG, "well-formed" },
		{ "version 2", "<depot version=\"1\">", "<depot version=\"2\">", -EINVAL, "not 1" },
		{ "truncated", "</depot>", "", -EBADMSG, "well-formed" },
		{ "bad request", "<vib-request>libgreet<", "<vib-request>lib greet/<", -EINVAL, "profile web" },
		{ "bad descriptor", "<vendor>Example</vendor>", "", -EINVAL, "bad descriptor" },
	};
	char *text = NULL, *bad;
	size_t len = 0, i;

	CHECK(make_index(&text, &len) == 0);
	if (!text)
		return;
	bad = malloc(len + 4096);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err = { 0 };
		struct depot d;
		int rc;

		CHECK(strstr(text, rows[i].from) != NULL);
		subst(text, rows[i].from, rows[i].to, bad, len + 4096);
		rc = depot_index_parse(bad, strlen(bad), "test", &d, &err);
		if (rc != rows[i].rc || !strstr(err.msg, rows[i].msg)) {
			fprintf(stderr, "  %s: rc %d (want %d): %s\n", rows[i].what, rc, rows[i].rc, err.msg);
			unit_failed_now = 1;
		}
		if (!rc)
			depot_free(&d);
	}
	free(bad);
	free(text);
}

static void test_profile_parse(void)
{
	static const struct {
		const char *text;
		int rc;
		size_t nvibs;
		const char *msg;
	} rows[] = {
		{ "# web\nname = web\nacceptance = certified\nvib = hello>=1.0\nvib = libgreet\n", 0, 2, "" },
		{ "vib = hello\n", 0, 1, "" },
		{ "name = web\n", -EINVAL, 0, "no 'vib = NAME'" },
		{ "vib = hello\nacceptance = gold\n", -EINVAL, 0, "P:2: acceptance 'gold'" },
		{ "vib = hello>>\n", -EINVAL, 0, "P:1" },
		{ "colour = red\n", -EINVAL, 0, "unknown key 'colour'" },
		{ "vib hello\n", -EINVAL, 0, "expected 'key = value'" },
		{ "name = a/b\nvib = x\n", -EINVAL, 0, "bad name" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct depot_profile p;
		struct rh_err err = { 0 };
		int rc = depot_profile_parse(rows[i].text, strlen(rows[i].text), "P", &p, &err);
		if (rc != rows[i].rc || (rc && !strstr(err.msg, rows[i].msg))) {
			fprintf(stderr, "  row %zu: rc %d (want %d): %s\n", i, rc, rows[i].rc, err.msg);
			unit_failed_now = 1;
		}
		if (!rc) {
			CHECK(p.nvibs == rows[i].nvibs);
			free(p.vibs);
		}
	}
}

static void test_depot_load_and_fetch(void)
{
	struct rh_err err = { 0 };
	struct depot d;
	char path[512], url[600], got[1024], *text = NULL;
	size_t len = 0;

	mktmp();
	snprintf(path, sizeof(path), "%s/x", tmpdir);
	CHECK(depot_load(path, &d, &err) == -ENOENT);
	CHECK(strstr(err.msg, "depot create") != NULL);
	CHECK(make_index(&text, &len) == 0);
	snprintf(path, sizeof(path), "%s/index.xml", tmpdir);
	CHECK(text && write_file(path, text, len) == 0);
	free(text);
	rh_err_clear(&err);
	CHECK(depot_load(tmpdir, &d, &err) == 0);
	if (err.rc) {
		fprintf(stderr, "  %s\n", err.msg);
		rmtmp();
		return;
	}
	/* libgreet.vib: 99 bytes in the index, "b" hashed: a file of one byte "b" has the right hash, wrong size */
	snprintf(path, sizeof(path), "%s/libgreet.vib", tmpdir);
	CHECK(write_file(path, "b", 1) == 0);
	CHECK(depot_fetch_vib(&d, &d.vibs[1], NULL, NULL, got, sizeof(got), &err) == -EBADMSG);
	CHECK(strstr(err.msg, "the depot index says 99") != NULL);
	d.vibs[1].size = 1;
	rh_err_clear(&err);
	CHECK(depot_fetch_vib(&d, &d.vibs[1], NULL, NULL, got, sizeof(got), &err) == 0);
	CHECK_STR(got, path);
	CHECK(write_file(path, "c", 1) == 0);
	rh_err_clear(&err);
	CHECK(depot_fetch_vib(&d, &d.vibs[1], NULL, NULL, got, sizeof(got), &err) == -EBADMSG);
	CHECK(strstr(err.msg, "SHA-256") != NULL);
	depot_free(&d);
	snprintf(url, sizeof(url), "file://%s", tmpdir);
	rh_err_clear(&err);
	CHECK(depot_load(url, &d, &err) == 0);
	if (!err.rc) {
		CHECK(d.nvibs == 2);
		depot_free(&d);
	}
	rmtmp();
}

static void put(const char *dir, const char *xml, enum vib_level level, const char *sig)
{
	struct vibdb_entry e;
	struct rh_err err = { 0 };

	memset(&e, 0, sizeof(e));
	CHECK(vib_desc_parse(xml, strlen(xml), &e.desc, &err) == 0);
	e.xml = (char *)xml;
	e.xml_len = strlen(xml);
	e.sig = (void *)sig;
	e.sig_len = sig ? strlen(sig) : 0;
	e.level = level;
	CHECK(vibdb_put(dir, &e, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	vib_desc_free(&e.desc);
}

static void test_vibdb(void)
{
	struct rh_err err = { 0 };
	struct vibdb db;
	char dir[512], path[600], *buf = NULL;
	size_t len;
	int fd;

	mktmp();
	snprintf(dir, sizeof(dir), "%s/vibs", tmpdir);
	CHECK(vibdb_load(dir, &db, &err) == 0 && db.n == 0);
	put(dir, desc_lib, VIB_LEVEL_COMMUNITY, NULL);
	put(dir, desc_hello, VIB_LEVEL_PARTNER, "SIG");
	CHECK(vibdb_load(dir, &db, &err) == 0);
	CHECK(db.n == 2);
	if (db.n == 2) {
		CHECK_STR(db.v[0].desc.name, "hello");
		CHECK(db.v[0].level == VIB_LEVEL_PARTNER && db.v[0].sig_len == 3);
		CHECK(db.v[0].xml_len == strlen(desc_hello) && !memcmp(db.v[0].xml, desc_hello, db.v[0].xml_len));
		CHECK_STR(db.v[1].desc.name, "libgreet");
		CHECK(db.v[1].level == VIB_LEVEL_COMMUNITY && db.v[1].sig == NULL);
	}
	/* sticky.list: the union, sorted, once each, /usr left out */
	snprintf(path, sizeof(path), "%s/sticky.list", dir);
	CHECK(rh_read_file(path, 4096, &buf, &len, &err) == 0);
	CHECK(buf && strstr(buf, "\n/etc/greet.conf\n/etc/hello.conf\n") && !strstr(buf, "/usr"));
	CHECK(buf && strstr(buf, "/etc/hello.conf") == strrchr(buf, '/') - strlen("/etc"));
	free(buf);
	buf = NULL;
	/* vibs.cpio with the acceptance and a trust store */
	snprintf(path, sizeof(path), "%s/trust/partner", tmpdir);
	CHECK(rh_mkdir_p(path, 0755, &err) == 0);
	snprintf(path, sizeof(path), "%s/trust/partner/ca.pem", tmpdir);
	CHECK(write_file(path, "PEM", 3) == 0);
	snprintf(path, sizeof(path), "%s/trust", tmpdir);
	struct vibdb_cpio_extra x = { "certified", path };
	char out[600];
	snprintf(out, sizeof(out), "%s/vibs.cpio", tmpdir);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && vibdb_write_cpio_ex(&db, &x, fd, out, &err) == 0);
	close(fd);
	CHECK(rh_read_file(out, 1 << 20, &buf, &len, &err) == 0);
	CHECK(buf && memmem(buf, len, "vibs/hello.xml", 14) && memmem(buf, len, "vibs/libgreet.level", 19) &&
	      memmem(buf, len, "vibs/sticky.list", 16) && memmem(buf, len, "vibs/acceptance", 15) &&
	      memmem(buf, len, "certified\n", 10) && memmem(buf, len, "vibs/trust/partner/ca.pem", 25) &&
	      memmem(buf, len, "TRAILER!!!", 10));
	free(buf);
	vibdb_free(&db);
	/* del: the entry is gone, and its sticky files with it */
	CHECK(vibdb_del(dir, "libgreet", &err) == 0);
	CHECK(vibdb_load(dir, &db, &err) == 0 && db.n == 1);
	vibdb_free(&db);
	snprintf(path, sizeof(path), "%s/sticky.list", dir);
	CHECK(rh_read_file(path, 4096, &buf, &len, &err) == 0);
	CHECK(buf && !strstr(buf, "greet.conf") && strstr(buf, "/etc/hello.conf"));
	free(buf);
	CHECK(vibdb_del(dir, "../x", &err) == -EINVAL);
	/* an entry whose file name and descriptor disagree is refused by name */
	snprintf(path, sizeof(path), "%s/other.xml", dir);
	CHECK(write_file(path, desc_lib, strlen(desc_lib)) == 0);
	rh_err_clear(&err);
	CHECK(vibdb_load(dir, &db, &err) == -EINVAL);
	CHECK(strstr(err.msg, "names VIB 'libgreet', not 'other'") != NULL);
	rmtmp();
}

/* The image profile's VIB keys (image-builder/profile.c): parsed, checked, and absent from a profile that does
 * not use them. */
static void test_profile_vib_keys(void)
{
	static const char head[] = "name = x\nversion = 1\nkernel = debian\nbase = builtin:minimal\n";
	static const struct {
		const char *tail;
		int rc;
		const char *msg;
	} rows[] = {
		{ "", 0, "" },
		{ "depot = d\ndepot = https://h/depot\nvib = hello>=1.0\nvib = lib\nacceptance = certified\n"
		  "trust = t\nimage-profile = web\n", 0, "" },
		{ "vib = hello\n", -EINVAL, "P:5: vib needs at least one 'depot" },
		{ "image-profile = web\n", -EINVAL, "P:5: image-profile needs at least one 'depot" },
		{ "depot = d\nvib = he llo\n", -EINVAL, "P:6: vib 'he llo'" },
		{ "depot = d\nvib = hello\nvib = hello=2\n", -EEXIST, "P:7: vib 'hello' is asked for twice" },
		{ "depot = d\ndepot = d\n", -EEXIST, "P:6: depot 'd' is given twice" },
		{ "depot = ftp://h/x\n", -EINVAL, "P:5: depot 'ftp://h/x'" },
		{ "acceptance = gold\n", -EINVAL, "P:5: acceptance 'gold'" },
		{ "acceptance = partner\nacceptance = partner\n", -EEXIST, "acceptance is given twice" },
		{ "depot = d\nimage-profile = a/b\n", -EINVAL, "image-profile 'a/b'" },
	};
	char buf[1024];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct profile *p = calloc(1, sizeof(*p));
		struct rh_err err = { 0 };
		int n = snprintf(buf, sizeof(buf), "%s%s", head, rows[i].tail), rc;

		rc = profile_parse(buf, (size_t)n, "P", "/base", p, &err);
		if (rc != rows[i].rc || (rc && !strstr(err.msg, rows[i].msg))) {
			fprintf(stderr, "  row %zu: rc %d (want %d): %s\n", i, rc, rows[i].rc, err.msg);
			unit_failed_now = 1;
		}
		if (!rc && i == 0)
			CHECK(!profile_has_vibs(p));
		if (!rc && i == 1) {
			CHECK(profile_has_vibs(p));
			CHECK(p->ndepots == 2 && p->nvibs == 2);
			CHECK_STR(p->depots[0], "/base/d");
			CHECK_STR(p->depots[1], "https://h/depot");
			CHECK_STR(p->vibs[0], "hello>=1.0");
			CHECK_STR(p->acceptance, "certified");
			CHECK_STR(p->trust, "/base/t");
			CHECK_STR(p->image_profile, "web");
		}
		free(p);
	}
}

int main(void)
{
	RUN(test_profile_vib_keys);
	RUN(test_index_roundtrip);
	RUN(test_index_hostile);
	RUN(test_profile_parse);
	RUN(test_depot_load_and_fetch);
	RUN(test_vibdb);
	UNIT_EXIT();
}
