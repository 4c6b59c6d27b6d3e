/* utf16.h: UTF-16LE text (EFI variables and device paths, FAT long names) to UTF-8, strictly: the one decoder
 * for lib/efiload.c and lib/fat_dir.c. Pure: no I/O, no allocation. (lib/gpt.c keeps its own freestanding,
 * lenient one for partition names, which the UEFI loader prints.) */
#ifndef RAMHOST_UTF16_H
#define RAMHOST_UTF16_H

#include <stddef.h>
#include <stdint.h>

/* Appends the UTF-16LE units s[0..units) (2 bytes each), up to the first NUL unit, to out at *pos as UTF-8 and
 * NUL-terminates it; *pos advances. Returns 0, -EINVAL for an unpaired surrogate, -E2BIG when out (cap bytes,
 * its NUL included) is too small; out may then hold a part. */
int utf16le_append(const uint8_t *s, size_t units, char *out, size_t cap, size_t *pos);

#endif
