/* mounts.h: the mounts init makes — loop devices for tardisks, squashfs, overlayfs, tmpfs ramdisks, read-only
 * binds. Thin wrappers over the syscalls that turn errno into a message naming the paths. */
#ifndef RAMHOST_MOUNTS_H
#define RAMHOST_MOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fileio.h"

/* Attaches file read-only to a free loop device (via /dev/loop-control; makes the /dev/loopN node when devtmpfs
 * has not) and writes its path into ret_dev (cap bytes). The device stays attached until LOOP_CLR_FD (no
 * autoclear: that would detach it when this function closes its descriptor, before anyone mounts it). */
int loop_attach_ro(const char *file, char *ret_dev, size_t cap, struct rh_err *err);

/* The same for the window [offset, offset+size) of file (size 0: to its end), read-write when rw. A block device
 * attached this way is not claimed: the disk itself can still be opened exclusively (a rescue mounts its state
 * partition this way while it writes the disk). */
int loop_attach(const char *file, uint64_t offset, uint64_t size, int rw, char *ret_dev, size_t cap,
		struct rh_err *err);

/* Detaches loop device dev (after its file system is unmounted). */
int loop_detach(const char *dev, struct rh_err *err);

/* Sets dev's autoclear flag once something holds it (a mount): the device then detaches itself when the last
 * holder goes, so that a process ended by a signal leaves no loop device attached. 0, or -errno. */
int loop_set_autoclear(const char *dev);

/* Moves the calling process (single-threaded) into a mount namespace of its own with every mount private: the
 * mounts it makes from then on are seen by no other process and vanish with it, however it ends. */
int mount_ns_private(struct rh_err *err);


/* Mounts a tmpfs ramdisk: size bytes, inodes inode limit, root directory mode. */
int mount_ramdisk(const char *target, const char *name, uint64_t size, uint64_t inodes, unsigned mode,
		  struct rh_err *err);

/* Mounts the squashfs on dev read-only at target. */
int mount_squashfs_ro(const char *dev, const char *target, struct rh_err *err);

/* Mounts a read-only overlayfs at target: lowers[0] is the TOP layer. One lower is completed with empty_dir,
 * since overlayfs without an upper directory needs two. */
int mount_overlay_ro(const char *target, const char *const *lowers, unsigned nlowers, const char *empty_dir,
		     struct rh_err *err);

/* Bind-mounts src at target and makes the bind read-only. */
int mount_bind_ro(const char *src, const char *target, struct rh_err *err);

/* Moves the mount at src to target. */
int mount_move(const char *src, const char *target, struct rh_err *err);

#endif
