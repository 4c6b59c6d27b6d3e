/* depot.h: a VIB depot — a directory of .vib files (any layout below it) with a static index, DIR/index.xml,
 * that any HTTP server can serve as it is.
 *
 * index.xml (format in docs/depot.md) lists every VIB — its descriptor (the <vib> element of its descriptor.xml,
 * relationships included), the level recorded when the index was made, the path relative to the depot root,
 * the size and SHA-256 of the .vib file — and the depot's image profiles (DIR/profiles/NAME.profile: a name, an
 * acceptance level and a list of VIB requests). `ramhost depot create` writes it, `depot ls`, image builds and
 * `vib install --depot` read it. The index is untrusted input: parsed with expat (vib/xml_tree.h), a DOCTYPE
 * refused, sizes and XML nodes bounded; a fetched VIB is checked against the index's SHA-256 and then, as
 * always, its own signature and payload hashes (vibfile.h). */
#ifndef RAMHOST_VIB_DEPOT_H
#define RAMHOST_VIB_DEPOT_H

#include <stddef.h>
#include <stdint.h>

#include "descriptor.h"
#include "err.h"
#include "fetch.h"
#include "resolve.h"

#define DEPOT_INDEX "index.xml"
#define DEPOT_INDEX_MAX (32u << 20)  /* index.xml at most 32 MiB */
#define DEPOT_MAX_VIBS 4096
#define DEPOT_MAX_PROFILES 256
#define DEPOT_PATH_MAX 1024
#define DEPOT_PATH_MAX_STR "1023"
/* The largest VIB a depot download accepts, whatever the index says: RAMHOST_VIB_MAX_SIZE (bytes, or with a
 * K, M, G or T suffix) changes it. */
#define DEPOT_VIB_MAX (4ull << 30)
#define DEPOT_ENV_VIB_MAX "RAMHOST_VIB_MAX_SIZE"

struct depot_vib {
	struct vib_desc desc;      /* parsed from the index */
	enum vib_level level;      /* proven by `depot create --trust-dir`, else the level the VIB claims */
	int verified;              /* 1: the signature was checked against a trust store when the index was made */
	char path[DEPOT_PATH_MAX]; /* of the .vib, relative to the depot root ('/'-separated, no "..") */
	uint64_t size;             /* of the .vib file */
	uint8_t sha256[32];        /* of the .vib file */
};

/* An image profile of the depot: a named list of VIB requests. */
struct depot_profile {
	char name[VIB_NAME_MAX];
	char description[256];
	enum vib_level acceptance;
	struct vib_req *vibs; size_t nvibs;
};

struct depot {
	char base[4096];           /* the URL or directory it was read from */
	struct depot_vib *vibs; size_t nvibs;
	struct depot_profile *profiles; size_t nprofiles;
};

typedef void (*depot_progress_fn)(void *ctx, const char *msg);

struct depot_create_opts {
	const char *const *trust_dirs; /* NULL-terminated: check each VIB's signature against these; NULL: only
					* read the claimed level (and check the payload hashes) */
	depot_progress_fn progress;    /* one line per VIB, may be NULL */
	void *progress_ctx;
};

/* Scans dir for *.vib (recursively, sorted paths; dot entries skipped) and dir/profiles/ *.profile, checks each
 * VIB (vib_open + vib_check), and writes dir/index.xml atomically. *ret (may be NULL) gets what was indexed.
 * Two VIBs with the same name and version are refused, naming both paths. */
int depot_create(const char *dir, const struct depot_create_opts *o, struct depot *ret, struct rh_err *err);

/* Parses an index (buf, len); base names it in errors and is kept in ret->base. */
int depot_index_parse(const void *buf, size_t len, const char *base, struct depot *ret, struct rh_err *err);

/* Serializes d as index.xml into a malloc'd buffer; descs are the descriptor.xml bytes of each VIB, in order. */
int depot_index_write(const struct depot *d, const char *const *descs, const size_t *desc_lens, char **ret_buf,
		      size_t *ret_len, struct rh_err *err);

/* Parses a depot profile file (`key = value`: name, description, acceptance, vib — repeated). */
int depot_profile_parse(const char *buf, size_t len, const char *file, struct depot_profile *ret, struct rh_err *err);

/* NULL when p can be the path of a VIB in a depot (relative, '/'-separated, no empty, "." or ".." component,
 * shorter than DEPOT_PATH_MAX, and a name that survives the index and a URL: urlpath_name_problem); else what
 * is wrong, in words to follow "the path" ("has a line break"), and *ret_off (may be NULL) the offset of the
 * first bad byte or component. depot create and the index parser both apply it. */
const char *depot_path_problem(const char *p, size_t *ret_off);

/* Reads url_or_dir/index.xml (a directory, file:// URL, or http(s):// URL through fetch_to_buf). */
int depot_load(const char *url_or_dir, struct depot *ret, struct rh_err *err);
void depot_free(struct depot *d);

/* Appends one candidate per VIB of d to *cands (realloc'd; *ncands updated); descs point into d, origin is
 * d->base. */
int depot_cands(const struct depot *d, struct vib_cand **cands, size_t *ncands, struct rh_err *err);

/* Finds the depot_vib a candidate made by depot_cands() stands for (NULL if none). */
const struct depot_vib *depot_vib_of(const struct depot *d, const struct vib_desc *desc);

/* Makes v available as a local file checked against the index's size and SHA-256: a directory depot's own file,
 * or a download into cache_dir (NAME-VERSION.vib; reused when it is already there with the right hash).
 * ret_path (cap bytes) gets the local path. The index's size is untrusted: before a download it must be at most
 * DEPOT_VIB_MAX (-EFBIG), at most what a VIB with the entry's payloads can be (-EBADMSG), and fit in the free
 * space of cache_dir (-ENOSPC); the download stops at that size (a longer body: -EFBIG, nothing left behind). */
int depot_fetch_vib(const struct depot *d, const struct depot_vib *v, const char *cache_dir,
		    const struct fetch_opts *fo, char *ret_path, size_t cap, struct rh_err *err);

#endif
