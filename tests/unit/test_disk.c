/* test_disk.c: disk image partition sizing and GUIDs (image-builder/disk.c). */
#include <errno.h>
#include <inttypes.h>

#include "image-builder/disk.h"
#include "unit.h"

#define MIB ((uint64_t)1024 * 1024)

/* One row per bootbank size / requested size: the bank and state sizes in MiB, or the error. */
static void test_plan(void)
{
	static const struct {
		uint64_t bank_bytes, size;
		uint64_t want_bank, want_state, want_total; /* MiB; want_total 0: refused */
	} rows[] = {
		{ 10 * MIB, 0, 64, 64, 2 + 64 + 128 + 64 },           /* small bootbank: banks of at least 64 MiB */
		{ 33 * MIB, 0, 82, 64, 2 + 64 + 164 + 64 },           /* 2 x 33 + 16 */
		{ 33 * MIB, 1024 * MIB, 82, 1024 - 66 - 164, 1024 },  /* large: state takes the rest */
		{ 33 * MIB, 400 * MIB + 123, 82, 400 - 66 - 164, 400 }, /* rounded down to whole MiB */
		{ 33 * MIB, 200 * MIB, 59, 16, 200 },                 /* banks shrink, state at its minimum */
		{ 33 * MIB, 150 * MIB, 0, 0, 0 },                     /* too small */
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct disk_layout l;
		struct rh_err err;
		int rc;

		rh_err_clear(&err);
		rc = disk_plan(rows[i].bank_bytes, 6, rows[i].size, &l, &err);
		if (!rows[i].want_total) {
			if (rc != -ENOSPC || !strstr(err.msg, "is too small")) {
				fprintf(stderr, "  row %u: rc %d '%s'\n", i, rc, err.msg);
				unit_failed_now = 1;
			}
			continue;
		}
		if (rc || l.bank_mib != rows[i].want_bank || l.state_mib != rows[i].want_state ||
		    l.total_bytes != rows[i].want_total * MIB) {
			fprintf(stderr, "  row %u: rc %d bank %" PRIu64 " state %" PRIu64 " total %" PRIu64 " '%s'\n", i,
				rc, l.bank_mib, l.state_mib, l.total_bytes / MIB, err.msg);
			unit_failed_now = 1;
			continue;
		}
		/* contiguous, MiB aligned, ESP first at 1 MiB, 1 MiB left for the backup GPT */
		CHECK(l.start[0] == 2048 && l.sectors[0] == 64 * 2048);
		for (unsigned p = 1; p < 4; p++)
			CHECK(l.start[p] == l.start[p - 1] + l.sectors[p - 1]);
		CHECK((l.start[3] + l.sectors[3]) * 512 + MIB == l.total_bytes);
	}
}

static void test_guid(void)
{
	char a[37], b[37], c[37], r1[37], r2[37];

	CHECK(disk_guid("1700000000", "bootbank", a, NULL) == 0);
	CHECK(disk_guid("1700000000", "bootbank", b, NULL) == 0);
	CHECK(disk_guid("1700000000", "altbootbank", c, NULL) == 0);
	CHECK_STR(a, b);
	CHECK(strcmp(a, c) != 0);
	CHECK(strlen(a) == 36 && a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
	CHECK(a[14] == '4');                                             /* version 4 */
	CHECK(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b'); /* RFC 4122 variant */
	for (unsigned i = 0; i < 36; i++)
		CHECK(a[i] == '-' || (a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
	CHECK(disk_guid(NULL, "bootbank", r1, NULL) == 0);
	CHECK(disk_guid(NULL, "bootbank", r2, NULL) == 0);
	CHECK(strcmp(r1, r2) != 0);
}

int main(void)
{
	RUN(test_plan);
	RUN(test_guid);
	UNIT_EXIT();
}
