/* op_grub.c: grub: reinstall GRUB for a Linux installation found on the disk, through that system's own
 * grub-install and update-grub in a chroot (BIOS and UEFI, to the disk, never to a partition).
 *
 * Not built yet: the repair must run grub-install on a staged device so that its writes become a write set
 * like every other repair's (docs/rescue.md, "What is not built yet"). Until then the op refuses, and the scan
 * names GRUB installations without proposing it. */
#include "ops.h"

#include <errno.h>

int op_grub(OP_ARGS)
{
	(void)arg;
	(void)pending;
	(void)w;
	return rh_errf(err, -ENOSYS, "%s: rescue grub is not built yet; reinstall GRUB from the installed system "
		       "(grub-install DISK && update-grub in a chroot)", c->d->path);
}
