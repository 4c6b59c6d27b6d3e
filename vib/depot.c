/* depot.c: depot index read and write, depot load and VIB fetch (see depot.h). depot_create lives in
 * depot_create.c. */
#include "depot.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"
#include "ar.h"
#include "fileio.h"
#include "fs.h"
#include "sha256.h"
#include "urlpath.h"
#include "xml_tree.h"

#define INDEX_NODES_MAX (1u << 20) /* 4096 VIBs of 256 nodes; a node costs about 100 bytes */

void depot_free(struct depot *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nvibs; i++)
		vib_desc_free(&d->vibs[i].desc);
	for (i = 0; i < d->nprofiles; i++)
		free(d->profiles[i].vibs);
	free(d->vibs);
	free(d->profiles);
	memset(d, 0, sizeof(*d));
}

const char *depot_path_problem(const char *p, size_t *ret_off)
{
	const char *c, *why;
	size_t off = 0;

	if (!*p)
		why = "is empty";
	else if (*p == '/')
		why = "is absolute";
	else if (strlen(p) >= DEPOT_PATH_MAX)
		why = "is longer than " DEPOT_PATH_MAX_STR " bytes";
	else
		why = urlpath_name_problem(p, strlen(p), &off);
	for (c = p; !why && c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
		size_t n = strcspn(c, "/");

		off = (size_t)(c - p);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			why = "has an empty, '.' or '..' component";
	}
	if (why && ret_off)
		*ret_off = off;
	return why;
}

static void req_str(const struct vib_req *r, char *buf, size_t cap)
{
	if (r->op == VIB_OP_ANY)
		snprintf(buf, cap, "%s", r->name);
	else
		snprintf(buf, cap, "%s%s%s", r->name, vib_op_str(r->op), r->version);
}

/* The descriptor desc (len bytes) of entry path, element for element, as the child of a <vib-entry> (it was
 * checked by vib_open; blank space between elements goes, as libxml2 did). */
static int put_desc(FILE *f, const char *path, const char *desc, size_t len, struct rh_err *err)
{
	static const struct xml_tree_limits lim = {
		.file = "descriptor.xml", .max_depth = XML_TREE_DEPTH_MAX, .max_nodes = INDEX_NODES_MAX,
		.max_text = VIB_DESC_MAX,
	};
	struct xml_tree *t = NULL;
	struct rh_err e = { 0 };

	if (xml_tree_parse(desc, len, &lim, &t, &e) < 0)
		return rh_errf(err, -EBADMSG, "%s: descriptor.xml does not parse (%s)", path, e.msg);
	fputs("    ", f);
	xml_write_node(f, xml_tree_root(t), 2, true);
	fputc('\n', f);
	xml_tree_free(t);
	return 0;
}

/* One <vib-entry> with its descriptor. */
static int put_vib_entry(FILE *f, const struct depot_vib *v, const char *desc, size_t len, struct rh_err *err)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_to_hex(v->sha256, hex);
	fputs("  <vib-entry path=\"", f);
	if (xml_put_attr(f, v->path) < 0)
		return rh_errf(err, -EINVAL, "index.xml: vib-entry path '%.200s' has a control character", v->path);
	fprintf(f, "\" size=\"%" PRIu64 "\" sha256=\"%s\" level=\"%s\" verified=\"%s\">\n", v->size, hex,
		vib_level_str(v->level), v->verified ? "true" : "false");
	if (put_desc(f, v->path, desc, len, err) < 0)
		return -EBADMSG;
	fputs("  </vib-entry>\n", f);
	return 0;
}

/* One <profile>: <profile NAME ACCEPTANCE/> when it has neither description nor requests. */
static int put_profile(FILE *f, const struct depot_profile *p, struct rh_err *err)
{
	char r[VIB_NAME_MAX + VIB_VERSION_MAX + 4];

	fputs("  <profile name=\"", f);
	if (xml_put_attr(f, p->name) < 0)
		return rh_errf(err, -EINVAL, "index.xml: profile name '%.80s' has a control character", p->name);
	fprintf(f, "\" acceptance=\"%s\"%s\n", vib_level_str(p->acceptance),
		p->description[0] || p->nvibs ? ">" : "/>");
	if (p->description[0]) {
		fputs("    <description>", f);
		if (xml_put_text(f, p->description) < 0)
			return rh_errf(err, -EINVAL, "index.xml: profile %s: the description has a control character",
				       p->name);
		fputs("</description>\n", f);
	}
	for (size_t j = 0; j < p->nvibs; j++) {
		req_str(&p->vibs[j], r, sizeof(r));
		fputs("    <vib-request>", f);
		if (xml_put_text(f, r) < 0)
			return rh_errf(err, -EINVAL, "index.xml: profile %s: request '%s' has a control character",
				       p->name, r);
		fputs("</vib-request>\n", f);
	}
	if (p->description[0] || p->nvibs)
		fputs("  </profile>\n", f);
	return 0;
}

/* Writes the index as libxml2's formatted output did (two-space indentation, UTF-8), byte for byte. */
int depot_index_write(const struct depot *d, const char *const *descs, const size_t *desc_lens, char **ret_buf,
		      size_t *ret_len, struct rh_err *err)
{
	char *buf = NULL;
	size_t len = 0, i;
	int rc = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return rh_errf(err, -ENOMEM, "index.xml: out of memory");
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<depot version=\"1\"", f);
	fputs(d->nvibs || d->nprofiles ? ">\n" : "/>\n", f);
	for (i = 0; i < d->nvibs && !rc; i++)
		rc = put_vib_entry(f, &d->vibs[i], descs[i], desc_lens[i], err);
	for (i = 0; i < d->nprofiles && !rc; i++)
		rc = put_profile(f, &d->profiles[i], err);
	if (d->nvibs || d->nprofiles)
		fputs("</depot>\n", f);
	if (fclose(f) != 0 && !rc)
		rc = rh_errf(err, -ENOMEM, "index.xml: out of memory");
	if (rc) {
		free(buf);
		return rc;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* The <vib> element of a <vib-entry> written out as a document of its own, for vib_desc_parse. */
static int entry_desc(const struct xml_node *vibn, char **ret, size_t *ret_len)
{
	FILE *f = open_memstream(ret, ret_len);

	if (!f)
		return -ENOMEM;
	xml_write_node(f, vibn, 0, false);
	if (fclose(f) != 0) {
		free(*ret);
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int parse_entry(const struct xml_node *e, const char *base, struct depot_vib *v, struct rh_err *err)
{
	const char *path = xml_attr(e, "path"), *size = xml_attr(e, "size"), *sha = xml_attr(e, "sha256");
	const char *lv = xml_attr(e, "level"), *ver = xml_attr(e, "verified");
	const char *why = path ? depot_path_problem(path, NULL) : "is missing";
	const struct xml_node *c, *vibn = NULL;
	char *end, *desc = NULL;
	size_t desc_len = 0;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	if (why)
		rc = rh_errf(err, -EINVAL, "%s/index.xml: vib-entry path '%.200s' is not a relative path inside the "
					   "depot: it %s", base, path ? path : "(missing)", why);
	else if (!size || !*size || (errno = 0, v->size = strtoull(size, &end, 10), errno || *end || *size == '-'))
		rc = rh_errf(err, -EINVAL, "%s/index.xml: %s: bad size '%.40s'", base, path, size ? size : "");
	else if (!sha || strlen(sha) != SHA256_HEX_LEN || sha256_from_hex(sha, SHA256_HEX_LEN, v->sha256) < 0)
		rc = rh_errf(err, -EINVAL, "%s/index.xml: %s: bad sha256 '%.80s'", base, path, sha ? sha : "");
	else if (!lv || vib_level_parse(lv, &v->level) < 0)
		rc = rh_errf(err, -EINVAL, "%s/index.xml: %s: bad level '%.40s'", base, path, lv ? lv : "");
	if (rc)
		return rc;
	strcpy(v->path, path);
	v->verified = ver && !strcmp(ver, "true");
	for (c = e->children; c; c = c->next)
		if (xml_is_el(c, "vib")) {
			if (vibn)
				return rh_errf(err, -EINVAL, "%s/index.xml: %s: more than one <vib>", base, path);
			vibn = c;
		}
	if (!vibn)
		return rh_errf(err, -EINVAL, "%s/index.xml: %s: no <vib> descriptor", base, path);
	if (entry_desc(vibn, &desc, &desc_len) < 0)
		return rh_errf(err, -ENOMEM, "%s/index.xml: out of memory", base);
	rc = vib_desc_parse(desc, desc_len, &v->desc, err);
	if (rc)
		rh_err_prefix(err, rc, "%s/index.xml: %s: bad descriptor", base, path);
	free(desc);
	return rc;
}

/* One <vib-request> of profile p (name: p's name in errors). */
static int profile_add_req(struct depot_profile *p, size_t *cap, const char *text, const char *base,
			   const char *name, struct rh_err *err)
{
	int rc;

	if (p->nvibs == VIB_LIST_MAX)
		return rh_errf(err, -E2BIG, "%s/index.xml: profile %s: more than %d VIBs", base, name, VIB_LIST_MAX);
	if (p->nvibs == *cap) {
		struct vib_req *nv = realloc(p->vibs, (*cap = *cap ? *cap * 2 : 8) * sizeof(*nv));
		if (!nv)
			return rh_errf(err, -ENOMEM, "out of memory");
		p->vibs = nv;
	}
	rc = vib_req_parse(text, &p->vibs[p->nvibs], err);
	if (rc)
		return rh_err_prefix(err, rc, "%s/index.xml: profile %s", base, name);
	p->nvibs++;
	return 0;
}

static int parse_profile(const struct xml_node *e, const char *base, struct depot_profile *p, struct rh_err *err)
{
	const char *name = xml_attr(e, "name"), *acc = xml_attr(e, "acceptance");
	const struct xml_node *c;
	size_t cap = 0;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->acceptance = VIB_LEVEL_DEFAULT_POLICY;
	if (!name || !*name || strlen(name) >= sizeof(p->name) || strpbrk(name, "/ \t"))
		rc = rh_errf(err, -EINVAL, "%s/index.xml: bad profile name '%.80s'", base, name ? name : "");
	else if (acc && vib_level_parse(acc, &p->acceptance) < 0)
		rc = rh_errf(err, -EINVAL, "%s/index.xml: profile %s: bad acceptance '%.40s'", base, name, acc);
	if (!rc)
		strcpy(p->name, name);
	for (c = e->children; c && !rc; c = c->next) {
		char *t;

		if (c->type != XML_TREE_ELEMENT || (!xml_is_el(c, "description") && !xml_is_el(c, "vib-request")))
			continue;
		if (!(t = xml_content(c))) {
			rc = rh_errf(err, -ENOMEM, "out of memory");
			break;
		}
		if (xml_is_el(c, "description"))
			snprintf(p->description, sizeof(p->description), "%s", t);
		else
			rc = profile_add_req(p, &cap, t, base, name, err);
		free(t);
	}
	if (rc) {
		free(p->vibs);
		p->vibs = NULL;
	}
	return rc;
}

/* A <vib-entry> as d's next VIB (cap: the room of d->vibs). */
static int index_add_vib(const struct xml_node *c, const char *base, struct depot *d, size_t *cap,
			 struct rh_err *err)
{
	int rc;

	if (d->nvibs == DEPOT_MAX_VIBS)
		return rh_errf(err, -E2BIG, "%s/index.xml: more than %d VIBs", base, DEPOT_MAX_VIBS);
	if (d->nvibs == *cap) {
		struct depot_vib *nv = realloc(d->vibs, (*cap = *cap ? *cap * 2 : 16) * sizeof(*nv));
		if (!nv)
			return rh_errf(err, -ENOMEM, "out of memory");
		d->vibs = nv;
	}
	rc = parse_entry(c, base, &d->vibs[d->nvibs], err);
	if (!rc)
		d->nvibs++;
	return rc;
}

/* A <profile> as d's next image profile (cap: the room of d->profiles). */
static int index_add_profile(const struct xml_node *c, const char *base, struct depot *d, size_t *cap,
			     struct rh_err *err)
{
	int rc;

	if (d->nprofiles == DEPOT_MAX_PROFILES)
		return rh_errf(err, -E2BIG, "%s/index.xml: more than %d profiles", base, DEPOT_MAX_PROFILES);
	if (d->nprofiles == *cap) {
		struct depot_profile *np = realloc(d->profiles, (*cap = *cap ? *cap * 2 : 8) * sizeof(*np));
		if (!np)
			return rh_errf(err, -ENOMEM, "out of memory");
		d->profiles = np;
	}
	rc = parse_profile(c, base, &d->profiles[d->nprofiles], err);
	if (!rc)
		d->nprofiles++;
	return rc;
}

int depot_index_parse(const void *buf, size_t len, const char *base, struct depot *ret, struct rh_err *err)
{
	char file[PATH_MAX + 16];
	struct xml_tree_limits lim = {
		.file = file, .max_depth = XML_TREE_DEPTH_MAX, .max_nodes = INDEX_NODES_MAX,
		.max_text = DEPOT_INDEX_MAX,
	};
	struct depot d;
	struct xml_tree *t = NULL;
	const struct xml_node *root, *c;
	size_t capv = 0, capp = 0;
	const char *ver;
	int rc = 0;

	memset(&d, 0, sizeof(d));
	snprintf(d.base, sizeof(d.base), "%s", base);
	snprintf(file, sizeof(file), "%s/index.xml", base);
	if (len > DEPOT_INDEX_MAX)
		return rh_errf(err, -E2BIG, "%s/index.xml: %zu bytes, at most %u", base, len, DEPOT_INDEX_MAX);
	/* A DOCTYPE is the only way to declare entities: refuse it before the parser sees it (and it would stop). */
	if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8))
		return rh_errf(err, -EBADMSG, "%s/index.xml: a DOCTYPE or entity declaration is not allowed", base);
	rc = xml_tree_parse(buf, len, &lim, &t, err);
	if (rc)
		goto out;
	root = xml_tree_root(t);
	if (!xml_is_el(root, "depot")) {
		rc = rh_errf(err, -EINVAL, "%s/index.xml: the root element is not <depot>", base);
		goto out;
	}
	ver = xml_attr(root, "version");
	if (!ver || strcmp(ver, "1")) {
		rc = rh_errf(err, -EINVAL, "%s/index.xml: depot version '%.20s' is not 1", base, ver ? ver : "");
		goto out;
	}
	for (c = root->children; c && !rc; c = c->next) {
		if (xml_is_el(c, "vib-entry"))
			rc = index_add_vib(c, base, &d, &capv, err);
		else if (xml_is_el(c, "profile"))
			rc = index_add_profile(c, base, &d, &capp, err);
		/* other elements: ignored, for later versions */
	}
out:
	xml_tree_free(t);
	if (rc) {
		depot_free(&d);
		return rc;
	}
	*ret = d;
	return 0;
}

/* "http://", "https://" (not file://): fetched by vib/fetch_http.c. */
static int is_remote(const char *s)
{
	return strstr(s, "://") && strncmp(s, "file://", 7);
}

static const char *local_dir(const char *s)
{
	return strncmp(s, "file://", 7) ? s : s + 7;
}

int depot_load(const char *url_or_dir, struct depot *ret, struct rh_err *err)
{
	char url[8192];
	void *buf = NULL;
	char *cbuf = NULL;
	size_t len = 0;
	int rc;

	if (is_remote(url_or_dir)) {
		rc = fetch_join(url, sizeof(url), url_or_dir, DEPOT_INDEX, err);
		if (rc == 0)
			rc = fetch_to_buf(url, DEPOT_INDEX_MAX, &buf, &len, err);
		if (rc)
			return rc;
		rc = depot_index_parse(buf, len, url_or_dir, ret, err);
		free(buf);
		return rc;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s/%s", local_dir(url_or_dir), DEPOT_INDEX) >= sizeof(url))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", url_or_dir);
	rc = rh_read_file(url, DEPOT_INDEX_MAX, &cbuf, &len, err);
	if (rc == -ENOENT) {
		rh_err_clear(err);
		return rh_errf(err, -ENOENT, "%s: no depot index (run `ramhost depot create %s`)", url,
			       local_dir(url_or_dir));
	}
	if (rc == 0)
		rc = depot_index_parse(cbuf, len, url_or_dir, ret, err);
	free(cbuf);
	return rc;
}

int depot_cands(const struct depot *d, struct vib_cand **cands, size_t *ncands, struct rh_err *err)
{
	struct vib_cand *nc;
	size_t i;

	if (!d->nvibs)
		return 0;
	nc = realloc(*cands, (*ncands + d->nvibs) * sizeof(*nc));
	if (!nc)
		return rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; i < d->nvibs; i++) {
		nc[*ncands + i].desc = &d->vibs[i].desc;
		nc[*ncands + i].level = d->vibs[i].level;
		nc[*ncands + i].origin = d->base;
	}
	*cands = nc;
	*ncands += d->nvibs;
	return 0;
}

const struct depot_vib *depot_vib_of(const struct depot *d, const struct vib_desc *desc)
{
	size_t i;

	for (i = 0; i < d->nvibs; i++)
		if (&d->vibs[i].desc == desc)
			return &d->vibs[i];
	return NULL;
}

/* 0 when path has the index's size and SHA-256, -EBADMSG (named) when not. */
static int check_file(const char *path, const struct depot_vib *v, struct rh_err *err)
{
	uint8_t got[SHA256_DIGEST_LEN];
	char want_hex[SHA256_HEX_LEN + 1], got_hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	int rc = fs_sha256_file(path, got, &size, err);

	if (rc)
		return rc;
	if (size != v->size)
		return rh_errf(err, -EBADMSG, "%s: %" PRIu64 " bytes, the depot index says %" PRIu64, path, size,
			       v->size);
	if (memcmp(got, v->sha256, sizeof(got))) {
		sha256_to_hex(v->sha256, want_hex);
		sha256_to_hex(got, got_hex);
		return rh_errf(err, -EBADMSG, "%s: SHA-256 %s, the depot index says %s", path, got_hex, want_hex);
	}
	return 0;
}

/* The most bytes a VIB with descriptor d can hold: the "!<arch>" magic; per member (descriptor, signature, each
 * payload, and a GNU long-name table) a header, the longest name and a pad byte; a descriptor and a signature
 * at their maximum; and the payloads' sizes. UINT64_MAX when that overflows. */
static uint64_t vib_size_bound(const struct vib_desc *d)
{
	uint64_t n = 8 + 2 * (uint64_t)VIB_DESC_MAX + ((uint64_t)d->npayloads + 3) * (60 + AR_NAME_MAX + 2);
	size_t i;

	for (i = 0; i < d->npayloads; i++) {
		if (d->payloads[i].size > UINT64_MAX - n)
			return UINT64_MAX;
		n += d->payloads[i].size;
	}
	return n;
}

/* Before downloading v from url into dest: the index's size within the limit and within what the VIB can be,
 * and the free space of dest's directory (dir) enough for what is still missing (a DEST.part counts). */
static int download_fits(const struct depot_vib *v, const char *url, const char *dir, const char *dest,
			 struct rh_err *err)
{
	uint64_t max, bound = vib_size_bound(&v->desc), have = 0, avail;
	char part[PATH_MAX + 8];
	struct stat st;
	int rc = env_number(DEPOT_ENV_VIB_MAX, DEPOT_VIB_MAX, UINT64_MAX, 1, &max, err);

	if (rc)
		return rc;
	if (v->size > max)
		return rh_errf(err, -EFBIG, "%s: the depot index says %" PRIu64 " bytes, more than the largest VIB "
					    "allowed (%" PRIu64 " bytes, " DEPOT_ENV_VIB_MAX ")", url, v->size, max);
	if (v->size < 8 + 2 * 60) /* fetch's max_size 0 would mean no limit at all */
		return rh_errf(err, -EBADMSG, "%s: the depot index says %" PRIu64 " bytes, less than any VIB", url,
			       v->size);
	if (v->size > bound)
		return rh_errf(err, -EBADMSG, "%s: the depot index says %" PRIu64 " bytes, more than a VIB with its "
					      "%zu payloads can be (at most %" PRIu64 ")", url, v->size,
			       v->desc.npayloads, bound);
	snprintf(part, sizeof(part), "%s.part", dest);
	if (stat(part, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= v->size)
		have = (uint64_t)st.st_size;
	rc = fs_free_bytes(dir, &avail, err);
	if (rc < 0)
		return rc;
	if (v->size - have > avail)
		return rh_errf(err, -ENOSPC, "%s: %" PRIu64 " bytes to download, only %" PRIu64 " free in %s", url,
			       v->size - have, avail, dir);
	return 0;
}

int depot_fetch_vib(const struct depot *d, const struct depot_vib *v, const char *cache_dir,
		    const struct fetch_opts *fo, char *ret_path, size_t cap, struct rh_err *err)
{
	char url[8192], dest[PATH_MAX];
	struct fetch_opts o = { 0 };
	struct rh_err tmp = { 0 };
	int rc;

	if (!is_remote(d->base)) {
		if ((size_t)snprintf(ret_path, cap, "%s/%s", local_dir(d->base), v->path) >= cap)
			return rh_errf(err, -ENAMETOOLONG, "%s/%s: path too long", d->base, v->path);
		return check_file(ret_path, v, err);
	}
	if (!cache_dir)
		return rh_errf(err, -EINVAL, "%s: a download directory is needed for a remote depot", d->base);
	if ((size_t)snprintf(dest, sizeof(dest), "%s/%s-%s.vib", cache_dir, v->desc.name, v->desc.version) >=
	    sizeof(dest))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", cache_dir);
	if (access(dest, F_OK) == 0 && check_file(dest, v, &tmp) == 0)
		goto done; /* cached */
	unlink(dest);
	if (fo)
		o = *fo;
	o.max_size = v->size; /* checked by download_fits: never more than DEPOT_VIB_MAX */
	o.resume = 1;
	rc = rh_mkdir_p(cache_dir, 0755, err);
	if (rc == 0)
		rc = fetch_join(url, sizeof(url), d->base, v->path, err);
	if (rc == 0)
		rc = download_fits(v, url, cache_dir, dest, err);
	if (rc == 0)
		rc = fetch_to_file(url, dest, &o, NULL, err);
	if (rc == 0)
		rc = check_file(dest, v, err);
	if (rc) {
		unlink(dest);
		return rc;
	}
done:
	if ((size_t)snprintf(ret_path, cap, "%s", dest) >= cap)
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dest);
	return 0;
}
