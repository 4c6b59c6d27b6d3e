/* state_store.h: the state store (a directory of generation files) and what `ramhost state` does with it:
 * list, save (atomic, keep N), diff, restore, and the boot-time restore with fallback.
 *
 * Writing a generation: the store is locked (flock on the directory, so an hourly save and a shutdown save do
 * not interleave), stale temporaries of a cut-off save are removed, the new generation is written to
 * ".state-NNNNNNNN.rhs.tmp", fsynced, renamed to "state-NNNNNNNN.rhs", and the directory is fsynced; only then
 * are generations beyond keep N deleted (never the new one). A failure at any step removes the temporary file
 * and leaves every existing generation untouched. */
#ifndef RAMHOST_STATE_STORE_H
#define RAMHOST_STATE_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gpt.h"
#include "state_format.h"

#define STATE_STORE_DEFAULT "/run/ramhost/state"
#define STATE_ENV_PATH "/run/ramhost/state.env"
#define STATE_KEEP_DEFAULT 3

struct state_gen_info {
	uint64_t gen;
	char name[STATE_NAME_LEN];
	uint64_t size;
};

/* The generations in store, oldest first (a caller-freed array). A missing store is an error naming it. */
int state_store_list(const char *store, struct state_gen_info **ret, size_t *ret_n, struct rh_err *err);

/* Calls fn(ctx, op, path) for each difference between the saved set old (may be NULL: empty) and the live set
 * live, in path order: 'A' only live, 'D' only saved, 'M' both but different. Deletion entries count as absent.
 * Returns the number of differences. Pure. */
size_t state_diff(const struct state_manifest *old, const struct state_manifest *live,
		  void (*fn)(void *ctx, char op, const char *path), void *ctx);

struct state_save_opts {
	const char *root;
	const char *store;
	unsigned keep;
	int dry_run;
	int if_changed;
	/* called with the finished temporary generation (written and fsynced) before it is renamed into the
	 * store; a failure removes it and fails the save (the net store's upload, state_net.h). May be NULL. */
	int (*commit)(void *ctx, const char *tmp_path, uint64_t gen, struct rh_err *err);
	void *commit_ctx;
};

struct state_save_result {
	int written;            /* a generation was written */
	int unchanged;          /* --if-changed and nothing changed since generation `generation` */
	uint64_t generation;    /* the new one (or would-be with dry_run; the newest when unchanged) */
	unsigned files;         /* files and symlinks in the set */
	unsigned deletions;
	uint64_t content_bytes; /* file contents */
	uint64_t bytes;         /* size of the generation file (0 with dry_run) */
	char path[PATH_MAX];
	unsigned pruned;
	char warning[1024];     /* non-fatal: a prune or stale temp that could not be removed */
};

/* Saves the live sticky set of o->root into o->store (see above). */
int state_save(const struct state_save_opts *o, struct state_save_result *ret, struct rh_err *err);

/* Loads the newest generation of store that verifies (footer, payload, MANIFEST; every member when full) into
 * *ret_gen (see state_gen.h; caller frees with state_gen_free). Returns 0, -ENOENT when there is none. */
struct state_gen;
int state_store_newest(const char *store, int full, struct state_gen *ret_gen, struct rh_err *err);

/* Restores generation gen of store over root after verifying all of it; a damaged generation fails before
 * anything is changed. *ret_files gets the files and symlinks restored. */
int state_restore(const char *store, const char *root, uint64_t gen, unsigned *ret_files, struct rh_err *err);

/* What `state boot` did; the command prints the matching console line. */
enum state_boot_kind {
	STATE_BOOT_RESTORED,      /* the newest generation */
	STATE_BOOT_FALLBACK,      /* newer ones were damaged; an older one restored */
	STATE_BOOT_EMPTY,         /* no generation on the store */
	STATE_BOOT_NO_PARTITION,  /* no state partition (or it could not be mounted; why says so) */
	STATE_BOOT_ALL_DAMAGED,   /* generations exist, none valid */
};

struct state_boot_result {
	enum state_boot_kind kind;
	uint64_t generation;      /* restored */
	unsigned files;
	uint64_t damaged;         /* the newest damaged generation (FALLBACK, ALL_DAMAGED) */
	unsigned ndamaged;
	char why[1024];           /* why it is damaged; or why there is no partition */
	char device[PATH_MAX];    /* the partition, or the store directory with --store */
	char store[PATH_MAX];
};

/* Boot-time restore: with store NULL uses the net store ROOT/run/ramhost/state-net (created when missing) of a
 * diskless host (ramhost.state.url on the kernel command line, or the net store there: init put the state module
 * in it; DEV is then "server HOST:PORT"), else finds the state partition (state_part_find) and mounts it (ext4)
 * at ROOT/run/ramhost/state; then restores the newest valid generation over root, falling back past damaged
 * ones, and writes ROOT/run/ramhost/state.env atomically. Returns 0 in every case the host may boot on (the
 * result says which), a negative errno only when state.env cannot be written. */
int state_boot(const char *root, const char *store, struct state_boot_result *ret, struct rh_err *err);

/* 1 when dir is a mount point (its device differs from its parent's, or it is the root): the state partition
 * `state boot` mounted, rather than a plain directory in RAM. */
int state_store_is_mounted(const char *dir);

/* ---- the state partition (state_part.c) ---- */

#define STATE_PART_NAME "state"

/* On disk d, when it holds the partition with unique GUID bank_uuid: the number of the partition named "state".
 * Returns 0, -ENOENT (the GUID is not on this disk), -ESRCH (it is, but no "state" partition) or -EEXIST (two
 * partitions are named "state"). Pure. */
int state_part_pick(const struct gpt_disk *d, const uint8_t bank_uuid[16], uint32_t *ret_partno);

/* Finds the state partition of the boot disk from ramhost.bankuuid (kernel command line; RAMHOST_PROC_CMDLINE,
 * RAMHOST_DISKS and RAMHOST_SYS_BLOCK redirect as for lib/host/disks.h). Returns 0 with ret_dev (cap) set, or -ENOENT
 * with why (cap) saying what is missing (no bankuuid: booted from an ISO; no "state" partition), or another
 * negative errno with err. */
int state_part_find(char *ret_dev, size_t cap, char *why, size_t whycap, struct rh_err *err);

#endif
