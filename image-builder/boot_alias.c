/* boot_alias.c: init.cpio's boot.alias from the kernel's modules.alias (see boot_alias.h). */
#include "boot_alias.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modalias.h"

/* 1 when the alias text names module name (normalized) with only PCI aliases, at least one. */
static int pci_only(const char *alias, size_t alen, const char *name)
{
	const char *pat, *mod;
	size_t pos = 0, patl, modl;
	char norm[64];
	unsigned pci = 0, other = 0;

	while (modalias_next(alias, alen, &pos, &pat, &patl, &mod, &modl)) {
		if (modules_dep_normalize(mod, modl, norm) < 0 || strcmp(norm, name))
			continue;
		if (patl > 4 && !memcmp(pat, "pci:", 4))
			pci++;
		else
			other++;
	}
	return pci && !other;
}

int boot_alias_format(const struct modules_dep *db, const unsigned *order, unsigned n, const char *alias,
		      size_t alen, char **ret, size_t *ret_len, struct rh_err *err)
{
	char *text = NULL, plain[PATH_MAX], norm[64];
	const char *pat, *mod;
	size_t len = 0, pos, patl, modl;
	FILE *f = open_memstream(&text, &len);
	unsigned i;

	if (!f)
		return rh_errf(err, -ENOMEM, "boot.alias: out of memory");
	for (i = 0; i < n; i++) {
		const struct modules_dep_mod *m = &db->mods[order[i]];

		if (!m->name[0] || !pci_only(alias, alen, m->name))
			continue;
		modules_dep_plain_path(m->path, plain, sizeof(plain));
		for (pos = 0; modalias_next(alias, alen, &pos, &pat, &patl, &mod, &modl);)
			if (modules_dep_normalize(mod, modl, norm) == 0 && !strcmp(norm, m->name))
				fprintf(f, "alias %.*s %s\n", (int)patl, pat, plain);
	}
	if (fclose(f) != 0) {
		free(text);
		return rh_errf(err, -ENOMEM, "boot.alias: out of memory");
	}
	*ret = text;
	*ret_len = len;
	return 0;
}
