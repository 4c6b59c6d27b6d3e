/* wset.h: a write set: everything one rescue repair will write — byte extents of the disk, the files inside its
 * partitions those extents come from (for the plan's reader), and firmware variables.
 *
 * A repair never writes: it builds a wset (on staged copies, stage.h), the plan prints it, and backup.h backs up
 * exactly what the wset covers and only then writes it. So "every byte outside what the plan listed is unchanged"
 * holds by construction, and `rescue undo` restores exactly the extents. Extents are kept sorted and never
 * overlap: adding bytes over an existing extent replaces those bytes (the later repair wins, as it would on
 * disk); adjacent extents are merged only when their `why` is the same. */
#ifndef RAMHOST_RECOVERY_WSET_H
#define RAMHOST_RECOVERY_WSET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define WSET_WHY 96

struct wset_ext {
	uint64_t off, len;       /* bytes of the disk */
	uint8_t *data;           /* len bytes (owned) */
	char why[WSET_WHY];      /* "protective MBR", "GPT backup header", "p1 (ESP) FAT", ... */
};

struct wset_file {
	char part[24];           /* "p1 (ESP)", "p2 (bank 1)" */
	char path[192];          /* path in the partition's file system */
	char action[12];         /* "write", "replace", "delete", "rename" */
	uint64_t size;           /* bytes written (0 for delete) */
	char detail[128];        /* e.g. "sha256 1a2b..., from the rescue media", "renamed to X.rescue-old" */
};

struct wset_var {
	char name[64];           /* "Boot0003", "BootOrder" */
	char guid[37];
	uint32_t attrs;
	uint8_t *data;           /* owned; NULL with del */
	size_t len;
	int del;                 /* delete the variable */
	char why[WSET_WHY];
};

struct wset {
	struct wset_ext *ext;
	size_t next, ext_cap;
	struct wset_file *file;
	size_t nfile, file_cap;
	struct wset_var *var;
	size_t nvar, var_cap;
};

void wset_init(struct wset *w);
void wset_free(struct wset *w);

/* Adds (a copy of) data[0..len) at disk offset off. */
int wset_add(struct wset *w, uint64_t off, const void *data, size_t len, const char *why, struct rh_err *err);

/* Records a file the extents come from (informational: the plan's list of files). */
int wset_add_file(struct wset *w, const char *part, const char *path, const char *action, uint64_t size,
		  const char *detail, struct rh_err *err);

/* Adds a variable write (data non-NULL) or deletion (data NULL). A later entry for the same name replaces an
 * earlier one. */
int wset_add_var(struct wset *w, const char *name, const char *guid, uint32_t attrs, const void *data, size_t len,
		 const char *why, struct rh_err *err);

/* Adds every extent, file and variable of src to dst (in src's order, so src's bytes win where they overlap). */
int wset_merge(struct wset *dst, const struct wset *src, struct rh_err *err);

/* Total bytes of the extents. */
uint64_t wset_bytes(const struct wset *w);

/* 1 when nothing would be written. */
int wset_empty(const struct wset *w);

#endif
