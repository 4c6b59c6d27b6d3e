/* pxe_image.h: `ramhost image pxe PROFILE -o DIR`: the image directory that `ramhost pxe serve` serves
 * (docs/image-builder.md "Network boot image"):
 *
 *   DIR/image.conf    name=NAME, build=NAME-VERSION, server-cert-sha256=HEX|none
 *   DIR/boot.cfg      the bootbank's boot.cfg, unchanged (kernel=, modules=, hash.NAME=sha256:HEX, ...)
 *   DIR/a/HEX         the kernel and every module boot.cfg names, stored under its SHA-256 (lower-case hex)
 *   DIR/ramhost.efi   the UEFI loader with the server key embedded (pxe_loader.h), Secure Boot signed when asked
 *
 * The bootbank is built as `image build` builds it (bank_build_write), into a sibling DIR.tmp.XXXXXX that becomes
 * DIR by one rename once complete (or is swapped with an older image directory under force), so an interrupted
 * or failed build leaves no DIR and no temporary. */
#ifndef RAMHOST_IMGB_PXE_IMAGE_H
#define RAMHOST_IMGB_PXE_IMAGE_H

#include <stdint.h>

#include "bank_build.h"
#include "bootcfg.h"
#include "efiboot.h"
#include "err.h"
#include "profile.h"
#include "pxe_loader.h"
#include "sha256.h"

#define PXE_IMAGE_CONF "image.conf"
#define PXE_IMAGE_BOOTCFG "boot.cfg"
#define PXE_IMAGE_LOADER "ramhost.efi"
#define PXE_IMAGE_ARTIFACTS "a"
/* image.conf, boot.cfg, ramhost.efi and the kernel and modules */
#define PXE_IMAGE_MAX_FILES (BOOTCFG_MAX_MODULES + 4)

struct pxe_image_opts {
	const char *name;             /* image.conf's name=; NULL: the profile's name */
	const char *server_cert;      /* the server's boot.cfg signing certificate (PEM, RSA); NULL: no key */
	struct efiboot_opts efi;      /* the loader (NULL: as image iso finds it); sign_key/sign_cert: Secure Boot */
	int force;                    /* replace an existing image directory ramhost wrote */
	struct bank_build_opts bank;  /* bank building and the progress callback */
};

/* One file of the image directory. */
struct pxe_image_file {
	char path[3 + SHA256_HEX_LEN];   /* relative to the directory: "a/HEX", "boot.cfg", ... */
	char name[BOOTCFG_MAX_NAME];  /* an artifact's name in boot.cfg; "" for the others */
	int kernel;                   /* the artifact is boot.cfg's kernel */
	uint64_t size;
	uint8_t sha256[SHA256_DIGEST_LEN];
};

/* What pxe_image_build wrote. */
struct pxe_image_result {
	char name[PROFILE_MAX_NAME];
	char build[BOOTCFG_MAX_TEXT];
	int has_key;                            /* a server key is embedded */
	uint8_t cert_sha256[SHA256_DIGEST_LEN]; /* its certificate's SHA-256 (DER) */
	uint32_t key_bits;
	int secure_boot;                        /* ramhost.efi is Secure Boot signed */
	unsigned nfiles;
	struct pxe_image_file files[PXE_IMAGE_MAX_FILES];
};

/* Builds the image directory of profile p at out (see above). out must not exist or be empty, unless o->force and
 * it is an image directory ramhost wrote (pxe_image_dir_is_ramhost). Every check (options, certificate, loader,
 * output, the profile's inputs) is made before the bootbank is built. ret (may be NULL) gets what was written. */
int pxe_image_build(const struct profile *p, const char *out, const struct pxe_image_opts *o,
		    struct pxe_image_result *ret, struct rh_err *err);

/* 0 when dir holds an image directory ramhost wrote and nothing else: a regular image.conf with a name= line,
 * and besides it only boot.cfg, ramhost.efi and a/ holding regular files named by 64 hex digits. Else -EPERM
 * with err saying what is foreign ("DIR: not an image directory ramhost wrote; refusing to replace it even with
 * --force (...)"). */
int pxe_image_dir_is_ramhost(const char *dir, struct rh_err *err);

/* 1 when s is usable as an image name: [A-Za-z0-9._+-], not starting with '.' or '-', shorter than
 * PROFILE_MAX_NAME. */
int pxe_image_valid_name(const char *s);

#endif
