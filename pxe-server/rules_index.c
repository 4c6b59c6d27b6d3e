/* rules_index.c: the exact-MAC index of the rules and the reservations (pxe_int.h). A rule whose match lines
 * include `match mac` with exact MACs only can hold for those MACs only: it is filed under each of them, and a
 * host is checked against its own MAC's rules and the rules filed under none, merged in file order, so the
 * answer is the one a scan of every rule gives. Open addressing on the 48-bit MAC, built once per snapshot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pxe_int.h"

struct slot {
	uint8_t mac[6];
	uint8_t used;
	uint32_t first, count;      /* the MAC's rules: own[first .. first+count) */
	uint32_t res;               /* reservation index + 1, 0 none */
};

struct pxe_index {
	struct slot *slots;
	size_t mask;                /* slots - 1 (a power of two) */
	uint32_t *own;              /* rule numbers grouped by MAC, ascending in each group */
	uint32_t *general;
	size_t ngeneral;
};

static size_t mac_hash(const uint8_t m[6])
{
	uint64_t v = (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 | (uint64_t)m[3] << 16 |
		     (uint64_t)m[4] << 8 | m[5];

	v ^= v >> 29;
	v *= 0xbf58476d1ce4e5b9ull;
	v ^= v >> 32;
	return (size_t)v;
}

static struct slot *lookup(const struct pxe_index *x, const uint8_t mac[6], int add)
{
	size_t i = mac_hash(mac) & x->mask;

	while (x->slots[i].used) {
		if (!memcmp(x->slots[i].mac, mac, 6))
			return &x->slots[i];
		i = (i + 1) & x->mask;
	}
	if (!add)
		return NULL;
	memcpy(x->slots[i].mac, mac, 6);
	x->slots[i].used = 1;
	return &x->slots[i];
}

/* The `match mac` line of r whose values are all exact, or NULL. */
static const struct pxe_matcher *exact_mac(const struct pxe_rule *r)
{
	const struct pxe_matcher *m = r->matchers;
	size_t i, k;

	for (i = 0; i < r->nmatchers; i++) {
		if (m[i].field != PXE_M_MAC)
			continue;
		for (k = 0; k < m[i].nvals && m[i].vals[k].mac_len == 6; k++)
			;
		if (k == m[i].nvals)
			return &m[i];
	}
	return NULL;
}

/* Two passes over the rules: count each MAC's rules, then place them (rules come in order: groups ascend). */
static int file_rules(struct pxe_config *cfg, struct pxe_index *x, size_t nentries)
{
	uint32_t next = 0;
	size_t r, k;

	for (r = 0; r < cfg->nrules; r++) {
		const struct pxe_matcher *m = exact_mac(&cfg->rules[r]);

		for (k = 0; m && k < m->nvals; k++)
			lookup(x, m->vals[k].mac, 1)->count++;
	}
	for (r = 0; r <= x->mask; r++)
		if (x->slots[r].used) {
			x->slots[r].first = next;
			next += x->slots[r].count;
			x->slots[r].count = 0;
		}
	x->own = malloc((nentries ? nentries : 1) * sizeof(*x->own));
	x->general = malloc((cfg->nrules ? cfg->nrules : 1) * sizeof(*x->general));
	if (!x->own || !x->general)
		return -ENOMEM;
	for (r = 0; r < cfg->nrules; r++) {
		const struct pxe_matcher *m = exact_mac(&cfg->rules[r]);

		if (!m)
			x->general[x->ngeneral++] = (uint32_t)r;
		for (k = 0; m && k < m->nvals; k++) {
			struct slot *s = lookup(x, m->vals[k].mac, 0);

			/* the same MAC twice on one line files the rule once */
			if (!s->count || x->own[s->first + s->count - 1] != r)
				x->own[s->first + s->count++] = (uint32_t)r;
		}
	}
	return 0;
}

int pxe_index_build(struct pxe_config *cfg)
{
	struct pxe_index *x = calloc(1, sizeof(*x));
	size_t nentries = 0, want, size = 16, r;
	int rc;

	if (!x)
		return -ENOMEM;
	for (r = 0; r < cfg->nrules; r++) {
		const struct pxe_matcher *m = exact_mac(&cfg->rules[r]);

		nentries += m ? m->nvals : 0;
	}
	want = 2 * (nentries + cfg->set.nreservations) + 1;
	while (size < want)
		size *= 2;
	x->mask = size - 1;
	x->slots = calloc(size, sizeof(*x->slots));
	rc = x->slots ? file_rules(cfg, x, nentries) : -ENOMEM;
	for (r = 0; !rc && r < cfg->set.nreservations; r++) {
		struct slot *s = lookup(x, cfg->set.reservations[r].mac, 1);

		if (!s->res)
			s->res = (uint32_t)r + 1;
	}
	cfg->rule_index = x;
	if (rc)
		pxe_index_free(cfg);
	return rc;
}

void pxe_index_free(struct pxe_config *cfg)
{
	struct pxe_index *x = cfg->rule_index;

	if (!x)
		return;
	free(x->slots);
	free(x->own);
	free(x->general);
	free(x);
	cfg->rule_index = NULL;
}

int pxe_index_candidates(const struct pxe_config *cfg, const struct pxe_facts *f, struct pxe_cands *ret)
{
	const struct pxe_index *x = cfg->rule_index;
	const struct slot *s;

	if (!x)
		return -ENOENT;
	s = f->has_mac ? lookup(x, f->mac, 0) : NULL;
	ret->own = s ? x->own + s->first : x->own;
	ret->nown = s ? s->count : 0;
	ret->general = x->general;
	ret->ngeneral = x->ngeneral;
	return 0;
}

const struct pxe_reservation *pxe_reservation_find(const struct pxe_config *cfg, const uint8_t mac[6])
{
	const struct pxe_index *x = cfg->rule_index;
	const struct slot *s;
	size_t i;

	if (x) {
		s = lookup(x, mac, 0);
		return s && s->res ? &cfg->set.reservations[s->res - 1] : NULL;
	}
	for (i = 0; i < cfg->set.nreservations; i++)
		if (!memcmp(cfg->set.reservations[i].mac, mac, 6))
			return &cfg->set.reservations[i];
	return NULL;
}
