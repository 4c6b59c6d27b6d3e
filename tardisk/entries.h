/* entries.h: the in-memory list of entries that tardisk_create() collects from a source, checks and sorts.
 *
 * A source (source_archive.c, source_dir.c) adds entries in its own order; the list refuses duplicates and
 * hardlinks whose target is not an earlier entry, then entries_finish() refuses paths that go through a
 * symlink or a non-directory, sorts by path and picks each hardlink group's first path as the one carrying the
 * data, so that equivalent inputs in any order give the same stream. */
#ifndef RAMHOST_TARDISK_ENTRIES_H
#define RAMHOST_TARDISK_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct tdk_xattr {
	char *key;
	void *value;
	size_t len;
};

struct tdk_ent {
	char *path;           /* normalised (path_check.h), owned */
	char *link;           /* symlink target as stored, or hardlink target path (normalised), owned */
	int hardlink;         /* 1: a hardlink to `link`; mode etc. unused */
	int link_data;        /* hardlinks: carries the group's data (size, spool_off), as newc cpio does */
	uint32_t mode;        /* S_IFMT | permissions */
	uint32_t uid, gid;
	int64_t mtime;
	uint64_t size;        /* regular files */
	uint32_t rmajor, rminor;
	uint64_t spool_off;   /* archive sources: where the data sits in the spool file */
	char *src_path;       /* directory sources: the file to read the data from, owned */
	struct tdk_xattr *xattrs;
	size_t n_xattrs;
	size_t target;        /* hardlinks: index of the real entry (after resolving chains) */
	size_t rep;           /* real entries: index of the group member whose path carries the data */
};

struct tdk_list {
	struct tdk_ent *v;
	size_t n, cap;
	size_t *slots;        /* open-addressing hash of path -> index + 1 */
	size_t n_slots;
	const char *what;     /* source name, for messages */
	uint64_t bytes;       /* sum of regular file sizes */
	uint64_t max_bytes;   /* limit on bytes (tardisk_create_opts.max_size); 0: none */
};

void entries_init(struct tdk_list *l, const char *what);
void entries_free(struct tdk_list *l);

/* Frees what e owns and zeroes it. */
void entries_ent_free(struct tdk_ent *e);

/* dst becomes a deep copy of src (its own path, link, source path and xattrs); -ENOMEM leaves dst zeroed. */
int entries_ent_dup(struct tdk_ent *dst, const struct tdk_ent *src);

/* Takes ownership of every pointer in *e (also on failure: they are freed). e->path must be normalised.
 * Refuses a name or symlink target that is not UTF-8 (-EILSEQ), a duplicate path, a hardlink to an entry not seen
 * before or to a directory. */
int entries_add(struct tdk_list *l, struct tdk_ent *e, struct rh_err *err);

/* The size cap, one rule for every source: refuses (naming the source, the entry and the limit) when add more
 * bytes of file content would take the list over l->max_bytes. Archive sources call it before spooling the
 * data; entries_add() calls it for every regular file. */
int entries_size_check(const struct tdk_list *l, const char *name, uint64_t add, struct rh_err *err);

/* Index of path, or -1. */
long entries_find(const struct tdk_list *l, const char *path);

/* Checks parents (no entry below a symlink or a non-directory), sorts by path, resolves hardlink groups. */
int entries_finish(struct tdk_list *l, struct rh_err *err);

/* The directory with the most direct entries (the root is ""), after entries_finish(): their count, and its
 * path in *ret_path (pointing into l). */
size_t entries_largest_dir(const struct tdk_list *l, const char **ret_path);

/* Whether a source keeps the xattr key of its entry (what: the source, entry: its name, for the message): 1 for
 * the names squashfs can store (user., trusted., security.), 0 for the others, which the sources drop, and
 * -EPERM with err set for overlayfs's own (trusted.overlay.*, lib/ovl.h): in a tardisk they would change what
 * the layers below show, so only the split OCI writer (tardisk/oci) sets them, never a source. */
int entries_xattr_take(const char *what, const char *entry, const char *key, struct rh_err *err);

#endif
