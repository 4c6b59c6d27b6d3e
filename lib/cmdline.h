/* cmdline.h: the one parser of the kernel command line's ramhost.* words (/proc/cmdline), used by init, the
 * bank commands, the state partition finder and the installer.
 *
 *   ramhost.bank=N          the boot bank the loader booted from (0-9; the ISO passes 1); 0 when absent
 *   ramhost.bankuuid=GUID   the GPT unique GUID of the bank partition booted from (disk boots only; "..." allowed)
 *   ramhost.break[=0|1]     init: drop to the emergency shell before switch_root
 *   ramhost.debug[=0|1]     init: also say what it left out and why (a module no hardware here needs)
 *   ramhost.rescue[=0|1|auto]  init: the rescue boot (docs/runtime.md): no state restore, the console opens
 *                           with `ramhost rescue scan --summary`; auto also runs `ramhost rescue repair --yes`
 *                           and powers off
 *
 * Words are separated by spaces, tabs or newlines; a double-quoted part may hold blanks (as the kernel allows:
 * foo="a b"); a NUL ends the line. Other words are ignored. Each caller names the keys it acts on (CMDLINE_*):
 * a malformed word for a key the caller does not use is ignored, so that (for example) a bad ramhost.break does
 * not stop `bootbank status`. Pure (buf, len): unit-tested and fuzzed. */
#ifndef RAMHOST_CMDLINE_H
#define RAMHOST_CMDLINE_H

#include <stddef.h>

#include "err.h"

#define CMDLINE_BANK     0x1u   /* ramhost.bank= */
#define CMDLINE_BANKUUID 0x2u   /* ramhost.bankuuid= */
#define CMDLINE_BREAK    0x4u   /* ramhost.break */
#define CMDLINE_RESCUE   0x8u   /* ramhost.rescue */
#define CMDLINE_DEBUG    0x10u  /* ramhost.debug: init also says what it skipped and why */

/* struct cmdline's rescue: what ramhost.rescue asks for */
#define CMDLINE_RESCUE_NONE    0   /* absent or ramhost.rescue=0: a normal boot */
#define CMDLINE_RESCUE_CONSOLE 1   /* ramhost.rescue or ramhost.rescue=1: the rescue console */
#define CMDLINE_RESCUE_AUTO    2   /* ramhost.rescue=auto: repair every disk, then power off */

/* What the Rescue entries of the ISO's menus (isolinux.cfg's `rescue` label, ramhost.efi's Rescue line) append
 * to the kernel options */
#define CMDLINE_RESCUE_OPTION "ramhost.rescue=1"

struct cmdline {
	unsigned bank;  /* ramhost.bank=N, 0 when absent */
	int has_uuid;   /* ramhost.bankuuid= was given (a disk boot) */
	char uuid[37];  /* lowercase 8-4-4-4-12 */
	int brk;        /* ramhost.break */
	int debug;      /* ramhost.debug */
	int rescue;     /* ramhost.rescue: CMDLINE_RESCUE_* */
};

/* Parses buf[0..len) into *ret (zeroed first, set only on success) for the keys in mask. A malformed word of one
 * of those keys (ramhost.bank=x, a bank above 9, a GUID that is not one, ramhost.break=yes, ramhost.rescue=yes)
 * is -EINVAL with err naming the word ("kernel command line: '...' is not ..."). */
int cmdline_parse(const char *buf, size_t len, unsigned mask, struct cmdline *ret, struct rh_err *err);

/* 1 when a boot with this command line uses a disk before the base's init starts, so init loads the on-demand
 * disk drivers (lib/host/ondemand.h) at boot: a disk boot (ramhost.bankuuid=: the bank, the state partition), a
 * rescue boot (ramhost.rescue, =1, =auto or a malformed value, which init takes as the console; not =0). Else 0:
 * `ramhost install` (also the unattended one) loads them itself. Pure. */
int cmdline_needs_disks(const char *buf, size_t len);

/* 1 when the command line names a place where `ramhost state boot` looks for saved state, whatever the value
 * (a wrong one is that command's to report): ramhost.bankuuid= (the boot disk's state partition) or
 * ramhost.state.url= (the PXE server). Else 0: a CD or ISO boot, where init does not run that command unless a
 * network boot's state module was put in the new root (ramdisk/init/main.c state_boot). Pure. */
int cmdline_names_state_source(const char *buf, size_t len);

/* The word iterator the parser uses, for a caller with keys of its own (the installer's ramhost.install=): from
 * *pos, skips blanks and stores the next word (quotes kept) in *ret_word / *ret_len, advancing *pos past it.
 * Returns 1 for a word, 0 at the end of the line (len, or a NUL). */
int cmdline_next_word(const char *buf, size_t len, size_t *pos, const char **ret_word, size_t *ret_len);

/* The value of the word w[0..len) when it starts with key ("ramhost.state.url="), without the double quotes
 * around it if it has them (*ret_vlen its length); NULL when w is another key. */
const char *cmdline_value(const char *w, size_t len, const char *key, size_t *ret_vlen);

#endif
