/* bootcfg.h: ESXi-compatible boot.cfg, read and written.
 *
 * Syntax (one `key=value` per line): kernel=, kernelopt=, modules=a --- b --- c, title=, timeout=, prefix=,
 * build=, updated=, bootstate=. `#` starts a comment line, blank lines are skipped, unknown keys are ignored (so a
 * newer file still boots an older loader), a repeated key keeps its last value. ramhost adds one key per file,
 * `hash.NAME=sha256:HEX`, giving the SHA-256 of the kernel and of every module by the name used in kernel= and
 * modules=; ESXi's loader ignores it as an unknown key. `installopt=WORDS` gives the kernel options an
 * "Install to disk" entry appends to kernelopt (e.g. ramhost.install=auto ramhost.ks=/install/ks.cfg); ESXi
 * ignores it too. `ramhost image iso` writes it in the same syntax into BOOTCFG_ISO_INSTALL_CFG on the ISO, not
 * into the bootbank's boot.cfg (so the ISO's bootbank stays the built one and `ramhost install` never copies it);
 * ramhost.efi reads that file from ISO media only, ISOLINUX gets the same words as its `install` label.
 *
 * Freestanding (no libc, no allocation): compiled into the EFI loader, the init and the host tools; the parser
 * takes (buf, len) and is fuzzed. */
#ifndef RAMHOST_BOOTCFG_H
#define RAMHOST_BOOTCFG_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define BOOTCFG_MAX_MODULES 64
#define BOOTCFG_MAX_NAME 128     /* a kernel or module file name, with its NUL */
#define BOOTCFG_MAX_LINE 4096    /* longest line accepted (modules= of many modules) */
#define BOOTCFG_MAX_TEXT 1024    /* title, kernelopt, installopt, prefix, build, with their NUL */
#define BOOTCFG_ISO_INSTALL_CFG "/install/menu.cfg" /* on an installable ISO: installopt= for the Install entry */

/* bootstate values, ESXi's numbering. */
enum bootcfg_state {
	BOOTSTATE_VALID = 0,
	BOOTSTATE_UPGRADING = 1,
	BOOTSTATE_DIRTY = 2,
	BOOTSTATE_INVALID = 3,
};

struct bootcfg_file {
	char name[BOOTCFG_MAX_NAME];
	int has_sha256;
	uint8_t sha256[SHA256_DIGEST_LEN];
};

struct bootcfg {
	char title[BOOTCFG_MAX_TEXT];
	char kernelopt[BOOTCFG_MAX_TEXT];
	char installopt[BOOTCFG_MAX_TEXT]; /* "" when absent (see BOOTCFG_ISO_INSTALL_CFG) */
	char prefix[BOOTCFG_MAX_TEXT];
	char build[BOOTCFG_MAX_TEXT];
	long timeout;            /* seconds; -1 when absent */
	uint64_t updated;        /* 0 when absent */
	int bootstate;           /* enum bootcfg_state; -1 when absent */
	struct bootcfg_file kernel;
	unsigned nmodules;
	struct bootcfg_file modules[BOOTCFG_MAX_MODULES];
};

/* Where and why parsing stopped. `what` is a static string. */
struct bootcfg_error {
	unsigned line;
	const char *what;
};

/* Parses buf[0..len) into *ret (overwritten only on success). Returns 0, or -EINVAL / -E2BIG with *err (may be
 * NULL) naming the line and the problem. A hash.NAME line for a name that is neither the kernel nor a module is
 * an error, since it means the file and its hashes disagree. */
int bootcfg_parse(const char *buf, size_t len, struct bootcfg *ret, struct bootcfg_error *err);

/* Writes cfg as text into buf (cap bytes, NUL-terminated). Returns the length without the NUL, or -E2BIG. */
long bootcfg_format(const struct bootcfg *cfg, char *buf, size_t cap);

/* The module named name (as written in modules=), or NULL. Compares the part after the last '/' when the
 * given name has no '/', so init can look modules up by their file name. */
const struct bootcfg_file *bootcfg_find_module(const struct bootcfg *cfg, const char *name);

/* Resets cfg to an empty file: no modules, timeout and bootstate absent. */
void bootcfg_init(struct bootcfg *cfg);

#endif
