/* syslinux_cfg.h: the BIOS boot path's loader configuration, generated from boot.cfg.
 *
 * ISOLINUX (CD) and SYSLINUX (FAT on USB/disk) read the same syntax: one LABEL that loads the bootbank's kernel
 * with every module of boot.cfg, in order, as concatenated initrds, then bootcfg.cpio (boot.cfg itself, which
 * cannot be listed in modules= since it cannot carry its own hash). Pure function: no I/O, unit-tested. */
#ifndef RAMHOST_SYSLINUX_CFG_H
#define RAMHOST_SYSLINUX_CFG_H

#include <stddef.h>

#include "bootcfg.h"
#include "err.h"

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

/* The 11-character 8.3 name SYSLINUX compares with a FAT directory's short entries when it looks name up, beside
 * the long names (its mangle_dos_name): upper case, padded, and the extension starting again at every dot, so
 * "base.2.tdk" is looked up as BASE.TDK. */
void syslinux_fat_lookup_name(const char *name, char out[12]);

/* 1 when SYSLINUX, loading one of the bank's files (the kernel, a module, the bootcfg module) from FAT, could
 * match another file's 8.3 entry instead (`app.v2.tdk` finding app.tdk's APP.TDK): *ret_a is the name looked up,
 * *ret_b the file it could load. 0 when every name finds only itself. */
int syslinux_cfg_clash(const struct bootcfg *cfg, const struct syslinux_cfg_opts *opts, const char **ret_a,
		       const char **ret_b);

/* syslinux_cfg_clash as an error naming both files (bootcfg_module: the bank's bootcfg.cpio, or NULL), for the
 * writers of a bank to refuse a boot.cfg before anything is written. */
int syslinux_cfg_check_names(const struct bootcfg *cfg, const char *bootcfg_module, struct rh_err *err);

/* Writes the config for cfg into buf (cap bytes, NUL-terminated). Returns the length without the NUL, -E2BIG
 * when it does not fit, or -EINVAL when a name cannot be written in a syslinux config (blank, comma, a
 * kernel/module missing, or a name syslinux_cfg_clash finds). */
long syslinux_cfg_format(const struct bootcfg *cfg, const struct syslinux_cfg_opts *o, char *buf, size_t cap);

/* The ESP's syslinux.cfg on a disk image: SYSLINUX there only chains (chain.c32) to a bank partition found by
 * its GPT partition name, whose own SYSLINUX then boots that bank. One label per bank name given (default_label
 * first, then alt_label when not NULL); the default boots at once (timeout_s 0) or after timeout_s seconds.
 * Returns the length, -E2BIG, or -EINVAL for a label that is empty or has a blank or a line break. */
long syslinux_esp_cfg_format(const char *default_label, const char *alt_label, long timeout_s, const char *serial,
			     char *buf, size_t cap);

#endif
