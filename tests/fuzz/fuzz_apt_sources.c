/* fuzz_apt_sources.c: the apt sources readers (deb822 and one-line) never crash, and a URI they return is one
 * debootstrap can use and fits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-builder/apt_sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *uri)
{
	if (strncmp(uri, "http://", 7) && strncmp(uri, "https://", 8) && strncmp(uri, "file:/", 6))
		abort();
	if (strlen(uri) >= APT_URI_MAX || strpbrk(uri, " \t\n"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char uri[APT_URI_MAX];
	struct rh_err err = { 0 };

	if (apt_sources_deb822_find((const char *)data, size, "f.sources", "bookworm", uri, sizeof(uri), &err) == 0)
		check(uri);
	rh_err_clear(&err);
	if (apt_sources_list_find((const char *)data, size, "f.list", "bookworm", uri, sizeof(uri), &err) == 0)
		check(uri);
	return 0;
}
