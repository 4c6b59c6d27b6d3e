/* drivers.h: the drivers tardisk (profile key drivers, docs/profile.md): the kernel's modules of the profile's
 * classes with every module they depend on, as usr/lib/modules/KVER with module indexes that depmod made for
 * exactly that set. It is one more layer of /usr, so on the booted host /lib/modules/KVER is there and udev (or
 * the built-in base's coldplug pass) loads the drivers of the hardware it finds. The modules stay compressed in
 * the tardisk: a module costs RAM only for its compressed bytes until it is loaded.
 *
 * Classes, by the module's path under lib/modules/KVER (a module may be in two):
 *   net      kernel/drivers/net/ but wireless/; kernel/net/8021q/ and bridge/ (VLANs, bridges); virtio
 *   storage  kernel/drivers/ ata scsi nvme block md message mmc cdrom usb/storage usb/host (USB disks need
 *            their host controller) virtio; kernel/fs/; kernel/crypto/ (file systems' soft dependencies such as
 *            ext4's crc32c)
 *   other    every module in neither
 *
 * It also carries init's on-demand modules (DRIVERS_SEL_ONDEMAND): the disk and file-system boot modules that
 * no every-boot module needs and the set lacks, under SYSROOT_ONDEMAND_DIR/KVER, outside depmod's tree, so
 * coldplug and udev do not load them; init loads them when the boot needs a disk, `ramhost install` and
 * `ramhost rescue` otherwise (lib/host/ondemand.h). */
#ifndef RAMHOST_IMGB_DRIVERS_H
#define RAMHOST_IMGB_DRIVERS_H

#include <stddef.h>

#include "err.h"
#include "modules_dep.h"

#define DRIVERS_KEY_LEN 16  /* hex digits of the cache key */

/* The classes (PROFILE_DRIVERS_* bits) of the module at path (relative to lib/modules/KVER). Pure. */
unsigned drivers_class(const char *path);

/* The values of a sel[] entry */
#define DRIVERS_SEL_NO 0        /* not in the drivers tardisk */
#define DRIVERS_SEL_SET 1       /* in the set: usr/lib/modules/KVER, indexed by depmod */
#define DRIVERS_SEL_ONDEMAND 2  /* an on-demand boot module outside the set: SYSROOT_ONDEMAND_DIR/KVER */

/* Where init finds a boot module (drivers_split_boot's where[]) */
#define DRIVERS_BOOT_DRIVERS 0   /* dkmod=: the drivers tardisk's set, loaded at every boot once it is mounted */
#define DRIVERS_BOOT_CPIO 1      /* kmod=: init.cpio, loaded at every boot before the tardisks */
#define DRIVERS_BOOT_ONDEMAND 2  /* omod=: the drivers tardisk (its set, or aside), loaded only when something
				  * needs a disk */

/* Marks in sel[0..db->nmods) the modules of db in the classes of mask and everything they depend on (by
 * modules.dep), DRIVERS_SEL_SET each. Returns how many are marked. */
unsigned drivers_select(const struct modules_dep *db, unsigned mask, unsigned char *sel);

/* Where each of init's boot modules order[0..n) (indices into db->mods, dependencies first) comes from, into
 * where[k] (DRIVERS_BOOT_*). every[k] = 1 marks the ones every boot needs (modules_dep_required's and the
 * profile's kmod lines); with what they need they are the every-boot modules. init.cpio carries
 * modules_dep_required's, each every-boot module the drivers set sel lacks, and everything one of those needs;
 * the other every-boot modules come from the drivers tardisk at every boot; the rest (disk and file-system
 * drivers that no every-boot module needs, and what they need) are on demand: those in the set from its
 * module folder, the others marked DRIVERS_SEL_ONDEMAND in sel[] so the drivers tardisk carries them aside.
 * Returns how many are in init.cpio, or -ENOMEM. */
int drivers_split_boot(const struct modules_dep *db, const unsigned *order, unsigned n, const unsigned char *every,
		       unsigned char *sel, unsigned char *where);

/* The cache key of the set: 16 hex digits of the SHA-256 of the recipe, kver, mask, and each selected module's
 * place (set or on demand), path, size and mtime in moddir (and those of the index inputs), so a changed kernel
 * tree makes a new one. */
int drivers_key(const struct modules_dep *db, const unsigned char *sel, const char *moddir, const char *kver,
		unsigned mask, char key[DRIVERS_KEY_LEN + 1], struct rh_err *err);

/* Stages the set's modules of moddir under root/usr/lib/modules/KVER (hard links when moddir is on the same
 * file system, copies otherwise), with the kernel's modules.order, modules.builtin and modules.builtin.modinfo,
 * then runs `depmod -b root/usr KVER` for the indexes (modules.dep, modules.alias, ...) of that set; the
 * on-demand ones under root/SYSROOT_ONDEMAND_DIR/KVER, which depmod does not index. */
int drivers_stage(const char *root, const struct modules_dep *db, const unsigned char *sel, const char *moddir,
		  const char *kver, struct rh_err *err);

#endif
