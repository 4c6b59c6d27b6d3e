/* bank.c: the bootbank rules (see bank.h). Freestanding: no libc, no I/O. */
#include "bank.h"

/* bootstate values, as lib/bootcfg.h (not included: that header pulls sha256.h, and these are ESXi's fixed
 * numbers, not ours to change). */
enum { ST_VALID = 0, ST_UPGRADING = 1, ST_DIRTY = 2, ST_INVALID = 3 };

#define I64_MAX 0x7fffffffffffffffull

/* The effective bootstate: out-of-range values (absent: -1) count as VALID, as a boot.cfg without bootstate=
 * boots on ESXi. */
static int state_of(const struct bank_info *b)
{
	if (b->bootstate < ST_VALID || b->bootstate > ST_INVALID)
		return ST_VALID;
	return b->bootstate;
}

/* A bank the loader may boot: present, and VALID or UPGRADING. A DIRTY bank was booted once as UPGRADING and
 * never marked good, so it is as bad as INVALID (and is made INVALID by bank_plan). */
static int bootable(const struct bank_info *b)
{
	int s;

	if (!b->present)
		return 0;
	s = state_of(b);
	return s == ST_VALID || s == ST_UPGRADING;
}

static void plan_empty(struct bank_plan *p)
{
	p->order[0] = p->order[1] = 0;
	p->n = 0;
	p->write_state[0] = p->write_state[1] = -1;
	p->write_updated[0] = p->write_updated[1] = -1;
}

int bank_plan(const struct bank_info banks[2], struct bank_plan *ret)
{
	struct bank_plan p;
	int i, first;

	if (!banks || !ret)
		return -BANK_EINVAL;
	plan_empty(&p);
	for (i = 0; i < 2; i++)
		if (banks[i].present && state_of(&banks[i]) == ST_DIRTY)
			p.write_state[i] = ST_INVALID;
	if (bootable(&banks[0]) && bootable(&banks[1])) {
		/* higher updated first; a tie goes to bank 1 */
		first = banks[1].updated > banks[0].updated ? 2 : 1;
		p.order[0] = first;
		p.order[1] = 3 - first;
		p.n = 2;
	} else {
		for (i = 0; i < 2; i++)
			if (bootable(&banks[i]))
				p.order[p.n++] = i + 1;
	}
	*ret = p;
	return 0;
}

int bank_before_boot(const struct bank_info banks[2], int b, struct bank_plan *ret)
{
	struct bank_plan p;

	if (!banks || !ret || (b != 1 && b != 2))
		return -BANK_EINVAL;
	if (!bootable(&banks[b - 1]))
		return -BANK_ENOENT;
	plan_empty(&p);
	p.order[0] = b;
	p.n = 1;
	/* An UPGRADING bank is marked DIRTY before it is started: if the new image never reaches `ramhost bootbank
	 * mark-good`, the next loader run sees DIRTY and makes it INVALID, so the old bank boots again. */
	if (state_of(&banks[b - 1]) == ST_UPGRADING)
		p.write_state[b - 1] = ST_DIRTY;
	*ret = p;
	return 0;
}

int bank_revert(const struct bank_info banks[2], int current, struct bank_plan *ret)
{
	struct bank_plan p;
	int other;
	uint64_t cur_updated;

	if (!banks || !ret || (current != 1 && current != 2))
		return -BANK_EINVAL;
	other = 3 - current;
	if (!bootable(&banks[other - 1]))
		return -BANK_ENOENT;
	plan_empty(&p);
	/* The other bank must now win bank_plan's comparison for good: strictly higher than the current bank's
	 * updated (a tie would give bank 1 the boot). When it already is, nothing needs writing. A missing current
	 * bank counts as updated 0. */
	cur_updated = banks[current - 1].present ? banks[current - 1].updated : 0;
	if (banks[other - 1].updated <= cur_updated) {
		if (cur_updated >= I64_MAX)
			return -BANK_EINVAL;
		p.write_updated[other - 1] = (int64_t)(cur_updated + 1);
	}
	p.order[p.n++] = other;
	if (bootable(&banks[current - 1]))
		p.order[p.n++] = current;
	*ret = p;
	return 0;
}
