/* descriptor.c: descriptor.xml parsed with expat (through vib/xml_tree.h) into struct vib_desc.
 *
 * Hostile input is stopped before expat sees it: the document must be at most VIB_DESC_MAX bytes of valid
 * UTF-8 without NUL, and contain no "<!" other than comments — so no DOCTYPE, hence no entity declarations
 * (external entities, expansion bombs) and no CDATA. The tree builder refuses a DOCTYPE or entity declaration
 * again, reads the bytes as UTF-8 with parameter entities off, and bounds depth, nodes and text. The walk over
 * the tree only copies bounded texts into the struct. The schema is in docs/vib.md; descriptor_write.c
 * produces exactly what the parser reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptor.h"
#include "sha256.h"
#include "utf8.h"
#include "xml_tree.h"

#define DESC_DEPTH_MAX 16
#define DESC_TEXT_MAX 65536 /* description; every other text has its field's size */
#define STICKY_PATH_MAX 4096
#define DESC_NODES_MAX 65536 /* a descriptor with every list full has about 2,500 */

/* Returns the byte offset of the first invalid UTF-8 sequence or NUL, or len when all of buf is valid. */
static size_t utf8_bad_at(const uint8_t *b, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = utf8_len(b + i, len - i, &cp);
		if (!n || !cp)
			return i;
		i += n;
	}
	return len;
}

/* The checks done on the raw bytes before expat parses anything (see the file comment). */
static int precheck(const uint8_t *b, size_t len, struct rh_err *err)
{
	size_t bad;

	if (len == 0)
		return rh_errf(err, -EBADMSG, "descriptor.xml: empty");
	if (len > VIB_DESC_MAX)
		return rh_errf(err, -E2BIG, "descriptor.xml: %zu bytes, more than the limit of %u", len, VIB_DESC_MAX);
	bad = utf8_bad_at(b, len);
	if (bad < len)
		return rh_errf(err, -EBADMSG, "descriptor.xml: byte %zu (0x%02x) is not valid UTF-8 text", bad, b[bad]);
	for (size_t i = 0; i + 1 < len; i++)
		if (b[i] == '<' && b[i + 1] == '!' && !(i + 3 < len && b[i + 2] == '-' && b[i + 3] == '-'))
			return rh_errf(err, -EBADMSG,
				       "descriptor.xml: byte %zu: '<!%.*s' refused (no DOCTYPE, entity declarations or CDATA)",
				       i, (int)(len - i - 2 < 7 ? len - i - 2 : 7), (const char *)b + i + 2);
	return 0;
}

/* Depth of the tree under root, iteratively; stops counting past the limit. */
static bool too_deep(struct xml_node *root)
{
	struct xml_node *n = root;
	int depth = 0;

	while (n) {
		if (n->children && depth < DESC_DEPTH_MAX + 1) {
			n = n->children;
			depth++;
			if (depth > DESC_DEPTH_MAX)
				return true;
			continue;
		}
		while (n && n != root && !n->next) {
			n = n->parent;
			depth--;
		}
		if (!n || n == root)
			break;
		n = n->next;
	}
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The element's text, trimmed, malloc'd into *ret; -E2BIG past max bytes (field names it in errors). */
static int node_text(struct xml_node *n, const char *field, size_t max, char **ret, struct rh_err *err)
{
	char *c = xml_content(n);
	char *s, *e;
	size_t len;

	if (!c)
		return rh_errf(err, -ENOMEM, "descriptor.xml: out of memory");
	s = c;
	while (is_space(*s))
		s++;
	len = strlen(s);
	e = s + len;
	while (e > s && is_space(e[-1]))
		e--;
	len = (size_t)(e - s);
	if (len >= max) {
		free(c);
		return rh_errf(err, -E2BIG, "descriptor.xml: <%s> is %zu bytes, more than the limit of %zu", field, len,
			       max - 1);
	}
	*ret = strndup(s, len);
	free(c);
	if (!*ret)
		return rh_errf(err, -ENOMEM, "descriptor.xml: out of memory");
	return 0;
}

/* Copies the element's trimmed text into the fixed buffer dst[cap]. */
static int text_into(struct xml_node *n, const char *field, char *dst, size_t cap, struct rh_err *err)
{
	char *s;
	int r = node_text(n, field, cap, &s, err);

	if (r < 0)
		return r;
	memcpy(dst, s, strlen(s) + 1);
	free(s);
	return 0;
}

/* Copies attribute attr of n into dst[cap]; "" when absent (*present says which). */
static int attr_into(struct xml_node *n, const char *el, const char *attr, char *dst, size_t cap, bool *present,
		     struct rh_err *err)
{
	const char *v = xml_attr(n, attr);
	size_t len;

	*present = v != NULL;
	dst[0] = '\0';
	if (!v)
		return 0;
	len = strlen(v);
	if (len >= cap)
		return rh_errf(err, -E2BIG, "descriptor.xml: <%s %s=...> is %zu bytes, more than the limit of %zu", el,
			       attr, len, cap - 1);
	memcpy(dst, v, len + 1);
	return 0;
}

/* Parses one <constraint name= relation= version=/> (or <provide name= version=/> when provide). */
static int parse_rel(struct xml_node *n, const char *list, bool provide, struct vib_rel *r, struct rh_err *err)
{
	char rel[8];
	bool has_name, has_rel = false, has_ver;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = attr_into(n, n->name, "name", r->name, sizeof(r->name), &has_name, err)) < 0 ||
	    (rc = attr_into(n, n->name, "version", r->version, sizeof(r->version), &has_ver, err)) < 0)
		return rc;
	if (!provide && (rc = attr_into(n, n->name, "relation", rel, sizeof(rel), &has_rel, err)) < 0)
		return rc == -E2BIG ? rh_errf(err, -EINVAL, "descriptor.xml: <%s>: bad relation (too long)", list) : rc;
	if (!has_name || !vib_name_valid(r->name))
		return rh_errf(err, -EINVAL, "descriptor.xml: <%s>: <%s name=\"%s\">: %s", list, n->name,
			       r->name, has_name ? "not a valid name" : "missing name");
	if (has_ver && !vib_version_valid(r->version))
		return rh_errf(err, -EINVAL, "descriptor.xml: <%s>: %s: version \"%s\" is not a valid version", list,
			       r->name, r->version);
	if (provide) {
		r->op = has_ver ? VIB_OP_EQ : VIB_OP_ANY;
		return 0;
	}
	if (has_rel != has_ver)
		return rh_errf(err, -EINVAL, "descriptor.xml: <%s>: %s: relation and version go together", list, r->name);
	if (has_rel && vib_op_parse(rel, &r->op) < 0)
		return rh_errf(err, -EINVAL, "descriptor.xml: <%s>: %s: relation \"%s\" is not one of << <= = >= >>", list,
			       r->name, rel);
	return 0;
}

/* Parses a list element (depends, conflicts, ...) whose children are `child` elements. */
static int parse_rel_list(struct xml_node *list, const char *child, bool provide, struct vib_rel **ret,
			  size_t *ret_n, struct rh_err *err)
{
	size_t n = 0;
	int r;

	if (*ret)
		return rh_errf(err, -EINVAL, "descriptor.xml: <%s> given twice", list->name);
	for (struct xml_node *c = list->children; c; c = c->next)
		if (xml_is_el(c, child))
			n++;
	if (n > VIB_LIST_MAX)
		return rh_errf(err, -E2BIG, "descriptor.xml: <%s> has %zu entries, more than %d", list->name,
			       n, VIB_LIST_MAX);
	*ret = calloc(n ? n : 1, sizeof(**ret));
	if (!*ret)
		return rh_errf(err, -ENOMEM, "descriptor.xml: out of memory");
	for (struct xml_node *c = list->children; c; c = c->next) {
		if (!xml_is_el(c, child))
			continue;
		if ((r = parse_rel(c, list->name, provide, &(*ret)[*ret_n], err)) < 0)
			return r;
		(*ret_n)++;
	}
	return 0;
}

static int parse_bool(struct xml_node *n, bool *ret, struct rh_err *err)
{
	char v[8];
	int r = text_into(n, n->name, v, sizeof(v), err);

	if (r < 0 || !strcmp(v, "true") || !strcmp(v, "false")) {
		*ret = r == 0 && !strcmp(v, "true");
		return r == -E2BIG ? rh_errf(err, -EINVAL, "descriptor.xml: <%s>: not true or false", n->name) : r;
	}
	return rh_errf(err, -EINVAL, "descriptor.xml: <%s>: \"%s\" is not true or false", n->name, v);
}

/* An absolute, normalised path: starts with '/', no empty, "." or ".." component, no control characters. */
static bool sticky_path_valid(const char *p)
{
	if (p[0] != '/' || !p[1])
		return false;
	for (const char *s = p; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	for (const char *c = p + 1; *c;) {
		const char *e = strchrnul(c, '/');
		size_t n = (size_t)(e - c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c = *e ? e + 1 : e;
		if (*e && !*c)
			return false; /* trailing slash */
	}
	return true;
}

static int parse_sticky(struct xml_node *list, struct vib_desc *d, struct rh_err *err)
{
	size_t n = 0;
	int r;

	if (d->sticky)
		return rh_errf(err, -EINVAL, "descriptor.xml: <sticky-files> given twice");
	for (struct xml_node *c = list->children; c; c = c->next)
		n += xml_is_el(c, "file");
	if (n > VIB_LIST_MAX)
		return rh_errf(err, -E2BIG, "descriptor.xml: <sticky-files> has %zu entries, more than %d", n, VIB_LIST_MAX);
	d->sticky = calloc(n ? n : 1, sizeof(char *));
	if (!d->sticky)
		return rh_errf(err, -ENOMEM, "descriptor.xml: out of memory");
	for (struct xml_node *c = list->children; c; c = c->next) {
		char *p;

		if (!xml_is_el(c, "file"))
			continue;
		if ((r = node_text(c, "file", STICKY_PATH_MAX, &p, err)) < 0)
			return r;
		d->sticky[d->nsticky++] = p;
		if (!sticky_path_valid(p))
			return rh_errf(err, -EINVAL, "descriptor.xml: <sticky-files>: \"%.200s\" is not an absolute, normalised path", p);
		for (size_t i = 0; i + 1 < d->nsticky; i++)
			if (!strcmp(d->sticky[i], p))
				return rh_errf(err, -EINVAL, "descriptor.xml: <sticky-files>: \"%.200s\" listed twice", p);
	}
	return 0;
}

const uint8_t *vib_payload_checked_sha256(const struct vib_payload *p)
{
	return p->has_module_sha256 ? p->module_sha256 : p->sha256;
}

void vib_payload_module_name(const struct vib_payload *p, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s.tdk", p->name);
}

/* One <checksum checksum-type="sha-256" [verify-process=...]> of payload p into out (64 hex digits). */
static int parse_checksum(struct xml_node *ck, const struct vib_payload *p, uint8_t out[32], struct rh_err *err)
{
	char ctype[16], *hex = NULL;
	bool has_ct;
	int r;

	if ((r = attr_into(ck, "checksum", "checksum-type", ctype, sizeof(ctype), &has_ct, err)) < 0)
		return r;
	if (strcmp(ctype, "sha-256"))
		return rh_errf(err, -EINVAL, "descriptor.xml: payload %s: checksum-type \"%s\" is not sha-256", p->name,
			       ctype);
	if ((r = node_text(ck, "checksum", 80, &hex, err)) < 0)
		return r == -E2BIG ? rh_errf(err, -EINVAL, "descriptor.xml: payload %s: checksum too long", p->name) : r;
	r = sha256_from_hex(hex, strlen(hex), out);
	if (r < 0 || strlen(hex) != SHA256_HEX_LEN)
		r = rh_errf(err, -EINVAL, "descriptor.xml: payload %s: checksum \"%s\" is not 64 hex digits", p->name, hex);
	free(hex);
	return r;
}

/* The payload's checksums: exactly one of the payload file itself (no verify-process), at most one of the
 * payload as the bootbank's module (verify-process="boot-module"); any other verify-process is refused. */
static int parse_checksums(struct xml_node *n, struct vib_payload *p, struct rh_err *err)
{
	struct xml_node *plain = NULL, *module = NULL;
	char proc[24];
	bool has_proc;
	int r;

	for (struct xml_node *c = n->children; c; c = c->next) {
		struct xml_node **slot;

		if (!xml_is_el(c, "checksum"))
			continue;
		if ((r = attr_into(c, "checksum", "verify-process", proc, sizeof(proc), &has_proc, err)) < 0)
			return r;
		if (has_proc && strcmp(proc, VIB_VERIFY_BOOT_MODULE))
			return rh_errf(err, -EINVAL, "descriptor.xml: payload %s: checksum verify-process \"%s\" is not "
				       VIB_VERIFY_BOOT_MODULE, p->name, proc);
		slot = has_proc ? &module : &plain;
		if (*slot)
			return rh_errf(err, -EINVAL, "descriptor.xml: payload %s: two <checksum>%s", p->name,
				       has_proc ? " verify-process=\"" VIB_VERIFY_BOOT_MODULE "\"" : "");
		*slot = c;
	}
	if (!plain)
		return rh_errf(err, -EINVAL, "descriptor.xml: payload %s: missing <checksum>", p->name);
	if ((r = parse_checksum(plain, p, p->sha256, err)) < 0)
		return r;
	p->has_module_sha256 = module != NULL;
	return module ? parse_checksum(module, p, p->module_sha256, err) : 0;
}

static int parse_payload(struct xml_node *n, struct vib_payload *p, struct rh_err *err)
{
	char size[24], *end;
	bool has, has_type, has_size;
	int r;

	if ((r = attr_into(n, "payload", "name", p->name, sizeof(p->name), &has, err)) < 0 ||
	    (r = attr_into(n, "payload", "type", p->type, sizeof(p->type), &has_type, err)) < 0 ||
	    (r = attr_into(n, "payload", "size", size, sizeof(size), &has_size, err)) < 0)
		return r;
	if (!has || !vib_name_valid(p->name))
		return rh_errf(err, -EINVAL, "descriptor.xml: <payload name=\"%s\">: %s", p->name,
			       has ? "not a valid name" : "missing name");
	if (strcmp(p->type, "tdk"))
		return rh_errf(err, -EINVAL, "descriptor.xml: payload %s: type \"%s\" is not tdk", p->name, p->type);
	errno = 0;
	if (!has_size || !size[0] || size[0] < '0' || size[0] > '9' ||
	    (p->size = strtoull(size, &end, 10), errno) || *end)
		return rh_errf(err, -EINVAL, "descriptor.xml: payload %s: size \"%s\" is %s", p->name, size,
			       has_size ? "not a number" : "missing");
	return parse_checksums(n, p, err);
}

static int parse_payloads(struct xml_node *list, struct vib_desc *d, struct rh_err *err)
{
	size_t n = 0;
	int r;

	if (d->payloads)
		return rh_errf(err, -EINVAL, "descriptor.xml: <payloads> given twice");
	for (struct xml_node *c = list->children; c; c = c->next)
		n += xml_is_el(c, "payload");
	if (n > VIB_LIST_MAX)
		return rh_errf(err, -E2BIG, "descriptor.xml: <payloads> has %zu entries, more than %d", n, VIB_LIST_MAX);
	d->payloads = calloc(n ? n : 1, sizeof(*d->payloads));
	if (!d->payloads)
		return rh_errf(err, -ENOMEM, "descriptor.xml: out of memory");
	for (struct xml_node *c = list->children; c; c = c->next) {
		if (!xml_is_el(c, "payload"))
			continue;
		if ((r = parse_payload(c, &d->payloads[d->npayloads], err)) < 0)
			return r;
		for (size_t i = 0; i < d->npayloads; i++)
			if (!strcmp(d->payloads[i].name, d->payloads[d->npayloads].name))
				return rh_errf(err, -EINVAL, "descriptor.xml: payload %s listed twice", d->payloads[i].name);
		d->npayloads++;
	}
	return 0;
}

/* ISO 8601-ish: digits, '-', ':', 'T', 'Z', '+', '.'; starts with 4 digits. */
static bool date_valid(const char *s)
{
	if (!s[0])
		return true;
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || strchr("-:TZ+.", *s)))
			return false;
	return true;
}

#define SEEN(bit) do { if (seen & (bit)) return rh_errf(err, -EINVAL, "descriptor.xml: <%s> given twice", c->name); seen |= (bit); } while (0)

/* Fills d from the children of <vib>; required fields are checked by the caller. */
static int parse_vib(struct xml_node *root, struct vib_desc *d, unsigned *ret_seen, struct rh_err *err)
{
	unsigned seen = 0;
	char level[16];
	int r = 0;

	for (struct xml_node *c = root->children; c && r == 0; c = c->next) {
		if (c->type != XML_TREE_ELEMENT)
			continue;
		if (xml_is_el(c, "name")) {
			SEEN(1);
			r = text_into(c, "name", d->name, sizeof(d->name), err);
		} else if (xml_is_el(c, "version")) {
			SEEN(2);
			r = text_into(c, "version", d->version, sizeof(d->version), err);
		} else if (xml_is_el(c, "vendor")) {
			SEEN(4);
			r = text_into(c, "vendor", d->vendor, sizeof(d->vendor), err);
		} else if (xml_is_el(c, "acceptance-level")) {
			SEEN(8);
			r = text_into(c, "acceptance-level", level, sizeof(level), err);
			if (r == 0 && vib_level_parse(level, &d->level) < 0)
				r = rh_errf(err, -EINVAL, "descriptor.xml: <acceptance-level>: \"%s\" is not " VIB_LEVEL_NAMES,
					    level);
			else if (r == -E2BIG)
				r = rh_errf(err, -EINVAL, "descriptor.xml: <acceptance-level>: not a level");
		} else if (xml_is_el(c, "summary")) {
			SEEN(16);
			r = text_into(c, "summary", d->summary, sizeof(d->summary), err);
		} else if (xml_is_el(c, "description")) {
			SEEN(32);
			free(d->description);
			d->description = NULL;
			r = node_text(c, "description", DESC_TEXT_MAX, &d->description, err);
		} else if (xml_is_el(c, "release-date")) {
			SEEN(64);
			r = text_into(c, "release-date", d->release_date, sizeof(d->release_date), err);
			if (r == 0 && !date_valid(d->release_date))
				r = rh_errf(err, -EINVAL, "descriptor.xml: <release-date>: \"%s\" is not an ISO 8601 date",
					    d->release_date);
		} else if (xml_is_el(c, "relationships")) {
			SEEN(128);
			for (struct xml_node *l = c->children; l && r == 0; l = l->next) {
				if (xml_is_el(l, "depends"))
					r = parse_rel_list(l, "constraint", false, &d->depends, &d->ndepends, err);
				else if (xml_is_el(l, "conflicts"))
					r = parse_rel_list(l, "constraint", false, &d->conflicts, &d->nconflicts, err);
				else if (xml_is_el(l, "replaces"))
					r = parse_rel_list(l, "constraint", false, &d->replaces, &d->nreplaces, err);
				else if (xml_is_el(l, "provides"))
					r = parse_rel_list(l, "provide", true, &d->provides, &d->nprovides, err);
			}
		} else if (xml_is_el(c, "flags")) {
			SEEN(256);
			for (struct xml_node *f = c->children; f && r == 0; f = f->next) {
				if (xml_is_el(f, "live-install-allowed"))
					r = parse_bool(f, &d->live_install_allowed, err);
				else if (xml_is_el(f, "live-remove-allowed"))
					r = parse_bool(f, &d->live_remove_allowed, err);
				else if (xml_is_el(f, "stateless-ready"))
					r = parse_bool(f, &d->stateless_ready, err);
			}
		} else if (xml_is_el(c, "sticky-files")) {
			r = parse_sticky(c, d, err);
		} else if (xml_is_el(c, "payloads")) {
			r = parse_payloads(c, d, err);
		}
		/* other elements are ignored: a newer writer may add some */
	}
	*ret_seen = seen;
	return r;
}

/* A <vib version="1.0"> root, not nested too deep. */
static int check_root(struct xml_node *root, struct rh_err *err)
{
	const char *fmt;

	if (!xml_is_el(root, "vib"))
		return rh_errf(err, -EINVAL, "descriptor.xml: the root element is <%s>, not <vib>", root->name);
	if (too_deep(root))
		return rh_errf(err, -EBADMSG, "descriptor.xml: elements nested deeper than %d", DESC_DEPTH_MAX);
	fmt = xml_attr(root, "version");
	if (!fmt || strcmp(fmt, "1.0"))
		return rh_errf(err, -EINVAL, "descriptor.xml: <vib version=\"%.20s\">: only format 1.0 is known",
			       fmt ? fmt : "");
	return 0;
}

/* The elements every descriptor has (seen: parse_vib's bits), with valid values. */
static int check_required(struct vib_desc *d, unsigned seen, struct rh_err *err)
{
	static const struct { unsigned bit; const char *el; } required[] = {
		{ 1, "name" }, { 2, "version" }, { 4, "vendor" }, { 8, "acceptance-level" },
	};

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(seen & required[i].bit))
			return rh_errf(err, -EINVAL, "descriptor.xml: missing <%s>", required[i].el);
	if (!vib_name_valid(d->name))
		return rh_errf(err, -EINVAL, "descriptor.xml: <name>: \"%s\" is not a valid name ([A-Za-z0-9._+-], not "
			       "starting with . or -)", d->name);
	if (!vib_version_valid(d->version))
		return rh_errf(err, -EINVAL, "descriptor.xml: <version>: \"%s\" is not a valid version", d->version);
	if (!d->vendor[0])
		return rh_errf(err, -EINVAL, "descriptor.xml: <vendor> is empty");
	if (!d->description && !(d->description = strdup("")))
		return rh_errf(err, -ENOMEM, "descriptor.xml: out of memory");
	return 0;
}

int vib_desc_parse(const void *buf, size_t len, struct vib_desc *ret, struct rh_err *err)
{
	static const struct xml_tree_limits lim = {
		.file = "descriptor.xml", .max_depth = XML_TREE_DEPTH_MAX, .max_nodes = DESC_NODES_MAX,
		.max_text = VIB_DESC_MAX,
	};
	struct vib_desc d;
	struct xml_tree *t = NULL;
	unsigned seen = 0;
	int r;

	memset(&d, 0, sizeof(d));
	r = precheck(buf, len, err);
	if (r < 0)
		return r;
	r = xml_tree_parse(buf, len, &lim, &t, err);
	if (r == 0)
		r = check_root(xml_tree_root(t), err);
	if (r == 0)
		r = parse_vib(xml_tree_root(t), &d, &seen, err);
	if (r == 0)
		r = check_required(&d, seen, err);
	if (r < 0)
		goto out;
	*ret = d;
	memset(&d, 0, sizeof(d));
out:
	vib_desc_free(&d);
	xml_tree_free(t);
	return r;
}

void vib_desc_free(struct vib_desc *d)
{
	if (!d)
		return;
	free(d->description);
	free(d->depends);
	free(d->conflicts);
	free(d->replaces);
	free(d->provides);
	free(d->payloads);
	for (size_t i = 0; d->sticky && i < d->nsticky; i++)
		free(d->sticky[i]);
	free(d->sticky);
	memset(d, 0, sizeof(*d));
}
