/* bank_disk.h: the booted host's two boot banks on its boot disk — find them, mount them, read their state
 * (`ramhost bootbank status`; mark-good and update build on it: bank_mark.h, bank_update.h).
 *
 * The loader appends `ramhost.bank=N` to the kernel command line and, on a disk, `ramhost.bankuuid=GUID`: the
 * GPT unique GUID of the bank partition it booted from (lib/cmdline.h reads both). From that GUID this library
 * finds the boot disk among the candidate disks (lib/host/disks.h), reads its GPT (lib/gpt.h), finds the
 * partitions named "bootbank" (bank 1) and "altbootbank" (bank 2) (bootloader/bank_dir.h), and mounts each (vfat)
 * in a private temporary directory to read its boot.cfg. Without a bankuuid the host booted from read-only media
 * (an ISO): there is nothing to read or mark.
 *
 * Paths can be redirected for tests:
 *   RAMHOST_PROC_CMDLINE  kernel command line (default /proc/cmdline)
 *   RAMHOST_SYS_BLOCK     block devices (default /sys/block)
 *   RAMHOST_DISKS         the disks to scan, e.g. "/dev/loop3" (see lib/host/disks.h)
 *   TMPDIR                where the private mount directories go (default /run/ramhost)
 *
 * bank_disk_pick is pure and unit-tested (tests/unit/test_bank_disk.c). */
#ifndef RAMHOST_RAMDISK_BANK_DISK_H
#define RAMHOST_RAMDISK_BANK_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "bootcfg.h"
#include "bootloader/bank_dir.h"
#include "cmdline.h"
#include "err.h"
#include "gpt.h"

#define BANK_DISK_DEV_MAX 256

/* The partitions of the banks on one disk, as chosen by bank_disk_pick. */
struct bank_disk_pick {
	int booted;          /* 1 or 2: the bank whose partition has the booted GUID */
	uint32_t part[2];    /* GPT partition numbers of bank 1 and bank 2; 0 when the disk has no such partition */
};

/* Looks for the partition with unique GUID uuid on disk d and, when found, the "bootbank" and "altbootbank"
 * partitions next to it. Returns 0 (found; *ret set), -ENOENT (not on this disk; no message), or -EINVAL when
 * the GUID names a partition that is not a bank, or a bank name is used by two partitions. disk names the
 * disk in messages. Pure. */
int bank_disk_pick(const struct gpt_disk *d, const char *disk, const uint8_t uuid[16], struct bank_disk_pick *ret,
		   struct rh_err *err);

/* The boot disk as found from ramhost.bankuuid: its bank partitions and its ESP (GPT name "ESP"), for the
 * commands that write a bank or the ESP (bootbank update, mark-good's BIOS default). */
struct bank_disk {
	char disk[BANK_DISK_DEV_MAX];
	int booted;                      /* 1 or 2 */
	uint32_t part[2];                /* GPT partition numbers of bank 1 and 2; 0 when the disk has none */
	char dev[2][BANK_DISK_DEV_MAX];  /* their device nodes ("" when absent) */
	char uuid[2][37];                /* their unique GUIDs, lowercase ("" when absent) */
	uint32_t esp_part;               /* the partition named "ESP"; 0 when none */
	char esp_dev[BANK_DISK_DEV_MAX];
};

/* Reads the kernel command line (ramhost.bank, ramhost.bankuuid) into *ret. */
int bank_disk_cmdline(struct cmdline *ret, struct rh_err *err);

/* Reads the kernel command line into *ret_cmdline and, when it names a bankuuid, finds the boot disk into *ret.
 * Without a bankuuid (an ISO or PXE boot) returns 0 with ret_cmdline->has_uuid == 0 and *ret zeroed. */
int bank_disk_find(struct cmdline *ret_cmdline, struct bank_disk *ret, struct rh_err *err);

/* Mounts dev (vfat) read-only or read-write on a new private directory under $TMPDIR or /run/ramhost, whose
 * path goes to ret_dir (PATH_MAX bytes). A read-only mount of a partition already mounted read-write elsewhere is
 * refused by the kernel (EBUSY); it is then mounted read-write (the caller only reads). bank_disk_umount syncs
 * the file system, unmounts and removes the directory. */
int bank_disk_mount(const char *dev, int rw, char *ret_dir, struct rh_err *err);
int bank_disk_umount(const char *dev, const char *dir, struct rh_err *err);

/* Remounts the bank (or ESP) mounted read-only on dir read-write. */
int bank_disk_remount_rw(const char *dev, const char *dir, struct rh_err *err);

/* What one bank holds. */
struct bank_disk_slot {
	int exists;                    /* the disk has this bank's partition */
	uint32_t partno;
	char dev[BANK_DISK_DEV_MAX];   /* its device node */
	char uuid[37];                 /* its unique GUID */
	int booted;
	int present;                   /* boot.cfg was read and parsed */
	int bootstate;                 /* from boot.cfg; -1 when absent (counts as VALID) */
	uint64_t updated;
	char build[BOOTCFG_MAX_TEXT];
	char problem[1024];            /* why not present: "no boot.cfg", a parse error, a mount error; "" when present */
	int readable;                  /* 0 when the partition could not be mounted or read at all */
};

/* Reads the boot.cfg of bank partition dev (mounted read-only for the read) into the bank_dir_state fields of
 * *slot (present, bootstate, updated, build, problem, readable). */
int bank_disk_read_slot(const char *dev, struct bank_disk_slot *slot, struct rh_err *err);

/* Both banks as seen from this boot. */
struct bank_disk_status {
	struct cmdline cmdline;
	int read_only_media;           /* no bankuuid: booted from an ISO, nothing below is filled */
	char disk[BANK_DISK_DEV_MAX];  /* the boot disk's device node */
	int booted;                    /* 1 or 2 */
	struct bank_disk_slot bank[2];
};

/* Reads the command line, finds the boot disk and the banks, and reads both banks' boot.cfg (each mounted
 * read-only for the time of the read). Returns 0 when the booted bank's partition was found (a bank whose
 * boot.cfg is missing or unreadable is described in its slot, not an error), else a negative errno with err
 * naming the GUID, the disks scanned or the device that failed. *ret is the caller's (large; heap or static). */
int bank_disk_status(struct bank_disk_status *ret, struct rh_err *err);

#endif
