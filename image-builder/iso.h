/* iso.h: `ramhost image iso`: a bootbank on a hybrid ISO 9660 image (CD and USB stick).
 *
 * The tree is /bootbank/ (every bootbank file) plus the loader files; the BIOS path is ISOLINUX (El Torito no-emulation boot, with
 * an isohybrid MBR so the same file boots from a USB stick). A UEFI El Torito entry (an EFI system partition
 * image holding the ramhost loader) is the next boot entry to add: see run_xorriso() in iso.c. */
#ifndef RAMHOST_IMGB_ISO_H
#define RAMHOST_IMGB_ISO_H

#include "bootbank.h"
#include "err.h"
#include "profile.h"

struct iso_opts {
	const char *isolinux_dir;  /* isolinux.bin and isohdpfx.bin; NULL: /usr/lib/ISOLINUX */
	const char *syslinux_bios; /* ldlinux.c32; NULL: /usr/lib/syslinux/modules/bios */
	const char *volume_id;     /* NULL: "RAMHOST" */
	int force;                 /* replace an existing output file */
	struct bootbank_opts bank; /* how to build the bootbank (profile mode), and progress reporting */
};

/* Writes the ISO to out atomically (out.tmp-XXXXXX, fsync, rename). Exactly one of p (build its bootbank
 * first) and bootbank_dir (an existing bootbank, whose hashes are checked before it is used) is non-NULL. */
int iso_build(const struct profile *p, const char *bootbank_dir, const char *out, const struct iso_opts *o,
	      struct rh_err *err);

/* Checks that every file boot.cfg names in dir exists and matches its hash.NAME. */
int iso_check_bootbank(const char *dir, const struct bootcfg *cfg, struct rh_err *err);

#endif
