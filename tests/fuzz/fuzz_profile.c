/* fuzz_profile.c: the image profile parser never crashes, and what it accepts is self-consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-builder/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile *p = malloc(sizeof(*p));
	struct rh_err err;
	unsigned i;

	if (!p)
		return 0;
	rh_err_clear(&err);
	if (profile_parse((const char *)data, size, "fuzz.profile", "/base", p, &err) == 0) {
		/* accepted: required keys set, names valid, ramdisks root first with sizes */
		if (!p->name[0] || !p->version[0] || !p->kernel[0] || !p->base[0] || p->nramdisks < 5 ||
		    strcmp(p->ramdisks[0].name, "root") || strcmp(p->ramdisks[0].mountpoint, "/"))
			abort();
		for (i = 0; i < p->nramdisks; i++)
			if (!p->ramdisks[i].size || !p->ramdisks[i].inodes || p->ramdisks[i].mountpoint[0] != '/')
				abort();
		for (i = 0; i < p->ntardisks; i++)   /* an absolute path, or a container image at one */
			if (profile_base_layer_reserved(p->tardisks[i].name) ||
			    (p->tardisks[i].source[0] != '/' && strncmp(p->tardisks[i].source, "oci:/", 5)))
				abort();
	} else if (strncmp(err.msg, "fuzz.profile:", 13) && strncmp(err.msg, "fuzz.profile: out of memory", 27)) {
		abort(); /* every error names FILE:LINE */
	}
	free(p);
	return 0;
}
