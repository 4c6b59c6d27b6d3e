/* oci_json.c: OCI index, manifest and config documents and docker save's manifest.json (oci_json.h). */
#include "oci_json.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int oci_digest_valid(const char *s)
{
	if (strncmp(s, "sha256:", 7) || strlen(s) != OCI_DIGEST_LEN)
		return 0;
	for (s += 7; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

enum oci_kind oci_media_kind(const char *mt, const char **ret_compression)
{
	static const struct { const char *type; enum oci_kind kind; const char *comp; } kinds[] = {
		{ "application/vnd.oci.image.index.v1+json", OCI_KIND_INDEX, NULL },
		{ "application/vnd.docker.distribution.manifest.list.v2+json", OCI_KIND_INDEX, NULL },
		{ "application/vnd.oci.image.manifest.v1+json", OCI_KIND_MANIFEST, NULL },
		{ "application/vnd.docker.distribution.manifest.v2+json", OCI_KIND_MANIFEST, NULL },
		{ "application/vnd.oci.image.config.v1+json", OCI_KIND_CONFIG, NULL },
		{ "application/vnd.docker.container.image.v1+json", OCI_KIND_CONFIG, NULL },
		{ "application/vnd.oci.image.layer.v1.tar", OCI_KIND_LAYER, "" },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", OCI_KIND_LAYER, "gzip" },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", OCI_KIND_LAYER, "zstd" },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar", OCI_KIND_LAYER, "" },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", OCI_KIND_LAYER, "gzip" },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", OCI_KIND_LAYER, "zstd" },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", OCI_KIND_LAYER, "gzip" },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(mt, kinds[i].type)) {
			if (ret_compression)
				*ret_compression = kinds[i].comp;
			return kinds[i].kind;
		}
	return OCI_KIND_OTHER;
}

/* The document parsed into *ret: refused when too large, not JSON, with duplicate keys, or not an object (an
 * array when array is set). */
static int load(const void *buf, size_t len, const char *what, int array, json_t **ret, struct rh_err *err)
{
	json_error_t je;
	json_t *root;

	*ret = NULL;
	if (len > OCI_JSON_MAX)
		return rh_errf(err, -E2BIG, "%s: %zu bytes, more than the limit of %u", what, len, OCI_JSON_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return rh_errf(err, -EBADMSG, "%s: not valid JSON (line %d, column %d: %s)", what, je.line, je.column,
			       je.text);
	if (array ? !json_is_array(root) : !json_is_object(root)) {
		json_decref(root);
		return rh_errf(err, -EBADMSG, "%s: not a JSON %s", what, array ? "array" : "object");
	}
	*ret = root;
	return 0;
}

/* obj[key] as a string into dst (cap bytes): absent is "" (or an error when required); not a string, or
 * longer than cap - 1 bytes, or holding a NUL, is an error naming field. */
static int get_str(json_t *obj, const char *key, char *dst, size_t cap, int required, const char *what,
		   const char *field, struct rh_err *err)
{
	json_t *v = json_object_get(obj, key);

	dst[0] = '\0';
	if (!v || json_is_null(v))
		return required ? rh_errf(err, -EBADMSG, "%s: %s is missing", what, field) : 0;
	if (!json_is_string(v))
		return rh_errf(err, -EBADMSG, "%s: %s is not a string", what, field);
	if (json_string_length(v) >= cap || strlen(json_string_value(v)) != json_string_length(v))
		return rh_errf(err, -EBADMSG, "%s: %s is longer than %zu bytes or holds a NUL", what, field, cap - 1);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* obj[key] as an array of at most OCI_LIST_MAX entries (required) into *ret. */
static int get_list(json_t *obj, const char *key, const char *what, json_t **ret, struct rh_err *err)
{
	json_t *v = json_object_get(obj, key);

	*ret = NULL;
	if (!json_is_array(v))
		return rh_errf(err, -EBADMSG, "%s: %s is %s", what, key, v ? "not an array" : "missing");
	if (json_array_size(v) > OCI_LIST_MAX)
		return rh_errf(err, -E2BIG, "%s: %s has %zu entries, more than %d", what, key, json_array_size(v),
			       OCI_LIST_MAX);
	*ret = v;
	return 0;
}

/* An index or manifest: an object with schemaVersion 2 and the list key (both required) into *root, *list. */
static int load_v2(const void *buf, size_t len, const char *what, const char *key, json_t **root, json_t **list,
		   struct rh_err *err)
{
	json_t *v;
	int rc = load(buf, len, what, 0, root, err);

	if (rc)
		return rc;
	v = json_object_get(*root, "schemaVersion");
	if (!json_is_integer(v) || json_integer_value(v) != 2)
		rc = rh_errf(err, -EBADMSG, "%s: schemaVersion is not 2", what);
	if (!rc)
		rc = get_list(*root, key, what, list, err);
	if (rc) {
		json_decref(*root);
		*root = NULL;
	}
	return rc;
}

/* A descriptor (mediaType, digest, size, and for index entries platform and annotations) at label. */
static int parse_desc(json_t *o, const char *what, const char *label, struct oci_desc *d, struct rh_err *err)
{
	char f[96];
	json_t *size, *plat, *ann;
	int rc;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(o))
		return rh_errf(err, -EBADMSG, "%s: %s is not an object", what, label);
	snprintf(f, sizeof(f), "%s.mediaType", label);
	rc = get_str(o, "mediaType", d->media_type, sizeof(d->media_type), 1, what, f, err);
	snprintf(f, sizeof(f), "%s.digest", label);
	if (!rc)
		rc = get_str(o, "digest", d->digest, sizeof(d->digest), 1, what, f, err);
	if (rc)
		return rc;
	if (!oci_digest_valid(d->digest))
		return rh_errf(err, -EBADMSG, "%s: %s.digest \"%s\" is not sha256: and 64 lowercase hex digits (the "
			       "only digest read here)", what, label, d->digest);
	size = json_object_get(o, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return rh_errf(err, -EBADMSG, "%s: %s.size is missing or not a non-negative integer", what, label);
	d->size = (uint64_t)json_integer_value(size);
	plat = json_object_get(o, "platform");
	if (plat && !json_is_object(plat))
		return rh_errf(err, -EBADMSG, "%s: %s.platform is not an object", what, label);
	snprintf(f, sizeof(f), "%s.platform", label);
	if (plat && ((rc = get_str(plat, "architecture", d->arch, sizeof(d->arch), 1, what, f, err)) ||
		     (rc = get_str(plat, "os", d->os, sizeof(d->os), 1, what, f, err)) ||
		     (rc = get_str(plat, "variant", d->variant, sizeof(d->variant), 0, what, f, err))))
		return rc;
	ann = json_object_get(o, "annotations");
	if (ann && !json_is_object(ann))
		return rh_errf(err, -EBADMSG, "%s: %s.annotations is not an object", what, label);
	snprintf(f, sizeof(f), "%s.annotations[org.opencontainers.image.ref.name]", label);
	return ann ? get_str(ann, "org.opencontainers.image.ref.name", d->ref_name, sizeof(d->ref_name), 0, what, f,
			     err) : 0;
}

/* Each entry of the array list as a descriptor into a new array *ret (*n entries). */
static int parse_descs(json_t *list, const char *what, const char *key, struct oci_desc **ret, size_t *n,
		       struct rh_err *err)
{
	size_t i, cnt = json_array_size(list);
	struct oci_desc *v = calloc(cnt ? cnt : 1, sizeof(*v));
	char label[64];
	int rc = 0;

	if (!v)
		return rh_errf(err, -ENOMEM, "%s: out of memory", what);
	for (i = 0; i < cnt && !rc; i++) {
		snprintf(label, sizeof(label), "%s[%zu]", key, i);
		rc = parse_desc(json_array_get(list, i), what, label, &v[i], err);
	}
	if (rc) {
		free(v);
		return rc;
	}
	*ret = v;
	*n = cnt;
	return 0;
}

int oci_index_parse(const void *buf, size_t len, const char *what, struct oci_index *ret, struct rh_err *err)
{
	json_t *root, *list;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = load_v2(buf, len, what, "manifests", &root, &list, err);
	if (rc)
		return rc;
	rc = parse_descs(list, what, "manifests", &ret->m, &ret->n, err);
	json_decref(root);
	return rc;
}

void oci_index_free(struct oci_index *x)
{
	free(x->m);
	memset(x, 0, sizeof(*x));
}

int oci_manifest_parse(const void *buf, size_t len, const char *what, struct oci_manifest *ret, struct rh_err *err)
{
	json_t *root, *list;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = load_v2(buf, len, what, "layers", &root, &list, err);
	if (rc)
		return rc;
	rc = parse_desc(json_object_get(root, "config"), what, "config", &ret->config, err);
	if (!rc)
		rc = parse_descs(list, what, "layers", &ret->layers, &ret->nlayers, err);
	json_decref(root);
	return rc;
}

void oci_manifest_free(struct oci_manifest *m)
{
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

int oci_config_parse(const void *buf, size_t len, const char *what, struct oci_config *ret, struct rh_err *err)
{
	json_t *root, *rootfs, *ids = NULL;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = load(buf, len, what, 0, &root, err);
	if (rc)
		return rc;
	rc = get_str(root, "architecture", ret->arch, sizeof(ret->arch), 1, what, "architecture", err);
	if (!rc)
		rc = get_str(root, "os", ret->os, sizeof(ret->os), 1, what, "os", err);
	if (!rc)
		rc = get_str(root, "variant", ret->variant, sizeof(ret->variant), 0, what, "variant", err);
	rootfs = json_object_get(root, "rootfs");
	if (!rc && !json_is_object(rootfs))
		rc = rh_errf(err, -EBADMSG, "%s: rootfs is %s", what, rootfs ? "not an object" : "missing");
	if (!rc)
		rc = get_list(rootfs, "diff_ids", what, &ids, err);
	if (!rc && !(ret->diff_ids = calloc(json_array_size(ids) + 1, sizeof(*ret->diff_ids))))
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", what);
	for (size_t i = 0; !rc && i < json_array_size(ids); i++) {
		json_t *v = json_array_get(ids, i);

		if (!json_is_string(v) || !oci_digest_valid(json_string_value(v)))
			rc = rh_errf(err, -EBADMSG, "%s: rootfs.diff_ids[%zu] is not sha256: and 64 lowercase hex digits",
				     what, i);
		else
			memcpy(ret->diff_ids[ret->nlayers++], json_string_value(v), OCI_DIGEST_LEN + 1);
	}
	json_decref(root);
	if (rc)
		oci_config_free(ret);
	return rc;
}

void oci_config_free(struct oci_config *c)
{
	free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}

/* A list of strings (each < 256 bytes) at obj[key] into *ret; absent or null is an empty list unless required. */
static int get_names(json_t *obj, const char *key, int required, const char *what, char (**ret)[256], size_t *n,
		     struct rh_err *err)
{
	json_t *v = json_object_get(obj, key), *s;
	size_t i;
	int rc;

	*ret = NULL;
	*n = 0;
	if (!required && (!v || json_is_null(v)))
		return 0;
	rc = get_list(obj, key, what, &v, err);
	if (rc)
		return rc;
	*ret = calloc(json_array_size(v) ? json_array_size(v) : 1, sizeof(**ret));
	if (!*ret)
		return rh_errf(err, -ENOMEM, "%s: out of memory", what);
	json_array_foreach(v, i, s) {
		if (!json_is_string(s) || json_string_length(s) >= sizeof(**ret) ||
		    strlen(json_string_value(s)) != json_string_length(s))
			return rh_errf(err, -EBADMSG, "%s: %s[%zu] is not a string under 256 bytes", what, key, i);
		memcpy((*ret)[i], json_string_value(s), json_string_length(s) + 1);
		(*n)++;
	}
	return 0;
}

int docker_manifest_parse(const void *buf, size_t len, const char *what, struct docker_manifest *ret,
			  struct rh_err *err)
{
	json_t *root, *img;
	size_t i;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = load(buf, len, what, 1, &root, err);
	if (rc)
		return rc;
	if (json_array_size(root) > OCI_LIST_MAX)
		rc = rh_errf(err, -E2BIG, "%s: %zu images, more than %d", what, json_array_size(root), OCI_LIST_MAX);
	else if (!(ret->v = calloc(json_array_size(root) ? json_array_size(root) : 1, sizeof(*ret->v))))
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", what);
	json_array_foreach(root, i, img) {
		struct docker_image *d = &ret->v[i];

		if (rc)
			break;
		if (!json_is_object(img)) {
			rc = rh_errf(err, -EBADMSG, "%s: image %zu is not an object", what, i);
			break;
		}
		ret->n++;
		rc = get_str(img, "Config", d->config, sizeof(d->config), 1, what, "Config", err);
		if (!rc)
			rc = get_names(img, "RepoTags", 0, what, &d->tags, &d->ntags, err);
		if (!rc)
			rc = get_names(img, "Layers", 1, what, &d->layers, &d->nlayers, err);
	}
	json_decref(root);
	if (rc)
		docker_manifest_free(ret);
	return rc;
}

void docker_manifest_free(struct docker_manifest *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].tags);
		free(d->v[i].layers);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}
