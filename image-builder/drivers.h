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
 *   other    every module in neither */
#ifndef RAMHOST_IMGB_DRIVERS_H
#define RAMHOST_IMGB_DRIVERS_H

#include <stddef.h>

#include "err.h"
#include "modules_dep.h"

#define DRIVERS_KEY_LEN 16  /* hex digits of the cache key */

/* The classes (PROFILE_DRIVERS_* bits) of the module at path (relative to lib/modules/KVER). Pure. */
unsigned drivers_class(const char *path);

/* Marks in sel[0..db->nmods) the modules of db in the classes of mask and everything they depend on (by
 * modules.dep). Returns how many are marked. */
unsigned drivers_select(const struct modules_dep *db, unsigned mask, unsigned char *sel);

/* Of init's boot modules order[0..n) (indices into db->mods, dependencies first), marks in_cpio[k] = 1 for the
 * ones init.cpio must carry: modules_dep_required's (init mounts the tardisks with them), each one the drivers
 * set sel lacks, and every module one of those needs. The others (in_cpio[k] = 0) are loaded by init from the
 * drivers tardisk once it is mounted. Returns how many are marked, or -ENOMEM. */
int drivers_split_boot(const struct modules_dep *db, const unsigned *order, unsigned n, const unsigned char *sel,
		       unsigned char *in_cpio);

/* The cache key of the set: 16 hex digits of the SHA-256 of the recipe, kver, mask, and each selected module's
 * path, size and mtime in moddir (and those of the index inputs), so a changed kernel tree makes a new one. */
int drivers_key(const struct modules_dep *db, const unsigned char *sel, const char *moddir, const char *kver,
		unsigned mask, char key[DRIVERS_KEY_LEN + 1], struct rh_err *err);

/* Stages the selected modules of moddir under root/usr/lib/modules/KVER (hard links when moddir is on the same
 * file system, copies otherwise), with the kernel's modules.order, modules.builtin and modules.builtin.modinfo,
 * then runs `depmod -b root/usr KVER` for the indexes (modules.dep, modules.alias, ...) of that set. */
int drivers_stage(const char *root, const struct modules_dep *db, const unsigned char *sel, const char *moddir,
		  const char *kver, struct rh_err *err);

#endif
