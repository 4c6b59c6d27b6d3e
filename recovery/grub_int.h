/* grub_int.h: what op_grub.c (the decision, the write set, the checks) shares with grub_mount.c (the staged copy
 * attached to a loop device, the installation's root mounted from it with /dev, /proc and /sys, a stand-in for
 * its ESP at /boot/efi, and the installation's own tools run in a chroot) and grub_esp.c (the stand-in's files
 * put on the copy's ESP). Internal to `rescue grub`. */
#ifndef RAMHOST_RECOVERY_GRUB_INT_H
#define RAMHOST_RECOVERY_GRUB_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The mounts of one run, undone by grub_mnt_detach (every field says what is to undo). */
struct grub_mnt {
	char loop[64];           /* /dev/loopN on the staged copy; "" when none */
	char dir[PATH_MAX];      /* the root mount point (a registered work directory); "" when none */
	char label[48];          /* "p3 (Debian GNU/Linux 12 (bookworm))": names the installation in messages */
	int root, dev, proc, sys, esp;   /* mounted */
	int autoclear;           /* the loop device detaches itself once nothing holds it */
};

/* Attaches the copy (a whole disk of sector-byte sectors) to a free loop device with its partitions. */
int grub_mnt_attach(struct grub_mnt *m, const char *copy, uint32_t sector, struct rh_err *err);

/* Mounts partition partno of the loop device (ext2/3/4) on a new private directory under work, in a mount
 * namespace of the process's own (the mounts vanish with the process, whatever ends it), with a private
 * /dev in it (a tmpfs holding only null, zero, full, random, urandom and the copy's loop device and partitions:
 * the chroot sees no disk of the rescue system), /proc and /sys. Refuses a root whose dev, proc or sys is not a
 * plain directory (a symbolic link there would send a mount outside the copy). */
int grub_mnt_root(struct grub_mnt *m, unsigned partno, const char *work, struct rh_err *err);

/* The stand-in of the ESP (partition partno) at the root's /boot/efi (created when missing): an empty tmpfs
 * whose source is the partition's device node. grub-install --target=x86_64-efi takes the device of its
 * --efi-directory from mountinfo and checks with GRUB's own FAT driver that it holds FAT, so it accepts it,
 * and writes its files into the tmpfs; grub_esp_copy then puts them on the staged copy's ESP with mtools. No
 * kernel FAT driver is needed, and nothing mounts the FAT read-write. */
int grub_mnt_esp(struct grub_mnt *m, unsigned partno, struct rh_err *err);

/* The host path of the stand-in (ROOT/boot/efi) into buf; -ENOENT when it is not mounted. */
int grub_mnt_esp_dir(const struct grub_mnt *m, char *buf, size_t cap);

/* Copies every file below dir (the stand-in after grub-install) to the same path on the FAT file system of
 * image at byte offset off (sectors 512-byte sectors long), making directories as needed and replacing files
 * of the same name; files grub-install did not write stay as they are. Refuses a symbolic link, a device or
 * anything but directories and regular files (FAT holds nothing else). */
int grub_esp_copy(const char *dir, const char *image, uint64_t off, uint64_t sectors, struct rh_err *err);

/* Runs args (NULL-terminated; args[0] found in the installation's PATH) in a chroot of the root, with a plain
 * PATH and LC_ALL=C. Its error output is in the message when it fails. */
int grub_mnt_run(struct grub_mnt *m, const char *const args[], struct rh_err *err);

/* 1 when rel (below the root, "boot/grub/i386-pc") is a directory reached through directories only. */
int grub_mnt_is_dir(const struct grub_mnt *m, const char *rel);

/* 1 when rel is a regular file or a symbolic link (an installed tool), without following it. */
int grub_mnt_has(const struct grub_mnt *m, const char *rel);

/* Unmounts everything (the ESP, /sys, /proc, /dev, the root: in that order), removes the mount point and
 * detaches the loop device. Safe on a zeroed or partly set up m; returns the first failure (the mount point is
 * then kept, and tmpreg never removes through a mount). */
int grub_mnt_detach(struct grub_mnt *m, struct rh_err *err);

/* The ID= of an os-release text (buf, len) into out (cap bytes): lower-case letters, digits, '.', '_' and '-'
 * only, as os-release(5) defines it, quotes removed. -ENOENT when there is none or it holds anything else. */
int grub_os_id(const char *buf, size_t len, char *out, size_t cap);

#endif
