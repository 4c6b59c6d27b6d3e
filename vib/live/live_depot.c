/* live_depot.c: `vib install --depot URL NAME[=VER]` and `vib update --depot URL` — the VIBs a request needs,
 * resolved against the depot and the installed set, fetched (size and SHA-256 from the index) into the live
 * tmpfs and installed one by one with live_install(). Owns the depot and the fetched files until it returns. */
#include "live_depot.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vib/depot.h"
#include "fileio.h"
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

/* Fetches depot VIB dv into the cache; path gets the local file. */
static int fetch_one(const struct depot *d, const struct depot_vib *dv, const char *cache, char *path, size_t cap,
		     struct rh_err *err)
{
	struct fetch_opts fo = { 0, 0, dv->size, 1, 1 };
	int rc = rh_mkdir_p(cache, 0700, err);

	return rc ?: depot_fetch_vib(d, dv, cache, &fo, path, cap, err);
}


/* Adds a note about the installed version to the message already in err (rh_errf keeps the first error only,
 * so the note cannot go through it). */
static void note_installed(struct rh_err *err, const struct vibdb_entry *have, const char *what)
{
	size_t n;

	if (!err)
		return;
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, " (%s %s %s)", have->desc.name, have->desc.version, what);
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
	rc = rc ?: vib_host_trust(&trust, err);
	rc = rc ?: vib_open(path, v, err);
	if (rc == 0) {
		rc = vib_check(v, trust.dirs, NULL, o->no_sig_check, &level, err);
		rc = rc ?: vib_level_check(v->desc.name, level, policy, err);
		if (!rc && !v->desc.live_install_allowed && !o->reboot_required)
			rc = rh_errf(err, -EPERM, "%s %s cannot be installed live (live-install-allowed is false): "
						  "the installed version is kept; update with --reboot-required",
				     v->desc.name, v->desc.version);
		vib_close(v);
	}
	free(v);
	return rc;
}

int live_depot_run(const char *url, const char *request, const struct live_opts *o, live_depot_cb cb, void *ctx,
		   struct rh_err *err)
{
	struct depot d;
	struct vibdb db = { NULL, 0 };
	struct vib_cand *cands = NULL, *inst = NULL;
	struct vib_req *reqs = NULL;
	size_t ncands = 0, nreqs = 0, *pick = NULL, npick = 0, i;
	enum vib_level policy;
	char path[PATH_MAX], cache[PATH_MAX] = CACHE;
	const struct vib_desc **assume = NULL;
	struct live_opts lo = *o;
	int rc, done = 0;

	memset(&d, 0, sizeof(d));
	if (o->dry_run) {   /* nothing under /run: the fetched VIBs go to a private directory under $TMPDIR */
		const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(cache, sizeof(cache), "%.3900s/ramhost-vib-depot.XXXXXX", tmp);
		if (!mkdtemp(cache))
			return rh_errf(err, -errno, "mkdtemp %s: %s", cache, strerror(errno));
	}
	rc = vib_host_level(&policy, err);
	rc = rc ?: depot_load(url, &d, err);
	if (rc < 0)
		return rc;
	rc = depot_cands(&d, &cands, &ncands, err);
	rc = rc ?: vibdb_load(live_vibdb_dir(), &db, err);
	rc = rc ?: installed_cands(&db, &inst, err);
	if (rc < 0)
		goto out;
	reqs = calloc(db.n + 1, sizeof(*reqs));
	assume = calloc(ncands + 1, sizeof(*assume));
	lo.assume = assume;
	if (!reqs || !assume) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (request) {
		rc = vib_req_parse(request, &reqs[nreqs++], err);
	} else {   /* update: every installed VIB the depot has, newest available */
		for (i = 0; i < db.n; i++) {
			size_t k;
			for (k = 0; k < ncands && strcmp(cands[k].desc->name, db.v[i].desc.name); k++)
				;
			if (k < ncands)
				snprintf(reqs[nreqs++].name, VIB_NAME_MAX, "%s", db.v[i].desc.name);
		}
	}
	rc = rc ?: vib_resolve(cands, ncands, inst, db.n, reqs, nreqs, policy, &pick, &npick, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < npick && !rc; i++) {
		const struct vib_desc *want = cands[pick[i]].desc;
		const struct vibdb_entry *have = find_installed(&db, want->name);
		const struct depot_vib *dv = depot_vib_of(&d, want);
		struct live_result r;

		if (have && !vib_version_cmp(have->desc.version, want->version))
			continue;   /* already there */
		if (have && vib_version_cmp(have->desc.version, want->version) > 0)
			continue;   /* never downgrade */
		if (!dv) {
			rc = rh_errf(err, -ENOENT, "%s %s: not in the depot index", want->name, want->version);
			break;
		}
		rc = fetch_one(&d, dv, cache, path, sizeof(path), err);
		if (rc < 0)
			break;
		if (have && !o->dry_run) {
			rc = update_precheck(path, o, err);
			if (rc < 0) {
				note_installed(err, have, "stays installed");
				break;
			}
			rc = live_remove(have->desc.name, o, &r, err);
			if (rc < 0)
				break;
			if (cb)
				cb(ctx, "removed", &r);
		}
		rc = live_install(path, &lo, &r, err);
		if (!strncmp(path, cache, strlen(cache)) && path[strlen(cache)] == '/')
			unlink(path);
		if (rc < 0) {
			if (have)
				note_installed(err, have, "was removed first and is not installed now");
			break;
		}
		done++;
		if (o->dry_run)   /* the next ones are checked as if this one were there */
			assume[lo.nassume++] = want;
		if (cb)
			cb(ctx, "installed", &r);
	}
	if (!rc && !done && cb)
		cb(ctx, "up-to-date", NULL);
out:
	if (o->dry_run)
		rmdir(cache);
	free(pick);
	free(assume);
	free(reqs);
	free(inst);
	free(cands);
	vibdb_free(&db);
	depot_free(&d);
	return rc;
}
