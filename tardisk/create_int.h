/* create_int.h: the parts of tardisk_create() (create.c), shared between its files only. */
#ifndef RAMHOST_TARDISK_CREATE_INT_H
#define RAMHOST_TARDISK_CREATE_INT_H

#include <stdint.h>

#include "entries.h"
#include "err.h"
#include "tardisk.h"

struct tdk_progress {
	const struct tardisk_create_opts *o;
	uint64_t entries, bytes, last_bytes;
};

/* Calls the progress callback every 256 entries or 8 MiB, and always when force is set. */
void tdk_progress_tick(struct tdk_progress *p, uint64_t add_bytes, int add_entry, int force);

/* Reads the archive at path (tar or cpio, any compression libarchive knows) into l, copying file data to
 * spool_fd (owned by the caller). Refuses hostile entries naming them. */
int source_archive_read(const char *path, struct tdk_list *l, int spool_fd, struct tdk_progress *p,
			struct rh_err *err);

/* Walks the directory at path into l (owner root:root, modes, symlinks, hardlinks, devices, xattrs kept). */
int source_dir_read(const char *path, struct tdk_list *l, struct tdk_progress *p, struct rh_err *err);

/* Writes l (finished: sorted) as a pax tar stream to fd (a socket; owned by the caller). mtimes above clamp
 * are lowered to it when clamp >= 0. */
int tar_emit(const struct tdk_list *l, int fd, int spool_fd, long long clamp, struct tdk_progress *p,
	     struct rh_err *err);

#endif
