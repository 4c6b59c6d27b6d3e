/* test_vib_xml_tree.c: vib/xml_tree (expat into a bounded tree): refusals with line and column, the limits, the
 * text of an element as libxml2's xmlNodeGetContent gave it, white space between elements dropped, and the
 * writer's formatting and escaping. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vib/xml_tree.h"

static const struct xml_tree_limits lim = { .file = "t.xml", .max_depth = 8, .max_nodes = 64, .max_text = 4096 };

/* Parses doc and writes the root back (formatted when format) into a malloc'd string; NULL on a refusal. */
static char *roundtrip(const char *doc, bool format, struct rh_err *err)
{
	struct xml_tree *t = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (xml_tree_parse(doc, strlen(doc), &lim, &t, err) < 0)
		return NULL;
	f = open_memstream(&out, &len);
	if (f) {
		xml_write_node(f, xml_tree_root(t), 0, format);
		fclose(f);
	}
	xml_tree_free(t);
	return out;
}

static void test_refused(void)
{
	static const struct {
		const char *what, *doc;
		int rc;
		const char *msg;
	} rows[] = {
		{ "doctype", "<!DOCTYPE a><a/>", -EBADMSG, "t.xml:1:12: a DOCTYPE is not allowed" },
		{ "entity", "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", -EBADMSG, "DOCTYPE is not allowed" },
		{ "undefined entity", "<a>&x;</a>", -EBADMSG, "t.xml:1:4: not well-formed XML (undefined entity)" },
		{ "mismatched", "<a>\n<b></a>", -EBADMSG, "t.xml:2:6: not well-formed XML (mismatched tag)" },
		{ "empty", "", -EBADMSG, "not well-formed XML (no element found)" },
		{ "latin-1", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", -EBADMSG, "is not UTF-8" },
		{ "version 2", "<?xml version=\"2.0\"?><a/>", -EBADMSG, "XML version \"2.0\" is not 1.x" },
		{ "too deep", "<a><a><a><a><a><a><a><a><a/></a></a></a></a></a></a></a></a>", -EBADMSG,
		  "t.xml:1:29: elements nested deeper than 8" },
		{ "too many nodes", "<a><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/>"
		  "<b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/>"
		  "<b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/></a>", -E2BIG,
		  "more nodes than the limit" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err = { 0 };
		struct xml_tree *t = NULL;
		int rc = xml_tree_parse(rows[i].doc, strlen(rows[i].doc), &lim, &t, &err);

		if (rc != rows[i].rc || !strstr(err.msg, rows[i].msg)) {
			fprintf(stderr, "  %s: rc %d (want %d): '%s' (want '%s')\n", rows[i].what, rc, rows[i].rc, err.msg,
				rows[i].msg);
			unit_failed_now = 1;
		}
		xml_tree_free(t);
	}
}

static void test_content_and_attrs(void)
{
	const char *doc = "<?xml version=\"1.0\" encoding=\"utf-8\"?><a k=\"v &amp; &#9;w\">x <!--c--><b>y</b>"
			  "<![CDATA[<z>]]>&lt;</a>";
	struct rh_err err = { 0 };
	struct xml_tree *t = NULL;
	char *c;

	CHECK(xml_tree_parse(doc, strlen(doc), &lim, &t, &err) == 0);
	if (!t)
		return;
	CHECK(xml_is_el(xml_tree_root(t), "a") && !xml_attr(xml_tree_root(t), "nope"));
	CHECK_STR(xml_attr(xml_tree_root(t), "k"), "v & \tw");
	c = xml_content(xml_tree_root(t));
	CHECK_STR(c, "x y<z><");
	free(c);
	xml_tree_free(t);
}

static void test_write(void)
{
	static const struct {
		const char *doc, *want;
		bool format;
	} rows[] = {
		/* blanks between elements dropped, children indented, empty elements closed */
		{ "<a>\n  <b> </b>\n  <c></c>\n  <!--n-->\n</a>", "<a>\n  <b> </b>\n  <c/>\n  <!--n-->\n</a>", true },
		/* mixed content keeps its white space and is not indented */
		{ "<a>t <b/>  <c/></a>", "<a>t <b/>  <c/></a>", true },
		{ "<a>\n <b>1</b>\n</a>", "<a><b>1</b></a>", false },
		/* escaping: CR in text, ", TAB and LF in attributes */
		{ "<a k=\"&quot;&#10;&#9;&lt;\">&amp;&#13;\"&gt;</a>", "<a k=\"&quot;&#10;&#9;&lt;\">&amp;&#13;\"&gt;</a>",
		  true },
		{ "<a>&#32;\n<b/></a>", "<a> \n<b/></a>", true },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err = { 0 };
		char *out = roundtrip(rows[i].doc, rows[i].format, &err);

		if (!out || strcmp(out, rows[i].want)) {
			fprintf(stderr, "  row %zu: '%s' (want '%s') %s\n", i, out ? out : "(null)", rows[i].want, err.msg);
			unit_failed_now = 1;
		}
		free(out);
	}
}

static void test_put(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CHECK(f && xml_put_text(f, "a<&>\"\t") == 0 && xml_put_attr(f, "\"\n") == 0);
	CHECK(xml_put_text(f, "bad\x01") == -EINVAL && xml_put_attr(f, "\x1b[2J") == -EINVAL);
	fclose(f);
	CHECK_STR(out, "a&lt;&amp;&gt;\"\t&quot;&#10;");
	free(out);
}

int main(void)
{
	RUN(test_refused);
	RUN(test_content_and_attrs);
	RUN(test_write);
	RUN(test_put);
	UNIT_EXIT();
}
