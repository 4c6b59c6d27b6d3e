/* menu.h: the boot menu on ConOut/ConIn (OVMF mirrors both on the serial console, so it is driven the same way
 * from a keyboard and from a serial terminal): title, the two banks, on an installable ISO an "Install to disk"
 * line (media_install_bank), a last "Rescue" line (the default bank with ramhost.rescue=1: the rescue console,
 * docs/runtime.md), a countdown that any key stops, Enter to boot, `i` to install, `e` to edit this boot's
 * kernel options, `r`/`R` to revert to the other bank after a `y`. */
#ifndef RAMHOST_EFI_MENU_H
#define RAMHOST_EFI_MENU_H

#include "media.h"

enum menu_action {
	MENU_BOOT,      /* boot *selected (with options when *ret_edited) */
	MENU_REVERT,    /* revert from *selected to the other bank (confirmed) */
	MENU_RESCAN,    /* look for the banks again (nothing bootable was shown) */
	MENU_INSTALL,   /* Install to disk: boot *selected (media_install_bank) with its kernelopt and installopt, or
			   with the edited options when *ret_edited */
	MENU_RESCUE,    /* Rescue: boot *selected (the default bank) with its kernelopt and CMDLINE_RESCUE_OPTION, or
			   with the edited options when *ret_edited; nothing is written to the banks */
};

/* Room for a kernel options line: kernelopt and installopt together, with a blank and the NUL. */
#define MENU_OPTIONS_MAX (2 * BOOTCFG_MAX_TEXT)

/* Shows the menu with bank *selected (the default) highlighted and waits: with countdown >= 0 it boots *selected
 * when the countdown runs out (0 boots at once without drawing the menu; the countdown never chooses Install or
 * Rescue); a key stops it. Up/Down move the selection over the lines (banks, then Install, then Rescue), 1/2
 * select a bank; *selected is the bank to act on. Enter on the Install line, or `i` anywhere, returns
 * MENU_INSTALL; Enter on the Rescue line returns MENU_RESCUE with *selected the default bank. After `e` and
 * Enter, options (cap bytes, MENU_OPTIONS_MAX is enough) holds the edited line and *ret_edited is 1; on the
 * Install line the editor starts from kernelopt and installopt, on the Rescue line from kernelopt and the rescue
 * option. Otherwise options is left alone and *ret_edited 0. */
enum menu_action menu_run(struct boot_media *m, int *selected, long countdown, char *options, UINTN cap,
			  int *ret_edited);

/* The Install entry's kernel options into buf (cap bytes): the install bank's kernelopt, a blank, its installopt.
 * "" when the medium has no Install entry. */
void menu_install_options(const struct boot_media *m, char *buf, UINTN cap);

/* The Rescue entry's kernel options into buf (cap bytes): bank's kernelopt, a blank, CMDLINE_RESCUE_OPTION. */
void menu_rescue_options(const struct boot_media *m, int bank, char *buf, UINTN cap);

/* Waits for one key and returns its character (0 for a key without one, such as an arrow). */
CHAR16 menu_wait_key(EFI_INPUT_KEY *ret_key);

#endif
