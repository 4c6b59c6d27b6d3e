/* disk.h: `ramhost image disk`: a raw GPT disk image (USB sticks, VM disks) with two bootbanks.
 *
 * Layout (docs/image-builder.md), in whole MiB:
 *   protective MBR with SYSLINUX's gptmbr.bin boot code (boots the partition marked legacy BIOS bootable)
 *   p1 "ESP"          EF00  FAT32 RH-ESP, 64 MiB, legacy BIOS bootable: /EFI/BOOT/BOOTX64.EFI (ramhost.efi) and
 *                            SYSLINUX in /syslinux, whose syslinux.cfg chains (chain.c32) to a bank by GPT name
 *   p2 "bootbank"     0700  FAT RHBANK1: the bootbank at its root, SYSLINUX in /syslinux booting it
 *                            (ramhost.bank=1 ramhost.bankuuid=<p2's unique GUID>)
 *   p3 "altbootbank"  0700  FAT RHBANK2: the same for bank 2 (empty with single_bank)
 *   p4 "state"        8300  ext4 RHSTATE, empty: the sticky state store (`ramhost state`, docs/state.md)
 * Built without root or loop devices (sgdisk, mtools, syslinux --offset, mke2fs -E offset= on the file), into
 * FILE.tmp-XXXXXX, fsynced and renamed. With SOURCE_DATE_EPOCH the disk and partition GUIDs, FAT serials, the
 * ext4 UUID and hash seed (p4's GUID) and its timestamps derive from it, and the image is reproducible byte for
 * byte. */
#ifndef RAMHOST_IMGB_DISK_H
#define RAMHOST_IMGB_DISK_H

#include <stdint.h>

#include "bank_build.h"
#include "efiboot.h"
#include "fatimg.h"
#include "err.h"
#include "profile.h"

#define DISK_MIB (1024u * 1024u)
#define DISK_ESP_MIB 64u
#define DISK_STATE_MIB 64u     /* default state partition */
#define DISK_STATE_MIN_MIB 16u /* smallest state partition a --size may leave */
#define DISK_BANK_MIN_MIB 64u  /* smallest default bank partition */

/* Partition i (0..3: ESP, bootbank, altbootbank, state): first sector and sector count (512-byte sectors). */
struct disk_layout {
	uint64_t start[4];
	uint64_t sectors[4];
	uint64_t total_bytes;  /* the image file's size */
	uint64_t bank_mib, state_mib;
};

/* Plans the partitions for a bootbank of bank_bytes in nfiles files. size 0: the default size (banks of
 * max(64 MiB, twice the bootbank + 16 MiB), for an upgrade to a larger image; state 64 MiB). Otherwise size
 * (rounded down to a whole MiB) is the image size: banks as large as the default allows, the state partition
 * gets the rest; a size that cannot hold the ESP, two banks large enough for this bootbank and a 16 MiB state
 * partition is refused with the minimum in the message. Pure. */
int disk_plan(uint64_t bank_bytes, unsigned nfiles, uint64_t size, struct disk_layout *ret, struct rh_err *err);

/* Deterministic or random partition GUIDs: the text form (lowercase 8-4-4-4-12, version 4) of
 * SHA-256("ramhost-disk" NUL epoch NUL name) when epoch is not NULL, else random. */
int disk_guid(const char *epoch, const char *name, char ret[37], struct rh_err *err);

struct disk_opts {
	uint64_t size;              /* image size in bytes; 0: default */
	int single_bank;            /* bank 2 left empty (no boot.cfg) */
	int skeleton;               /* both banks FAT + SYSLINUX only, no bootbank files: the disk skeleton that
				       `ramhost install` writes before it copies the bootbank (install.h) */
	int force;                  /* replace an existing output file */
	const char *syslinux_bios;  /* chain.c32 & co; NULL: /usr/lib/syslinux/modules/bios */
	const char *gptmbr;         /* NULL: /usr/lib/syslinux/mbr/gptmbr.bin */
	struct bank_build_opts bank;  /* building the bootbank (profile mode), progress */
	struct efiboot_opts efi;    /* the UEFI loader, signing */
};

/* One bank partition written the way disk_build writes it (`rescue reinstall-bank` writes a bank again): */
struct disk_bank {
	const struct fatimg *f;     /* the partition (formatted here) */
	unsigned n;                 /* 1 or 2: label RHBANK1/RHBANK2, ramhost.bank=n */
	const char *bank;           /* the bootbank directory (its boot.cfg is rewritten with updated and
				       bootstate VALID), or NULL: FAT + SYSLINUX only */
	struct bootcfg *cfg;        /* its boot.cfg */
	uint64_t updated;
	const char *guid;           /* the partition's unique GUID (text): bankuuid and FAT serial */
	const char *work;           /* scratch directory */
};

/* FAT (serial from the GUID) + SYSLINUX in /syslinux; unless b->bank is NULL, the bootbank's files at the root
 * and a /syslinux/syslinux.cfg that boots it with ramhost.bank=n ramhost.bankuuid=GUID. */
int disk_write_bank(const struct disk_bank *b, struct rh_err *err);

/* Writes the disk image to out. Exactly one of p (build its bootbank) and bootbank_dir (an existing bootbank,
 * whose hashes are checked first) is non-NULL. */
int disk_build(const struct profile *p, const char *bootbank_dir, const char *out, const struct disk_opts *o,
	       struct rh_err *err);

#endif
