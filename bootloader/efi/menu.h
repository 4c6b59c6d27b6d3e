/* menu.h: the boot menu on ConOut/ConIn (OVMF mirrors both on the serial console, so it is driven the same way
 * from a keyboard and from a serial terminal): title, the two banks, a countdown that any key stops, Enter to
 * boot, `e` to edit this boot's kernel options, `r`/`R` to revert to the other bank after a `y`. */
#ifndef RAMHOST_EFI_MENU_H
#define RAMHOST_EFI_MENU_H

#include "media.h"

enum menu_action {
	MENU_BOOT,      /* boot *selected (with options when *ret_edited) */
	MENU_REVERT,    /* revert from *selected to the other bank (confirmed) */
	MENU_RESCAN,    /* look for the banks again (nothing bootable was shown) */
};

/* Shows the menu with bank *selected highlighted and waits: with countdown >= 0 it boots *selected when the
 * countdown runs out (0 boots at once without drawing the menu); a key stops it. Up/Down or 1/2 move the
 * selection (*selected is updated). After `e` and Enter, options (cap bytes) holds the edited line and
 * *ret_edited is 1; otherwise options is left alone and *ret_edited 0. */
enum menu_action menu_run(struct boot_media *m, int *selected, long countdown, char *options, UINTN cap,
			  int *ret_edited);

/* Waits for one key and returns its character (0 for a key without one, such as an arrow). */
CHAR16 menu_wait_key(EFI_INPUT_KEY *ret_key);

#endif
