/* fuzz_depot_index.c: the depot index parser (vib/depot.h) never crashes on hostile bytes, every refusal says
 * what was wrong, and what it accepts has only safe relative paths and writes back to an index that parses to
 * the same VIBs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vib/depot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether p has a ".." component ("..]x.vib" is a file name, not a way out of the depot). */
static int has_dotdot(const char *p)
{
	const char *c;

	for (c = p; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (strcspn(c, "/") == 2 && c[0] == '.' && c[1] == '.')
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct depot d, d2;
	struct rh_err err = { 0 };
	size_t i;

	if (depot_index_parse(data, size, "fuzz", &d, &err) < 0) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	for (i = 0; i < d.nvibs; i++)
		if (d.vibs[i].path[0] == '/' || has_dotdot(d.vibs[i].path) || !d.vibs[i].desc.name[0])
			abort();
	for (i = 0; i < d.nprofiles; i++)
		if (!d.profiles[i].name[0])
			abort();
	/* re-serialize with each VIB's descriptor written back, and parse again */
	{
		char **descs = calloc(d.nvibs + 1, sizeof(*descs)), *out = NULL;
		size_t *lens = calloc(d.nvibs + 1, sizeof(*lens)), len = 0;
		int ok = descs && lens;

		for (i = 0; ok && i < d.nvibs; i++)
			ok = vib_desc_write(&d.vibs[i].desc, &descs[i], &lens[i], &err) == 0;
		if (ok && depot_index_write(&d, (const char *const *)descs, lens, &out, &len, &err) == 0) {
			if (depot_index_parse(out, len, "fuzz2", &d2, &err) < 0 || d2.nvibs != d.nvibs ||
			    d2.nprofiles != d.nprofiles)
				abort();
			for (i = 0; i < d.nvibs; i++)
				if (strcmp(d.vibs[i].desc.name, d2.vibs[i].desc.name) ||
				    strcmp(d.vibs[i].path, d2.vibs[i].path) || d.vibs[i].size != d2.vibs[i].size)
					abort();
			depot_free(&d2);
		}
		for (i = 0; descs && i < d.nvibs; i++)
			free(descs[i]);
		free(descs);
		free(lens);
		free(out);
	}
	depot_free(&d);
	return 0;
}
