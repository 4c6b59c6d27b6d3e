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
	const char *bankuuid;       /* disk images: the bank partition's GPT unique GUID (lowercase), appended as
				       ramhost.bankuuid=GUID; NULL: none (ISO) */
	const char *install_append; /* the ISO: a second label `install` ("Install to disk") that appends these
				       words (e.g. "ramhost.install=auto ramhost.ks=/install/ks.cfg") and a SAY line
				       telling to type `install` at the boot: prompt; NULL: none */
	const char *rescue_append;  /* the ISO: a last label `rescue` ("Rescue") that appends these words
				       ("ramhost.rescue=1") and a SAY line telling to type `rescue` at the boot:
				       prompt; never the default; NULL: none */
};

/* Writes the config for cfg into buf (cap bytes, NUL-terminated). Returns the length without the NUL, -E2BIG
 * when it does not fit, or -EINVAL when a name cannot be written in a syslinux config (blank, comma, or a
 * kernel/module missing). */
long syslinux_cfg_format(const struct bootcfg *cfg, const struct syslinux_cfg_opts *o, char *buf, size_t cap);

/* The ESP's syslinux.cfg on a disk image: SYSLINUX there only chains (chain.c32) to a bank partition found by
 * its GPT partition name, whose own SYSLINUX then boots that bank. One label per bank name given (default_label
 * first, then alt_label when not NULL); the default boots at once (timeout_s 0) or after timeout_s seconds.
 * Returns the length, -E2BIG, or -EINVAL for a label that is empty or has a blank or a line break. */
long syslinux_esp_cfg_format(const char *default_label, const char *alt_label, long timeout_s, const char *serial,
			     char *buf, size_t cap);

#endif
