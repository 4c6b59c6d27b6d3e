/* media.h: the rescue media, where the repairs that copy files (install-uefi's loader aside: reinstall-bank,
 * copy-module, rebuild-cfg from the media) take the bootbank from. */
#ifndef RAMHOST_RECOVERY_MEDIA_H
#define RAMHOST_RECOVERY_MEDIA_H

#include <stddef.h>

#include "err.h"

#define RESCUE_MEDIA_ENV "RAMHOST_RESCUE_MEDIA"
#define RESCUE_MEDIA_ISO_BANK "/bootbank"   /* where a ramhost ISO keeps its bootbank (image-builder/iso.c) */
#define RESCUE_MEDIA_ISO_LOADER "/EFI/BOOT/BOOTX64.EFI"   /* the ISO's ramhost.efi, signed when the ISO is */

/* Finds the rescue media's bootbank directory into buf (cap bytes): given (--media DIR) when not NULL/empty,
 * else $RAMHOST_RESCUE_MEDIA, else the booted ramhost ISO (install_medium_find: a CD drive holding a ramhost
 * ISO 9660 volume, read without an isofs driver): its /bootbank (boot.cfg, the kernel and every module it
 * names) copied into work/media, derived bootcfg.cpio included, and checked against boot.cfg's hashes.
 * Returns 1 with buf set, 0 when there is no media (no such ISO: the repairs that need one say so), or a
 * negative errno when the ISO was found but its bootbank is unusable (the message names the device and file). */
int rescue_media_find(const char *given, const char *work, char *buf, size_t cap, struct rh_err *err);

/* The booted ramhost ISO's own loader (RESCUE_MEDIA_ISO_LOADER: Secure Boot signed when the image was, unlike
 * the rescue tardisk's /usr/bin/ramhost.efi, which is built before any signing) copied to work/media-loader.efi,
 * its path into buf. Returns 1 with buf set, 0 when not booted from a ramhost ISO or the ISO has no such file,
 * or a negative errno when it cannot be copied. install-uefi takes it unless --loader or $RAMHOST_EFI names
 * one. */
int rescue_media_loader(const char *work, char *buf, size_t cap, struct rh_err *err);

#endif
