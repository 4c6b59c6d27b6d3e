/* size.h: the one parser of a size given by a user — a profile's ramdisk size, `image disk --size`,
 * `tardisk create --max-size`, and the size-valued environment variables (RAMHOST_VIB_MAX_SIZE,
 * RAMHOST_MIN_FREE, ...). Pure: no I/O. */
#ifndef RAMHOST_SIZE_H
#define RAMHOST_SIZE_H

#include <stdint.h>

/* Parses s, decimal digits with an optional K, M, G or T (KiB ... TiB; either case; "MiB" and "MB" read as M)
 * and nothing else, into *ret. 0 is a size. -EINVAL for anything else, -ERANGE when it does not fit 64 bits. */
int size_parse(const char *s, uint64_t *ret);

#endif
