/* efiboot.h: the UEFI side of the images: where the ramhost loader comes from, Secure Boot signing of the loader
 * and of the kernel in a bootbank (sbsigntool), and the small FAT image an ISO's El Torito EFI entry points at. */
#ifndef RAMHOST_IMGB_EFIBOOT_H
#define RAMHOST_IMGB_EFIBOOT_H

#include <stddef.h>

#include "bootcfg.h"
#include "err.h"

/* How the images get their UEFI loader and whether they are signed. All strings are the caller's. */
struct efiboot_opts {
	const char *loader;    /* ramhost.efi; NULL: $RAMHOST_EFI, else `ramhost.efi` next to the running binary */
	const char *sign_key;  /* PEM private key (not encrypted) for sbsign; NULL: no signing */
	const char *sign_cert; /* PEM certificate; given together with sign_key */
};

/* Finds the loader (see efiboot_opts.loader) into buf and checks that it is a PE32+ EFI application. */
int efiboot_find_loader(const struct efiboot_opts *o, char *buf, size_t cap, struct rh_err *err);

/* Checks the signing options: both or neither given, readable, the key not passphrase-protected (sbsign would
 * prompt for it). Returns 1 when signing is on, 0 when off, or a negative errno. */
int efiboot_check_signing(const struct efiboot_opts *o, struct rh_err *err);

/* Writes out = in signed with the key and certificate (any existing signature removed first, so the image
 * carries exactly ours). in and out may be the same path; out is replaced atomically. */
int efiboot_sign_file(const struct efiboot_opts *o, const char *in, const char *out, struct rh_err *err);

/* Signs the kernel of the bootbank in dir in place (cfg is its boot.cfg), then recomputes its hash.NAME line,
 * rewrites dir/boot.cfg and dir/bootcfg.cpio, and updates *cfg to match. */
int efiboot_sign_bootbank_kernel(const struct efiboot_opts *o, const char *dir, struct bootcfg *cfg,
				 struct rh_err *err);

/* Makes path a FAT image holding /EFI/BOOT/BOOTX64.EFI = loader, just large enough (the ISO's El Torito EFI
 * boot image and its ESP partition). serial fixes the volume serial (reproducible images). */
int efiboot_make_esp_image(const char *path, const char *loader, unsigned serial, struct rh_err *err);

#endif
