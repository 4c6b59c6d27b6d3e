/* bank_esp.h: the boot disk's ESP on the booted host — which bank a BIOS boot chains to, read and switched with
 * the ESP mounted for the time of the call (the file's contract: bootloader/esp_chain.h). */
#ifndef RAMHOST_RAMDISK_BANK_ESP_H
#define RAMHOST_RAMDISK_BANK_ESP_H

#include "bootloader/esp_chain.h"
#include "err.h"

/* Mounts the ESP device read-only, reads its default and, only when it is not bank already, remounts it
 * read-write and rewrites it; then syncs and unmounts. *ret_old gets the bank it chained to before (0 when it
 * named no bank). dry_run: read only. -ENOENT when the ESP has no syslinux.cfg. */
int bank_esp_point(const char *esp_dev, int bank, int dry_run, int *ret_old, int *ret_changed, struct rh_err *err);

/* Reads which bank the ESP's default chains to (*ret_bank: 1, 2, or 0 for another label). -ENOENT when the ESP
 * has no syslinux.cfg. */
int bank_esp_default(const char *esp_dev, int *ret_bank, struct rh_err *err);

#endif
