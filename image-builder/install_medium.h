/* install_medium.h: the install medium (the booted ISO's block device) read without an isofs driver; internal
 * to `ramhost install` (install.h). The candidate disks are lib/host/disks.h's. */
#ifndef RAMHOST_IMGB_INSTALL_MEDIUM_H
#define RAMHOST_IMGB_INSTALL_MEDIUM_H

#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "iso9660.h"

struct install_medium {
	char dev[256];        /* /dev/NAME */
	int fd;
	dev_t rdev;
	uint64_t size;
	struct iso_fs fs;
};

/* Finds the block device holding an ISO 9660 volume with /install/skeleton.img.zst (whole devices in
 * disks_list with CD drives). m->fd is open until install_medium_close. */
int install_medium_find(struct install_medium *m, struct rh_err *err);
void install_medium_close(struct install_medium *m);

/* Reads the file path on the medium into a malloc'd buffer (at most max bytes, NUL-terminated). */
int install_medium_read(struct install_medium *m, const char *path, size_t max, char **ret_buf, size_t *ret_len,
			struct rh_err *err);

/* Copies the file path on the medium to the new file dst (mode), computing its SHA-256 into ret_sha (may be
 * NULL); fsyncs dst. */
int install_medium_copy(struct install_medium *m, const char *path, const char *dst, unsigned mode,
			uint8_t ret_sha[32], uint64_t *ret_size, struct rh_err *err);

/* A decompressing reader of the skeleton (libarchive: raw format, zstd filter, frame checksums checked). */
struct install_stream;
int install_stream_open(struct install_medium *m, const char *path, struct install_stream **ret, struct rh_err *err);
/* Reads up to cap bytes; returns the count, 0 at the end, or a negative errno. */
long install_stream_read(struct install_stream *s, void *buf, size_t cap, struct rh_err *err);
void install_stream_close(struct install_stream *s);

#endif
