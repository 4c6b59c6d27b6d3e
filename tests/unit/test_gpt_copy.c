/* test_gpt_copy.c: gpt_read_copy reads exactly one GPT copy, with no fallback, and says which check failed: the
 * main copy and the backup of an sgdisk image, each damaged in turn (signature, header CRC, entry array CRC,
 * zeroed entries), the backup of a grown disk found through the main header's AlternateLBA, and an LBA beyond
 * the disk. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpt.h"
#include "unit.h"

struct mem {
	uint8_t *p;
	size_t n;
};

static int mem_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct mem *m = ctx;

	if (off > m->n || len > m->n - off)
		return -EIO;
	memcpy(buf, m->p + off, len);
	return 0;
}

/* An 8 MiB sgdisk image with the ramhost layout, in memory (n bytes; the file is grown by extra bytes of zeros
 * after sgdisk wrote it, as a disk that grew). */
static uint8_t *image(size_t extra, size_t *ret_n)
{
	char dir[] = "/tmp/test_gpt_copy.XXXXXX", cmd[1024], path[64];
	size_t n = 8u << 20;
	uint8_t *p = NULL;
	FILE *f;

	if (!mkdtemp(dir))
		return NULL;
	snprintf(path, sizeof(path), "%s/disk.img", dir);
	snprintf(cmd, sizeof(cmd),
		 "truncate -s %zu '%s' && sgdisk -n 1:2048:+2M -t 1:EF00 -c 1:ESP -n 2:0:+2M -c 2:bootbank "
		 "-n 3:0:0 -c 3:state '%s' >/dev/null && truncate -s %zu '%s'", n, path, path, n + extra, path);
	if (system(cmd) == 0 && (f = fopen(path, "rb"))) {
		p = malloc(n + extra);
		if (p && fread(p, 1, n + extra, f) != n + extra) {
			free(p);
			p = NULL;
		}
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		free(p);
		p = NULL;
	}
	*ret_n = n + extra;
	return p;
}

static void both_copies(void)
{
	struct gpt_disk *g = malloc(sizeof(*g));
	struct mem m;
	char why[128];
	uint64_t blocks;

	m.p = image(0, &m.n);
	CHECK(m.p && g);
	if (!m.p || !g)
		goto out;
	blocks = m.n / 512;
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, 1, g, why, sizeof(why)) == 0);
	CHECK(g->primary_ok && !g->used_backup && g->nparts == 3 && g->alternate_lba == blocks - 1);
	CHECK(g->entries_lba == 2 && !strcmp(why, ""));
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, blocks - 1, g, why, sizeof(why)) == 0);
	CHECK(g->backup_ok && g->used_backup && g->nparts == 3 && g->alternate_lba == 1);
	CHECK(!strcmp(g->parts[1].name, "bootbank"));

	m.p[512 + 20] ^= 1;   /* a reserved byte of the main header: only its CRC notices */
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, 1, g, why, sizeof(why)) == -GPT_EINVAL);
	CHECK_STR(why, "header: CRC32 mismatch");
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, blocks - 1, g, why, sizeof(why)) == 0);
	CHECK(gpt_read(mem_read, &m, 512, blocks, g) == 0 && g->used_backup && g->alternate_lba == 1);
	m.p[512 + 20] ^= 1;

	memset(m.p + 2 * 512, 0, 32 * 512);   /* main entries zeroed */
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, 1, g, why, sizeof(why)) == -GPT_EINVAL);
	CHECK_STR(why, "entry array: CRC32 mismatch");

	memset(m.p + (blocks - 1) * 512, 0, 512);   /* backup header zeroed */
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, blocks - 1, g, why, sizeof(why)) == -GPT_EINVAL);
	CHECK_STR(why, "header: no \"EFI PART\" signature");
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, blocks, g, why, sizeof(why)) == -GPT_EINVAL);
	CHECK_STR(why, "header: its LBA is beyond the disk's end");
	CHECK(gpt_read_copy(mem_read, &m, 1024, blocks / 2, 1, g, why, sizeof(why)) == -GPT_ENOTSUP);
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, 1, g, why, 4) == -GPT_EINVAL && !strcmp(why, "ent"));
out:
	free(m.p);
	free(g);
}

/* A disk grown by 1 MiB: the backup is where the main header's AlternateLBA says, not at the last LBA. */
static void grown(void)
{
	struct gpt_disk *g = malloc(sizeof(*g));
	struct mem m;
	char why[64];
	uint64_t blocks, alt;

	m.p = image(1u << 20, &m.n);
	CHECK(m.p && g);
	if (!m.p || !g)
		goto out;
	blocks = m.n / 512;
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, 1, g, why, sizeof(why)) == 0);
	alt = g->alternate_lba;
	CHECK(alt == blocks - 2048 - 1);
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, blocks - 1, g, why, sizeof(why)) == -GPT_EINVAL);
	CHECK(gpt_read_copy(mem_read, &m, 512, blocks, alt, g, why, sizeof(why)) == 0 && g->nparts == 3);
out:
	free(m.p);
	free(g);
}

int main(void)
{
	RUN(both_copies);
	RUN(grown);
	UNIT_EXIT();
}
