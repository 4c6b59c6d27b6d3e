/* runtime.h: what the booted-host commands (ready, df, du) share: loading boot.env, reading /proc/mounts,
 * formatting sizes and JSON strings. Paths can be redirected for tests:
 *   RAMHOST_BOOTENV      boot.env      (default /run/ramhost/boot.env)
 *   RAMHOST_PROC_MOUNTS  mount table   (default /proc/mounts)
 *   RAMHOST_SYS_BLOCK    block devices (default /sys/block) */
#ifndef RAMHOST_RUNTIME_H
#define RAMHOST_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "ramdisk/init/bootenv.h"

#define RUNTIME_BOOTENV_DEFAULT "/run/ramhost/boot.env"
/* the largest boot.env, /proc or /sys file the commands read */
#define RUNTIME_MAX_FILE (16u << 20)

/* The path named by environment variable var, or def. */
const char *runtime_path(const char *var, const char *def);

/* Reads and parses the boot.env at path into *ret (set only on success). */
int bootenv_load(const char *path, struct bootenv *ret, struct rh_err *err);

/* Finds mountpoint in a /proc/mounts text buf[0..len) (octal escapes such as \040 decoded) and copies its
 * file system type into ret_fstype (cap bytes). When several mounts are stacked there, the last (visible)
 * one counts. Returns 1 when found, 0 when not. Pure: unit-tested. */
int procmounts_find(const char *buf, size_t len, const char *mountpoint, char *ret_fstype, size_t cap);

/* Formats bytes into out (cap >= 24): plain decimal, or with human set "512", "4.0K", "12.3M", "1.5G" (powers of
 * 1024, one decimal). */
void format_size(uint64_t bytes, int human, char *out, size_t cap);

/* Writes s to f as a JSON string with its quotes. */
void json_string(FILE *f, const char *s);

#endif
