/* media.h: the boot medium as the loader sees it: up to two bootbanks, each a place to read files from (a FAT
 * volume through the firmware's file system, or the ISO9660 volume read through the device's BlockIO) with its
 * boot.cfg read and parsed.
 *
 * The EFI shell uses EFI_STATUS returns (EFI_SUCCESS or an EFI error), like the firmware it talks to; the byte
 * parsing is in lib/ (bootcfg, iso9660) where it is unit-tested and fuzzed on the host. */
#ifndef RAMHOST_EFI_MEDIA_H
#define RAMHOST_EFI_MEDIA_H

#include <efi.h>
#include <efilib.h>

#include "bootcfg.h"
#include "iso9660.h"

#define MEDIA_BOOTCFG_MAX 16384   /* largest boot.cfg read (the image builder writes at most this much) */

struct iso_source;                /* iso_media.c: an ISO9660 volume over BlockIO */
struct net_source;                /* net.c: the server the loader was booted from (network mode) */

struct efi_bank {
	unsigned number;          /* 1 or 2 */
	int found;                /* a volume holds this bank */
	int parsed;               /* boot.cfg read and parsed into cfg */
	int writable;             /* boot.cfg can be rewritten (FAT bank) */
	char why[200];            /* when found but not parsed: why */
	char uuid[37];            /* the bank partition's GPT unique GUID, "" when none (ISO) */
	EFI_FILE_HANDLE root;     /* FAT: the volume's root directory; NULL otherwise */
	struct iso_source *iso;   /* ISO: the volume; NULL otherwise */
	struct net_source *net;   /* network mode: files come from the server (paths relative to its root) */
	char dir[16];             /* directory of the bank on its volume: "" (FAT root) or "/bootbank" (ISO) */
	char text[MEDIA_BOOTCFG_MAX + 1];
	UINTN len;
	struct bootcfg cfg;
};

struct boot_media {
	const char *medium;       /* "disk", "cd" or "network (TFTP|HTTP)", for the booting line */
	struct efi_bank bank[2];  /* index 0 = bank 1 */
	char installopt[BOOTCFG_MAX_TEXT]; /* ISO only: installopt= of BOOTCFG_ISO_INSTALL_CFG; "" when none */
};

/* Empties *m: no bank found, medium named medium. */
void media_reset(struct boot_media *m, const char *medium);

/* Finds the banks on the device the loader was started from (image = the loader's image handle): FAT volumes
 * labelled RHBANK1/RHBANK2 on the same disk; else the ISO9660 volume of the whole device (/bootbank, bank 1);
 * else the loader's own volume when it holds \boot.cfg (bank 1). Fills *ret (the caller's; it keeps the
 * firmware handles open for the life of the loader). EFI_NOT_FOUND when no bank was found. */
EFI_STATUS media_find(EFI_HANDLE image, struct boot_media *ret);

/* The bank the "Install to disk" entry boots, or 0 when there is none. Only an installable ISO has one: the loader
 * read its bank from an ISO9660 volume (CD, or the hybrid ISO on a stick), and that volume's
 * BOOTCFG_ISO_INSTALL_CFG gave a non-empty installopt= (m->installopt). Disk images, installed disks and plain
 * FAT sticks never show it: the file is only looked for on ISO9660 media. */
int media_install_bank(const struct boot_media *m);

/* Re-reads and re-parses bank b's boot.cfg (after a write, or on a rescan). */
EFI_STATUS media_reload(struct efi_bank *b);

/* Size of file `name` (a boot.cfg name: kernel= or a module, relative to the bank and boot.cfg's prefix=). */
EFI_STATUS bank_file_size(struct efi_bank *b, const char *name, UINT64 *ret_size);
/* Reads all `size` bytes of file `name` into buf (the caller's). */
EFI_STATUS bank_file_read(struct efi_bank *b, const char *name, void *buf, UINT64 size);

/* Writes text (boot.cfg contents, len bytes) as the bank's \boot.cfg and its newc wrapper as \bootcfg.cpio, in
 * place (overwrite, set the size, flush), then re-reads it. EFI_WRITE_PROTECTED on read-only media. */
EFI_STATUS bank_write_bootcfg(struct efi_bank *b, const char *text, UINTN len);

/* iso_media.c: opens the ISO9660 volume of the device whose device path is dp (the whole disk or CD), and
 * returns it in *ret (allocated; lives as long as the loader). ret_block_size: the device's block size. */
EFI_STATUS iso_source_open(EFI_DEVICE_PATH *dp, struct iso_source **ret, UINT32 *ret_block_size);
EFI_STATUS iso_source_size(struct iso_source *src, const char *path, UINT64 *ret_size);
EFI_STATUS iso_source_read(struct iso_source *src, const char *path, void *buf, UINT64 size);

#endif
