/* modalias.h: the kernel's module alias text ("alias PATTERN MODULE" lines, as depmod writes modules.alias) and
 * the device modaliases it is matched against ("pci:v00008086d00007010sv...", /sys/bus/pci/devices/X/modalias).
 * Pure (buf, len): unit-tested and fuzzed.
 *
 * The image builder reads the kernel's modules.alias and writes init.cpio's /etc/ramhost/boot.alias: the PCI
 * aliases of each boot module that drives only PCI devices, with the module named by its path as in init.conf.
 * init loads such a module only when a PCI device of this machine matches one of them (docs/runtime.md). */
#ifndef RAMHOST_MODALIAS_H
#define RAMHOST_MODALIAS_H

#include <stddef.h>

/* The next "alias PATTERN MODULE" line of buf[0..len) from *pos (advanced past it): pattern and module point
 * into buf with their lengths. Comments, blank and malformed lines are skipped. Returns 1 for an alias, 0 at
 * the end. */
int modalias_next(const char *buf, size_t len, size_t *pos, const char **ret_pat, size_t *ret_patlen,
		  const char **ret_mod, size_t *ret_modlen);

/* 1 when the device modalias dev matches the pattern pat[0..patlen) (shell wildcards * ? [...], as modprobe). */
int modalias_match(const char *pat, size_t patlen, const char *dev);

/* Whether module (as the alias lines name it) is wanted on a machine with the device modaliases devs[0..ndevs):
 * 1 when the text lists no alias for it (not gated) or one of them matches a device, 0 when it lists aliases
 * and none matches. */
int modalias_wanted(const char *buf, size_t len, const char *module, const char *const *devs, size_t ndevs);

#endif
