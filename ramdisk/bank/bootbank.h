/* bootbank.h: the booted host's view of its two boot banks (`ramhost bootbank status | mark-good`).
 *
 * The loader appends `ramhost.bank=N` to the kernel command line and, on a disk, `ramhost.bankuuid=GUID`: the
 * GPT unique GUID of the bank partition it booted from. From that GUID this library finds the boot disk (a scan
 * of the whole disks in /sys/block), reads its GPT (lib/gpt.h), finds the partitions named "bootbank" (bank 1)
 * and "altbootbank" (bank 2), mounts each (vfat) in a private temporary directory to read its boot.cfg, and can
 * mark the booted bank good (bootstate=0) with boot.cfg replaced atomically and bootcfg.cpio regenerated.
 * Without a bankuuid the host booted from read-only media (an ISO): there is nothing to read or mark.
 *
 * Paths can be redirected for tests:
 *   RAMHOST_PROC_CMDLINE  kernel command line (default /proc/cmdline)
 *   RAMHOST_SYS_BLOCK     block devices (default /sys/block)
 *   RAMHOST_DISKS         the disks to scan, e.g. "/dev/loop3" (comma or space separated; loop devices are
 *                         only scanned when named here). Default: every whole disk in /sys/block except
 *                         loop, ram, zram, fd and sr devices.
 *   TMPDIR                where the private mount directories go (default /run/ramhost)
 *
 * The parts without I/O (command line, partition choice, partition device names) are pure and unit-tested;
 * bootbank_read_dir / bootbank_mark_dir work on an already mounted bank directory and are tested without root. */
#ifndef RAMHOST_RAMDISK_BOOTBANK_H
#define RAMHOST_RAMDISK_BOOTBANK_H

#include <stddef.h>
#include <stdint.h>

#include "bootcfg.h"
#include "err.h"
#include "gpt.h"

#define BOOTBANK_NAME_1 "bootbank"      /* GPT partition name of bank 1 */
#define BOOTBANK_NAME_2 "altbootbank"   /* GPT partition name of bank 2 */
#define BOOTBANK_DEV_MAX 256

/* What the kernel command line says about the bank. */
struct bootbank_cmdline {
	unsigned bank;       /* ramhost.bank=N, 0 when absent */
	int has_uuid;        /* ramhost.bankuuid= was given (a disk boot) */
	char uuid[37];       /* lowercase 8-4-4-4-12 */
};

/* Parses a kernel command line buf[0..len) (words split by blanks; "a b" quoting as the kernel does). A
 * malformed ramhost.bank= or ramhost.bankuuid= is an error naming the word. Sets *ret only on success. */
int bootbank_cmdline_parse(const char *buf, size_t len, struct bootbank_cmdline *ret, struct rh_err *err);

/* The partitions of the banks on one disk, as chosen by bootbank_pick. */
struct bootbank_pick {
	int booted;          /* 1 or 2: the bank whose partition has the booted GUID */
	uint32_t part[2];    /* GPT partition numbers of bank 1 and bank 2; 0 when the disk has no such partition */
};

/* Looks for the partition with unique GUID uuid on disk d and, when found, the "bootbank" and "altbootbank"
 * partitions next to it. Returns 0 (found; *ret set), -ENOENT (not on this disk; no message), or -EINVAL when
 * the GUID names a partition that is not a bank, or a bank name is used by two partitions. disk names the
 * disk in messages. Pure. */
int bootbank_pick(const struct gpt_disk *d, const char *disk, const uint8_t uuid[16], struct bootbank_pick *ret,
		  struct rh_err *err);

/* The device node of partition n of disk (a path such as /dev/vda or /dev/loop3), by the kernel's naming rule:
 * "/dev/vda" + 2 = "/dev/vda2", but "/dev/loop3" + 2 = "/dev/loop3p2" (a name ending in a digit takes a 'p').
 * Returns 0 or -ENAMETOOLONG. Pure. */
int bootbank_part_dev(const char *disk, uint32_t n, char *out, size_t cap);

/* What one bank holds. */
struct bootbank_slot {
	int exists;                    /* the disk has this bank's partition */
	uint32_t partno;
	char dev[BOOTBANK_DEV_MAX];    /* its device node */
	char uuid[37];                 /* its unique GUID */
	int booted;
	int present;                   /* boot.cfg was read and parsed */
	int bootstate;                 /* from boot.cfg; -1 when absent (counts as VALID) */
	uint64_t updated;
	char build[BOOTCFG_MAX_TEXT];
	char problem[1024];            /* why not present: "no boot.cfg", a parse error, a mount error; "" when present */
	int readable;                  /* 0 when the partition could not be mounted or read at all */
};

/* Both banks as seen from this boot. */
struct bootbank_status {
	struct bootbank_cmdline cmdline;
	int read_only_media;           /* no bankuuid: booted from an ISO, nothing below is filled */
	char disk[BOOTBANK_DEV_MAX];   /* the boot disk's device node */
	int booted;                    /* 1 or 2 */
	struct bootbank_slot bank[2];
};

/* Reads the command line, finds the boot disk and the banks, and reads both banks' boot.cfg (each mounted
 * read-only for the time of the read). Returns 0 when the booted bank's partition was found (a bank whose
 * boot.cfg is missing or unreadable is described in its slot, not an error), else a negative errno with err
 * naming the GUID, the disks scanned or the device that failed. *ret is the caller's (large; heap or static). */
int bootbank_status_read(struct bootbank_status *ret, struct rh_err *err);

/* Result of a mark-good. */
enum bootbank_mark_result {
	BOOTBANK_MARKED = 0,           /* boot.cfg rewritten with bootstate=0 */
	BOOTBANK_ALREADY_VALID = 1,    /* nothing written */
	BOOTBANK_READ_ONLY_MEDIA = 2,  /* no bankuuid: nothing to mark */
};

/* Marks the booted bank good: mounts its partition read-only and reads boot.cfg; only when it is not VALID
 * remounts it read-write and runs bootbank_mark_dir; syncs and unmounts. *ret_result says what happened, *ret_old the bootstate it had (-1 absent), *ret_dev (cap
 * BOOTBANK_DEV_MAX, may be NULL) the partition. On failure the bank's old boot.cfg is intact. */
int bootbank_mark_good(int *ret_result, int *ret_old, char *ret_dev, struct rh_err *err);

/* In a mounted bank directory dir: parses dir/boot.cfg; when its bootstate is not VALID (0, or absent), writes
 * the boot.cfg with bootstate=0 to boot.cfg.tmp, fsyncs, renames it over boot.cfg (the commit point), fsyncs dir,
 * and regenerates dir/bootcfg.cpio from the new text. label names the bank in messages (e.g. "/dev/vda2").
 * *ret_old gets the bootstate found, *ret_changed 1 when a write was made. */
int bootbank_mark_dir(const char *dir, const char *label, int *ret_old, int *ret_changed, struct rh_err *err);

/* Reads dir/boot.cfg into the bootcfg fields of slot (present, bootstate, updated, build, problem). A missing
 * or unparsable boot.cfg is a state of the bank, not an error: slot->problem says why. Returns 0, or a negative
 * errno when the directory could not be read at all. */
int bootbank_read_dir(const char *dir, const char *label, struct bootbank_slot *slot, struct rh_err *err);

/* The boot disk as found from ramhost.bankuuid: its bank partitions and its ESP (GPT name "ESP"), for the
 * commands that write a bank or the ESP (bootbank update, mark-good's BIOS default). */
struct bootbank_disk {
	char disk[BOOTBANK_DEV_MAX];
	int booted;                      /* 1 or 2 */
	uint32_t part[2];                /* GPT partition numbers of bank 1 and 2; 0 when the disk has none */
	char dev[2][BOOTBANK_DEV_MAX];   /* their device nodes ("" when absent) */
	char uuid[2][37];                /* their unique GUIDs, lowercase ("" when absent) */
	uint32_t esp_part;               /* the partition named "ESP"; 0 when none */
	char esp_dev[BOOTBANK_DEV_MAX];
};

/* Reads the kernel command line into *ret_cmdline and, when it names a bankuuid, finds the boot disk into *ret.
 * Without a bankuuid (an ISO or PXE boot) returns 0 with ret_cmdline->has_uuid == 0 and *ret zeroed. */
int bootbank_find_disk(struct bootbank_cmdline *ret_cmdline, struct bootbank_disk *ret, struct rh_err *err);

/* Mounts dev (vfat) read-only or read-write on a new private directory under $TMPDIR or /run/ramhost, whose
 * path goes to ret_dir (PATH_MAX bytes). bootbank_umount syncs the file system, unmounts and removes the
 * directory. */
int bootbank_mount(const char *dev, int rw, char *ret_dir, struct rh_err *err);
int bootbank_umount(const char *dev, const char *dir, struct rh_err *err);

/* "VALID", "UPGRADING", "DIRTY", "INVALID", or "VALID (absent)" for -1 / out of range. */
const char *bootbank_state_name(int bootstate);

#endif
