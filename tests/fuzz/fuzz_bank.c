/* fuzz_bank.c: the bank rules on arbitrary bank states (any bootstate int, any updated), asserting the
 * invariants: a plan never lists a missing, DIRTY or INVALID bank, never lists a bank twice, boots the higher
 * updated first (tie: bank 1), only ever writes DIRTY -> INVALID at start and UPGRADING -> DIRTY before a boot,
 * and a revert makes the other bank the first of the next plan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bank.h"
#include "bootcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int bootable(const struct bank_info *b)
{
	return b->present && b->bootstate != BOOTSTATE_DIRTY && b->bootstate != BOOTSTATE_INVALID;
}

static void check_order(const struct bank_info b[2], const struct bank_plan *p)
{
	unsigned i;

	if (p->n > 2 || (p->n == 2 && p->order[0] == p->order[1]))
		abort();
	for (i = 0; i < p->n; i++)
		if ((p->order[i] != 1 && p->order[i] != 2) || !bootable(&b[p->order[i] - 1]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bank_info b[2];
	struct bank_plan p, q;
	unsigned i;
	int k, r;

	if (size < 2 * 10 + 1)
		return 0;
	for (i = 0; i < 2; i++) {
		const uint8_t *s = data + 10 * i;

		b[i].present = s[0] & 1;
		b[i].bootstate = (int8_t)s[1];
		memcpy(&b[i].updated, s + 2, 8);
		if (s[0] & 2)
			b[i].updated &= 7;      /* make ties and neighbours likely */
	}
	k = 1 + (data[20] & 1);

	if (bank_plan(b, &p) != 0)
		abort();
	check_order(b, &p);
	if (p.n != (unsigned)(bootable(&b[0]) + bootable(&b[1])))
		abort();
	if (p.n == 2 && (b[p.order[0] - 1].updated < b[p.order[1] - 1].updated ||
			 (b[0].updated == b[1].updated && p.order[0] != 1)))
		abort();
	for (i = 0; i < 2; i++) {
		if (p.write_updated[i] != -1)
			abort();
		if (p.write_state[i] != (b[i].present && b[i].bootstate == BOOTSTATE_DIRTY ? BOOTSTATE_INVALID : -1))
			abort();
	}

	r = bank_before_boot(b, k, &p);
	if ((r == 0) != bootable(&b[k - 1]))
		abort();
	if (r == 0) {
		check_order(b, &p);
		if (p.n != 1 || p.order[0] != k || p.write_state[2 - k] != -1 || p.write_updated[0] != -1 ||
		    p.write_updated[1] != -1)
			abort();
		if (p.write_state[k - 1] != (b[k - 1].bootstate == BOOTSTATE_UPGRADING ? BOOTSTATE_DIRTY : -1))
			abort();
	}

	r = bank_revert(b, k, &p);
	if (r == 0) {
		check_order(b, &p);
		if (p.order[0] != 3 - k || p.write_state[0] != -1 || p.write_state[1] != -1 ||
		    p.write_updated[k - 1] != -1)
			abort();
		if (p.write_updated[2 - k] >= 0)
			b[2 - k].updated = (uint64_t)p.write_updated[2 - k];
		if (bank_plan(b, &q) != 0 || q.n < 1 || q.order[0] != 3 - k)
			abort();
	} else if (r != -BANK_ENOENT && r != -BANK_EINVAL) {
		abort();
	} else if (r == -BANK_ENOENT && bootable(&b[2 - k])) {
		abort();
	}
	return 0;
}
