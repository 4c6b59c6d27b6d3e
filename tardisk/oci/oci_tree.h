/* oci_tree.h: the paths of an OCI image as its layers are applied (oci_apply.c), shared with the split writer
 * (oci_split.c), which reads off each layer's changes from it. Internal to tardisk/oci. */
#ifndef RAMHOST_TARDISK_OCI_TREE_H
#define RAMHOST_TARDISK_OCI_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "oci_layout.h"
#include "tardisk/create_int.h"

/* What the entry list does not hold per path. Layers count from 1; 0 is "never". */
struct oci_meta {
	unsigned layer;     /* the layer that last set the path */
	uint64_t inode;     /* regular files: shared by hard links; 0 otherwise */
	int dead;           /* removed (the entry keeps only its path, the list's key) */
	int before;         /* alive when the layer being applied started */
	unsigned killed_in; /* the last layer that removed or replaced it (a directory so is opaque over the lower) */
	unsigned opq_in;    /* the last layer with a `.wh..wh..opq` in it */
	unsigned wh_in;     /* oci_split.c: the last layer that got a whiteout for it */
};

/* An entry list (entries.h) that keeps every path ever seen, and m parallel to it. Its byte count is the content
 * cap's count over all layers. */
struct oci_tree {
	struct tdk_list l;
	struct oci_meta *m;
	size_t mcap;
	uint64_t next_inode;
	unsigned layer;     /* the layer being applied, from 1 */
	const char *shown;  /* the image, for messages */
};

/* An empty tree for img, capped at max_bytes (0: none); what names the source in the entry list's messages. */
void oci_tree_init(struct oci_tree *t, const struct oci_image *img, const char *what, uint64_t max_bytes);
void oci_tree_free(struct oci_tree *t);

/* Applies layer i (from 0) of img over what the tree holds; its data goes to the spool. */
int oci_tree_apply(struct oci_tree *t, const struct oci_image *img, size_t i, struct tdk_spool *sp,
		   struct tdk_progress *p, struct rh_err *err);

/* Index of path when it is there and not removed, else -1. */
long oci_tree_find_alive(const struct oci_tree *t, const char *path);

/* e (a directory) made opaque to the layers below: OVL_OPAQUE_XATTR added (lib/ovl.h). 0 or -ENOMEM. */
int oci_ent_make_opaque(struct tdk_ent *e);

/* The entries at order[0..n) (indexes into t->l.v) added to l sorted by path, files sharing an inode as hard links
 * of the first: moved out of the tree when move (it is not used again), else copied. opaque, when set, is
 * called for each and returns 1 for a directory that gets OVL_OPAQUE_XATTR. */
int oci_tree_emit(struct oci_tree *t, size_t *order, size_t n, int move, int (*opaque)(const struct oci_tree *t,
		  size_t k), struct tdk_list *l, struct rh_err *err);

#endif
