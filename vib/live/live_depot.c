/* live_depot.c: `vib install --depot URL NAME[=VER]` and `vib update --depot URL` — the VIBs a request needs,
 * resolved against the depot and the installed set, fetched (size and SHA-256 from the index) into the live
 * tmpfs and installed one by one with live_install(). Owns the depot and the fetched files until it returns.
 * Each VIB of the result is the transaction `vib-depot` (fetch, check, remove, install: no undo, see
 * live_depot.h). */
#include "live_depot.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vib/depot.h"
#include "fileio.h"
#include "fs.h"
#include "live.h"
#include "vib/resolve.h"
#include "vib/sig.h"
#include "vib/version.h"
#include "vib/vibdb.h"
#include "vib/vibfile.h"

#define CACHE LIVE_DIR "/depot-cache"

static int installed_cands(const struct vibdb *db, struct vib_cand **ret, struct rh_err *err)
{
	size_t i;

	*ret = calloc(db->n + 1, sizeof(**ret));
	if (!*ret)
		return rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; i < db->n; i++) {
		(*ret)[i].desc = &db->v[i].desc;
		(*ret)[i].level = db->v[i].level;
		(*ret)[i].origin = "installed";
	}
	return 0;
}

static const struct vibdb_entry *find_installed(const struct vibdb *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		if (!strcmp(db->v[i].desc.name, name))
			return &db->v[i];
	return NULL;
}

/* An update removes the installed version before it installs the new one (their payloads share names), so
 * everything that can be checked of the new VIB is checked first: its signature against the host's trust
 * store and level, every payload hash, and that it may be installed live. A bad download, a bad signature or
 * a non-live VIB then leaves the installed version in place. */
static int update_precheck(const char *path, const struct live_opts *o, struct rh_err *err)
{
	struct vib_file *v = calloc(1, sizeof(*v));
	struct vib_trust trust;
	enum vib_level policy, level;
	int rc;

	if (!v)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = vib_host_level(&policy, err);
	if (rc == 0)
		rc = vib_host_trust(&trust, err);
	if (rc == 0)
		rc = vib_open(path, v, err);
	if (rc < 0)
		goto out;
	rc = vib_check(v, trust.dirs, NULL, o->no_sig_check, &level, err);
	if (rc == 0)
		rc = vib_level_check(v->desc.name, level, policy, err);
	if (!rc && !v->desc.live_install_allowed && !o->reboot_required)
		rc = rh_errf(err, -EPERM, "%s %s cannot be installed live (live-install-allowed is false): "
					  "the installed version is kept; update with --reboot-required",
			     v->desc.name, v->desc.version);
	vib_close(v);
out:
	free(v);
	return rc;
}

/* A depot run: the depot, the installed set, the resolved picks, and the VIB being done. */
struct depot_run {
	const struct live_opts *o;
	struct live_opts lo;          /* o, with the dry run's assumed VIBs */
	live_depot_cb cb;
	void *cbctx;
	struct rh_err *err;           /* the steps report here, with their own messages */
	struct depot d;
	struct vibdb db;
	struct vib_cand *cands, *inst;
	size_t ncands;
	struct vib_req *reqs;
	size_t nreqs, *pick, npick;
	enum vib_level policy;
	const struct vib_desc **assume;
	char cache[PATH_MAX];
	/* the VIB being done */
	const struct vib_desc *want;
	const struct vibdb_entry *have;
	const struct depot_vib *dv;
	char path[PATH_MAX];
	struct live_result r;
};

/* The host level, the depot, the installed set and the requests: the named one, or for an update every
 * installed VIB the depot has (newest available). */
static int depot_setup(struct depot_run *c, const char *url, const char *request)
{
	size_t i, k;
	int rc;

	if (c->o->dry_run) {   /* nothing under /run: the fetched VIBs go to a private directory under $TMPDIR */
		rc = fs_work_dir(NULL, "ramhost-vib-depot", c->cache, sizeof(c->cache), c->err);
		if (rc < 0)
			return rc;
	}
	rc = vib_host_level(&c->policy, c->err);
	if (rc == 0)
		rc = depot_load(url, &c->d, c->err);
	if (rc == 0)
		rc = depot_cands(&c->d, &c->cands, &c->ncands, c->err);
	if (rc == 0)
		rc = vibdb_load(live_vibdb_dir(), &c->db, c->err);
	if (rc == 0)
		rc = installed_cands(&c->db, &c->inst, c->err);
	if (rc < 0)
		return rc;
	c->reqs = calloc(c->db.n + 1, sizeof(*c->reqs));
	c->assume = calloc(c->ncands + 1, sizeof(*c->assume));
	c->lo.assume = c->assume;
	if (!c->reqs || !c->assume)
		return rh_errf(c->err, -ENOMEM, "out of memory");
	if (request)
		return vib_req_parse(request, &c->reqs[c->nreqs++], c->err);
	for (i = 0; i < c->db.n; i++) {
		for (k = 0; k < c->ncands && strcmp(c->cands[k].desc->name, c->db.v[i].desc.name); k++)
			;
		if (k < c->ncands)
			snprintf(c->reqs[c->nreqs++].name, VIB_NAME_MAX, "%s", c->db.v[i].desc.name);
	}
	return 0;
}

/* The VIB fetched from the depot into the cache (size and SHA-256 from the index). */
static int fetch_run(void *ctx, struct rh_err *loop_err)
{
	struct depot_run *c = ctx;
	struct fetch_opts fo = { 0, 0, c->dv->size, 1, 1 };
	int rc;

	(void)loop_err;   /* reports on c->err */
	rc = rh_mkdir_p(c->cache, 0700, c->err);
	if (rc < 0)
		return rc;
	return depot_fetch_vib(&c->d, c->dv, c->cache, &fo, c->path, sizeof(c->path), c->err);
}

/* An update: the new version checked as far as it can be before the old one goes. */
static int check_run(void *ctx, struct rh_err *loop_err)
{
	struct depot_run *c = ctx;
	int rc;

	(void)loop_err;
	if (!c->have || c->o->dry_run)
		return 0;
	rc = update_precheck(c->path, c->o, c->err);
	if (rc < 0)
		rh_err_append(c->err, rc, "%s %s stays installed", c->have->desc.name, c->have->desc.version);
	return rc;
}

/* An update: the installed version removed (their payloads share names). */
static int remove_run(void *ctx, struct rh_err *loop_err)
{
	struct depot_run *c = ctx;
	int rc;

	(void)loop_err;
	if (!c->have || c->o->dry_run)
		return 0;
	rc = live_remove(c->have->desc.name, c->o, &c->r, c->err);
	if (rc < 0)
		return rc;
	if (c->cb)
		c->cb(c->cbctx, "removed", &c->r);
	return 0;
}

/* The VIB installed (live_install: all or nothing); its fetched file deleted either way. */
static int install_run(void *ctx, struct rh_err *loop_err)
{
	struct depot_run *c = ctx;
	size_t n = strlen(c->cache);
	int rc;

	(void)loop_err;
	rc = live_install(c->path, &c->lo, &c->r, c->err);
	if (!strncmp(c->path, c->cache, n) && c->path[n] == '/')
		unlink(c->path);
	if (rc < 0) {
		if (c->have)
			rh_err_append(c->err, rc, "%s %s was removed first and is not installed now",
				      c->have->desc.name, c->have->desc.version);
		return rc;
	}
	if (c->o->dry_run)   /* the next ones are checked as if this one were there */
		c->assume[c->lo.nassume++] = c->want;
	if (c->cb)
		c->cb(c->cbctx, "installed", &c->r);
	return 0;
}

/* One VIB of a depot run. No undo: an update whose install fails after the remove says that the old
 * version is gone (docs/vib-live.md); the VIBs done before stay. */
static const struct step depot_steps[] = {
	{ "fetch", fetch_run, NULL },
	{ "check", check_run, NULL },
	{ "remove", remove_run, NULL },
	{ "install", install_run, NULL },
};

/* Each picked VIB that is missing or newer than the installed one, in dependency order. */
static int depot_apply(struct depot_run *c)
{
	const struct steps t = { "vib-depot", depot_steps, sizeof(depot_steps) / sizeof(depot_steps[0]), NULL,
				 NULL };
	size_t i, done = 0;
	int rc;

	for (i = 0; i < c->npick; i++) {
		c->want = c->cands[c->pick[i]].desc;
		c->have = find_installed(&c->db, c->want->name);
		c->dv = depot_vib_of(&c->d, c->want);
		if (c->have && vib_version_cmp(c->have->desc.version, c->want->version) >= 0)
			continue;   /* already there, and never a downgrade */
		if (!c->dv)
			return rh_errf(c->err, -ENOENT, "%s %s: not in the depot index", c->want->name,
				       c->want->version);
		rc = steps_run(&t, c, NULL, c->err);
		if (rc < 0)
			return rc;
		done++;
	}
	if (!done && c->cb)
		c->cb(c->cbctx, "up-to-date", NULL);
	return 0;
}

int live_depot_run(const char *url, const char *request, const struct live_opts *o, live_depot_cb cb, void *ctx,
		   struct rh_err *err)
{
	struct depot_run *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return rh_errf(err, -ENOMEM, "out of memory");
	c->o = o;
	c->lo = *o;
	c->cb = cb;
	c->cbctx = ctx;
	c->err = err;
	snprintf(c->cache, sizeof(c->cache), "%s", CACHE);
	rc = depot_setup(c, url, request);
	if (rc == 0)
		rc = vib_resolve(c->cands, c->ncands, c->inst, c->db.n, c->reqs, c->nreqs, c->policy, &c->pick,
				 &c->npick, err);
	if (rc == 0)
		rc = depot_apply(c);
	if (o->dry_run && c->cache[0])
		rmdir(c->cache);
	free(c->pick);
	free(c->assume);
	free(c->reqs);
	free(c->inst);
	free(c->cands);
	vibdb_free(&c->db);
	depot_free(&c->d);
	free(c);
	return rc;
}
