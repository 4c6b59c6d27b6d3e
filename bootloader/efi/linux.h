/* linux.h: starting a Linux kernel's EFI stub from memory, with its initrd served by the LoadFile2 protocol. */
#ifndef RAMHOST_EFI_LINUX_H
#define RAMHOST_EFI_LINUX_H

#include <efi.h>
#include <efilib.h>

/* Starts the kernel image (ksize bytes at kernel) with the initrd (isize bytes at initrd) and the ASCII command
 * line cmdline. The kernel goes through BS->LoadImage from memory, so the firmware's Secure Boot policy applies to
 * it as to any image. The buffers stay the caller's; the kernel's stub copies what it needs before it exits boot
 * services. Returns only when the kernel could not be loaded or started (or returned): the initrd protocol is
 * uninstalled again and the error is returned, with *ret_what naming the step that failed. */
EFI_STATUS linux_start(EFI_HANDLE parent, void *kernel, UINTN ksize, void *initrd, UINTN isize,
		       const char *cmdline, const char **ret_what);

#endif
