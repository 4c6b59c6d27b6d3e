/* view.h: the system view plan — from the top-level entries of each tardisk, decide what init puts at each
 * top-level name of the new root.
 *
 * Rules (the topmost layer that has a name decides its kind; layer 0 is the base, later layers are on top):
 *   - dev, proc, sys, run, tmp, tardisks, lost+found: skipped (init makes these mount points itself);
 *   - a symlink (bin -> usr/bin): VIEW_SYMLINK, recreated with the topmost layer's target;
 *   - etc, var, root, home, srv, mnt, media (directories): VIEW_COPY — copied into the writable ramdisk mounted
 *     there (or into the root ramdisk), lower layers first so later layers win file by file;
 *   - any other directory (usr, opt, bin, sbin, lib, lib64, ...): VIEW_OVERLAY — a read-only overlayfs of the
 *     layers that have it as a directory;
 *   - a regular file or other node: VIEW_COPY from the topmost layer only.
 * Going down from the topmost layer, a layer where the name is not a directory hides the layers below it.
 * Pure: no I/O, unit-tested. */
#ifndef RAMHOST_VIEW_H
#define RAMHOST_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define VIEW_MAX_LAYERS 64
#define VIEW_MAX_NAME 256
#define VIEW_MAX_ACTIONS 256

enum view_entry_kind { VIEW_ENTRY_DIR, VIEW_ENTRY_SYMLINK, VIEW_ENTRY_OTHER };

struct view_entry {
	char name[VIEW_MAX_NAME];
	int kind;                    /* enum view_entry_kind */
	char target[VIEW_MAX_NAME];  /* symlinks only */
};

struct view_layer {
	const struct view_entry *entries;  /* not owned */
	size_t nentries;
};

enum view_action_kind { VIEW_OVERLAY, VIEW_COPY, VIEW_SYMLINK };

struct view_action {
	int kind;                    /* enum view_action_kind */
	char name[VIEW_MAX_NAME];
	uint64_t layers;             /* bit i: layer i takes part (overlay: all set bits; copy: lowest first) */
	char target[VIEW_MAX_NAME];  /* VIEW_SYMLINK */
};

/* Plans the view of nlayers layers (at most 64) into ret (cap actions), sorted by name. Sets *ret_n and
 * returns 0, or -EINVAL (an entry name with '/' or "."/"..") / -E2BIG with err set. */
int view_plan(const struct view_layer *layers, unsigned nlayers, struct view_action *ret, size_t cap,
	      size_t *ret_n, struct rh_err *err);

/* The lowest (when want_lowest) or highest layer index in mask; -1 when mask is 0. */
int view_layer_index(uint64_t mask, int want_lowest);

#endif
