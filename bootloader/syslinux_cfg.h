/* syslinux_cfg.h: the BIOS boot path's loader configuration, generated from boot.cfg.
 *
 * ISOLINUX (CD) and SYSLINUX (FAT on USB/disk) read the same syntax: one LABEL that loads the bootbank's kernel
 * with every module of boot.cfg, in order, as concatenated initrds, then bootcfg.cpio (boot.cfg itself, which
 * cannot be listed in modules= since it cannot carry its own hash). Pure function: no I/O, unit-tested. */
#ifndef RAMHOST_SYSLINUX_CFG_H
#define RAMHOST_SYSLINUX_CFG_H

#include <stddef.h>

#include "bootcfg.h"

struct syslinux_cfg_opts {
	const char *dir;            /* absolute directory of the bootbank on the medium, e.g. "/bootbank" */
	unsigned bank;              /* appended as ramhost.bank=N (1 for the ISO) */
	const char *bootcfg_module; /* last initrd, "bootcfg.cpio"; NULL: none */
	const char *serial;         /* SERIAL directive arguments, "0 115200"; NULL: no serial console */
};

/* Writes the config for cfg into buf (cap bytes, NUL-terminated). Returns the length without the NUL, -E2BIG
 * when it does not fit, or -EINVAL when a name cannot be written in a syslinux config (blank, comma, or a
 * kernel/module missing). */
long syslinux_cfg_format(const struct bootcfg *cfg, const struct syslinux_cfg_opts *o, char *buf, size_t cap);

#endif
