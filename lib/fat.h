/* fat.h: a read-only FAT12/16/32 reader over a caller-supplied read callback: the boot sector (BPB), the FATs,
 * directories (8.3 and long names) and file contents.
 *
 * Pure in the lib/ sense (no I/O of its own, no allocation, no globals): every byte comes through read/ctx,
 * like lib/gpt.h. `ramhost rescue` uses it to look inside an ESP or a bank partition on a disk or disk image
 * without mounting it (the build machine may have no vfat) and without forking a tool per file. Everything read
 * is hostile: cluster numbers are bounded by the cluster count, chains by a step limit (a loop in the FAT is an
 * error, never a hang), directory walks by the same, names are checked, and a file's content ends at its size.
 * Fuzzed (tests/fuzz/fuzz_fat.c) with the input as the whole volume.
 *
 * Errors are negative errno values: -EIO (the callback failed), -EINVAL (not a FAT boot sector, or a damaged
 * structure: the reader says which through fat_vol.why), -ENOENT (no such path), -ENOTDIR, -EISDIR, -ELOOP
 * (a cluster chain that loops or runs too long), -ENAMETOOLONG. */
#ifndef RAMHOST_FAT_H
#define RAMHOST_FAT_H

#include <stddef.h>
#include <stdint.h>

/* Reads len bytes at byte offset off of the volume (0 = its boot sector) into buf. Returns 0 or a negative errno. */
typedef int (*fat_read_fn)(void *ctx, uint64_t off, void *buf, uint32_t len);

/* The BIOS parameter block and what follows from it. */
struct fat_bpb {
	int bits;                    /* 12, 16 or 32, from the cluster count (Microsoft's rule), not the type text */
	uint16_t bytes_per_sector;   /* 512, 1024, 2048 or 4096 */
	uint8_t sectors_per_cluster; /* a power of two, cluster <= 64 KiB */
	uint16_t reserved_sectors;
	uint8_t nfats;               /* 1 or 2 */
	uint16_t root_entries;       /* FAT12/16 fixed root directory; 0 on FAT32 */
	uint32_t total_sectors;
	uint32_t fat_sectors;        /* sectors per FAT */
	uint32_t hidden_sectors;     /* the partition's start as the boot sector says */
	uint32_t root_cluster;       /* FAT32 */
	uint16_t fsinfo_sector;      /* FAT32; 0 when none */
	uint16_t backup_boot_sector; /* FAT32; 0 when none (normally 6) */
	uint32_t serial;
	char label[12];              /* the boot sector's volume label, blanks trimmed, NUL-terminated */
	uint32_t clusters;           /* data clusters (2..clusters+1 are valid numbers) */
	uint64_t fat_offset;         /* byte offset of the first FAT */
	uint64_t root_offset;        /* FAT12/16: byte offset of the root directory */
	uint64_t data_offset;        /* byte offset of cluster 2 */
	uint32_t cluster_bytes;
	int boot_signature_ok;       /* 55 AA at 510 */
};

/* Parses a boot sector buf[0..len) (len >= 512). Returns 0, or -EINVAL when it is not a FAT boot sector or its
 * fields are inconsistent (zero or non-power-of-two sizes, FATs or data beyond total_sectors, too few or too many
 * clusters for its type); why (cap bytes, may be NULL) then says which field in a few words. Pure. */
int fat_bpb_parse(const uint8_t *buf, size_t len, struct fat_bpb *ret, char *why, size_t cap);

/* The FAT32 volume's dirty flags: the "clean shutdown" bit of FAT entry 1 (FAT16: bit 15; FAT32: bit 27) is 0,
 * or the boot sector's BS_Reserved1 / NT flags byte has bit 0 set. */
struct fat_volume {
	fat_read_fn read;
	void *ctx;
	uint64_t size;               /* bytes the volume may span (the partition's size) */
	struct fat_bpb bpb;
	char why[128];               /* after a -EINVAL: what was damaged */
};

/* Reads and parses the boot sector at offset 0 and checks that the volume fits in size bytes. */
int fat_open(struct fat_volume *v, fat_read_fn read, void *ctx, uint64_t size);

struct fat_dirent {
	char name[256];              /* the long name when present and valid (UTF-8), else the 8.3 name "NAME.EXT" */
	int is_dir;
	uint32_t first_cluster;
	uint32_t size;               /* bytes (0 for directories) */
	uint8_t attr;
};

/* Calls fn for each entry of directory path ("/" or "/EFI/BOOT"; components compared case-insensitively, ASCII
 * folding) other than "." and "..", deleted entries and volume labels. fn returning non-zero stops the walk
 * and is returned. */
int fat_list(struct fat_volume *v, const char *path, int (*fn)(void *fctx, const struct fat_dirent *e),
	     void *fctx);

/* Looks path up (as fat_list compares); fills *ret. */
int fat_lookup(struct fat_volume *v, const char *path, struct fat_dirent *ret);

/* Streams the content of file e through fn (blocks of at most one cluster). A chain shorter than the size, a
 * free or bad cluster inside it or a loop is an error (-EINVAL / -ELOOP), reported after the bytes before it. */
int fat_read(struct fat_volume *v, const struct fat_dirent *e, int (*fn)(void *fctx, const void *buf, size_t len),
	     void *fctx);

/* Free clusters (counted from FAT 1, not trusted from FSInfo) times the cluster size. */
int fat_free_bytes(struct fat_volume *v, uint64_t *ret);

/* What fsck.fat would complain about first, without writing: *ret_dirty when FAT entry 1's clean bit is clear
 * (FAT16/32) or the boot sector's dirty flag is set; *ret_fats_differ when the FAT copies differ (compared
 * whole); *ret_backup when a FAT32 backup boot sector exists: 1 equal to sector 0, 0 different, -1 none. */
int fat_health(struct fat_volume *v, int *ret_dirty, int *ret_fats_differ, int *ret_backup);

#endif
