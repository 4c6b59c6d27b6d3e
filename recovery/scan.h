/* scan.h: `ramhost rescue scan`: what one disk holds, layer by layer, read-only, and the problems found, each
 * with the repair that fixes it.
 *
 * The scan reads only what it must (sector 0, both GPT headers and entry arrays, the boot sectors, FATs and
 * directories of the ESP and banks through lib/fat.h, each bank's boot.cfg and the files it names (hashed), the
 * state partition's directory and generation footers): a 64 GiB sparse image is scanned in well under a second
 * plus the time to hash the modules. It never mounts and never writes. Partitions are found by GPT name
 * (disk.h's layout: "ESP", "bootbank", "altbootbank", "state"), an ESP also by its type GUID.
 *
 * The facts are plain structs (the report's --json renders them one to one, cli/cmd_rescue.c); the problems
 * are derived from the facts by scan_verdict (pure), so a test can set facts and check the verdict. */
#ifndef RAMHOST_RECOVERY_SCAN_H
#define RAMHOST_RECOVERY_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gpt.h"
#include "mbr.h"
#include "rdisk.h"

#define SCAN_MAX_FILES 32
#define SCAN_MAX_MODULES 64
#define SCAN_MAX_GENS 16
#define SCAN_MAX_ENTRIES 64
#define SCAN_MAX_OTHERS 16
#define SCAN_MAX_PROBLEMS 64

/* The repairs, in the order a full repair runs them (a table repair first: later ones need the partitions). */
enum rescue_op {
	RESCUE_OP_NONE,
	RESCUE_OP_FIX_GPT,           /* main GPT from backup, backup from main, backup to the end of a grown disk */
	RESCUE_OP_FIND_PARTITIONS,   /* both copies gone: propose a table from the superblocks found */
	RESCUE_OP_FIX_PMBR,          /* protective MBR and gptmbr boot code, disk signature kept */
	RESCUE_OP_FSCK,              /* FAT boot sector from its backup, dirty flag, FATs (fsck.fat); ext4 (e2fsck) */
	RESCUE_OP_REINSTALL_BANK,    /* a bank from the media, state kept */
	RESCUE_OP_COPY_MODULE,       /* a damaged module from the other bank or the media, when the hash matches */
	RESCUE_OP_REBUILD_CFG,       /* boot.cfg from the modules found in a bank */
	RESCUE_OP_REVERT,            /* boot the other bank (Shift+R) */
	RESCUE_OP_INSTALL_BIOS,      /* SYSLINUX on the ESP and banks; legacy BIOS bootable attribute */
	RESCUE_OP_INSTALL_UEFI,      /* ramhost.efi and the fallback path from the media */
	RESCUE_OP_BOOT_ENTRIES,      /* ramhost's Boot#### and BootOrder */
	RESCUE_OP_RESTORE_STATE,     /* make an older generation the newest */
	RESCUE_OP_GRUB,              /* a Linux installation's own grub-install + update-grub in a chroot */
	RESCUE_OP_FIX_MBR_GENERIC,   /* a standard MBR boot code */
	RESCUE_OP__N
};

/* "fix-gpt", "find-partitions", ... (the command names). */
const char *rescue_op_name(enum rescue_op op);
/* The op named s, or RESCUE_OP_NONE. */
enum rescue_op rescue_op_parse(const char *s);

/* Severity: BROKEN = this stops a boot path (BIOS, UEFI or both), WARN = a risk or a degraded copy, INFO. */
enum scan_sev { SCAN_INFO, SCAN_WARN, SCAN_BROKEN };

struct scan_problem {
	char code[40];           /* stable id, docs/rescue.md lists them: "gpt-main-damaged", "esp-fallback-missing" */
	enum scan_sev sev;
	char where[32];          /* "disk", "MBR", "GPT", "p1 (ESP)", "bank 1", "state", "firmware" */
	char what[384];          /* one sentence a person at 3 a.m. understands */
	enum rescue_op op;       /* the repair; RESCUE_OP_NONE when there is none to run */
	char arg[64];            /* its argument: a bank number, a module name, a generation; "" when none */
};

struct scan_mbr {
	int read;                /* sector 0 could be read */
	struct mbr mbr;
};

struct scan_gpt {
	int main_ok, backup_ok;          /* header + entries of each copy verify (signature, CRCs, fields) */
	char main_why[128], backup_why[128];   /* what is wrong with a copy that does not verify */
	int have;                        /* at least one copy verifies: disk below holds it */
	int used_backup;                 /* disk came from the backup copy */
	uint64_t backup_lba;             /* where the valid header says the backup is (its AlternateLBA, or its own) */
	int backup_not_at_end;           /* backup_lba != the disk's last LBA (a grown disk) */
	int entries_differ;              /* both verify but their entries differ */
	struct gpt_disk disk;            /* the table used (lib/gpt.h) */
};

struct scan_file {
	char path[192];
	uint64_t size;
	uint8_t sha256[32];
	int pe_signed;                   /* a PE/COFF image with an Authenticode certificate table; -1: not a PE */
};

/* A FAT partition (the ESP or a bank). */
struct scan_fat {
	int exists;                      /* the GPT holds it */
	uint32_t partno;
	uint64_t start, sectors;         /* in the disk's logical sectors */
	int fs_ok;                       /* fat_open succeeded */
	char fs_why[128];                /* why not */
	int boot_sector_from_backup;     /* sector 0 is damaged but the FAT32 backup boot sector is valid */
	int dirty, fats_differ, backup_boot;   /* fat_health (backup_boot: 1 same, 0 differs, -1 none) */
	uint64_t free_bytes;
	char label[12];
};

struct scan_esp {
	struct scan_fat fat;
	int has_fallback;                /* /EFI/BOOT/BOOTX64.EFI */
	int fallback_is_ramhost;         /* it is a ramhost.efi (its build string is found in it) */
	int has_syslinux;                /* /syslinux/ldlinux.sys and ldlinux.c32 */
	int has_chain_cfg;               /* /syslinux/syslinux.cfg parses (bootloader/esp_chain.h) */
	int chain_bank;                  /* the bank it chains to by default (1, 2; 0 none) */
	unsigned nfiles;
	struct scan_file files[SCAN_MAX_FILES];   /* every *.EFI under /EFI */
	unsigned nvendors;
	char vendors[SCAN_MAX_OTHERS][32];        /* the folders under /EFI other than BOOT and ramhost */
};

enum scan_mod_state { SCAN_MOD_OK, SCAN_MOD_MISSING, SCAN_MOD_BAD_HASH, SCAN_MOD_UNREADABLE };

struct scan_module {
	char name[64];
	enum scan_mod_state state;
	uint64_t size;
	uint8_t sha256[32];              /* what the file holds (when read) */
	uint8_t want[32];                /* what boot.cfg says */
};

struct scan_bank {
	int number;                      /* 1 or 2 */
	struct scan_fat fat;
	int cfg_present;                 /* boot.cfg read and parsed */
	char cfg_why[256];               /* why not ("missing", the parse error) */
	int bootstate;                   /* -1 absent */
	uint64_t updated;
	char build[64];
	char kernel[64];
	unsigned nmodules;               /* the kernel first, then every module */
	struct scan_module modules[SCAN_MAX_MODULES];
	int modules_ok;                  /* every one SCAN_MOD_OK */
	int has_syslinux;                /* /syslinux/ldlinux.sys, ldlinux.c32, syslinux.cfg */
	char syslinux_missing[96];       /* which of them are missing, "" when none */
	int has_bootcfg_cpio;
	/* added */
	int empty;                       /* no boot.cfg and no file at the root: a bank never written (single bank) */
};

struct scan_gen {
	uint64_t gen;
	uint64_t size;
	int ok;                          /* the footer and payload verify (ramdisk/state/state_format.h) */
	char why[128];
};

struct scan_state {
	int exists;
	uint32_t partno;
	int fs_ok;                       /* an ext4 superblock; the directory could be listed */
	char fs_why[128];
	unsigned ngens;
	struct scan_gen gens[SCAN_MAX_GENS];   /* oldest first */
	int pending_backup;              /* a rescue backup folder left at "applying" */
	char pending_dir[128];
};

struct scan_entry {
	uint16_t num;
	char desc[128];
	int active;
	int ours;                        /* description starts with "ramhost" and it points at our ESP or its file */
	int on_this_disk;                /* its HD node's signature is a partition of this disk */
	char file[192];
	int file_exists;                 /* -1: not on this disk, cannot tell */
	int in_order;                    /* listed in BootOrder */
};

struct scan_efi {
	int available;                   /* an efivarfs directory was given and readable */
	char dir[128];
	unsigned nentries;
	struct scan_entry entries[SCAN_MAX_ENTRIES];
	unsigned norder;
	uint16_t order[SCAN_MAX_ENTRIES];
	int order_missing;               /* no BootOrder variable */
	uint64_t store_free, store_total;   /* statfs of efivarfs (0 when unknown) */
	int secure_boot;                 /* SecureBoot variable = 1 */
};

struct scan_other {
	char kind[24];                   /* "grub", "systemd-boot", "windows", "linux" */
	char where[64];                  /* "MBR", "p1 (ESP) /EFI/debian", "p5" */
	char detail[128];                /* PRETTY_NAME, the loader file */
};

struct scan_report {
	char disk[PATH_MAX];
	uint64_t size;
	uint32_t sector;
	int sector_guessed;
	struct scan_mbr mbr;
	struct scan_gpt gpt;
	struct scan_esp esp;
	struct scan_bank bank[2];
	struct scan_state state;
	struct scan_efi efi;
	unsigned nothers;
	struct scan_other others[SCAN_MAX_OTHERS];
	int is_ramhost;                  /* a ramhost disk: the GPT names a bank, or the ESP chains to one */
	unsigned nproblems;
	struct scan_problem problems[SCAN_MAX_PROBLEMS];
};

struct scan_opts {
	const char *efivars;             /* efivarfs directory; NULL: the firmware's is not looked at */
	const char *backup_parent;       /* where rescue backups go, to name one left half-applied; NULL: none */
	int hash_modules;                /* 1: hash every module (the default); 0: sizes and presence only */
};

/* Scans the open disk d into *ret (caller's, large: heap). Returns 0 when the disk could be read at all (damage
 * is in the report, not an error), a negative errno when not. */
int scan_disk(const struct rdisk *d, const struct scan_opts *o, struct scan_report *ret, struct rh_err *err);

/* Fills ret->problems from the facts (pure; scan_disk calls it last). */
void scan_verdict(struct scan_report *ret);

/* What `rescue verify-bank` says of b: it boots by both firmwares (readable, boot.cfg parsed, every module
 * matching its hash, SYSLINUX's files and bootcfg.cpio there). */
int scan_bank_verified(const struct scan_bank *b);

#endif
