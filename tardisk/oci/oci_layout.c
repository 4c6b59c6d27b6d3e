/* oci_layout.c: an OCI layout directory, OCI archive or docker save archive resolved to checked layer blobs
 * (oci_layout.h). */
#include "oci_layout.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "hex.h"
#include "sha256.h"
#include "tardisk/path_check.h"
#include "tardisk/tardisk.h"

int oci_source(const char *src, const char **ret_spec)
{
	if (strncmp(src, "oci:", 4))
		return 0;
	if (ret_spec)
		*ret_spec = src + 4;
	return 1;
}

int oci_spec_split(const char *spec, char *path, size_t cap, char *tag, size_t tcap, struct rh_err *err)
{
	const char *colon = strrchr(spec, ':');
	struct stat st;

	tag[0] = '\0';
	if (stat(spec, &st) == 0 || !colon || colon == spec) {
		if ((size_t)snprintf(path, cap, "%s", spec) >= cap)
			return rh_errf(err, -ENAMETOOLONG, "%.200s: path too long", spec);
		return 0;
	}
	if ((size_t)(colon - spec) >= cap || strlen(colon + 1) >= tcap)
		return rh_errf(err, -ENAMETOOLONG, "%.200s: path or tag too long", spec);
	memcpy(path, spec, (size_t)(colon - spec));
	path[colon - spec] = '\0';
	strcpy(tag, colon + 1);
	return 0;
}

/* One archive entry's data into the new file dst (O_EXCL: a name given twice is refused). */
static int unpack_file(struct archive *a, const char *arch_path, const char *name, const char *dst, struct rh_err *err)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), rc = 0;
	const void *buf;
	size_t n;
	la_int64_t off;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: entry '%s': %s", arch_path, name,
			       errno == EEXIST ? "given twice" : strerror(errno));
	for (;;) {
		int r = archive_read_data_block(a, &buf, &n, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK || off < 0) {
			rc = rh_errf(err, -EIO, "%s: entry '%s': %s", arch_path, name,
				     archive_error_string(a) ? archive_error_string(a) : "truncated");
			break;
		}
		if (lseek(fd, off, SEEK_SET) < 0 || rh_write_all(fd, buf, n) < 0) {
			rc = rh_errf(err, -errno, "%s: entry '%s': writing %s: %s", arch_path, name, dst, strerror(errno));
			break;
		}
	}
	close(fd);
	return rc;
}

/* Unpacks the image archive at path into dir: regular files and directories only (anything else, and a name
 * that is absolute or holds "..", refused naming it), at most max bytes of file data in all. */
static int unpack_archive(const char *path, const char *dir, uint64_t max, struct rh_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	char norm[TARDISK_PATH_MAX + 1], dst[PATH_MAX];
	uint64_t total = 0;
	size_t len;
	int rc = 0, r;

	if (!a)
		return rh_errf(err, -ENOMEM, "out of memory");
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		rc = rh_errf(err, -EINVAL, "%s: not an image archive (%s)", path, archive_error_string(a));
		goto out;
	}
	while (!rc && (r = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
		const char *name = archive_entry_pathname(ae);
		unsigned type = archive_entry_filetype(ae);

		if (r != ARCHIVE_OK || !name) {
			rc = rh_errf(err, -EINVAL, "%s: not a tar archive, or a damaged one (%s)", path,
				     archive_error_string(a) ? archive_error_string(a) : "bad header");
			break;
		}
		r = tdk_path_normalize(name, strlen(name), norm, sizeof(norm), &len);
		if (r == TDK_PATH_ROOT)
			continue;
		if (r < 0) {
			rc = rh_errf(err, -EINVAL, "%s: entry '%.200s': the path %s", path, name, tdk_path_reason(r));
			break;
		}
		if (type != AE_IFREG && type != AE_IFDIR) {
			rc = rh_errf(err, -EINVAL, "%s: entry '%.200s' is not a regular file or directory (an image "
				     "archive holds only those)", path, name);
			break;
		}
		if (type == AE_IFREG && archive_entry_size(ae) > 0 && (uint64_t)archive_entry_size(ae) > max - total) {
			rc = rh_errf(err, -EFBIG, "%s: entry '%.200s': %lld bytes would take the archive's content over "
				     "the limit of %llu bytes", path, name, (long long)archive_entry_size(ae),
				     (unsigned long long)max);
			break;
		}
		rc = fs_join(dst, sizeof(dst), dir, norm, err);
		if (!rc)
			rc = type == AE_IFDIR ? rh_mkdir_p(dst, 0700, err) : 0;
		if (!rc && type == AE_IFREG) {
			char *slash = strrchr(dst, '/');

			*slash = '\0';
			rc = rh_mkdir_p(dst, 0700, err);
			*slash = '/';
			total += (uint64_t)archive_entry_size(ae);
			if (!rc)
				rc = unpack_file(a, path, name, dst, err);
		}
	}
out:
	archive_read_free(a);
	return rc;
}

/* What the steps below share: where the files are (root), what messages call the image (shown: the
 * user's path, not a scratch directory), the tag and architecture asked for. */
struct oci_ctx {
	const char *root, *shown, *tag, *arch;
};

/* The file of blob digest under c->root; -ENOENT naming it when missing. */
static int blob_path(const struct oci_ctx *c, const char *digest, const char *what, char *buf, size_t cap,
		     struct rh_err *err)
{
	struct stat st;

	if ((size_t)snprintf(buf, cap, "%s/blobs/sha256/%s", c->root, digest + 7) >= cap)
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", c->shown);
	if (stat(buf, &st) < 0)
		return rh_errf(err, -ENOENT, "%s: %s names blob %s, which the image does not have", c->shown, what, digest);
	return 0;
}

/* Compares a blob's SHA-256 and size with what its descriptor says. */
static int blob_matches(const struct oci_ctx *c, const char *what, const char *digest, const uint8_t got[32],
			uint64_t size, uint64_t want_size, struct rh_err *err)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_to_hex(got, hex);
	if (size != want_size)
		return rh_errf(err, -EBADMSG, "%s: %s: blob %s is %llu bytes, the descriptor says %llu", c->shown, what,
			       digest, (unsigned long long)size, (unsigned long long)want_size);
	if (strcmp(hex, digest + 7))
		return rh_errf(err, -EBADMSG, "%s: %s: blob %s has SHA-256 %s (tampered or damaged)", c->shown, what,
			       digest, hex);
	return 0;
}

/* A JSON blob read and checked against d (digest and size) into a buffer the caller frees. */
static int read_blob(const struct oci_ctx *c, const struct oci_desc *d, const char *what, char **ret, size_t *len,
		     struct rh_err *err)
{
	char path[PATH_MAX];
	uint8_t got[32];
	int rc = blob_path(c, d->digest, what, path, sizeof(path), err);

	if (rc)
		return rc;
	if (d->size > OCI_JSON_MAX)
		return rh_errf(err, -E2BIG, "%s: %s: %s is %llu bytes, more than the limit of %u", c->shown, what, d->digest,
			       (unsigned long long)d->size, OCI_JSON_MAX);
	rc = rh_read_file(path, OCI_JSON_MAX, ret, len, err);
	if (rc)
		return rc;
	sha256_buf(*ret, *len, got);
	rc = blob_matches(c, what, d->digest, got, *len, d->size, err);
	if (rc) {
		free(*ret);
		*ret = NULL;
	}
	return rc;
}

/* A layer file hashed and compared with digest (and size, unless want_size is UINT64_MAX) into l. */
static int check_layer(const struct oci_ctx *c, const char *path, const char *what, const char *digest, uint64_t want_size,
		       const char *compression, struct oci_layer *l, struct rh_err *err)
{
	uint8_t got[32];
	uint64_t size;
	int rc = fs_sha256_file(path, got, &size, err);

	if (!rc)
		rc = blob_matches(c, what, digest, got, size, want_size == UINT64_MAX ? size : want_size, err);
	if (rc)
		return rc;
	snprintf(l->path, sizeof(l->path), "%s", path);
	snprintf(l->digest, sizeof(l->digest), "%s", digest);
	l->size = size;
	l->compression = compression;
	return 0;
}

/* The tags and platforms of an index, for a message ("tag v1 linux/amd64, linux/arm64/v8, tag t"). */
static void list_entries(const struct oci_index *x, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < x->n && n + 1 < cap; i++) {
		const struct oci_desc *d = &x->m[i];

		n += (size_t)snprintf(buf + n, cap - n, "%s%s%s%s%s%s%s%s%s", i ? ", " : "", d->ref_name[0] ? "tag " : "",
				      d->ref_name, d->ref_name[0] && d->arch[0] ? " " : "", d->os, d->arch[0] ? "/" : "",
				      d->arch, d->variant[0] ? "/" : "", d->variant);
		n = n < cap ? n : cap - 1;
	}
}

/* The entry of x for tag (when set) and arch: by tag first, then by platform (an entry without one fits). */
static int pick(const struct oci_index *x, const struct oci_ctx *c, const char *what, const char *tag,
		const struct oci_desc **ret, struct rh_err *err)
{
	const struct oci_desc *hit = NULL;
	char list[1024];
	size_t i, nhit = 0;

	for (i = 0; i < x->n; i++) {
		const struct oci_desc *d = &x->m[i];

		if (tag[0] && strcmp(d->ref_name, tag))
			continue;
		if (d->arch[0] && (strcmp(d->arch, c->arch) || strcmp(d->os, "linux")))
			continue;
		hit = hit ? hit : d;
		nhit++;
	}
	list_entries(x, list, sizeof(list));
	if (!nhit)
		return rh_errf(err, -ENOENT, "%s: %s has no image%s%s for linux/%s; it has: %s", c->shown, what,
			       tag[0] ? " tagged " : "", tag, c->arch, x->n ? list : "none");
	if (nhit > 1 && !tag[0])
		return rh_errf(err, -EINVAL, "%s: %s has %zu images for linux/%s; name one with PATH:TAG (%s)", c->shown,
			       what, nhit, c->arch, list);
	*ret = hit;
	return 0;
}

/* The image config's platform must be linux and the architecture asked for. */
static int config_platform(const struct oci_ctx *c, const struct oci_config *cfg, struct rh_err *err)
{
	if (strcmp(cfg->arch, c->arch) || strcmp(cfg->os, "linux"))
		return rh_errf(err, -EINVAL, "%s: the image is for %s/%s, not linux/%s", c->shown, cfg->os, cfg->arch,
			       c->arch);
	return 0;
}

/* The config of manifest m checked (digest, size, architecture) and the layers into img. */
static int oci_take_manifest(const struct oci_ctx *c, const struct oci_manifest *m, struct oci_image *img,
			     struct rh_err *err)
{
	struct oci_config cfg = { 0 };
	char *buf = NULL, path[PATH_MAX], what[64];
	const char *comp = NULL;
	size_t len, i;
	int rc = read_blob(c, &m->config, "the config", &buf, &len, err);

	if (!rc)
		rc = oci_config_parse(buf, len, "the image config", &cfg, err);
	free(buf);
	if (!rc)
		rc = config_platform(c, &cfg, err);
	oci_config_free(&cfg);
	if (!rc && !(img->layers = calloc(m->nlayers + 1, sizeof(*img->layers))))
		rc = rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; !rc && i < m->nlayers; i++) {
		snprintf(what, sizeof(what), "layer %zu", i + 1);
		if (oci_media_kind(m->layers[i].media_type, &comp) != OCI_KIND_LAYER)
			rc = rh_errf(err, -EINVAL, "%s: %s has media type %s (read: tar, tar+gzip, tar+zstd layers)", c->shown,
				     what, m->layers[i].media_type);
		if (!rc)
			rc = blob_path(c, m->layers[i].digest, what, path, sizeof(path), err);
		if (!rc)
			rc = check_layer(c, path, what, m->layers[i].digest, m->layers[i].size, comp, &img->layers[i], err);
		if (!rc)
			img->nlayers++;
	}
	return rc;
}

/* An OCI layout at c->root: index.json, at most one nested index, the manifest, its config and layers. */
static int oci_resolve(const struct oci_ctx *c, struct oci_image *img, struct rh_err *err)
{
	struct oci_index x = { 0 }, nested = { 0 };
	struct oci_manifest m = { 0 };
	const struct oci_desc *d = NULL;
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc = fs_join(path, sizeof(path), c->root, "index.json", err);

	if (!rc)
		rc = rh_read_file(path, OCI_JSON_MAX, &buf, &len, err);
	if (!rc)
		rc = oci_index_parse(buf, len, "index.json", &x, err);
	free(buf);
	buf = NULL;
	if (!rc)
		rc = pick(&x, c, "index.json", c->tag, &d, err);
	if (!rc && oci_media_kind(d->media_type, NULL) == OCI_KIND_INDEX) {
		rc = read_blob(c, d, "the image index", &buf, &len, err);
		if (!rc)
			rc = oci_index_parse(buf, len, "the image index", &nested, err);
		free(buf);
		buf = NULL;
		if (!rc)
			rc = pick(&nested, c, "the image index", "", &d, err);
	}
	if (!rc && oci_media_kind(d->media_type, NULL) != OCI_KIND_MANIFEST)
		rc = rh_errf(err, -EINVAL, "%s: %s is a %s, not an image manifest", c->shown, d->digest, d->media_type);
	if (!rc)
		rc = read_blob(c, d, "the manifest", &buf, &len, err);
	if (!rc)
		rc = oci_manifest_parse(buf, len, "the manifest", &m, err);
	free(buf);
	if (!rc)
		rc = oci_take_manifest(c, &m, img, err);
	oci_manifest_free(&m);
	oci_index_free(&nested);
	oci_index_free(&x);
	return rc;
}

/* The docker save image for tag ("NAME:TAG" or its TAG part), or the only one. */
static int docker_pick(const struct docker_manifest *dm, const struct oci_ctx *c,
		       const struct docker_image **ret, struct rh_err *err)
{
	size_t i, k;

	if (!c->tag[0]) {
		if (dm->n != 1)
			return rh_errf(err, -EINVAL, "%s: manifest.json has %zu images; name one with PATH:TAG", c->shown, dm->n);
		*ret = &dm->v[0];
		return 0;
	}
	for (i = 0; i < dm->n; i++)
		for (k = 0; k < dm->v[i].ntags; k++) {
			const char *t = dm->v[i].tags[k], *colon = strrchr(t, ':');

			if (!strcmp(t, c->tag) || (colon && !strcmp(colon + 1, c->tag))) {
				*ret = &dm->v[i];
				return 0;
			}
		}
	return rh_errf(err, -ENOENT, "%s: manifest.json has no image tagged %s", c->shown, c->tag);
}

/* A docker save archive unpacked at c->root: manifest.json, the config (named by its SHA-256 when it is
 * HEX.json, then checked), its architecture, and each layer tar against the config's diff_ids. */
static int docker_resolve(const struct oci_ctx *c, struct oci_image *img,
			  struct rh_err *err)
{
	struct docker_manifest dm = { 0 };
	const struct docker_image *d = NULL;
	struct oci_config cfg = { 0 };
	char path[PATH_MAX], *buf = NULL, what[80];
	uint8_t got[32];
	size_t len, i;
	int rc = fs_join(path, sizeof(path), c->root, "manifest.json", err);

	if (!rc)
		rc = rh_read_file(path, OCI_JSON_MAX, &buf, &len, err);
	if (!rc)
		rc = docker_manifest_parse(buf, len, "manifest.json", &dm, err);
	free(buf);
	buf = NULL;
	if (!rc)
		rc = docker_pick(&dm, c, &d, err);
	if (!rc && strstr(d->config, ".."))
		rc = rh_errf(err, -EINVAL, "%s: manifest.json: a Config path with '..'", c->shown);
	if (!rc)
		rc = fs_join(path, sizeof(path), c->root, d->config, err);
	if (!rc)
		rc = rh_read_file(path, OCI_JSON_MAX, &buf, &len, err);
	if (!rc)
		rc = oci_config_parse(buf, len, d->config, &cfg, err);
	if (!rc && strlen(d->config) == 69 && !strcmp(d->config + 64, ".json")) {
		char digest[OCI_DIGEST_LEN + 1];

		snprintf(digest, sizeof(digest), "sha256:%.64s", d->config);
		sha256_buf(buf, len, got);
		rc = blob_matches(c, d->config, digest, got, len, len, err);
	}
	free(buf);
	if (!rc)
		rc = config_platform(c, &cfg, err);
	if (!rc && cfg.nlayers != d->nlayers)
		rc = rh_errf(err, -EBADMSG, "%s: manifest.json lists %zu layers, the config %zu", c->shown, d->nlayers,
			     cfg.nlayers);
	if (!rc && !(img->layers = calloc(d->nlayers + 1, sizeof(*img->layers))))
		rc = rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; !rc && i < d->nlayers; i++) {
		snprintf(what, sizeof(what), "layer %zu (%.40s)", i + 1, d->layers[i]);
		rc = fs_join(path, sizeof(path), c->root, d->layers[i], err);
		if (!rc && strstr(d->layers[i], ".."))
			rc = rh_errf(err, -EINVAL, "%s: %s: a layer path with '..'", c->shown, what);
		if (!rc)
			rc = check_layer(c, path, what, cfg.diff_ids[i], UINT64_MAX, "", &img->layers[i], err);
		if (!rc)
			img->nlayers++;
	}
	oci_config_free(&cfg);
	docker_manifest_free(&dm);
	return rc;
}

int oci_image_open(const char *spec, const char *arch, uint64_t max_size, struct oci_image *ret, struct rh_err *err)
{
	char path[PATH_MAX], tag[256], probe[PATH_MAX];
	struct oci_ctx c = { path, path, tag, arch };
	struct stat st;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = oci_spec_split(spec, path, sizeof(path), tag, sizeof(tag), err);
	if (!rc && stat(path, &st) < 0)
		rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (!rc && !S_ISDIR(st.st_mode)) {
		rc = fs_work_dir(NULL, "ramhost-oci", ret->work, sizeof(ret->work), err);
		if (!rc)
			rc = unpack_archive(path, ret->work, max_size ? max_size : TARDISK_MAX_SIZE_DEFAULT, err);
		c.root = ret->work;
	}
	if (!rc && fs_join(probe, sizeof(probe), c.root, "manifest.json", NULL) == 0 && access(probe, F_OK) == 0)
		rc = docker_resolve(&c, ret, err);
	else if (!rc && fs_join(probe, sizeof(probe), c.root, "oci-layout", NULL) == 0 && access(probe, F_OK) == 0)
		rc = oci_resolve(&c, ret, err);
	else if (!rc)
		rc = rh_errf(err, -EINVAL, "%s: not an OCI image layout (no oci-layout) nor a docker save archive (no "
			     "manifest.json)", path);
	if (rc) {
		oci_image_close(ret);
		return rc;
	}
	snprintf(ret->desc, sizeof(ret->desc), "%s%s%s (linux/%s, %zu layers)", path, tag[0] ? ":" : "", tag, arch,
		 ret->nlayers);
	return 0;
}

void oci_image_close(struct oci_image *img)
{
	free(img->layers);
	if (img->work[0])
		fs_rm_rf(img->work, NULL);
	memset(img, 0, sizeof(*img));
}
