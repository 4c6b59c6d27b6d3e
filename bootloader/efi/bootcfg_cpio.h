/* bootcfg_cpio.h: the newc cpio holding one file, boot.cfg, that init reads (issue-2 contract: bootcfg.cpio).
 * Byte-identical to what lib/host/cpio.c writes for it on the host (cpio_add_buf("boot.cfg", 0444) + cpio_finish):
 * ino 1, mode 0100444, nlink 1, mtime/uid/gid 0, then the TRAILER!!! entry with ino 0, mode 0, nlink 1. */
#ifndef RAMHOST_EFI_BOOTCFG_CPIO_H
#define RAMHOST_EFI_BOOTCFG_CPIO_H

#include <stddef.h>
#include <stdint.h>

/* Bytes bootcfg_cpio_write() writes for a boot.cfg of len bytes. */
size_t bootcfg_cpio_len(size_t len);
/* Writes the archive into out (bootcfg_cpio_len(len) bytes, the caller's). */
void bootcfg_cpio_write(uint8_t *out, const char *text, size_t len);

#endif
