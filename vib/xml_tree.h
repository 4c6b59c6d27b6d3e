/* xml_tree.h: an XML document read with expat into a small in-memory tree, and written back.
 *
 * The one place vib/ parses XML (descriptor.xml, the depot's index.xml). Both are untrusted, so the reader is
 * strict: a DOCTYPE or an entity declaration stops it (no entity is ever defined, so none is expanded and no
 * external one is loaded: parameter entity parsing is off, and expat knows only the five predefined entities),
 * the input is taken as UTF-8 whatever it declares, and depth, node count and total text have hard limits set by
 * the caller. Every refusal names the file, expat's line and column, and what was wrong.
 *
 * The tree keeps what the callers walk: elements (name, attributes), text (adjacent character data merged into one
 * node), CDATA sections, comments and processing instructions inside the root element. White space that only
 * separates elements is dropped as libxml2's XML_PARSE_NOBLANKS did (same heuristic), so that xml_write_node()
 * formats a document like libxml2's xmlDocDumpFormatMemory and old and new indexes are byte-identical. */
#ifndef RAMHOST_VIB_XML_TREE_H
#define RAMHOST_VIB_XML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

#define XML_TREE_DEPTH_MAX 256 /* what libxml2 allowed without XML_PARSE_HUGE */

enum xml_node_type { XML_TREE_ELEMENT, XML_TREE_TEXT, XML_TREE_CDATA, XML_TREE_COMMENT, XML_TREE_PI };

struct xml_node {
	enum xml_node_type type;
	const char *name;   /* element name, PI target; NULL for the others */
	const char **attrs; /* element: name, value, name, value, ..., NULL; NULL for the others */
	const char *text;   /* text, CDATA, comment, PI data (NUL-terminated); NULL for an element */
	size_t text_len;
	struct xml_node *parent, *children, *last, *next;
};

struct xml_tree_limits {
	const char *file;   /* names the document in errors ("descriptor.xml", "DEPOT/index.xml") */
	unsigned max_depth; /* elements nested at most this deep (the root is 1); at most XML_TREE_DEPTH_MAX */
	size_t max_nodes;   /* nodes of every kind */
	size_t max_text;    /* bytes of names, attribute values and texts together */
};

struct xml_tree;

/* Parses (buf, len) into *ret (free it with xml_tree_free). -EBADMSG for a document that is not well-formed
 * ("FILE:LINE:COL: not well-formed XML (expat's reason)"), has a DOCTYPE or entity declaration, or is nested too
 * deep; -E2BIG past the node or text limit; -ENOMEM. */
int xml_tree_parse(const void *buf, size_t len, const struct xml_tree_limits *lim, struct xml_tree **ret,
		   struct rh_err *err);

/* The document element (never NULL in a parsed tree); it and every node belong to t. */
struct xml_node *xml_tree_root(const struct xml_tree *t);

/* Frees t and all its nodes; NULL is fine. */
void xml_tree_free(struct xml_tree *t);

/* Whether n is an element named name. */
bool xml_is_el(const struct xml_node *n, const char *name);

/* The value of n's attribute name, NULL when absent (owned by the tree). */
const char *xml_attr(const struct xml_node *n, const char *name);

/* The text of n and all its descendants (text and CDATA, in document order; comments left out), as libxml2's
 * xmlNodeGetContent gave it: malloc'd, the caller frees it; NULL when out of memory. */
char *xml_content(const struct xml_node *n);

/* Writes n and its subtree to f. format: indent children by two spaces per level (level: n's own) unless an
 * element has text among its children, as libxml2's formatted output does; an element without children is
 * written <name/>. */
void xml_write_node(FILE *f, const struct xml_node *n, int level, bool format);

/* Write s escaped for element content (& < > and CR) or for an attribute value in double quotes (also ", TAB
 * and LF); -EINVAL, writing nothing, when s has a control character XML cannot hold. */
int xml_put_text(FILE *f, const char *s);
int xml_put_attr(FILE *f, const char *s);

#endif
