/* fuzz_modulesdep.c: modules.dep / modules.builtin parsing and dependency resolution never crash or hang.
 * The input is split at the first NUL byte: modules.dep before it, modules.builtin after. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-builder/modules_dep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *nul = memchr(buf, '\0', size);
	size_t deplen = nul ? (size_t)(nul - buf) : size;
	struct modules_dep db;
	struct rh_err err;
	unsigned i, n, *order = NULL;

	if (modules_dep_parse(&db, buf, deplen, "modules.dep", &err) < 0)
		return 0;
	if (nul)
		modules_dep_add_builtin(&db, nul + 1, size - deplen - 1, &err);
	/* resolve every module on its own, then all at once: each index at most once, dependencies first */
	for (i = 0; i <= db.nmods && i < 64; i++) {
		const char *names[64];
		unsigned nn = 0, j;

		if (i < db.nmods) {
			names[nn++] = db.mods[i].name[0] ? db.mods[i].name : "x";
		} else {
			for (j = 0; j < db.nmods && j < 64; j++)
				names[nn++] = db.mods[j].name[0] ? db.mods[j].name : "x";
		}
		if (modules_dep_resolve(&db, names, nn, &order, &n, &err) == 0) {
			unsigned char *seen = calloc(db.nmods + 1, 1);
			for (j = 0; j < n; j++) {
				if (order[j] >= db.nmods || seen[order[j]])
					abort();
				seen[order[j]] = 1;
			}
			free(seen);
			free(order);
		}
	}
	modules_dep_free(&db);
	return 0;
}
