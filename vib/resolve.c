/* resolve.c: VIB dependency resolution (see resolve.h).
 *
 * A depth-first search over "needs": the requests first, then every member's depends, in order. For the first
 * unmet need the candidates that meet it (by name and version, or by provides) are tried newest first; a
 * choice that leads to a conflict or to an unmet need further down is undone and the next one tried
 * (backtracking). The search is bounded (RESOLVE_MAX_STEPS) so a hostile depot cannot make it run forever.
 * The first failure met on the newest-first path is the one reported: it names the chain of VIBs that led to
 * the need. */
#include "resolve.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOLVE_MAX_STEPS 100000
#define CHAIN_MAX 512

struct member {
	const struct vib_cand *c;
	long idx;              /* index into cands, -1 for an installed one */
	char chain[CHAIN_MAX]; /* "hello 1.0-1 <- app 2.0 <- request 'app'" */
};

struct solver {
	const struct vib_cand *cands;
	size_t ncands;
	const struct vib_req *reqs;
	size_t nreqs;
	enum vib_level policy;
	unsigned long steps;
	struct rh_err first; /* the first failure met */
};



int vib_req_parse(const char *s, struct vib_req *ret, struct rh_err *err)
{
	struct vib_req r;
	size_t n, opn;
	const char *op, *ver;
	char opbuf[3];

	memset(&r, 0, sizeof(r));
	n = strcspn(s, "<>= \t");
	if (n < VIB_NAME_MAX)
		memcpy(r.name, s, n);
	if (n >= VIB_NAME_MAX || !vib_name_valid(r.name))
		return rh_errf(err, -EINVAL, "request '%.80s': '%.*s' is not a VIB name", s, (int)(n < 80 ? n : 80), s);
	op = s + n;
	while (*op == ' ' || *op == '\t')
		op++;
	if (!*op) {
		*ret = r;
		return 0;
	}
	opn = strspn(op, "<>=");
	if (opn == 0 || opn > 2)
		return rh_errf(err, -EINVAL, "request '%.80s': expected NAME, NAME=VERSION or NAME>=VERSION", s);
	memcpy(opbuf, op, opn);
	opbuf[opn] = '\0';
	if (vib_op_parse(opbuf, &r.op) < 0 || r.op == VIB_OP_ANY)
		return rh_errf(err, -EINVAL, "request '%.80s': unknown relation '%s' (<< <= = >= >>)", s, opbuf);
	for (ver = op + opn; *ver == ' ' || *ver == '\t'; ver++)
		;
	if (strlen(ver) >= VIB_VERSION_MAX || !vib_version_valid(ver))
		return rh_errf(err, -EINVAL, "request '%.80s': '%.80s' is not a valid version", s, ver);
	strcpy(r.version, ver);
	*ret = r;
	return 0;
}

/* Whether d provides a relation target: its own name and version, or one of its provides. */
static bool meets(const struct vib_desc *d, const char *name, enum vib_op op, const char *version)
{
	size_t i;

	if (!strcmp(d->name, name) && vib_version_satisfies(d->version, op, version))
		return true;
	for (i = 0; i < d->nprovides; i++) {
		const struct vib_rel *p = &d->provides[i];
		if (strcmp(p->name, name))
			continue;
		if (op == VIB_OP_ANY)
			return true;
		if (p->op == VIB_OP_EQ && vib_version_satisfies(p->version, op, version))
			return true;
	}
	return false;
}

/* Whether a depends is met by d: meets() or d replaces that name (any version). */
static bool satisfies_dep(const struct vib_desc *d, const struct vib_rel *r)
{
	size_t i;

	if (meets(d, r->name, r->op, r->version))
		return true;
	for (i = 0; i < d->nreplaces; i++)
		if (!strcmp(d->replaces[i].name, r->name))
			return true;
	return false;
}

static bool replaces(const struct vib_desc *a, const struct vib_desc *b)
{
	size_t i;

	for (i = 0; i < a->nreplaces; i++)
		if (!strcmp(a->replaces[i].name, b->name) &&
		    vib_version_satisfies(b->version, a->replaces[i].op, a->replaces[i].version))
			return true;
	return false;
}

/* The conflicts relation of a that b falls under, or NULL. */
static const struct vib_rel *conflicts(const struct vib_desc *a, const struct vib_desc *b)
{
	size_t i;

	for (i = 0; i < a->nconflicts; i++)
		if (meets(b, a->conflicts[i].name, a->conflicts[i].op, a->conflicts[i].version))
			return &a->conflicts[i];
	return NULL;
}

static void rel_str(char *buf, size_t cap, const char *name, enum vib_op op, const char *version)
{
	if (op == VIB_OP_ANY)
		snprintf(buf, cap, "%s", name);
	else
		snprintf(buf, cap, "%s %s %s", name, vib_op_str(op), version);
}

int vib_set_check(const struct vib_cand *set, size_t n, enum vib_level policy, struct rh_err *err)
{
	char rs[VIB_NAME_MAX + VIB_VERSION_MAX + 8];
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		const struct vib_desc *d = set[i].desc;
		if (set[i].level < policy)
			return rh_errf(err, -EPERM, "%s %s is %s, below the acceptance level %s", d->name, d->version,
				       vib_level_str(set[i].level), vib_level_str(policy));
		for (j = 0; j < n; j++) {
			const struct vib_rel *c;
			if (j == i)
				continue;
			if (j > i && !strcmp(d->name, set[j].desc->name))
				return rh_errf(err, -EDEADLK, "%s is there twice: %s and %s", d->name, d->version,
					       set[j].desc->version);
			c = conflicts(d, set[j].desc);
			if (c) {
				rel_str(rs, sizeof(rs), c->name, c->op, c->version);
				return rh_errf(err, -EDEADLK, "%s %s conflicts with %s (%s %s is there)", d->name,
					       d->version, rs, set[j].desc->name, set[j].desc->version);
			}
		}
		for (k = 0; k < d->ndepends; k++) {
			for (j = 0; j < n; j++)
				if (j != i && satisfies_dep(set[j].desc, &d->depends[k]))
					break;
			if (j == n) {
				rel_str(rs, sizeof(rs), d->depends[k].name, d->depends[k].op, d->depends[k].version);
				return rh_errf(err, -ENOENT, "%s %s depends on %s, which nothing in the set meets", d->name,
					       d->version, rs);
			}
		}
	}
	return 0;
}

/* The first need of the set that nothing meets: a request (r >= 0) or member m's depends d. Returns false when
 * every need is met. A request is met only by a member from the candidates (an installed VIB of that name is
 * upgraded or reinstalled, as asked). */
static bool first_unmet(const struct solver *s, const struct member *set, size_t n, long *ret_req, size_t *ret_m,
			size_t *ret_d)
{
	size_t i, j, k;

	for (i = 0; i < s->nreqs; i++) {
		for (j = 0; j < n; j++)
			if (set[j].idx >= 0 && !strcmp(set[j].c->desc->name, s->reqs[i].name) &&
			    vib_version_satisfies(set[j].c->desc->version, s->reqs[i].op, s->reqs[i].version))
				break;
		if (j == n) {
			*ret_req = (long)i;
			return true;
		}
	}
	for (i = 0; i < n; i++) {
		const struct vib_desc *d = set[i].c->desc;
		for (k = 0; k < d->ndepends; k++) {
			for (j = 0; j < n; j++)
				if (j != i && satisfies_dep(set[j].c->desc, &d->depends[k]))
					break;
			if (j == n) {
				*ret_req = -1;
				*ret_m = i;
				*ret_d = k;
				return true;
			}
		}
	}
	return false;
}

/* Candidates that meet (name, op, version), newest first, own name before provides; into out (cap ncands). */
static size_t matching(const struct solver *s, const char *name, enum vib_op op, const char *version, bool by_name,
		       size_t *out)
{
	size_t n = 0, i, j;

	for (i = 0; i < s->ncands; i++) {
		const struct vib_desc *d = s->cands[i].desc;
		if (by_name ? !(strcmp(d->name, name) == 0 && vib_version_satisfies(d->version, op, version))
			    : !meets(d, name, op, version))
			continue;
		/* insertion sort: exact name first, then newer version first, then index order */
		for (j = n; j > 0; j--) {
			const struct vib_desc *o = s->cands[out[j - 1]].desc;
			int oe = !strcmp(o->name, name), de = !strcmp(d->name, name);
			if (oe > de || (oe == de && vib_version_cmp(o->version, d->version) >= 0))
				break;
			out[j] = out[j - 1];
		}
		out[j] = i;
		n++;
	}
	return n;
}

/* What the candidates have of name, for "the candidates have libgreet 1.5-1 only". */
static void available(const struct solver *s, const char *name, char *buf, size_t cap)
{
	size_t i, len = 0, count = 0;

	buf[0] = '\0';
	for (i = 0; i < s->ncands && len < cap; i++) {
		const struct vib_desc *d = s->cands[i].desc;
		if (strcmp(d->name, name))
			continue;
		if (count == 6) {
			snprintf(buf + len, cap - len, ", ...");
			break;
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s%s %s", count ? ", " : "", d->name, d->version);
		count++;
	}
	if (len >= cap)
		buf[cap - 1] = '\0';
}

static int note(struct solver *s, int rc, const char *fmt, const char *a, const char *b)
{
	if (!s->first.rc)
		rh_errf(&s->first, rc, fmt, a, b);
	return rc;
}

/* Tries to add candidate ci to set[0..*n) (room for one more); 0 and the new set, or a failure noted. */
static int try_add(struct solver *s, struct member *set, size_t *n, size_t ci, const char *chain, bool request)
{
	const struct vib_cand *c = &s->cands[ci];
	const struct vib_desc *d = c->desc;
	char what[2 * CHAIN_MAX];
	const struct vib_rel *cr;
	size_t i, j;

	if (c->level < s->policy) {
		snprintf(what, sizeof(what), "%s %s is %s, below the acceptance level %s", d->name, d->version,
			 vib_level_str(c->level), vib_level_str(s->policy));
		return note(s, -EPERM, "%s (%s)", what, chain);
	}
	for (i = 0; i < *n; i++) {
		const struct vib_desc *o = set[i].c->desc;
		bool upgrade = request && set[i].idx < 0 && !strcmp(o->name, d->name);
		if (upgrade || replaces(d, o))
			continue;
		if (!strcmp(o->name, d->name)) {
			snprintf(what, sizeof(what), "%s %s cannot join the set: %s %s is already there (%s)", d->name,
				 d->version, o->name, o->version, set[i].chain);
			return note(s, -EDEADLK, "%s, needed by %s", what, chain);
		}
		if (replaces(o, d)) {
			snprintf(what, sizeof(what), "%s %s is replaced by %s %s (%s)", d->name, d->version, o->name,
				 o->version, set[i].chain);
			return note(s, -EDEADLK, "%s, needed by %s", what, chain);
		}
		cr = conflicts(d, o);
		if (cr) {
			char rs[VIB_NAME_MAX + VIB_VERSION_MAX + 8];
			rel_str(rs, sizeof(rs), cr->name, cr->op, cr->version);
			snprintf(what, sizeof(what), "%s %s (needed by %s) conflicts with %s, and %s %s is in the set",
				 d->name, d->version, chain, rs, o->name, o->version);
			return note(s, -EDEADLK, "%s (%s)", what, set[i].chain);
		}
		cr = conflicts(o, d);
		if (cr) {
			char rs[VIB_NAME_MAX + VIB_VERSION_MAX + 8];
			rel_str(rs, sizeof(rs), cr->name, cr->op, cr->version);
			snprintf(what, sizeof(what), "%s %s (%s) conflicts with %s, so %s %s cannot join the set",
				 o->name, o->version, set[i].chain, rs, d->name, d->version);
			return note(s, -EDEADLK, "%s (needed by %s)", what, chain);
		}
	}
	/* drop what d replaces or upgrades, then append d */
	for (i = 0, j = 0; i < *n; i++) {
		const struct vib_desc *o = set[i].c->desc;
		if (replaces(d, o) || (request && set[i].idx < 0 && !strcmp(o->name, d->name)))
			continue;
		if (j != i)
			set[j] = set[i];
		j++;
	}
	set[j].c = c;
	set[j].idx = (long)ci;
	/* a very long chain is cut short: it is only for messages */
	if (snprintf(set[j].chain, sizeof(set[j].chain), "%s %s <- %s", d->name, d->version, chain) < 0)
		set[j].chain[0] = '\0';
	*n = j + 1;
	return 0;
}

/* The search: 0 with set/n final, or a negative errno (the first failure is in s->first). */
static int solve(struct solver *s, struct member *set, size_t *n, size_t cap)
{
	char need[VIB_NAME_MAX + VIB_VERSION_MAX + 8], chain[CHAIN_MAX + 64], have[256];
	struct member *save;
	size_t *order, nm, i, m = 0, k = 0, saved_n = *n;
	long r = -1;
	int rc = -ENOENT;

	if (++s->steps > RESOLVE_MAX_STEPS)
		return note(s, -ELOOP, "%s%s: the dependency search gave up after too many combinations", "", "");
	if (!first_unmet(s, set, *n, &r, &m, &k))
		return 0;
	if (*n >= cap)
		return note(s, -ELOOP, "%s%s: the set grew past the number of candidates", "", "");
	order = malloc((s->ncands + 1) * sizeof(*order));
	save = malloc(cap * sizeof(*save));
	if (!order || !save) {
		free(order);
		free(save);
		return note(s, -ENOMEM, "%s%s: out of memory", "", "");
	}
	memcpy(save, set, *n * sizeof(*save));
	if (r >= 0) {
		const struct vib_req *q = &s->reqs[r];
		rel_str(need, sizeof(need), q->name, q->op, q->version);
		snprintf(chain, sizeof(chain), "request '%s'", need);
		nm = matching(s, q->name, q->op, q->version, true, order);
	} else {
		const struct vib_rel *d = &set[m].c->desc->depends[k];
		rel_str(need, sizeof(need), d->name, d->op, d->version);
		snprintf(chain, sizeof(chain), "%s", set[m].chain);
		nm = matching(s, d->name, d->op, d->version, false, order);
	}
	if (nm == 0) {
		char line[CHAIN_MAX + 128];
		available(s, r >= 0 ? s->reqs[r].name : set[m].c->desc->depends[k].name, have, sizeof(have));
		if (snprintf(line, sizeof(line), "%s needed by %s", need, chain) < 0)
			line[0] = '\0';
		if (have[0])
			rc = note(s, -ENOENT, "%s: the candidates have only %s", line, have);
		else
			rc = note(s, -ENOENT, "%s: %s", line, "no candidate has or provides it");
	}
	for (i = 0; i < nm; i++) {
		rc = try_add(s, set, n, order[i], chain, r >= 0);
		if (!rc) {
			rc = solve(s, set, n, cap);
			if (!rc || rc == -ENOMEM || rc == -ELOOP)
				break;
		}
		memcpy(set, save, saved_n * sizeof(*save));
		*n = saved_n;
	}
	free(order);
	free(save);
	return rc;
}

/* Dependency order: post-order depth-first over the depends edges among the picks. */
static void order_visit(const struct member *set, size_t n, size_t i, unsigned char *state, size_t *out, size_t *nout)
{
	size_t k, j;

	if (state[i])
		return;
	state[i] = 1;
	for (k = 0; k < set[i].c->desc->ndepends; k++)
		for (j = 0; j < n; j++)
			if (j != i && satisfies_dep(set[j].c->desc, &set[i].c->desc->depends[k])) {
				order_visit(set, n, j, state, out, nout);
				break;
			}
	if (set[i].idx >= 0)
		out[(*nout)++] = (size_t)set[i].idx;
}

int vib_resolve(const struct vib_cand *cands, size_t ncands, const struct vib_cand *installed, size_t ninstalled,
		const struct vib_req *reqs, size_t nreqs, enum vib_level policy, size_t **ret_pick, size_t *ret_n,
		struct rh_err *err)
{
	struct solver s = { cands, ncands, reqs, nreqs, policy, 0, { 0, "" } };
	struct vib_cand *flat = NULL;
	struct member *set = NULL;
	unsigned char *state = NULL;
	size_t cap = ncands + ninstalled + 1, n = 0, i, *pick = NULL, npick = 0;
	int rc;

	set = calloc(cap, sizeof(*set));
	flat = calloc(cap, sizeof(*flat));
	state = calloc(cap, 1);
	pick = calloc(cap, sizeof(*pick));
	if (!set || !flat || !state || !pick) {
		rc = rh_errf(err, -ENOMEM, "resolve: out of memory");
		goto out;
	}
	for (i = 0; i < ninstalled; i++) {
		set[n].c = &installed[i];
		set[n].idx = -1;
		snprintf(set[n].chain, sizeof(set[n].chain), "%s %s (installed)", installed[i].desc->name,
			 installed[i].desc->version);
		n++;
	}
	rc = solve(&s, set, &n, cap);
	if (rc) {
		rc = rh_errf(err, s.first.rc ? s.first.rc : rc, "%s", s.first.rc ? s.first.msg : "resolve failed");
		goto out;
	}
	for (i = 0; i < n; i++)
		flat[i] = *set[i].c;
	rc = vib_set_check(flat, n, policy, err);
	if (rc)
		goto out;
	for (i = 0; i < n; i++)
		order_visit(set, n, i, state, pick, &npick);
	*ret_pick = pick;
	*ret_n = npick;
	pick = NULL;
out:
	free(set);
	free(flat);
	free(state);
	free(pick);
	return rc;
}
