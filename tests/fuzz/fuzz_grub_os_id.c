/* fuzz_grub_os_id.c: grub_os_id (recovery/grub_mount.c) on hostile os-release bytes: it may not crash, read past
 * the input, or return a name that does not fit, is empty, or holds anything but [a-z0-9._-] (the name becomes
 * an ESP folder and a grub-install argument). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recovery/grub_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[32];
	size_t n;

	if (grub_os_id((const char *)data, size, id, sizeof(id)) != 0)
		return 0;
	n = strlen(id);
	if (!n || n >= sizeof(id) || strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		abort();
	return 0;
}
