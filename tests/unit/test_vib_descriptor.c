/* test_vib_descriptor.c: descriptor.xml parsed (every field, both payload checksums), written and parsed back,
 * and refused when hostile or invalid: external entity, billion laughs, huge attribute, deep nesting, missing
 * fields, bad relation, bad version, non-UTF-8, truncated, CDATA, oversize, unknown or repeated checksums. Table-driven: one row per document and its expected error. */
#include <errno.h>
#include <stdlib.h>

#include "vib/descriptor.h"
#include "unit.h"

static const char good[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<vib version=\"1.0\">\n"
	"  <name>hello</name>\n  <version>1.2-3</version>\n  <vendor>Example &amp; Co</vendor>\n"
	"  <summary>Says hello</summary>\n  <description>Line one\nline &lt;two&gt;</description>\n"
	"  <release-date>2026-11-01T00:00:00Z</release-date>\n"
	"  <acceptance-level>partner</acceptance-level>\n"
	"  <!-- a comment is fine -->\n"
	"  <relationships>\n"
	"    <depends><constraint name=\"libgreet\" relation=\"&gt;=\" version=\"2.0\"/><constraint name=\"base\"/></depends>\n"
	"    <conflicts><constraint name=\"oldhello\" relation=\"&lt;&lt;\" version=\"1.0\"/></conflicts>\n"
	"    <replaces><constraint name=\"hi\"/></replaces>\n"
	"    <provides><provide name=\"greeter\" version=\"1.0\"/><provide name=\"talker\"/></provides>\n"
	"  </relationships>\n"
	"  <flags><live-install-allowed>true</live-install-allowed><live-remove-allowed>false</live-remove-allowed>"
	"<stateless-ready> true </stateless-ready></flags>\n"
	"  <sticky-files><file>/etc/hello.conf</file><file>/etc/hello.d/x</file></sticky-files>\n"
	"  <future-element>ignored</future-element>\n"
	"  <payloads><payload name=\"hello\" type=\"tdk\" size=\"123\"><checksum checksum-type=\"sha-256\">"
	"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855</checksum>"
	"<checksum checksum-type=\"sha-256\" verify-process=\"boot-module\">"
	"A1B2C3D4E5F60718293A4B5C6D7E8F90112233445566778899AABBCCDDEEFF07</checksum></payload></payloads>\n"
	"</vib>\n";

static void check_good(const struct vib_desc *d)
{
	CHECK_STR(d->name, "hello");
	CHECK_STR(d->version, "1.2-3");
	CHECK_STR(d->vendor, "Example & Co");
	CHECK_STR(d->summary, "Says hello");
	CHECK_STR(d->description, "Line one\nline <two>");
	CHECK_STR(d->release_date, "2026-11-01T00:00:00Z");
	CHECK(d->level == VIB_LEVEL_PARTNER);
	CHECK(d->ndepends == 2 && d->depends[0].op == VIB_OP_GE && !strcmp(d->depends[0].version, "2.0"));
	CHECK(d->ndepends == 2 && d->depends[1].op == VIB_OP_ANY && !strcmp(d->depends[1].name, "base"));
	CHECK(d->nconflicts == 1 && d->conflicts[0].op == VIB_OP_LT);
	CHECK(d->nreplaces == 1 && !strcmp(d->replaces[0].name, "hi"));
	CHECK(d->nprovides == 2 && d->provides[0].op == VIB_OP_EQ && d->provides[1].op == VIB_OP_ANY);
	CHECK(d->live_install_allowed && !d->live_remove_allowed && d->stateless_ready);
	CHECK(d->nsticky == 2 && !strcmp(d->sticky[1], "/etc/hello.d/x"));
	CHECK(d->npayloads == 1 && !strcmp(d->payloads[0].name, "hello") && d->payloads[0].size == 123);
	CHECK(d->npayloads == 1 && d->payloads[0].sha256[0] == 0xe3 && d->payloads[0].sha256[31] == 0x55);
	CHECK(d->npayloads == 1 && d->payloads[0].has_module_sha256 && d->payloads[0].module_sha256[0] == 0xa1 &&
	      d->payloads[0].module_sha256[31] == 0x07);
}

static void test_good(void)
{
	struct vib_desc d, d2;
	struct rh_err err = { 0 };
	char *out = NULL, *out2 = NULL;
	size_t len, len2;

	CHECK(vib_desc_parse(good, strlen(good), &d, &err) == 0);
	if (err.msg[0])
		fprintf(stderr, "  %s\n", err.msg);
	check_good(&d);
	/* written and parsed back: the same struct; written again: the same bytes */
	CHECK(vib_desc_write(&d, &out, &len, &err) == 0);
	CHECK(out && vib_desc_parse(out, len, &d2, &err) == 0);
	check_good(&d2);
	CHECK(vib_desc_write(&d2, &out2, &len2, &err) == 0);
	CHECK(out2 && len == len2 && !memcmp(out, out2, len));
	vib_desc_free(&d);
	vib_desc_free(&d2);
	vib_desc_free(&d2); /* safe twice */
	free(out);
	free(out2);
}

#define HEAD "<?xml version=\"1.0\"?><vib version=\"1.0\">"
#define REQ "<name>x</name><version>1.0</version><vendor>v</vendor><acceptance-level>community</acceptance-level>"
#define TAIL "</vib>"
#define H64 "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
#define MODCK "<checksum checksum-type=\"sha-256\" verify-process=\"boot-module\">" H64 "</checksum>"

static const struct {
	const char *what, *doc;
	int rc;
	const char *msg;
} bad[] = {
	{ "external entity", "<?xml version=\"1.0\"?><!DOCTYPE vib [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	  "<vib version=\"1.0\"><name>&x;</name></vib>", -EBADMSG, "DOCTYPE" },
	{ "billion laughs", "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
	  "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><vib version=\"1.0\">&lol2;</vib>", -EBADMSG, "DOCTYPE" },
	{ "external DTD", "<!DOCTYPE vib SYSTEM \"http://example.com/x.dtd\"><vib/>", -EBADMSG, "refused" },
	{ "undeclared entity", HEAD REQ "<summary>&xxe;</summary>" TAIL, -EBADMSG, "descriptor.xml:1:" },
	{ "CDATA", HEAD REQ "<summary><![CDATA[x]]></summary>" TAIL, -EBADMSG, "CDATA" },
	{ "truncated", HEAD REQ "<summary>abc", -EBADMSG, "descriptor.xml:" },
	{ "empty", "", -EBADMSG, "empty" },
	{ "not XML", "hello", -EBADMSG, "descriptor.xml:" },
	{ "non-UTF-8", HEAD REQ "<summary>caf\xe9</summary>" TAIL, -EBADMSG, "not valid UTF-8" },
	{ "overlong UTF-8", HEAD REQ "<summary>\xc0\xaf</summary>" TAIL, -EBADMSG, "not valid UTF-8" },
	{ "surrogate UTF-8", HEAD REQ "<summary>\xed\xa0\x80</summary>" TAIL, -EBADMSG, "not valid UTF-8" },
	{ "wrong root", "<vob version=\"1.0\"/>", -EINVAL, "<vob>" },
	{ "wrong format", "<vib version=\"2.0\">" REQ TAIL, -EINVAL, "format 1.0" },
	{ "missing name", HEAD "<version>1.0</version><vendor>v</vendor><acceptance-level>partner</acceptance-level>" TAIL,
	  -EINVAL, "missing <name>" },
	{ "missing version", HEAD "<name>x</name><vendor>v</vendor><acceptance-level>partner</acceptance-level>" TAIL,
	  -EINVAL, "missing <version>" },
	{ "missing vendor", HEAD "<name>x</name><version>1</version><acceptance-level>partner</acceptance-level>" TAIL,
	  -EINVAL, "missing <vendor>" },
	{ "missing level", HEAD "<name>x</name><version>1</version><vendor>v</vendor>" TAIL, -EINVAL,
	  "missing <acceptance-level>" },
	{ "bad level", HEAD "<name>x</name><version>1</version><vendor>v</vendor><acceptance-level>vmware</acceptance-level>"
	  TAIL, -EINVAL, "\"vmware\" is not community" },
	{ "bad version", HEAD "<name>x</name><version>one</version><vendor>v</vendor><acceptance-level>partner"
	  "</acceptance-level>" TAIL, -EINVAL, "\"one\" is not a valid version" },
	{ "bad name", HEAD "<name>../x</name><version>1</version><vendor>v</vendor><acceptance-level>partner"
	  "</acceptance-level>" TAIL, -EINVAL, "\"../x\" is not a valid name" },
	{ "name twice", HEAD REQ "<name>y</name>" TAIL, -EINVAL, "<name> given twice" },
	{ "bad relation", HEAD REQ "<relationships><depends><constraint name=\"a\" relation=\"&lt;\" version=\"1\"/>"
	  "</depends></relationships>" TAIL, -EINVAL, "relation \"<\" is not one of" },
	{ "relation without version", HEAD REQ "<relationships><depends><constraint name=\"a\" relation=\"=\"/>"
	  "</depends></relationships>" TAIL, -EINVAL, "relation and version go together" },
	{ "bad constraint version", HEAD REQ "<relationships><conflicts><constraint name=\"a\" relation=\"=\" version=\"x y\"/>"
	  "</conflicts></relationships>" TAIL, -EINVAL, "\"x y\" is not a valid version" },
	{ "constraint without name", HEAD REQ "<relationships><depends><constraint/></depends></relationships>" TAIL,
	  -EINVAL, "missing name" },
	{ "bad flag", HEAD REQ "<flags><live-install-allowed>yes</live-install-allowed></flags>" TAIL, -EINVAL,
	  "\"yes\" is not true or false" },
	{ "relative sticky", HEAD REQ "<sticky-files><file>etc/x</file></sticky-files>" TAIL, -EINVAL, "\"etc/x\"" },
	{ "dotdot sticky", HEAD REQ "<sticky-files><file>/etc/../x</file></sticky-files>" TAIL, -EINVAL, "normalised" },
	{ "payload without checksum", HEAD REQ "<payloads><payload name=\"p\" type=\"tdk\" size=\"1\"/></payloads>" TAIL,
	  -EINVAL, "missing <checksum>" },
	{ "payload bad size", HEAD REQ "<payloads><payload name=\"p\" type=\"tdk\" size=\"-1\"/></payloads>" TAIL,
	  -EINVAL, "size \"-1\"" },
	{ "payload bad type", HEAD REQ "<payloads><payload name=\"p\" type=\"rpm\" size=\"1\"/></payloads>" TAIL,
	  -EINVAL, "type \"rpm\"" },
	{ "payload bad hash", HEAD REQ "<payloads><payload name=\"p\" type=\"tdk\" size=\"1\"><checksum "
	  "checksum-type=\"sha-256\">abc</checksum></payload></payloads>" TAIL, -EINVAL, "not 64 hex digits" },
	{ "payload md5", HEAD REQ "<payloads><payload name=\"p\" type=\"tdk\" size=\"1\"><checksum "
	  "checksum-type=\"md5\">abc</checksum></payload></payloads>" TAIL, -EINVAL, "\"md5\" is not sha-256" },
	{ "unknown verify-process", HEAD REQ "<payloads><payload name=\"p\" type=\"tdk\" size=\"1\"><checksum "
	  "checksum-type=\"sha-256\">" H64 "</checksum><checksum checksum-type=\"sha-256\" verify-process=\"gunzip\">"
	  H64 "</checksum></payload></payloads>" TAIL, -EINVAL, "verify-process \"gunzip\" is not boot-module" },
	{ "two boot-module checksums", HEAD REQ "<payloads><payload name=\"p\" type=\"tdk\" size=\"1\"><checksum "
	  "checksum-type=\"sha-256\">" H64 "</checksum>" MODCK MODCK "</payload></payloads>" TAIL, -EINVAL,
	  "two <checksum> verify-process=\"boot-module\"" },
	{ "two plain checksums", HEAD REQ "<payloads><payload name=\"p\" type=\"tdk\" size=\"1\"><checksum "
	  "checksum-type=\"sha-256\">" H64 "</checksum><checksum checksum-type=\"sha-256\">" H64 "</checksum>"
	  "</payload></payloads>" TAIL, -EINVAL, "payload p: two <checksum>" },
	{ "boot-module checksum only", HEAD REQ "<payloads><payload name=\"p\" type=\"tdk\" size=\"1\">" MODCK
	  "</payload></payloads>" TAIL, -EINVAL, "missing <checksum>" },
	{ "bad boot-module checksum", HEAD REQ "<payloads><payload name=\"p\" type=\"tdk\" size=\"1\"><checksum "
	  "checksum-type=\"sha-256\">" H64 "</checksum><checksum checksum-type=\"sha-256\" verify-process=\"boot-module\">"
	  "xyz</checksum></payload></payloads>" TAIL, -EINVAL, "\"xyz\" is not 64 hex digits" },
	{ "payload slash name", HEAD REQ "<payloads><payload name=\"a/b\" type=\"tdk\" size=\"1\"/></payloads>" TAIL,
	  -EINVAL, "not a valid name" },
	{ "long summary", HEAD REQ "<summary>" "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	  "</summary>" TAIL, -E2BIG, "<summary> is 270 bytes" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vib_desc d;
		struct rh_err err = { 0 };
		int r = vib_desc_parse(bad[i].doc, strlen(bad[i].doc), &d, &err);

		if (r != bad[i].rc || !strstr(err.msg, bad[i].msg)) {
			fprintf(stderr, "  %s: rc %d (want %d), msg '%s' (want '%s')\n", bad[i].what, r, bad[i].rc, err.msg,
				bad[i].msg);
			CHECK(0);
		}
		if (r == 0)
			vib_desc_free(&d);
	}
}

/* Generated hostile documents: a 1 MiB attribute, a 1 MiB document, deep nesting, a long attribute. */
static void test_generated(void)
{
	size_t big = (1u << 20) + 100;
	char *buf = malloc(big + 200);
	struct vib_desc d;
	struct rh_err err = { 0 };
	size_t n;

	/* huge attribute: the document is past the size limit */
	n = (size_t)sprintf(buf, "<vib version=\"1.0\" x=\"");
	memset(buf + n, 'a', big);
	n += big;
	n += (size_t)sprintf(buf + n, "\"/>");
	CHECK(vib_desc_parse(buf, n, &d, &err) == -E2BIG && strstr(err.msg, "more than the limit"));

	/* a 1 KiB attribute within the limit, in a payload name: refused by its field's bound */
	rh_err_clear(&err);
	n = (size_t)sprintf(buf, HEAD REQ "<payloads><payload name=\"");
	memset(buf + n, 'a', 1024);
	n += 1024;
	n += (size_t)sprintf(buf + n, "\" type=\"tdk\" size=\"1\"/></payloads>" TAIL);
	CHECK(vib_desc_parse(buf, n, &d, &err) == -E2BIG && strstr(err.msg, "<payload name=...> is 1024 bytes"));

	/* deep nesting: 10000 levels (past the XML tree's limit of 256) and 20 levels (ours, 16) */
	for (int depth = 20; depth <= 10000; depth += 9980) {
		rh_err_clear(&err);
		n = (size_t)sprintf(buf, HEAD REQ);
		for (int i = 0; i < depth; i++)
			n += (size_t)sprintf(buf + n, "<a>");
		for (int i = 0; i < depth; i++)
			n += (size_t)sprintf(buf + n, "</a>");
		n += (size_t)sprintf(buf + n, TAIL);
		int r = vib_desc_parse(buf, n, &d, &err);

		CHECK(r == -EBADMSG);
		if (r != -EBADMSG)
			fprintf(stderr, "  depth %d: %d %s\n", depth, r, err.msg);
	}

	/* too many list entries */
	rh_err_clear(&err);
	n = (size_t)sprintf(buf, HEAD REQ "<sticky-files>");
	for (int i = 0; i < VIB_LIST_MAX + 1; i++)
		n += (size_t)sprintf(buf + n, "<file>/f%d</file>", i);
	n += (size_t)sprintf(buf + n, "</sticky-files>" TAIL);
	CHECK(vib_desc_parse(buf, n, &d, &err) == -E2BIG && strstr(err.msg, "more than 256"));
	free(buf);
}

/* defaults of a minimal descriptor; the writer refuses what would not read back */
static void test_minimal_and_write_refusals(void)
{
	const char *doc = HEAD REQ TAIL;
	struct vib_desc d;
	struct rh_err err = { 0 };
	char *out = NULL;
	size_t len;

	CHECK(vib_desc_parse(doc, strlen(doc), &d, &err) == 0);
	CHECK(d.level == VIB_LEVEL_COMMUNITY && !d.live_install_allowed && !d.npayloads && d.description &&
	      !d.description[0]);
	strcpy(d.summary, " padded");
	CHECK(vib_desc_write(&d, &out, &len, &err) == -EINVAL);
	strcpy(d.summary, "ok");
	strcpy(d.name, "a/b");
	CHECK(vib_desc_write(&d, &out, &len, &err) == -EINVAL);
	strcpy(d.name, "x");
	strcpy(d.summary, "a\r\tb & <c> \"d\"");
	CHECK(vib_desc_write(&d, &out, &len, &err) == 0);
	vib_desc_free(&d);
	CHECK(out && vib_desc_parse(out, len, &d, &err) == 0);
	CHECK_STR(d.summary, "a\r\tb & <c> \"d\"");
	vib_desc_free(&d);
	free(out);
}

int main(void)
{
	RUN(test_good);
	RUN(test_bad);
	RUN(test_generated);
	RUN(test_minimal_and_write_refusals);
	UNIT_EXIT();
}
