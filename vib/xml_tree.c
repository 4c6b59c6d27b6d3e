/* xml_tree.c: an XML document read with expat into an in-memory tree, and written back (see xml_tree.h).
 *
 * The builder gets expat's callbacks: each element, comment, PI and run of text becomes a node allocated from an
 * arena the tree owns, so freeing is one walk over its blocks. A callback that breaks a limit records why and
 * stops the parser; the caller then reports that rather than expat's "parsing aborted". */
#include "xml_tree.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#define ARENA_BLOCK (64u << 10)

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

struct xml_tree {
	struct xml_node *root;
	struct arena_block *blocks;
};

struct builder {
	XML_Parser p;
	const uint8_t *buf;
	const struct xml_tree_limits *lim;
	struct xml_tree *t;
	struct xml_node *cur;           /* the open element; NULL before the root and after it */
	unsigned depth;
	size_t nodes, text;
	char *pend;                     /* character data not yet in a node */
	size_t pend_len, pend_cap;
	bool pend_ref, pend_plain;      /* pend has a character or entity reference; has plain character data */
	bool in_cdata;                  /* inside <![CDATA[ */
	signed char space[XML_TREE_DEPTH_MAX + 1]; /* per open element, libxml2's xml:space state (see blanks_dropped) */
	int rc;                         /* a limit broken (or no memory): why, and stop */
	char why[120];
};

/* size bytes from t's arena, aligned for any type; NULL when out of memory. */
static void *arena_alloc(struct xml_tree *t, size_t size)
{
	struct arena_block *b = t->blocks;
	void *p;

	size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!b || b->cap - b->used < size) {
		size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = t->blocks;
		b->used = 0;
		b->cap = cap;
		t->blocks = b;
	}
	p = (char *)b->data + b->used;
	b->used += size;
	return p;
}

/* Stops the parse with rc and why (the first reason wins). */
static void fail(struct builder *b, int rc, const char *why)
{
	if (b->rc)
		return;
	b->rc = rc;
	snprintf(b->why, sizeof(b->why), "%s", why);
	XML_StopParser(b->p, XML_FALSE);
}

/* A copy of (s, len) in the arena, counted against the text limit; NULL after fail(). */
static char *keep_str(struct builder *b, const char *s, size_t len)
{
	char *c;

	if (len > b->lim->max_text - b->text) {
		fail(b, -E2BIG, "more text than the limit");
		return NULL;
	}
	b->text += len;
	c = arena_alloc(b->t, len + 1);
	if (!c) {
		fail(b, -ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(c, s, len);
	c[len] = '\0';
	return c;
}

/* A new node of type appended to the open element, or NULL (after fail(), or outside the root). */
static struct xml_node *add_node(struct builder *b, enum xml_node_type type)
{
	struct xml_node *n, *parent = b->cur;

	if (!parent && (type != XML_TREE_ELEMENT || b->t->root))
		return NULL; /* comments and PIs around the root are not kept */
	if (b->nodes == b->lim->max_nodes) {
		fail(b, -E2BIG, "more nodes than the limit");
		return NULL;
	}
	n = arena_alloc(b->t, sizeof(*n));
	if (!n) {
		fail(b, -ENOMEM, "out of memory");
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->parent = parent;
	if (!parent)
		b->t->root = n;
	else if (parent->last)
		parent->last->next = n;
	else
		parent->children = n;
	if (parent)
		parent->last = n;
	b->nodes++;
	return n;
}

/* Whether the pending white space is dropped, as libxml2's areBlanks() decided without a DTD: white space
 * between elements goes; white space that is an element's only content, follows text, or shares an element whose
 * first child is text, stays; so does all of it in an element that had plain text before (space -2) or under
 * xml:space="preserve" (1). end_tag: an end tag follows. (libxml2 also cut runs at a CR or after 300 bytes and
 * judged each piece; that quirk is not copied: what differs is only white space next to a CR or TAB.) */
static bool blanks_dropped(const struct builder *b, bool end_tag)
{
	const struct xml_node *e = b->cur;

	if (b->pend_ref || b->in_cdata || b->space[b->depth] == 1 || b->space[b->depth] == -2)
		return false;
	for (size_t i = 0; i < b->pend_len; i++)
		if (!strchr(" \t\n\r", b->pend[i]))
			return false;
	if (!e->children)
		return !end_tag;
	return e->last->type != XML_TREE_TEXT && e->children->type != XML_TREE_TEXT;
}

/* Turns the pending character data into a node (text, or CDATA at the end of a section). */
static void flush_text(struct builder *b, bool end_tag)
{
	struct xml_node *n;

	if ((b->pend_len || b->in_cdata) && b->cur && !b->rc && !blanks_dropped(b, end_tag) &&
	    (n = add_node(b, b->in_cdata ? XML_TREE_CDATA : XML_TREE_TEXT))) {
		n->text = keep_str(b, b->pend ? b->pend : "", b->pend_len);
		n->text_len = b->pend_len;
		if (b->pend_plain && !b->in_cdata && b->space[b->depth] == -1)
			b->space[b->depth] = -2;
	}
	b->pend_len = 0;
	b->pend_ref = b->pend_plain = false;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct builder *b = ud;
	struct xml_node *n;
	const char *sp;
	size_t na = 0;

	flush_text(b, false);
	if (b->rc)
		return;
	if (b->depth == b->lim->max_depth) {
		char why[64];

		snprintf(why, sizeof(why), "elements nested deeper than %u", b->lim->max_depth);
		fail(b, -EBADMSG, why);
		return;
	}
	if (!(n = add_node(b, XML_TREE_ELEMENT)) || !(n->name = keep_str(b, name, strlen(name))))
		return;
	while (atts[na])
		na++;
	if (!(n->attrs = arena_alloc(b->t, (na + 1) * sizeof(*n->attrs)))) {
		fail(b, -ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < na; i++)
		if (!(n->attrs[i] = keep_str(b, atts[i], strlen(atts[i]))))
			return;
	n->attrs[na] = NULL;
	b->cur = n;
	b->depth++;
	b->space[b->depth] = b->space[b->depth - 1] == -2 ? -1 : b->space[b->depth - 1];
	sp = xml_attr(n, "xml:space");
	if (sp && !strcmp(sp, "preserve"))
		b->space[b->depth] = 1;
	else if (sp && !strcmp(sp, "default"))
		b->space[b->depth] = 0;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct builder *b = ud;

	(void)name;
	flush_text(b, true);
	if (b->rc || !b->cur)
		return;
	b->cur = b->cur->parent;
	b->depth--;
}

static void XMLCALL on_chars(void *ud, const XML_Char *s, int len)
{
	struct builder *b = ud;
	size_t need = b->pend_len + (size_t)len;

	if (b->rc || !b->cur)
		return;
	if (need > b->lim->max_text) {
		fail(b, -E2BIG, "more text than the limit");
		return;
	}
	if (need > b->pend_cap) {
		size_t cap = need > 2 * b->pend_cap ? need : 2 * b->pend_cap;
		char *p = realloc(b->pend, cap);

		if (!p) {
			fail(b, -ENOMEM, "out of memory");
			return;
		}
		b->pend = p;
		b->pend_cap = cap;
	}
	memcpy(b->pend + b->pend_len, s, (size_t)len);
	b->pend_len = need;
	/* "&amp;", "&#10;": libxml2 never took a reference for blank space between elements */
	if (b->buf[XML_GetCurrentByteIndex(b->p)] == '&')
		b->pend_ref = true;
	else
		b->pend_plain = true;
}

static void XMLCALL on_cdata_start(void *ud)
{
	struct builder *b = ud;

	flush_text(b, false);
	b->in_cdata = true;
}

static void XMLCALL on_cdata_end(void *ud)
{
	struct builder *b = ud;

	flush_text(b, false);
	b->in_cdata = false;
}

static void XMLCALL on_comment(void *ud, const XML_Char *data)
{
	struct builder *b = ud;
	struct xml_node *n;

	flush_text(b, false);
	if (!b->rc && (n = add_node(b, XML_TREE_COMMENT))) {
		n->text_len = strlen(data);
		n->text = keep_str(b, data, n->text_len);
	}
}

static void XMLCALL on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	struct builder *b = ud;
	struct xml_node *n;

	flush_text(b, false);
	if (!b->rc && (n = add_node(b, XML_TREE_PI)) && (n->name = keep_str(b, target, strlen(target)))) {
		n->text_len = strlen(data);
		n->text = keep_str(b, data, n->text_len);
	}
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
			       int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	fail(ud, -EBADMSG, "a DOCTYPE is not allowed");
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int len,
				   const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
				   const XML_Char *notation)
{
	(void)name, (void)is_param, (void)value, (void)len, (void)base, (void)sysid, (void)pubid, (void)notation;
	fail(ud, -EBADMSG, "an entity declaration is not allowed");
}

/* <?xml version="1.x" encoding="UTF-8"?>: the bytes are read as UTF-8, so a document that says it is in another
 * encoding is refused rather than misread; a version that is not 1.x is refused as libxml2 did. */
static void XMLCALL on_xml_decl(void *ud, const XML_Char *version, const XML_Char *encoding, int standalone)
{
	static const char *const utf8[] = { "UTF-8", "UTF8", "US-ASCII", "ASCII" };
	char why[96];
	size_t i;

	(void)standalone;
	if (version && (strncmp(version, "1.", 2) || !version[2] ||
			strspn(version + 2, "0123456789") != strlen(version + 2))) {
		snprintf(why, sizeof(why), "XML version \"%.20s\" is not 1.x", version);
		fail(ud, -EBADMSG, why);
		return;
	}
	for (i = 0; encoding && i < sizeof(utf8) / sizeof(utf8[0]); i++)
		if (!strcasecmp(encoding, utf8[i]))
			break;
	if (encoding && i == sizeof(utf8) / sizeof(utf8[0])) {
		snprintf(why, sizeof(why), "encoding \"%.20s\" is not UTF-8", encoding);
		fail(ud, -EBADMSG, why);
	}
}

/* A parser for b: UTF-8 whatever the document declares, no parameter entities, b's callbacks. */
static XML_Parser parser_new(struct builder *b)
{
	XML_Parser p = XML_ParserCreate("UTF-8");

	if (!p)
		return NULL;
	XML_SetUserData(p, b);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_chars);
	XML_SetCdataSectionHandler(p, on_cdata_start, on_cdata_end);
	XML_SetCommentHandler(p, on_comment);
	XML_SetProcessingInstructionHandler(p, on_pi);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	XML_SetEntityDeclHandler(p, on_entity_decl);
	XML_SetXmlDeclHandler(p, on_xml_decl);
	return p;
}

int xml_tree_parse(const void *buf, size_t len, const struct xml_tree_limits *lim, struct xml_tree **ret,
		   struct rh_err *err)
{
	struct builder b = { .buf = buf, .lim = lim, .space = { -1 } };
	int rc = 0;

	if (len > INT32_MAX)
		return rh_errf(err, -E2BIG, "%s: %zu bytes, too large", lim->file, len);
	b.t = calloc(1, sizeof(*b.t));
	b.p = b.t ? parser_new(&b) : NULL;
	if (!b.p) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", lim->file);
		goto out;
	}
	if (XML_Parse(b.p, buf, (int)len, XML_TRUE) != XML_STATUS_OK || b.rc) {
		unsigned long line = XML_GetCurrentLineNumber(b.p), col = XML_GetCurrentColumnNumber(b.p) + 1;
		enum XML_Error e = XML_GetErrorCode(b.p);

		if (b.rc)
			rc = rh_errf(err, b.rc, "%s:%lu:%lu: %s", lim->file, line, col, b.why);
		else if (e == XML_ERROR_NO_MEMORY)
			rc = rh_errf(err, -ENOMEM, "%s: out of memory", lim->file);
		else
			rc = rh_errf(err, -EBADMSG, "%s:%lu:%lu: not well-formed XML (%s)", lim->file, line, col,
				     XML_ErrorString(e));
		goto out;
	}
	*ret = b.t;
	b.t = NULL;
out:
	if (b.p)
		XML_ParserFree(b.p);
	free(b.pend);
	xml_tree_free(b.t);
	return rc;
}

struct xml_node *xml_tree_root(const struct xml_tree *t)
{
	return t->root;
}

void xml_tree_free(struct xml_tree *t)
{
	if (!t)
		return;
	while (t->blocks) {
		struct arena_block *next = t->blocks->next;

		free(t->blocks);
		t->blocks = next;
	}
	free(t);
}

bool xml_is_el(const struct xml_node *n, const char *name)
{
	return n->type == XML_TREE_ELEMENT && !strcmp(n->name, name);
}

const char *xml_attr(const struct xml_node *n, const char *name)
{
	for (size_t i = 0; n->attrs && n->attrs[i]; i += 2)
		if (!strcmp(n->attrs[i], name))
			return n->attrs[i + 1];
	return NULL;
}

/* The node after n in a depth-first walk of the subtree under top (children first); NULL at its end. */
static const struct xml_node *walk_next(const struct xml_node *n, const struct xml_node *top)
{
	if (n->children)
		return n->children;
	while (n != top && !n->next)
		n = n->parent;
	return n == top ? NULL : n->next;
}

char *xml_content(const struct xml_node *n)
{
	const struct xml_node *c;
	size_t len = 0;
	char *s, *p;

	for (c = n; c; c = walk_next(c, n))
		if (c->type == XML_TREE_TEXT || c->type == XML_TREE_CDATA)
			len += c->text_len;
	s = p = malloc(len + 1);
	if (!s)
		return NULL;
	for (c = n; c; c = walk_next(c, n))
		if (c->type == XML_TREE_TEXT || c->type == XML_TREE_CDATA) {
			memcpy(p, c->text, c->text_len);
			p += c->text_len;
		}
	*p = '\0';
	return s;
}

/* Whether s holds a C0 control character other than TAB, LF and CR: XML 1.0 has no way to write one. */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && !strchr("\t\n\r", *s))
			return true;
	return false;
}

/* s escaped as libxml2 writes it: in attributes also ", TAB and LF (which the reader would normalise). */
static void put_escaped(FILE *f, const char *s, bool attr)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\r': fputs("&#13;", f); break;
		case '"': fputs(attr ? "&quot;" : "\"", f); break;
		case '\t': fputs(attr ? "&#9;" : "\t", f); break;
		case '\n': fputs(attr ? "&#10;" : "\n", f); break;
		default: fputc(*s, f);
		}
	}
}

int xml_put_text(FILE *f, const char *s)
{
	if (has_control(s))
		return -EINVAL;
	put_escaped(f, s, false);
	return 0;
}

int xml_put_attr(FILE *f, const char *s)
{
	if (has_control(s))
		return -EINVAL;
	put_escaped(f, s, true);
	return 0;
}

/* libxml2 indents at most 60 columns deep. */
static void indent(FILE *f, int level)
{
	fprintf(f, "%*s", 2 * (level < 30 ? level : 30), "");
}

/* Recursion is bounded by the tree's depth (at most XML_TREE_DEPTH_MAX). */
void xml_write_node(FILE *f, const struct xml_node *n, int level, bool format)
{
	const struct xml_node *c;

	switch (n->type) {
	case XML_TREE_TEXT: put_escaped(f, n->text, false); return;
	case XML_TREE_CDATA: fprintf(f, "<![CDATA[%s]]>", n->text); return;
	case XML_TREE_COMMENT: fprintf(f, "<!--%s-->", n->text); return;
	case XML_TREE_PI: fprintf(f, n->text[0] ? "<?%s %s?>" : "<?%s%s?>", n->name, n->text); return;
	case XML_TREE_ELEMENT: break;
	}
	fprintf(f, "<%s", n->name);
	for (size_t i = 0; n->attrs && n->attrs[i]; i += 2) {
		fprintf(f, " %s=\"", n->attrs[i]);
		put_escaped(f, n->attrs[i + 1], true);
		fputc('"', f);
	}
	if (!n->children) {
		fputs("/>", f);
		return;
	}
	fputc('>', f);
	for (c = n->children; c && format; c = c->next)
		if (c->type == XML_TREE_TEXT || c->type == XML_TREE_CDATA)
			format = false; /* mixed content: its white space is the author's */
	for (c = n->children; c; c = c->next) {
		if (format) {
			fputc('\n', f);
			indent(f, level + 1);
		}
		xml_write_node(f, c, level + 1, format);
	}
	if (format) {
		fputc('\n', f);
		indent(f, level);
	}
	fprintf(f, "</%s>", n->name);
}
