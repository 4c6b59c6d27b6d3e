/* test_bank.c: the bank rules, one row per combination: each bank missing/VALID/UPGRADING/DIRTY/INVALID, bank 1's
 * updated higher/lower/equal; then the writes before booting each bank, and revert from each bank. */
#include <stdint.h>
#include <string.h>

#include "bank.h"
#include "bootcfg.h"
#include "unit.h"

/* 'M' missing, 'V' VALID, 'U' UPGRADING, 'D' DIRTY, 'I' INVALID, 'A' bootstate absent (-1), 'X' out of range */
static struct bank_info info(char s, uint64_t updated)
{
	struct bank_info b = { 1, BOOTSTATE_VALID, updated };

	switch (s) {
	case 'M': b.present = 0; b.bootstate = BOOTSTATE_INVALID; break;  /* a missing bank's fields mean nothing */
	case 'U': b.bootstate = BOOTSTATE_UPGRADING; break;
	case 'D': b.bootstate = BOOTSTATE_DIRTY; break;
	case 'I': b.bootstate = BOOTSTATE_INVALID; break;
	case 'A': b.bootstate = -1; break;
	case 'X': b.bootstate = 7; break;
	}
	return b;
}

/* bank 1's updated against bank 2's (5) */
static uint64_t upd1(char rel)
{
	return rel == '>' ? 6 : rel == '<' ? 4 : 5;
}

static void order_str(const struct bank_plan *p, char out[3])
{
	unsigned i;

	for (i = 0; i < p->n && i < 2; i++)
		out[i] = (char)('0' + p->order[i]);
	out[i] = '\0';
}

static void state_str(const struct bank_plan *p, char out[3])
{
	for (int i = 0; i < 2; i++)
		out[i] = p->write_state[i] == -1 ? '-' : p->write_state[i] == BOOTSTATE_INVALID ? 'I'
			 : p->write_state[i] == BOOTSTATE_DIRTY ? 'D' : '?';
	out[2] = '\0';
}

static void test_plan(void)
{
	/* banks (1 then 2), bank 1's updated vs bank 2's, order to try, bootstate writes per bank */
	static const struct {
		const char *banks;
		char rel;
		const char *order, *writes;
	} rows[] = {
		{ "MM", '>', "", "--" },
		{ "MM", '<', "", "--" },
		{ "MM", '=', "", "--" },
		{ "MV", '>', "2", "--" },
		{ "MV", '<', "2", "--" },
		{ "MV", '=', "2", "--" },
		{ "MU", '>', "2", "--" },
		{ "MU", '<', "2", "--" },
		{ "MU", '=', "2", "--" },
		{ "MD", '>', "", "-I" },
		{ "MD", '<', "", "-I" },
		{ "MD", '=', "", "-I" },
		{ "MI", '>', "", "--" },
		{ "MI", '<', "", "--" },
		{ "MI", '=', "", "--" },
		{ "VM", '>', "1", "--" },
		{ "VM", '<', "1", "--" },
		{ "VM", '=', "1", "--" },
		{ "VV", '>', "12", "--" },
		{ "VV", '<', "21", "--" },
		{ "VV", '=', "12", "--" },
		{ "VU", '>', "12", "--" },
		{ "VU", '<', "21", "--" },
		{ "VU", '=', "12", "--" },
		{ "VD", '>', "1", "-I" },
		{ "VD", '<', "1", "-I" },
		{ "VD", '=', "1", "-I" },
		{ "VI", '>', "1", "--" },
		{ "VI", '<', "1", "--" },
		{ "VI", '=', "1", "--" },
		{ "UM", '>', "1", "--" },
		{ "UM", '<', "1", "--" },
		{ "UM", '=', "1", "--" },
		{ "UV", '>', "12", "--" },
		{ "UV", '<', "21", "--" },
		{ "UV", '=', "12", "--" },
		{ "UU", '>', "12", "--" },
		{ "UU", '<', "21", "--" },
		{ "UU", '=', "12", "--" },
		{ "UD", '>', "1", "-I" },
		{ "UD", '<', "1", "-I" },
		{ "UD", '=', "1", "-I" },
		{ "UI", '>', "1", "--" },
		{ "UI", '<', "1", "--" },
		{ "UI", '=', "1", "--" },
		{ "DM", '>', "", "I-" },
		{ "DM", '<', "", "I-" },
		{ "DM", '=', "", "I-" },
		{ "DV", '>', "2", "I-" },
		{ "DV", '<', "2", "I-" },
		{ "DV", '=', "2", "I-" },
		{ "DU", '>', "2", "I-" },
		{ "DU", '<', "2", "I-" },
		{ "DU", '=', "2", "I-" },
		{ "DD", '>', "", "II" },
		{ "DD", '<', "", "II" },
		{ "DD", '=', "", "II" },
		{ "DI", '>', "", "I-" },
		{ "DI", '<', "", "I-" },
		{ "DI", '=', "", "I-" },
		{ "IM", '>', "", "--" },
		{ "IM", '<', "", "--" },
		{ "IM", '=', "", "--" },
		{ "IV", '>', "2", "--" },
		{ "IV", '<', "2", "--" },
		{ "IV", '=', "2", "--" },
		{ "IU", '>', "2", "--" },
		{ "IU", '<', "2", "--" },
		{ "IU", '=', "2", "--" },
		{ "ID", '>', "", "-I" },
		{ "ID", '<', "", "-I" },
		{ "ID", '=', "", "-I" },
		{ "II", '>', "", "--" },
		{ "II", '<', "", "--" },
		{ "II", '=', "", "--" },
		/* bootstate absent or out of range: VALID */
		{ "AA", '=', "12", "--" },
		{ "AX", '<', "21", "--" },
		{ "XD", '<', "1", "-I" },
	};
	struct bank_info b[2];
	struct bank_plan p;
	char o[3], w[3];
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		b[0] = info(rows[i].banks[0], upd1(rows[i].rel));
		b[1] = info(rows[i].banks[1], 5);
		memset(&p, 0x5a, sizeof(p));
		CHECK(bank_plan(b, &p) == 0);
		order_str(&p, o);
		state_str(&p, w);
		if (strcmp(o, rows[i].order) || strcmp(w, rows[i].writes))
			fprintf(stderr, "  %s %c: order %s writes %s, expected %s %s\n", rows[i].banks, rows[i].rel, o, w,
				rows[i].order, rows[i].writes);
		CHECK_STR(o, rows[i].order);
		CHECK_STR(w, rows[i].writes);
		CHECK(p.write_updated[0] == -1 && p.write_updated[1] == -1);
	}
	CHECK(bank_plan(NULL, &p) == -BANK_EINVAL);
	CHECK(bank_plan(b, NULL) == -BANK_EINVAL);
}

static void test_before_boot(void)
{
	/* the state of the bank to boot (the other bank is VALID), the result, the write for it */
	static const struct {
		char s;
		int rc;
		char write;
	} rows[] = {
		{ 'V', 0, '-' }, { 'U', 0, 'D' }, { 'D', -BANK_ENOENT, '-' }, { 'I', -BANK_ENOENT, '-' },
		{ 'M', -BANK_ENOENT, '-' }, { 'A', 0, '-' }, { 'X', 0, '-' },
	};
	struct bank_info b[2];
	struct bank_plan p;
	char w[3];
	unsigned i;
	int bank;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (bank = 1; bank <= 2; bank++) {
			b[bank - 1] = info(rows[i].s, 3);
			b[2 - bank] = info('U', 9);     /* the other bank is never written here */
			CHECK(bank_before_boot(b, bank, &p) == rows[i].rc);
			if (rows[i].rc)
				continue;
			state_str(&p, w);
			CHECK(p.n == 1 && p.order[0] == bank);
			CHECK(w[bank - 1] == rows[i].write && w[2 - bank] == '-');
			CHECK(p.write_updated[0] == -1 && p.write_updated[1] == -1);
		}
	}
	CHECK(bank_before_boot(b, 0, &p) == -BANK_EINVAL);
	CHECK(bank_before_boot(b, 3, &p) == -BANK_EINVAL);
}

static void test_revert(void)
{
	/* current bank's state and updated, the other's; result, order, the other's new updated (-1: none) */
	static const struct {
		int current;
		char cur_s;
		uint64_t cur_u;
		char other_s;
		uint64_t other_u;
		int rc;
		const char *order;
		int64_t other_write;
	} rows[] = {
		{ 1, 'V', 5, 'V', 3, 0, "21", 6 },
		{ 2, 'V', 5, 'V', 3, 0, "12", 6 },
		{ 1, 'V', 5, 'V', 5, 0, "21", 6 },        /* a tie would give bank 1 the boot */
		{ 2, 'V', 5, 'V', 5, 0, "12", 6 },
		{ 1, 'V', 5, 'V', 8, 0, "21", -1 },       /* already preferred: nothing to write */
		{ 1, 'V', 5, 'U', 3, 0, "21", 6 },        /* UPGRADING: bank_before_boot will mark it DIRTY */
		{ 1, 'U', 5, 'V', 3, 0, "21", 6 },
		{ 1, 'D', 5, 'V', 3, 0, "2", 6 },         /* the current bank is no fallback */
		{ 1, 'I', 5, 'V', 3, 0, "2", 6 },
		{ 1, 'M', 5, 'V', 3, 0, "2", -1 },        /* a missing bank counts as updated 0 */
		{ 2, 'M', 0, 'V', 0, 0, "1", 1 },
		{ 1, 'V', 5, 'D', 3, -BANK_ENOENT, "", -1 },
		{ 1, 'V', 5, 'I', 3, -BANK_ENOENT, "", -1 },
		{ 1, 'V', 5, 'M', 3, -BANK_ENOENT, "", -1 },
		{ 1, 'V', INT64_MAX - 1, 'V', 3, 0, "21", INT64_MAX },
		{ 1, 'V', INT64_MAX, 'V', 3, -BANK_EINVAL, "", -1 },
		{ 1, 'V', UINT64_MAX, 'V', 3, -BANK_EINVAL, "", -1 },
	};
	struct bank_info b[2];
	struct bank_plan p, after;
	char o[3], w[3];
	unsigned i;
	int cur, oth;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cur = rows[i].current;
		oth = 3 - cur;
		b[cur - 1] = info(rows[i].cur_s, rows[i].cur_u);
		b[oth - 1] = info(rows[i].other_s, rows[i].other_u);
		CHECK(bank_revert(b, cur, &p) == rows[i].rc);
		if (rows[i].rc)
			continue;
		order_str(&p, o);
		state_str(&p, w);
		CHECK_STR(o, rows[i].order);
		CHECK_STR(w, "--");
		CHECK(p.write_updated[oth - 1] == rows[i].other_write && p.write_updated[cur - 1] == -1);
		/* with the write made, the next bank_plan boots the other bank first */
		if (p.write_updated[oth - 1] >= 0)
			b[oth - 1].updated = (uint64_t)p.write_updated[oth - 1];
		CHECK(bank_plan(b, &after) == 0 && after.n >= 1 && after.order[0] == oth);
	}
	CHECK(bank_revert(b, 0, &p) == -BANK_EINVAL);
	CHECK(bank_revert(NULL, 1, &p) == -BANK_EINVAL);
}

int main(void)
{
	RUN(test_plan);
	RUN(test_before_boot);
	RUN(test_revert);
	UNIT_EXIT();
}
