/* efivar.h: the firmware boot entry of an installed disk: an EFI_LOAD_OPTION (UEFI 2.x, 3.1.3) in a Boot####
 * variable and its number first in BootOrder, written through efivarfs.
 *
 * The load option is: UINT32 Attributes (LOAD_OPTION_ACTIVE), UINT16 FilePathListLength, the description
 * (UTF-16LE, NUL-terminated), then the device path: a hard drive media node HD(partition number, start LBA,
 * size in LBAs, GPT signature = the partition's unique GUID; MBRType 2, SignatureType 2), a file path node
 * (\EFI\BOOT\BOOTX64.EFI in UTF-16LE) and the end node. The firmware expands such a short-form path by finding the
 * partition with that GUID on any disk. efivarfs files carry the variable's 4-byte attributes before the data
 * and most are immutable (chattr +i), which efivar_write clears first.
 *
 * The load option's bytes are lib/efiload.c's (efiload_encode: the one owner of the format, also the decoder
 * `ramhost rescue` reads firmware entries with). efivar_bootorder_prepend is pure and unit-tested; the rest does
 * I/O on the efivarfs directory given (normally /sys/firmware/efi/efivars). */
#ifndef RAMHOST_IMGB_EFIVAR_H
#define RAMHOST_IMGB_EFIVAR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define EFIVAR_DIR "/sys/firmware/efi/efivars"
#define EFIVAR_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define EFIVAR_ATTRS 0x7u   /* NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS */
#define EFIVAR_MAX 4096     /* the largest Boot#### / BootOrder handled */

/* The ESP partition a boot entry points at. */
struct efivar_hd {
	uint32_t partno;          /* 1-based GPT entry number */
	uint64_t start, size;     /* in 512-byte LBAs */
	uint8_t guid[16];         /* the partition's unique GUID, on-disk (mixed-endian) byte order */
};

/* BootOrder old[0..oldlen) (UINT16 LE array; an odd trailing byte is dropped) with num first and any other
 * occurrence of num removed, into out (cap bytes). Returns the new length or -E2BIG (also when old is longer
 * than EFIVAR_MAX). Pure. */
long efivar_bootorder_prepend(const uint8_t *old, size_t oldlen, uint16_t num, uint8_t *out, size_t cap);

/* Writes the variable NAME-GUID in dir with attributes attrs and data[0..len): one write() of attrs + data,
 * after clearing the file's immutable flag when it exists. */
int efivar_write(const char *dir, const char *name, const char *guid, uint32_t attrs, const void *data, size_t len,
		 struct rh_err *err);

/* Reads variable NAME-GUID's data (without the attributes) into buf (cap bytes); *ret_len its length. -ENOENT
 * when it does not exist. */
int efivar_read(const char *dir, const char *name, const char *guid, uint8_t *buf, size_t cap, size_t *ret_len,
		struct rh_err *err);

/* What adding a boot entry takes, decided without writing (`rescue boot-entries` puts it in its plan). */
struct efivar_entry_plan {
	uint16_t num;                 /* the Boot#### number: the existing identical entry's, else the lowest free */
	int exists;                   /* a Boot#### with exactly opt exists: only BootOrder may change */
	uint8_t opt[EFIVAR_MAX];      /* the load option */
	size_t optlen;
	uint8_t order[EFIVAR_MAX + 2];   /* the new BootOrder: num first, the dropped numbers removed */
	size_t orderlen;
	int had_order;                /* a BootOrder variable existed */
	int order_changed;            /* order differs from the variable's value */
};

/* Plans the entry "desc" for file on hd as efivar_add_boot_entry makes it, as if the Boot#### numbers in
 * drop[0..ndrop) were deleted (their numbers leave BootOrder; they are neither reused as the identical entry nor
 * counted as taken). */
int efivar_plan_boot_entry(const char *dir, const char *desc, const struct efivar_hd *hd, const char *file,
			   const uint16_t *drop, size_t ndrop, struct efivar_entry_plan *ret, struct rh_err *err);

/* Creates (or reuses, when a Boot#### with exactly these bytes exists) a boot entry "desc" for file on hd,
 * and puts its number first in BootOrder. *ret_num gets the number. */
int efivar_add_boot_entry(const char *dir, const char *desc, const struct efivar_hd *hd, const char *file,
			  uint16_t *ret_num, struct rh_err *err);

/* On a machine booted with UEFI (/sys/firmware/efi exists), makes sure efivarfs is mounted on dir (mounting it when
 * it is not, as a minimal init leaves it). Returns 1 when dir holds the variables, 0 on a BIOS boot, or a
 * negative errno. */
int efivar_mount(const char *dir, struct rh_err *err);

/* Deletes variable NAME-GUID in dir (clearing its immutable flag first); a missing one is fine. */
int efivar_delete(const char *dir, const char *name, const char *guid, struct rh_err *err);

#endif
