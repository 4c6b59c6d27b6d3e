/* partfs.h: the files of a FAT partition (the ESP, a bank) as a repair sees them: read through lib/fat.h from the
 * disk as the plan so far (pending) will leave it, without mounting. The scan reads the same way with no
 * pending. */
#ifndef RAMHOST_RECOVERY_PARTFS_H
#define RAMHOST_RECOVERY_PARTFS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fat.h"
#include "rdisk.h"
#include "wset.h"

struct partfs {
	struct fat_volume v;
	const struct rdisk *d;
	const struct wset *pending;  /* may be NULL */
	uint64_t base, len;
	char label[24];              /* "p2 (bank 1)": names the partition in messages */
};

/* Opens the FAT volume at [base, base+len) of d with pending laid over. */
int partfs_open(struct partfs *p, const struct rdisk *d, const struct wset *pending, uint64_t base, uint64_t len,
		const char *label, struct rh_err *err);

/* Reads the file at path (at most max bytes, else -EFBIG) into a malloc'd buffer (NUL-terminated past *ret_len). */
int partfs_read(struct partfs *p, const char *path, size_t max, char **ret, size_t *ret_len, struct rh_err *err);

/* The content of the file entry e of volume v (at most max bytes, else -EFBIG) in a malloc'd NUL-terminated
 * buffer; a negative errno without a message (the scan reads this way, partfs_read adds the message). */
int partfs_read_entry(struct fat_volume *v, const struct fat_dirent *e, size_t max, char **ret, size_t *ret_len);

/* SHA-256 and size of the file at path. */
int partfs_sha256(struct partfs *p, const char *path, uint8_t sha[32], uint64_t *ret_size, struct rh_err *err);

/* Copies the file at path to the host file dst (created, 0644, fsynced). */
int partfs_extract(struct partfs *p, const char *path, const char *dst, struct rh_err *err);

/* 1 when path exists (file or directory), 0 when not, negative on a read error. */
int partfs_exists(struct partfs *p, const char *path);

#endif
