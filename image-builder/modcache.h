/* modcache.h: a cache of built boot modules (NAME.tdk files) in a folder of $RAMHOST_CACHE, so the next build
 * with the same inputs copies the module instead of making it again: the VIB payload modules (vib-modules, by
 * payload SHA-256), the drivers tardisks (drivers, by the key of their module set) and any other tardisk of a
 * build (tardisks, by content key).
 *
 * Each entry FILE has its SHA-256 beside it (FILE.sha256), written when it was stored: an entry is used only when
 * its copy has that hash, and a damaged one is dropped. Entries are written through a temporary and a rename, so
 * two builds sharing the cache, or an interrupted one, never leave half an entry. Everything is best effort: a
 * cache that cannot be read or written only costs time. */
#ifndef RAMHOST_IMGB_MODCACHE_H
#define RAMHOST_IMGB_MODCACHE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

/* $RAMHOST_CACHE/SUB (made when missing) into dir; dir is "" when there is no usable cache. */
void modcache_open(const char *sub, char *dir, size_t cap);

/* Copies the entry cached to out when it is intact: 1 and its SHA-256 in sha when used, 0 when not (missing, or
 * damaged: then the entry is removed and out too). */
int modcache_take(const char *cached, const char *out, uint8_t sha[SHA256_DIGEST_LEN]);

/* Stores the file out, whose SHA-256 is sha, as the entry cached. A failure leaves no entry. */
void modcache_store(const char *out, const uint8_t sha[SHA256_DIGEST_LEN], const char *cached);

/* The tardisk cache ($RAMHOST_CACHE/tardisks): images by their content key (tardisk.h: TARDISK_KEY_TAG, the
 * clamp and the canonical tar stream), KEY.tdk, so a build whose base, rescue tools or profile tardisk did not
 * change copies the image instead of compressing it again. Wire it into tardisk_create_opts: reuse =
 * modcache_tdk_reuse, reuse_ctx = the struct, built_key = its key; after a build that was not a hit,
 * modcache_tdk_store. */
struct modcache_tdk {
	char dir[PATH_MAX];                /* "" when there is no usable cache */
	const char *out;                   /* where tardisk_create writes the image */
	uint8_t key[SHA256_DIGEST_LEN];    /* built_key */
	int hit;                           /* 1 once reuse copied an entry to out */
};

void modcache_tdk_open(struct modcache_tdk *c, const char *out);
/* The same for another folder of tardisks by key: MODCACHE_OCI_LAYERS holds the layer images of split container
 * image bases (oci_base.h) by layer key (tardisk.h: TARDISK_LAYER_KEY_TAG); set key before modcache_tdk_store. */
#define MODCACHE_OCI_LAYERS "oci-layers"
void modcache_tdk_open_in(struct modcache_tdk *c, const char *sub, const char *out);
int modcache_tdk_reuse(void *ctx, const uint8_t key[SHA256_DIGEST_LEN]);
void modcache_tdk_store(struct modcache_tdk *c);

/* Removes the .tdk entries of dir (and their .sha256) not used for days days (use touches an entry). */
void modcache_prune(const char *dir, unsigned days);

#endif
