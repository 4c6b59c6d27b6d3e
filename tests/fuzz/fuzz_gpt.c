/* fuzz_gpt.c: the GPT reader on arbitrary bytes as a whole disk of 512-byte blocks (and of 4096-byte blocks
 * when the input is long enough). What it accepts must be self-consistent: partitions inside the usable range,
 * the usable range inside the disk, names terminated; GUID text must round-trip. Reads per input are bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct dev {
	const uint8_t *p;
	size_t n;
	unsigned reads;
};

static int dev_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct dev *d = ctx;

	/* two headers, each with at most GPT_MAX_ENTRIES * GPT_MAX_ENTRY_SIZE / 512 entry blocks */
	if (++d->reads > 2 * (1 + GPT_MAX_ENTRIES * (GPT_MAX_ENTRY_SIZE / 512)))
		abort();
	if (off > d->n || len > d->n - off)
		return -5;
	memcpy(buf, d->p + off, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gpt_disk g;
	static const uint32_t sizes[2] = { 512, 4096 };
	struct dev d = { data, size, 0 };
	char s[37];
	uint8_t back[16];
	unsigned i, k;

	for (k = 0; k < 2; k++) {
		d.reads = 0;
		if (gpt_read(dev_read, &d, sizes[k], size / sizes[k], &g) < 0)
			continue;
		if (g.block_size != sizes[k] || g.last_lba != size / sizes[k] - 1 || g.nparts > GPT_MAX_PARTS)
			abort();
		if (g.first_usable_lba > g.last_usable_lba || g.last_usable_lba > g.last_lba || g.first_usable_lba < 2)
			abort();
		for (i = 0; i < g.nparts; i++) {
			const struct gpt_part *p = &g.parts[i];

			if (p->first_lba > p->last_lba || p->first_lba < g.first_usable_lba ||
			    p->last_lba > g.last_usable_lba || !p->number || p->number > g.num_entries)
				abort();
			if (i && p->number <= g.parts[i - 1].number)
				abort();
			if (memchr(p->name, 0, sizeof(p->name)) == NULL)
				abort();
			gpt_guid_to_str(p->unique_guid, s);
			if (strlen(s) != 36 || gpt_guid_from_str(s, back) != 0 || memcmp(back, p->unique_guid, 16))
				abort();
		}
	}
	/* the GUID parser on the input as text */
	if (size >= 37) {
		memcpy(s, data, 36);
		s[36] = '\0';
		if (gpt_guid_from_str(s, back) == 0) {
			char t[37];

			gpt_guid_to_str(back, t);
			for (i = 0; i < 36; i++)
				if ((s[i] | 0x20) != t[i] && s[i] != t[i])
					abort();
		}
	}
	return 0;
}
