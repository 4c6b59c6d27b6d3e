/* oci_json.h: the JSON documents of an OCI image layout (image-spec v1: index.json, image indexes, image
 * manifests, image configs) and of a `docker save` archive (manifest.json), parsed into plain C.
 *
 * Parsed with jansson from (buf, len): duplicate keys are refused, a document over OCI_JSON_MAX bytes is
 * refused before parsing, lists are bounded, and every string is copied only into a bounded field (a longer
 * one is refused naming it). Digests must be "sha256:" and 64 lowercase hex digits (the only algorithm read).
 * Unknown fields are ignored, as the spec asks. Every error names the document (what) and the field. Fuzzed:
 * tests/fuzz/fuzz_oci_json.c. */
#ifndef RAMHOST_TARDISK_OCI_JSON_H
#define RAMHOST_TARDISK_OCI_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define OCI_JSON_MAX (4u << 20)    /* a JSON document: at most 4 MiB (the image-spec's advice for manifests) */
#define OCI_LIST_MAX 1024          /* manifests in an index, layers in a manifest or a docker image */
#define OCI_DIGEST_LEN 71          /* "sha256:" + 64 hex digits */

struct oci_desc {
	char media_type[128];
	char digest[OCI_DIGEST_LEN + 1];
	uint64_t size;
	char arch[32], os[32], variant[32]; /* an index entry's platform; "" when it has none */
	char ref_name[256];        /* an index entry's org.opencontainers.image.ref.name annotation, or "" */
};

/* An image index (index.json of a layout, or a nested index blob). */
struct oci_index {
	struct oci_desc *m;
	size_t n;
};

/* An image manifest: its config and its layers, lowest first. */
struct oci_manifest {
	struct oci_desc config;
	struct oci_desc *layers;
	size_t nlayers;
};

/* The parts of an image config read here. */
struct oci_config {
	char arch[32], os[32], variant[32];
	char (*diff_ids)[OCI_DIGEST_LEN + 1]; /* rootfs.diff_ids: the SHA-256 of each layer's uncompressed tar */
	size_t nlayers;
};

/* One image of a `docker save` manifest.json: its config file, tags and layer files (lowest first). */
struct docker_image {
	char config[256];
	char (*tags)[256];
	size_t ntags;
	char (*layers)[256];
	size_t nlayers;
};

struct docker_manifest {
	struct docker_image *v;
	size_t n;
};

int oci_index_parse(const void *buf, size_t len, const char *what, struct oci_index *ret, struct rh_err *err);
void oci_index_free(struct oci_index *x);
int oci_manifest_parse(const void *buf, size_t len, const char *what, struct oci_manifest *ret, struct rh_err *err);
void oci_manifest_free(struct oci_manifest *m);
int oci_config_parse(const void *buf, size_t len, const char *what, struct oci_config *ret, struct rh_err *err);
void oci_config_free(struct oci_config *c);
int docker_manifest_parse(const void *buf, size_t len, const char *what, struct docker_manifest *ret,
			  struct rh_err *err);
void docker_manifest_free(struct docker_manifest *d);

/* 1 when s is "sha256:" and 64 lowercase hex digits. */
int oci_digest_valid(const char *s);

/* What a media type is: an index, a manifest, a config, or a layer and its compression. */
enum oci_kind { OCI_KIND_OTHER, OCI_KIND_INDEX, OCI_KIND_MANIFEST, OCI_KIND_CONFIG, OCI_KIND_LAYER };
enum oci_kind oci_media_kind(const char *media_type, const char **ret_compression);

#endif
