/* fuzz_backup_manifest.c: a rescue backup's manifest (recovery/backup_undo.c), which `rescue undo` reads from a
 * folder anyone may have edited: the parser never crashes, and what it accepts holds together (extents inside
 * the disk, old.bin offsets adding up, hashes of 64 hex characters, names that cannot leave the vars folder). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recovery/backup_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backup_manifest m;
	char *text = malloc(size + 1);
	uint64_t total = 0;
	size_t line = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (backup_manifest_parse(text, size, &m, &line) == 0) {
		if (!m.size || (m.sector != 512 && m.sector != 4096) || m.next > m.ext_cap)
			abort();
		for (size_t i = 0; i < m.next; i++) {
			const struct backup_manifest_ext *e = &m.ext[i];
			if (!e->len || e->off > m.size || e->len > m.size - e->off || e->at != total ||
			    strlen(e->old) != 64 || strlen(e->new) != 64 || !e->why)
				abort();
			total += e->len;
		}
		if (total != m.total)
			abort();
		for (size_t i = 0; i < m.nvar; i++)
			if (strchr(m.var[i].name, '/') || strchr(m.var[i].guid, '/') || strlen(m.var[i].guid) != 36)
				abort();
	}
	backup_manifest_free(&m);
	free(text);
	return 0;
}
