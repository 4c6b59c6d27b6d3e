/* scan_int.h: the parts of `rescue scan` (scan.h), one file per layer of the disk, sharing one context.
 *
 * scan.c runs them in order: scan_table.c (MBR, both GPT copies), scan_fat.c (ESP and banks through lib/fat.h),
 * scan_state.c (the state partition through debugfs), scan_efi.c (firmware entries from an efivarfs directory),
 * scan_os.c (other systems), then scan_verdict (verdict.c). None of them fails the scan: what cannot be read is
 * a fact of the report. The pure helpers at the end take (buf, len) and are fuzzed
 * (tests/fuzz/fuzz_scan_parse.c). */
#ifndef RAMHOST_RECOVERY_SCAN_INT_H
#define RAMHOST_RECOVERY_SCAN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fat.h"
#include "rdisk.h"
#include "scan.h"

/* A FAT partition opened for reading: its window of the disk and the volume (boot sector from the FAT32 backup
 * when sector 0 is damaged and the backup is valid). */
struct scan_vol {
	struct rdisk_window win;
	uint64_t backup_off;     /* non-zero: reads of the boot sector come from here (relative to the window) */
	uint32_t backup_len;
	struct fat_volume vol;
	int open;                /* vol can be read */
};

struct scan_ctx {
	const struct rdisk *d;
	const struct scan_opts *o;
	struct scan_report *r;
	struct scan_vol esp, bank[2];
	char work[PATH_MAX];     /* scratch directory for debugfs output ("" until made) */
};

/* scan_table.c: sector 0 and both GPT copies. Returns a negative errno only when sector 0 cannot be read. */
int scan_table(struct scan_ctx *c, struct rh_err *err);

/* scan_fat.c: the ESP, and bank i (0, 1), of GPT partition p. */
void scan_fat_open(struct scan_ctx *c, const struct gpt_part *p, struct scan_fat *f, struct scan_vol *v);
void scan_esp(struct scan_ctx *c);
void scan_bank(struct scan_ctx *c, int i);

/* scan_state.c: the state partition p. */
void scan_state(struct scan_ctx *c, const struct gpt_part *p);
/* 1 when the partition of p (in the disk's sectors) starts with an ext2/3/4 superblock. */
int scan_is_ext(struct scan_ctx *c, const struct gpt_part *p);
/* Runs debugfs -R cmd on partition p; *ret_out (malloc'd, NUL-terminated) its output. */
int scan_debugfs(struct scan_ctx *c, const struct gpt_part *p, const char *cmd, char **ret_out,
		 struct rh_err *err);

/* Runs debugfs -f on the commands cmds (lines) on partition p, through a command file in c->work. */
int scan_debugfs_cmds(struct scan_ctx *c, const struct gpt_part *p, const char *cmds, char **ret_out,
		      struct rh_err *err);

/* scan_efi.c: the firmware's boot entries (c->o->efivars). */
void scan_efi(struct scan_ctx *c);

/* scan_os.c: other systems (MBR code, ESP loaders, Linux installations). */
void scan_os(struct scan_ctx *c);

/* ---- pure helpers (fuzzed) ---- */

/* Whether buf[0..len) (the first bytes of a file, at least the headers) is a PE/COFF image with an Authenticode
 * certificate table (optional header data directory 4 non-empty): 1 signed, 0 unsigned, -1 not a PE. */
int scan_pe_signed(const uint8_t *buf, size_t len);

/* One line of `debugfs -R 'ls -p DIR'` ("/INODE/MODE/UID/GID/NAME/SIZE/"): the name (cap bytes), whether it is
 * a regular file, its size. Returns 0, or -EINVAL for any other line (a header, an error, a name with '/'). */
int scan_ls_line(const char *line, size_t len, char *name, size_t cap, int *ret_regular, uint64_t *ret_size);

/* PRETTY_NAME of an os-release text buf[0..len) (quotes removed, control bytes dropped) into out (cap bytes).
 * Returns 0, or -ENOENT when there is none. */
int scan_os_release_name(const char *buf, size_t len, char *out, size_t cap);

#endif
