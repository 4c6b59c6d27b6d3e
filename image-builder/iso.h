/* iso.h: `ramhost image iso`: a bootbank on a hybrid ISO 9660 image that boots four ways.
 *
 * The tree is /bootbank/ (every bootbank file), /isolinux/ (BIOS) and /EFI/BOOT/BOOTX64.EFI (the ramhost UEFI
 * loader). BIOS CD: El Torito no-emulation entry for ISOLINUX; BIOS USB: isohybrid MBR code; UEFI CD: a second
 * El Torito entry, a FAT image holding /EFI/BOOT/BOOTX64.EFI; UEFI USB: the same FAT image appended after the
 * ISO 9660 volume as MBR partition 2 (type 0xEF, an ESP). See run_xorriso() in iso.c.
 * For `ramhost install` (install.h) the ISO also carries /install/skeleton.img.zst (the disk image of
 * `ramhost image disk` with empty banks, zstd-compressed) and optionally the answer file /install/ks.cfg; the
 * BIOS menu's second label `install` boots with ramhost.install=auto (and ramhost.ks=/install/ks.cfg). */
#ifndef RAMHOST_IMGB_ISO_H
#define RAMHOST_IMGB_ISO_H

#include "bank_build.h"
#include "efiboot.h"
#include "err.h"
#include "profile.h"

struct iso_opts {
	const char *isolinux_dir;  /* isolinux.bin and isohdpfx.bin; NULL: /usr/lib/ISOLINUX */
	const char *syslinux_bios; /* ldlinux.c32; NULL: /usr/lib/syslinux/modules/bios */
	const char *volume_id;     /* NULL: "RAMHOST" */
	int force;                 /* replace an existing output file */
	const char *answer_file;   /* checked and put on the ISO as /install/ks.cfg, named by the Install entry */
	struct bank_build_opts bank; /* how to build the bootbank (profile mode), and progress reporting */
	struct efiboot_opts efi;   /* the UEFI loader, Secure Boot signing (loader and kernel) */
};

/* Writes the ISO to out atomically (out.tmp-XXXXXX, fsync, rename). Exactly one of p (build its bootbank
 * first) and bootbank_dir (an existing bootbank, whose hashes are checked before it is used) is non-NULL. */
int iso_build(const struct profile *p, const char *bootbank_dir, const char *out, const struct iso_opts *o,
	      struct rh_err *err);

#endif
