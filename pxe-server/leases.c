/* leases.c: the address pool and the reservations (leases.h). The lease file is leases_file.c. */
#include "leases.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t mac_hash(const uint8_t mac[6])
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h;
}

static int in_pool(const struct pxe_leases *l, uint32_t ip)
{
	return l->n && ip >= l->first && ip <= l->last;
}

static int cmp_res_mac(const void *a, const void *b)
{
	return memcmp(((const struct pxe_reservation *)a)->mac, ((const struct pxe_reservation *)b)->mac, 6);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int reserved_ip(const struct pxe_leases *l, uint32_t ip)
{
	return l->nres && bsearch(&ip, l->res_ip, l->nres, sizeof(uint32_t), cmp_u32) != NULL;
}

const struct pxe_reservation *pxe_leases_reservation(const struct pxe_leases *l, const uint8_t mac[6])
{
	struct pxe_reservation key;

	if (!l->nres)
		return NULL;
	memcpy(key.mac, mac, 6);
	return bsearch(&key, l->res_mac, l->nres, sizeof(key), cmp_res_mac);
}

static int copy_reservations(struct pxe_leases *l, const struct pxe_reservation *res, size_t nres)
{
	size_t i;

	if (!nres)
		return 0;
	l->res_mac = malloc(nres * sizeof(*res));
	l->res_ip = malloc(nres * sizeof(uint32_t));
	if (!l->res_mac || !l->res_ip)
		return -ENOMEM;
	memcpy(l->res_mac, res, nres * sizeof(*res));
	qsort(l->res_mac, nres, sizeof(*res), cmp_res_mac);
	for (i = 0; i < nres; i++)
		l->res_ip[i] = res[i].ip;
	qsort(l->res_ip, nres, sizeof(uint32_t), cmp_u32);
	l->nres = nres;
	return 0;
}

static void exclude(struct pxe_leases *l, uint32_t server_ip, uint32_t netmask)
{
	uint32_t i, ip;

	for (i = 0; i < l->n; i++) {
		ip = l->first + i;
		if (ip == server_ip || reserved_ip(l, ip) ||
		    (netmask && netmask != 0xffffffffu && ((ip & ~netmask) == 0 || (ip & ~netmask) == ~netmask)))
			l->e[i].excluded = 1;
	}
}

int pxe_leases_new(uint32_t first, uint32_t last, uint32_t server_ip, uint32_t netmask,
		   const struct pxe_reservation *res, size_t nres, struct pxe_leases **ret, struct rh_err *err)
{
	struct pxe_leases *l;
	uint64_t n = 0;

	if (first || last) {
		if (!first || first > last)
			return rh_errf(err, -EINVAL, "dhcp: range %u.%u.%u.%u-%u.%u.%u.%u is empty", first >> 24,
				       first >> 16 & 255, first >> 8 & 255, first & 255, last >> 24, last >> 16 & 255,
				       last >> 8 & 255, last & 255);
		n = (uint64_t)last - first + 1;
		if (n > PXE_LEASE_POOL_MAX)
			return rh_errf(err, -EINVAL, "dhcp: range holds %llu addresses, at most %d",
				       (unsigned long long)n, PXE_LEASE_POOL_MAX);
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return rh_errf(err, -ENOMEM, "dhcp: out of memory for the pool");
	l->first = first;
	l->last = last;
	l->n = (uint32_t)n;
	for (l->nbucket = 64; l->nbucket < l->n; l->nbucket *= 2)
		;
	l->e = calloc(n ? n : 1, sizeof(*l->e));
	l->bucket = calloc(l->nbucket, sizeof(uint32_t));
	if (!l->e || !l->bucket || copy_reservations(l, res, nres) < 0) {
		pxe_leases_free(l);
		return rh_errf(err, -ENOMEM, "dhcp: out of memory for the pool");
	}
	exclude(l, server_ip, netmask);
	*ret = l;
	return 0;
}

void pxe_leases_free(struct pxe_leases *l)
{
	if (!l)
		return;
	free(l->e);
	free(l->bucket);
	free(l->res_mac);
	free(l->res_ip);
	free(l);
}

static int find_mac(const struct pxe_leases *l, const uint8_t mac[6])
{
	uint32_t i = l->bucket[mac_hash(mac) & (l->nbucket - 1)];

	for (; i; i = l->e[i - 1].next)
		if (!memcmp(l->e[i - 1].mac, mac, 6))
			return (int)(i - 1);
	return -1;
}

uint32_t pxe_leases_find(const struct pxe_leases *l, const uint8_t mac[6])
{
	int i = find_mac(l, mac);

	return i < 0 ? 0 : l->first + (uint32_t)i;
}

static void unlink_entry(struct pxe_leases *l, uint32_t idx)
{
	struct pxe_lease *e = &l->e[idx];
	uint32_t *p = &l->bucket[mac_hash(e->mac) & (l->nbucket - 1)];

	if (!e->used)
		return;
	while (*p && *p != idx + 1)
		p = &l->e[*p - 1].next;
	if (*p)
		*p = e->next;
	e->next = 0;
	e->used = 0;
	e->expires = 0;
	e->offer_until = 0;
	e->saved = 0;
}

/* Gives entry idx to mac: one entry per MAC, so mac's other entry (if any) is forgotten. */
static void set_mac(struct pxe_leases *l, uint32_t idx, const uint8_t mac[6])
{
	struct pxe_lease *e = &l->e[idx];
	int old = find_mac(l, mac);
	uint32_t *b;

	if (old == (int)idx)
		return;
	if (old >= 0)
		unlink_entry(l, (uint32_t)old);
	unlink_entry(l, idx);
	memcpy(e->mac, mac, 6);
	e->used = 1;
	e->declined = 0;
	b = &l->bucket[mac_hash(mac) & (l->nbucket - 1)];
	e->next = *b;
	*b = idx + 1;
}

static enum pxe_lease_state entry_state(const struct pxe_lease *e, int64_t now)
{
	if (e->excluded)
		return PXE_LEASE_EXCLUDED;
	if (e->declined && e->expires > now)
		return PXE_LEASE_DECLINED;
	if (!e->used)
		return PXE_LEASE_FREE;
	if (e->expires > now)
		return PXE_LEASE_BOUND;
	if (e->offer_until > now)
		return PXE_LEASE_OFFERED;
	return e->expires ? PXE_LEASE_EXPIRED : PXE_LEASE_FREE;
}

enum pxe_lease_state pxe_leases_state(const struct pxe_leases *l, uint32_t ip, int64_t now)
{
	if (!in_pool(l, ip))
		return PXE_LEASE_EXCLUDED;
	return entry_state(&l->e[ip - l->first], now);
}

int pxe_leases_pick(const struct pxe_leases *l, const uint8_t mac[6], uint32_t requested, int64_t now,
		    uint32_t *ret_ip)
{
	const struct pxe_reservation *r = pxe_leases_reservation(l, mac);
	int i = find_mac(l, mac), best = -1;
	uint32_t k;

	if (r) {
		*ret_ip = r->ip;
		return 0;
	}
	if (i >= 0 && entry_state(&l->e[i], now) != PXE_LEASE_EXCLUDED) {
		*ret_ip = l->first + (uint32_t)i;
		return 0;
	}
	if (in_pool(l, requested) && entry_state(&l->e[requested - l->first], now) == PXE_LEASE_FREE) {
		*ret_ip = requested;
		return 0;
	}
	for (k = 0; k < l->n; k++)
		if (entry_state(&l->e[k], now) == PXE_LEASE_FREE) {
			*ret_ip = l->first + k;
			return 0;
		}
	for (k = 0; k < l->n; k++)
		if (entry_state(&l->e[k], now) == PXE_LEASE_EXPIRED &&
		    (best < 0 || l->e[k].expires < l->e[best].expires))
			best = (int)k;
	if (best < 0)
		return -ENOSPC;
	*ret_ip = l->first + (uint32_t)best;
	return 0;
}

int pxe_leases_check(const struct pxe_leases *l, const uint8_t mac[6], uint32_t ip, int64_t now,
		     const char **why)
{
	const struct pxe_reservation *r = pxe_leases_reservation(l, mac);
	const struct pxe_lease *e;
	int mine;

	*why = "";
	if (r) {
		if (ip == r->ip)
			return 0;
		*why = "this host's reserved address is another";
		return -EACCES;
	}
	if (reserved_ip(l, ip)) {
		*why = "reserved for another host";
		return -EACCES;
	}
	if (!in_pool(l, ip)) {
		*why = "not in the pool";
		return -EACCES;
	}
	e = &l->e[ip - l->first];
	mine = find_mac(l, mac);
	switch (entry_state(e, now)) {
	case PXE_LEASE_EXCLUDED:
		*why = "not handed out";
		return -EACCES;
	case PXE_LEASE_DECLINED:
		*why = "declined by a client as in use";
		return -EACCES;
	case PXE_LEASE_BOUND:
	case PXE_LEASE_OFFERED:
		if (!memcmp(e->mac, mac, 6))
			return 0;
		*why = "leased to another host";
		return -EACCES;
	default:
		break;
	}
	if (mine >= 0 && (uint32_t)mine != ip - l->first &&
	    entry_state(&l->e[mine], now) != PXE_LEASE_EXPIRED) {
		*why = "this host holds another address";
		return -EACCES;
	}
	return 0;
}

/* The pool entry of ip given to mac, NULL for an address outside the pool or excluded from it (a reservation
 * lives in the configuration, not in the table). */
static struct pxe_lease *claim(struct pxe_leases *l, const uint8_t mac[6], uint32_t ip)
{
	uint32_t idx;

	if (!in_pool(l, ip) || l->e[ip - l->first].excluded)
		return NULL;
	idx = ip - l->first;
	if (!l->e[idx].used || memcmp(l->e[idx].mac, mac, 6))
		set_mac(l, idx, mac);
	return &l->e[idx];
}

void pxe_leases_offer(struct pxe_leases *l, const uint8_t mac[6], uint32_t ip, int64_t now)
{
	struct pxe_lease *e = claim(l, mac, ip);

	if (e)
		e->offer_until = now + PXE_LEASE_OFFER_HOLD;
}

void pxe_leases_unoffer(struct pxe_leases *l, const uint8_t mac[6], int64_t now)
{
	int i = find_mac(l, mac);

	if (i < 0 || l->e[i].offer_until <= now)
		return;
	l->e[i].offer_until = 0;
	if (!l->e[i].expires)
		unlink_entry(l, (uint32_t)i);
}

void pxe_leases_bind(struct pxe_leases *l, const uint8_t mac[6], uint32_t ip, int64_t now, unsigned seconds)
{
	struct pxe_lease *e = claim(l, mac, ip);

	if (!e)
		return;
	e->expires = now + (int64_t)seconds;
	e->offer_until = 0;
	if (e->saved <= now + (int64_t)seconds / 2)
		l->dirty = 1;
}

static int mine(const struct pxe_leases *l, const uint8_t mac[6], uint32_t ip)
{
	return in_pool(l, ip) && l->e[ip - l->first].used && !memcmp(l->e[ip - l->first].mac, mac, 6);
}

int pxe_leases_release(struct pxe_leases *l, const uint8_t mac[6], uint32_t ip, int64_t now)
{
	struct pxe_lease *e;

	if (!mine(l, mac, ip))
		return -ENOENT;
	e = &l->e[ip - l->first];
	e->offer_until = 0;
	if (!e->expires) {
		unlink_entry(l, ip - l->first);
		return 0;
	}
	if (e->expires > now)
		e->expires = now;
	l->dirty = 1;
	return 0;
}

int pxe_leases_decline(struct pxe_leases *l, const uint8_t mac[6], uint32_t ip, int64_t now)
{
	const struct pxe_reservation *r = pxe_leases_reservation(l, mac);
	uint32_t idx;

	if (r && r->ip == ip)
		return -EPERM;
	if (!mine(l, mac, ip))
		return -ENOENT;
	idx = ip - l->first;
	unlink_entry(l, idx);
	l->e[idx].declined = 1;
	l->e[idx].expires = now + PXE_LEASE_DECLINE_HOLD;
	l->dirty = 1;
	return 0;
}

unsigned pxe_leases_expire(struct pxe_leases *l, int64_t now)
{
	unsigned changed = 0;
	uint32_t i;

	for (i = 0; i < l->n; i++) {
		struct pxe_lease *e = &l->e[i];

		if (e->declined && e->expires <= now) {
			e->declined = 0;
			e->expires = 0;
			l->dirty = 1;
			changed++;
		} else if (e->used && e->offer_until && e->offer_until <= now) {
			e->offer_until = 0;
			if (!e->expires)
				unlink_entry(l, i);
			changed++;
		}
	}
	return changed;
}

void pxe_leases_copy(struct pxe_leases *l, const struct pxe_leases *from)
{
	uint32_t i, ip;

	for (i = 0; i < from->n; i++) {
		const struct pxe_lease *s = &from->e[i];

		ip = from->first + i;
		if (!in_pool(l, ip) || l->e[ip - l->first].excluded)
			continue;
		if (s->used && s->expires) {
			set_mac(l, ip - l->first, s->mac);
			l->e[ip - l->first].expires = s->expires;
			l->e[ip - l->first].offer_until = s->offer_until;
			l->e[ip - l->first].saved = s->saved;
		} else if (s->declined) {
			l->e[ip - l->first].declined = 1;
			l->e[ip - l->first].expires = s->expires;
		}
	}
	l->dirty = 1;
}

uint32_t pxe_leases_count_bound(const struct pxe_leases *l, int64_t now)
{
	uint32_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += entry_state(&l->e[i], now) == PXE_LEASE_BOUND;
	return n;
}
