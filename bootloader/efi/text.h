/* text.h: the few string helpers the EFI loader needs (ASCII <-> UCS-2, hex, GUIDs, numbers), and the output
 * convention: every line the loader prints starts with "ramhost.efi: ". */
#ifndef RAMHOST_EFI_TEXT_H
#define RAMHOST_EFI_TEXT_H

#include <efi.h>
#include <efilib.h>

#include <stddef.h>
#include <stdint.h>

size_t ascii_len(const char *s);
int ascii_eq(const char *a, const char *b);
/* Copies src into dst (cap bytes with the NUL), truncating; returns the length written. */
size_t ascii_copy(char *dst, size_t cap, const char *src);
/* Appends src to the NUL-terminated dst (cap bytes), truncating; returns the new length. */
size_t ascii_append(char *dst, size_t cap, const char *src);
/* Writes the n strings of parts one after the other into dst (cap bytes with the NUL), truncating; returns the
 * length. For lines of many pieces: ascii_join(line, sizeof(line), (const char *[]){ "a", b, "c" }, 3). */
size_t ascii_join(char *dst, size_t cap, const char *const *parts, size_t n);
/* Appends the decimal form of v. */
size_t ascii_append_u64(char *dst, size_t cap, uint64_t v);

/* UCS-2 <-> ASCII: characters outside ASCII become '?'. cap counts elements, with the NUL. */
void ascii_to_ucs2(CHAR16 *dst, size_t cap, const char *src);
void ucs2_to_ascii(char *dst, size_t cap, const CHAR16 *src);

/* A GUID in the lowercase 8-4-4-4-12 form Linux and `sgdisk` print (37 bytes with the NUL). The first three
 * fields of an EFI_GUID are little-endian in memory. */
void guid_to_ascii(const EFI_GUID *g, char out[37]);

/* The sha256 digest as 64 hex digits (65 bytes with the NUL). */
void hex_digest(const uint8_t *d, size_t n, char *out);

/* Prints "ramhost.efi: " then the ASCII message (a printf-like subset is not needed: callers build lines with
 * ascii_append). Goes to ConOut, which OVMF mirrors on the serial console. */
void text_say(const char *msg);
/* text_say() for a message made of up to four ASCII parts (NULs skipped). */
void text_say4(const char *a, const char *b, const char *c, const char *d);
/* Writes ASCII text to ConOut as is (no prefix, no newline). */
void text_put(const char *s);

#endif
