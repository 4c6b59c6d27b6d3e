/* initconf.h: /etc/ramhost/init.conf, the init module's configuration (written by the image builder).
 *
 *   kver=6.1.0-56-amd64                        kernel release; modules live in /lib/modules/<kver>/
 *   kmod=kernel/fs/squashfs/squashfs.ko        repeated, in load order (dependencies first)
 *   dkmod=kernel/drivers/block/virtio_blk.ko   the same, for a module init loads from the drivers tardisk
 *                                              (usr/lib/modules/<kver>/ in drivers.tdk) once it is mounted; every
 *                                              module a kmod= line needs is a kmod= line before it
 *   omod=usr/lib/modules/KVER/kernel/x.ko     a module init loads from the drivers tardisk only when the boot
 *                                              needs a disk (else names it in SYSROOT_ONDEMAND_PLAN); the path
 *                                              is from the tardisk's root: its set (usr/lib/modules/<kver>/) or
 *                                              SYSROOT_ONDEMAND_DIR/<kver>/
 *   ramdisk=NAME MOUNTPOINT SIZE INODES        repeated; exactly one with MOUNTPOINT "/" (the root ramdisk)
 *   init=/sbin/init                            the base's init (default /sbin/init)
 *
 * '#' starts a comment line; blank lines are skipped; an unknown key, a repeated kver= or init=, a repeated
 * ramdisk name or mount point are errors with the line number. Pure (buf, len): fuzzed and unit-tested. */
#ifndef RAMHOST_INITCONF_H
#define RAMHOST_INITCONF_H

#include "err.h"
#include "ramdisk_spec.h"

#define INITCONF_MAX_KMODS 64

/* Which line a module came from: where init finds it and when it loads it */
#define INITCONF_KMOD_CPIO 0      /* kmod=: init.cpio, before the tardisks */
#define INITCONF_KMOD_DRIVERS 1   /* dkmod=: the drivers tardisk's set, once it is mounted */
#define INITCONF_KMOD_ONDEMAND 2  /* omod=: the drivers tardisk's on-demand folder, when the boot needs a disk */

struct initconf {
	char kver[RD_MAX_NAME];
	unsigned nkmods;
	char kmods[INITCONF_MAX_KMODS][RD_MAX_PATH];  /* kmod=, dkmod=: from <kver>/; omod=: from the tardisk's root */
	unsigned char where[INITCONF_MAX_KMODS];        /* INITCONF_KMOD_* */
	unsigned nramdisks;
	struct ramdisk_spec ramdisks[RD_MAX_RAMDISKS];  /* in file order */
	char init[RD_MAX_PATH];
};

/* Parses buf[0..len) into *ret (set only on success). path names the file in error messages, which read
 * "<path>: line N: <problem>: '<value>'". Returns 0, -EINVAL or -E2BIG. */
int initconf_parse(const char *buf, size_t len, const char *path, struct initconf *ret, struct rh_err *err);

/* The ramdisk mounted at "/" (always present in a parsed file). */
const struct ramdisk_spec *initconf_root(const struct initconf *conf);

#endif
