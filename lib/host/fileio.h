/* fileio.h: whole-file reads and complete writes, the two I/O loops every component needs. */
#ifndef RAMHOST_FILEIO_H
#define RAMHOST_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Opens the input file path for reading (O_CLOEXEC) into *ret_fd, refusing anything that is not a regular file
 * ("PATH: not a regular file (fifo)") without blocking on it: the open is O_NONBLOCK, so a fifo with no writer
 * or a device is seen by fstat before any read; O_NONBLOCK is cleared again for the caller. The one rule for
 * every file ramhost reads as input (-EISDIR for a directory, -EINVAL for the other kinds). */
int rh_open_input(const char *path, int *ret_fd, struct rh_err *err);
/* rh_open_input naming what path is when it cannot be opened ("PATH: cannot open WHAT: ..."). */
int rh_open_input_as(const char *path, const char *what, int *ret_fd, struct rh_err *err);

/* Reads all of path (regular files and /proc files alike: the size is not trusted, the buffer grows; opened by
 * rh_open_input, so anything else is refused) into a NUL-terminated buffer that the caller owns and frees. A file longer than max bytes is an error (-EFBIG). */
int rh_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len, struct rh_err *err);

/* Writes all len bytes to fd, retrying short writes and EINTR. Returns 0 or -errno. */
int rh_write_all(int fd, const void *buf, size_t len);

/* Reads exactly len bytes at offset off of fd, retrying short reads and EINTR. Returns 0, -errno, or -EIO when
 * the file ends first. */
int rh_pread_all(int fd, void *buf, size_t len, uint64_t off);

/* rh_pread_all as the read callback of gpt_read() and iso_mount(): ctx points to the int file descriptor. */
int rh_pread_fd(void *ctx, uint64_t off, void *buf, uint32_t len);

/* Creates path and its missing parents with mode (like mkdir -p); existing directories are fine. */
int rh_mkdir_p(const char *path, unsigned mode, struct rh_err *err);

/* Replaces dir/name by buf[0..len): name.tmp written, fsync'd, renamed over name, dir fsync'd. The rename is
 * the commit point; the temporary file is removed on failure. label names the file system (a device, a
 * directory) in messages. */
int rh_replace_file(const char *dir, const char *name, const void *buf, size_t len, const char *label,
		    struct rh_err *err);

#endif
