/* base.h: the built-in base image (busybox + ramhost) and the helpers that find its ingredients. */
#ifndef RAMHOST_IMGB_BASE_H
#define RAMHOST_IMGB_BASE_H

#include <stddef.h>

#include "err.h"
#include "profile.h"

struct base_builtin_opts {
	const char *busybox;   /* a static busybox binary */
	const char *ramhost;   /* the ramhost binary to ship as /usr/bin/ramhost (normally /proc/self/exe) */
	const char *hostname;  /* the fallback host name, SYSROOT_DEFAULT_HOSTNAME (the image has no /etc/hostname) */
	const struct profile_network *network;  /* the profile's network key (required) */
};

/* Fills the empty directory dir with the minimal base: merged-usr layout, busybox and its applet links,
 * ramhost with the shared libraries it needs (found with ldd) and its ELF interpreter, /etc defaults (passwd,
 * group, shadow with a password-less root, profile, inittab running `ramhost ready`), the fallback host name and
 * the empty top-level directories. */

/* The shell case pattern of a host name from a DHCP server that is not taken: one that starts with anything but a
 * letter or digit (it could be read as an option) or holds anything but [A-Za-z0-9.-]. One owner for the
 * built-in base's udhcpc hook and the Debian layer's ramhost-dhcp-hostname.service. */
#define BASE_DHCP_HOSTNAME_BAD "[!A-Za-z0-9]*|*[!A-Za-z0-9.-]*"
int base_builtin_stage(const char *dir, const struct base_builtin_opts *o, struct rh_err *err);

/* Finds the static busybox: $RAMHOST_CACHE/busybox-static/bin/busybox, else /bin/busybox; refuses a
 * dynamically linked one (it must run in the init module, where there are no libraries). */
int base_find_busybox(char *buf, size_t cap, struct rh_err *err);

/* 1 when the ELF file at path has no program interpreter (statically linked), 0 when it has one, negative
 * errno when it cannot be read or is not a 64-bit ELF file. */
int base_elf_is_static(const char *path);

/* Copies the binary bin into dir/rel (mode 0755) and every shared library ldd names into dir's multiarch lib dir,
 * plus the ELF interpreter; a library skip_root (may be NULL) already holds at the same place is not copied (a
 * module layered over that tree). A static binary needs nothing else. */
int base_stage_elf(const char *dir, const char *rel, const char *bin, const char *skip_root, struct rh_err *err);

/* The rescue module (rescue.tdk, profile key `rescue`), layered over the built-in base: the tools the repairs of
 * `ramhost rescue` run (mtools and its m* links, syslinux, debugfs, e2fsck, fsck.fat: all in /usr/bin, where
 * execvp looks without PATH, with /usr/sbin links) with the libraries the
 * base does not have, SYSLINUX's gptmbr.bin, mbr.bin and BIOS modules under /usr/lib/syslinux, mtools'
 * IBM850 converter, and /usr/bin/ramhost.efi (where efiboot_find_loader looks beside /usr/bin/ramhost). */
struct base_rescue_opts {
	const char *base_root;  /* the staged base (its libraries are not copied again); NULL: none */
	const char *efi;        /* ramhost.efi; NULL: efiboot_find_loader's default */
};

/* Fills the empty directory dir with the rescue module. Refusals name the missing tool and its package. */
int base_rescue_stage(const char *dir, const struct base_rescue_opts *o, struct rh_err *err);

#endif
