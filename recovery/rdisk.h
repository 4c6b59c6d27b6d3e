/* rdisk.h: the disk a rescue works on: a block device or a disk image file, with its logical sector size.
 *
 * The one place rescue code opens a disk. It refuses what is not a disk (a directory, a fifo, a character
 * device, a partition of a disk rather than the disk when that can be told from /sys), a disk too small to hold
 * a GPT (fewer than 34 + 33 logical sectors, or less than 1 MiB), and a sector size other than 512 or 4096.
 * Opened read-only for scan and plan; read-write only by the commit (backup.h), which is the only writer.
 *
 * Sector size: a block device's logical block size (BLKSSZGET). An image file has none: the caller may give one
 * (--sector-size), else rdisk_open probes for "EFI PART" at byte 512 and then 4096 and takes the size where it
 * is found, else (no GPT at either: a damaged disk) 512, and says in ret->sector_guessed that it guessed. */
#ifndef RAMHOST_RECOVERY_RDISK_H
#define RAMHOST_RECOVERY_RDISK_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define RDISK_MIN_BYTES (1024u * 1024u)

struct rdisk {
	char path[PATH_MAX];
	int fd;                 /* -1 when closed */
	int writable;           /* opened O_RDWR */
	int is_blockdev;
	uint32_t sector;        /* 512 or 4096 */
	int sector_guessed;     /* an image without a GPT at 512 or 4096: 512 assumed */
	uint64_t size;          /* bytes */
	uint64_t sectors;       /* size / sector */
};

/* Opens path (O_RDONLY, or O_RDWR when writable; a read-only device or file then fails with -EROFS / -EACCES and
 * a message naming it). sector 0: detect (see above), else 512 or 4096. Errors name the path and why. */
int rdisk_open(const char *path, int writable, uint32_t sector, struct rdisk *ret, struct rh_err *err);

/* Reads len bytes at byte offset off; a read past the end or a short read is an error naming the disk and the
 * offset. */
int rdisk_read(const struct rdisk *d, uint64_t off, void *buf, size_t len, struct rh_err *err);

/* The same as a read callback for lib/gpt.h and lib/fat.h (ctx is a const struct rdisk *; no message). */
int rdisk_read_cb(void *ctx, uint64_t off, void *buf, uint32_t len);

/* A read callback for a window of the disk (a partition): off is relative to base, reads past base+len fail. */
struct rdisk_window {
	const struct rdisk *d;
	uint64_t base, len;
};
int rdisk_window_read_cb(void *ctx, uint64_t off, void *buf, uint32_t len);

/* Writes len bytes at off (only backup.c calls this, after the backup is on disk) and, with sync, fsyncs. */
int rdisk_write(const struct rdisk *d, uint64_t off, const void *buf, size_t len, struct rh_err *err);
int rdisk_sync(const struct rdisk *d, struct rh_err *err);

/* Reopens d read-write in place (for the commit). */
int rdisk_reopen_rw(struct rdisk *d, struct rh_err *err);

void rdisk_close(struct rdisk *d);

#endif
