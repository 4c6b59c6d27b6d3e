/* sysview.h: the system view plan — from the top-level entries of each tardisk, decide what init puts at each
 * top-level name of the new root.
 *
 * Rules (the topmost layer that has a name decides its kind; layer 0 is the base, later layers are on top):
 *   - dev, proc, sys, run, tmp, tardisks, lost+found: skipped (init makes these mount points itself);
 *   - a symlink (bin -> usr/bin): SYSVIEW_SYMLINK, recreated with the topmost layer's target;
 *   - etc, var, root, home, srv, mnt, media (directories): SYSVIEW_COPY — copied into the writable ramdisk mounted
 *     there (or into the root ramdisk), lower layers first so later layers win file by file;
 *   - any other directory (usr, opt, bin, sbin, lib, lib64, ...): SYSVIEW_OVERLAY — a read-only overlayfs of the
 *     layers that have it as a directory;
 *   - a regular file or other node: SYSVIEW_COPY from the topmost layer only;
 *   - a whiteout (lib/ovl.h) as the topmost: nothing, the name is not in the view.
 * Going down from the topmost layer, a layer where the name is not a directory (a whiteout too), or is an opaque
 * directory (lib/ovl.h: the layer's own top directory is not read as opaque by overlayfs, so the plan does it),
 * hides the layers below it.
 * Pure: no I/O, unit-tested. */
#ifndef RAMHOST_SYSVIEW_H
#define RAMHOST_SYSVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SYSVIEW_MAX_LAYERS 64
#define SYSVIEW_MAX_NAME 256
#define SYSVIEW_MAX_ACTIONS 256

enum sysview_entry_kind { SYSVIEW_ENTRY_DIR, SYSVIEW_ENTRY_SYMLINK, SYSVIEW_ENTRY_OTHER, SYSVIEW_ENTRY_WHITEOUT };

struct sysview_entry {
	char name[SYSVIEW_MAX_NAME];
	int kind;                    /* enum sysview_entry_kind */
	char target[SYSVIEW_MAX_NAME];  /* symlinks only */
	int opaque;                  /* SYSVIEW_ENTRY_DIR: an opaque directory (lib/ovl.h) */
};

struct sysview_layer {
	const struct sysview_entry *entries;  /* not owned */
	size_t nentries;
};

enum sysview_action_kind { SYSVIEW_OVERLAY, SYSVIEW_COPY, SYSVIEW_SYMLINK };

struct sysview_action {
	int kind;                    /* enum sysview_action_kind */
	char name[SYSVIEW_MAX_NAME];
	uint64_t layers;             /* bit i: layer i takes part (overlay: all set bits; copy: lowest first) */
	char target[SYSVIEW_MAX_NAME];  /* SYSVIEW_SYMLINK */
};

/* Plans the view of nlayers layers (at most 64) into ret (cap actions), sorted by name. Sets *ret_n and
 * returns 0, or -EINVAL (an entry name with '/' or "."/"..") / -E2BIG with err set. */
int sysview_plan(const struct sysview_layer *layers, unsigned nlayers, struct sysview_action *ret, size_t cap,
		 size_t *ret_n, struct rh_err *err);

/* The lowest (when want_lowest) or highest layer index in mask; -1 when mask is 0. */
int sysview_layer_index(uint64_t mask, int want_lowest);

#endif
