/* test_bank_disk.c: ramdisk/bank/bank_disk.c's pure part: choosing the bank partitions of a GPT by the booted
 * partition's GUID (table-driven). Finding, mounting and reading real banks: tests/integration/bootbank.sh. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ramdisk/bank/bank_disk.h"
#include "unit.h"

#define G1 "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define G2 "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define G3 "a1b2c3d4-0000-4000-8000-00000000beef"
#define G4 "deadbeef-1111-2222-3333-444455556666"
#define G_NONE "99999999-9999-4999-8999-999999999999"

/* A disk described as "name:guid" pairs; partition numbers in order from 1 (0 entries skipped). */
struct part_row {
	uint32_t number;
	const char *name;
	const char *guid;
};

static void make_disk(struct gpt_disk *d, const struct part_row *p, unsigned n)
{
	unsigned i;

	memset(d, 0, sizeof(*d));
	d->block_size = 512;
	for (i = 0; i < n; i++) {
		d->parts[i].number = p[i].number;
		snprintf(d->parts[i].name, sizeof(d->parts[i].name), "%s", p[i].name);
		CHECK(gpt_guid_from_str(p[i].guid, d->parts[i].unique_guid) == 0);
		d->parts[i].type_guid[0] = 1;
	}
	d->nparts = n;
}

static void test_pick(void)
{
	static const struct part_row std[] = {
		{ 1, "ESP", G1 }, { 2, "bootbank", G2 }, { 3, "altbootbank", G3 }, { 4, "state", G4 },
	};
	static const struct part_row single[] = { { 1, "ESP", G1 }, { 2, "bootbank", G2 } };
	static const struct part_row gaps[] = { { 3, "altbootbank", G3 }, { 7, "bootbank", G2 } };
	static const struct part_row dup[] = { { 1, "bootbank", G1 }, { 2, "bootbank", G2 }, { 3, "altbootbank", G3 } };
	static const struct part_row caseful[] = { { 1, "BootBank", G2 }, { 2, "altbootbank", G3 } };
	static const struct {
		const struct part_row *parts;
		unsigned n;
		const char *uuid;
		int rc;
		int booted;
		uint32_t p1, p2;
		const char *msg;
	} t[] = {
		{ std, 4, G2, 0, 1, 2, 3, NULL },
		{ std, 4, G3, 0, 2, 2, 3, NULL },
		{ std, 4, G_NONE, -ENOENT, 0, 0, 0, NULL },
		{ std, 4, G4, -EINVAL, 0, 0, 0, "/dev/vda: partition 4 (GUID " G4 ") is named 'state', not 'bootbank'" },
		{ std, 4, G1, -EINVAL, 0, 0, 0, "is named 'ESP'" },
		{ single, 2, G2, 0, 1, 2, 0, NULL },
		{ gaps, 2, G2, 0, 1, 7, 3, NULL },
		{ gaps, 2, G3, 0, 2, 7, 3, NULL },
		{ dup, 3, G3, -EINVAL, 0, 0, 0, "/dev/vda: partitions 1 and 2 are both named 'bootbank'" },
		{ dup, 3, G_NONE, -ENOENT, 0, 0, 0, NULL },
		{ caseful, 2, G2, -EINVAL, 0, 0, 0, "named 'BootBank'" },
		{ std, 0, G2, -ENOENT, 0, 0, 0, NULL },
	};
	static struct gpt_disk d;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct bank_disk_pick p = { 9, { 9, 9 } };
		struct rh_err err = { 0, "" };
		uint8_t g[16];
		int rc;

		make_disk(&d, t[i].parts, t[i].n);
		CHECK(gpt_guid_from_str(t[i].uuid, g) == 0);
		rc = bank_disk_pick(&d, "/dev/vda", g, &p, &err);
		CHECK(rc == t[i].rc);
		if (rc != t[i].rc)
			fprintf(stderr, "  row %zu: rc %d (%s)\n", i, rc, err.msg);
		if (t[i].rc == 0) {
			CHECK(p.booted == t[i].booted && p.part[0] == t[i].p1 && p.part[1] == t[i].p2);
		} else {
			CHECK(p.booted == 9);
			if (t[i].msg && !strstr(err.msg, t[i].msg)) {
				fprintf(stderr, "  row %zu: '%s'\n", i, err.msg);
				CHECK(0);
			}
			if (!t[i].msg)
				CHECK(err.msg[0] == '\0');   /* "not on this disk" is not an error message */
		}
	}
}

int main(void)
{
	RUN(test_pick);
	UNIT_EXIT();
}
