/* oci_layout.h: an OCI or Docker image given as a file the user has (no daemon, no registry), resolved to its
 * layers, every blob checked against its digest before use.
 *
 * spec is PATH[:TAG]: PATH is an OCI image layout directory (oci-layout, index.json, blobs/sha256/...), an
 * archive of one (`podman save --format oci-archive`, `skopeo copy ... oci-archive:`) or a `docker save`
 * archive (manifest.json, the config and layer tars). A PATH that exists as given has no TAG; otherwise the
 * part after the last ':' is the tag. An archive is unpacked into a private scratch directory first, regular
 * files and directories only, names checked, within the content cap.
 *
 * The image: the index entry whose org.opencontainers.image.ref.name is TAG (docker: a RepoTags entry NAME:TAG
 * or TAG), or the only one; a multi-platform index picks the manifest for arch (linux), or says which
 * platforms there are. The manifest and config are checked against their digests and sizes, the config's
 * architecture against arch, and every layer blob's SHA-256 and size against the manifest (docker: each layer
 * tar against the config's rootfs.diff_ids) before oci_image_open returns. */
#ifndef RAMHOST_TARDISK_OCI_LAYOUT_H
#define RAMHOST_TARDISK_OCI_LAYOUT_H

#include <limits.h>
#include <stdint.h>

#include "err.h"
#include "oci_json.h"

struct oci_layer {
	char path[PATH_MAX];       /* the blob file, checked */
	char digest[OCI_DIGEST_LEN + 1];
	uint64_t size;
	const char *compression;   /* "", "gzip" or "zstd" as the media type says (the reader checks the bytes) */
};

struct oci_image {
	char work[PATH_MAX];       /* the scratch directory of an unpacked archive, or "" */
	char desc[PATH_MAX + 300]; /* what was picked, for messages: "PATH (TAG, linux/amd64, 3 layers)" */
	struct oci_layer *layers;  /* lowest first */
	size_t nlayers;
};

/* Opens spec for architecture arch (Debian's name, e.g. "amd64"; an image's config must match it). max_size
 * caps what an archive may unpack to (0: TARDISK_MAX_SIZE_DEFAULT). On failure nothing is left behind. */
int oci_image_open(const char *spec, const char *arch, uint64_t max_size, struct oci_image *ret, struct rh_err *err);
void oci_image_close(struct oci_image *img);

/* SPEC (PATH[:TAG]) into path and tag (cap and tcap bytes): a spec that exists as given is all path, else the
 * part after the last ':' is the tag. The one place that rule is decided. */
int oci_spec_split(const char *spec, char *path, size_t cap, char *tag, size_t tcap, struct rh_err *err);

/* 1 when src names an OCI or Docker image ("oci:SPEC"); *ret_spec (when ret_spec is not NULL) is SPEC. */
int oci_source(const char *src, const char **ret_spec);

#endif
