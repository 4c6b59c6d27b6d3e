/* efiload.h: EFI_LOAD_OPTION (UEFI 2.10, 3.1.3), the content of a Boot#### variable, and BootOrder: decode and
 * encode. The one owner of the format: image-builder/efivar.c (install's boot entry) encodes through it and
 * `ramhost rescue` decodes the firmware's entries with it.
 *
 * A load option: UINT32 Attributes, UINT16 FilePathListLength, Description (UTF-16LE, NUL-terminated), the
 * device path list (FilePathListLength bytes), then OptionalData (the rest). Device path nodes: Type, SubType,
 * UINT16 Length (>= 4); this decoder understands the hard drive media node (4/1: partition number, start,
 * size, signature, MBR type, signature type), the file path node (4/4: UTF-16LE path) and the end node (0x7F/
 * 0xFF); other nodes are counted and skipped (a PciRoot prefix of a long-form path, a URI node). Pure, fuzzed
 * (tests/fuzz/fuzz_efiload.c). */
#ifndef RAMHOST_EFILOAD_H
#define RAMHOST_EFILOAD_H

#include <stddef.h>
#include <stdint.h>

#define EFILOAD_ACTIVE 0x1u          /* LOAD_OPTION_ACTIVE */
#define EFILOAD_MAX 4096u            /* largest option handled */

struct efiload_hd {                   /* hard drive media node */
	uint32_t partno;                  /* 1-based */
	uint64_t start, size;             /* in logical blocks */
	uint8_t signature[16];            /* GPT: the partition's unique GUID, on-disk byte order */
	uint8_t mbr_type;                 /* 1 MBR, 2 GPT */
	uint8_t sig_type;                 /* 0 none, 1 MBR 32-bit, 2 GUID */
};

struct efiload {
	uint32_t attributes;
	char desc[256];                   /* description as UTF-8 (invalid UTF-16 -> -EINVAL) */
	int has_hd;
	struct efiload_hd hd;             /* the first hard drive node */
	int has_file;
	char file[512];                   /* the first file path node as UTF-8, '\' separators kept */
	unsigned other_nodes;             /* nodes neither HD, file nor end */
	size_t optional_len;              /* bytes of OptionalData */
};

/* Decodes buf[0..len) (the variable's data, without efivarfs's 4 attribute bytes). Returns 0, or -EINVAL for a
 * truncated option, a description without its NUL, a node shorter than 4 bytes or running past the list, a list
 * without an end node, or text that is not valid UTF-16; -E2BIG when a text does not fit. Pure. */
int efiload_parse(const uint8_t *buf, size_t len, struct efiload *ret);

/* Encodes an active load option for desc (ASCII) booting file (ASCII, '\' separated) on the GPT partition hd
 * (mbr_type 2, sig_type 2 are set by the encoder) into buf (cap bytes); *ret_len its length. -E2BIG when it
 * does not fit, -EINVAL for a non-ASCII or empty desc/file. Pure. */
int efiload_encode(const char *desc, const struct efiload_hd *hd, const char *file, uint8_t *buf, size_t cap,
		   size_t *ret_len);

/* BootOrder: a UINT16 LE array. Returns the number of entries read into out (at most cap; an odd trailing
 * byte is ignored). Pure. */
size_t efiload_bootorder_parse(const uint8_t *buf, size_t len, uint16_t *out, size_t cap);

/* Parses "Boot0001"-style names (exactly "Boot" + 4 uppercase hex digits). Returns 0 and *ret, or -EINVAL. */
int efiload_boot_name(const char *name, uint16_t *ret);

#endif
