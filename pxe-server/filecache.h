/* filecache.h: one shared read-only mapping per served file, for the TFTP server (and whoever else serves
 * files from memory). Transfers of the same file share one mmap: the key is device + inode + size + mtime, so
 * a file replaced by a new one (a rename, as `ramhost image pxe` writes) gets a new mapping while transfers of
 * the old one finish from theirs. Refcounted: the mapping is unmapped when its last user puts it back.
 *
 * The files served are immutable by design (content-addressed artifacts, loaders written atomically); a file
 * truncated in place while mapped would fault its readers (SIGBUS), as with any mmap server. Thread-safe. */
#ifndef RAMHOST_PXE_FILECACHE_H
#define RAMHOST_PXE_FILECACHE_H

#include <stdint.h>

#include "err.h"

struct pxe_filecache;
struct pxe_fmap;                   /* one mapped file, shared */

struct pxe_filecache_stats {
	unsigned maps;                 /* mappings alive now */
	unsigned refs;                 /* users of them, summed */
	uint64_t mapped;               /* mappings made since the cache was created */
	uint64_t shared;               /* opens answered by an existing mapping */
};

int pxe_filecache_new(struct pxe_filecache **ret);
/* Frees the cache; every mapping must have been put back first (the ones left are unmapped). */
void pxe_filecache_free(struct pxe_filecache *c);

/* Opens path (a regular file: rh_open_input), and returns in *ret its mapping, shared with the users of the
 * same file or made now. The caller owns one reference and gives it back with pxe_filecache_put. 0, or a
 * negative errno with err naming the path. A zero-length file has no mapping: data NULL, size 0. */
int pxe_filecache_open(struct pxe_filecache *c, const char *path, struct pxe_fmap **ret, struct rh_err *err);
const uint8_t *pxe_fmap_data(const struct pxe_fmap *m);
uint64_t pxe_fmap_size(const struct pxe_fmap *m);
/* Drops one reference; the last unmaps. NULL is a no-op. */
void pxe_filecache_put(struct pxe_filecache *c, struct pxe_fmap *m);
void pxe_filecache_get_stats(struct pxe_filecache *c, struct pxe_filecache_stats *ret);

#endif
