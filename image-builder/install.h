/* install.h: `ramhost install`: the booted ISO writes a disk (docs/install.md).
 *
 * The ISO carries (image-builder/iso.c) /install/skeleton.img.zst: the disk image of `ramhost image disk` with
 * both banks empty (FAT + SYSLINUX, no bootbank files), the ESP (ramhost.efi, SYSLINUX chaining to bank 1) and
 * the empty ext4 state partition, zstd-compressed (the empty space costs nothing), and the bootbank under
 * /bootbank. The guest has no FAT, syslinux or mkfs tools, so an install is:
 *   1. find the install medium: the block device whose ISO 9660 volume holds /install/skeleton.img.zst
 *      (read through lib/iso9660, no isofs driver needed);
 *   2. check the target: a whole disk, not the medium, not the disk of ramhost.bankuuid (both even with force),
 *      not in use, large enough; without force blank (no partitions, no signature, zeros in its first and last
 *      MiB);
 *   3. stream-decompress the skeleton onto it (the GPT sectors last), move the backup GPT to the disk's end with
 *      fresh disk and partition GUIDs (install_gpt.h), fsync, BLKFLSBUF, BLKRRPART;
 *   4. mount bank 1 (vfat), copy the kernel and modules from the ISO checking each SHA-256 on the way, write
 *      boot.cfg (updated=1, bootstate=0), bootcfg.cpio and SYSLINUX's syslinux.cfg with the new bankuuid;
 *      unmount, mount again read-only and check every hash from the disk. Bank 2 stays empty, as after a fresh
 *      ESXi install: `ramhost bootbank update` fills it;
 *   5. seed the state (answer file): a temporary root holding the seeded files with the sticky bit, saved by
 *      `ramhost state save --root ROOT --store MOUNTED_STATE_PARTITION` as the first generation;
 *   6. on UEFI (/sys/firmware/efi exists) a Boot#### entry for the new ESP, first in BootOrder (efivar.h).
 *
 * Paths can be redirected for tests: RAMHOST_PROC_CMDLINE (default /proc/cmdline), RAMHOST_SYS_BLOCK (default
 * /sys/block), TMPDIR (mount points; default /run/ramhost). */
#ifndef RAMHOST_IMGB_INSTALL_H
#define RAMHOST_IMGB_INSTALL_H

#include <stddef.h>
#include <stdint.h>

#include "answer.h"
#include "err.h"

#define INSTALL_DIR "/install"
#define INSTALL_SKELETON "/install/skeleton.img.zst"
#define INSTALL_KS "/install/ks.cfg"
#define INSTALL_BOOT_DESC "ramhost"

typedef void (*install_progress_fn)(void *ctx, const char *msg);

struct install_opts {
	const char *disk;               /* "/dev/NAME", or "auto": the first blank disk that fits */
	int force;                      /* overwrite a disk that is not blank */
	const struct answer *answer;    /* seeds (hostname, rootpw, sticky files); NULL: none */
	const char *ramhost;            /* the binary that runs `state save`; NULL: /proc/self/exe */
	install_progress_fn progress;   /* one line per step; NULL: quiet */
	/* called once the target is chosen and checked, before anything is written; nonzero cancels (-ECANCELED) */
	int (*confirm)(void *ctx, const char *disk, uint64_t bytes);
	void *progress_ctx;
};

struct install_result {
	char disk[256];                 /* the target written */
	char medium[256];               /* the install medium read */
	char build[1024];               /* boot.cfg build= of the installed bootbank */
	uint64_t disk_bytes, written_bytes;
	unsigned files;                 /* bootbank files copied */
	int seeded;                     /* a state generation was written */
	int boot_entry;                 /* -1: no UEFI; else the Boot#### number */
	double seconds;
};

/* Runs the install (see above). Fills *ret on success. */
int install_run(const struct install_opts *o, struct install_result *ret, struct rh_err *err);

/* What a disk's first and last MiB say: a short description of the first signature found ("a GPT partition
 * table", "an ext2/3/4 file system", ..., "non-zero data"), or NULL when both are all zeros. Pure. */
const char *install_signature(const uint8_t *head, size_t head_len, const uint8_t *tail, size_t tail_len);

#endif
