/* sparse_zstd.h: a sparse file compressed into one zstd frame (checksummed, as the zstd tool writes it). The file's
 * holes are found with SEEK_DATA/SEEK_HOLE and fed as zeros from memory: reading a hole through the kernel costs
 * about 3 ms a MiB here, so the ISO's 308 MiB install skeleton, nearly all holes, took a second with zstd(1). */
#ifndef RAMHOST_IMGB_SPARSE_ZSTD_H
#define RAMHOST_IMGB_SPARSE_ZSTD_H

#include "err.h"

/* Writes dst (created or truncated, mode 0644) from src at zstd level level. On failure dst is removed. */
int sparse_zstd(const char *src, const char *dst, int level, struct rh_err *err);

#endif
