/* vib_image.c: a profile's VIBs as bootbank modules (see vib_image.h). */
#include "vib_image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cpio.h"
#include "fileio.h"
#include "fs.h"
#include "modcache.h"
#include "tmpreg.h"
#include "sha256.h"
#include "vib/depot.h"
#include "vib/descriptor.h"
#include "vib/resolve.h"
#include "vib/sig.h"
#include "vib/vibdb.h"
#include "vib/vibfile.h"

#define VIB_IMAGE_CACHE_DAYS 30 /* a cached payload module unused this long is removed */

/* The resolved plan (vib_image.h): what vib_image_resolve found and checked, kept for vib_image_add. */
struct vib_image_plan {
	const struct profile *p;
	const char *dir;             /* vib_image_add: the bootbank being written */
	struct bootcfg *cfg;         /* vib_image_add: its boot.cfg */
	const struct vib_image_opts *o;
	struct rh_err *err;
	struct depot *depots;        /* p->ndepots of them */
	struct vib_cand *cands;      /* every depot's VIBs, in depot order */
	size_t ncands;
	size_t *cand_depot;          /* which depot each candidate comes from */
	struct vib_req *reqs;
	size_t nreqs;
	enum vib_level policy;
	const char *policy_from;     /* "the profile", "depot image profile 'x'", "the default" */
	struct vib_trust host_trust;
	const char *trust[VIB_TRUST_DIRS_MAX + 2];
	size_t *pick;                /* the resolved VIBs (indexes into cands), in install order */
	size_t npick;
	struct vib_file **vfs;       /* npick of them, fetched, opened and checked */
	enum vib_level *levels;      /* the level each VIB's signature gives it */
	enum vib_level image_level;  /* the lowest of levels (certified when there are none) */
	char cache[PATH_MAX];        /* wrapped payload modules by SHA-256 ("" when there is no cache dir) */
	struct timespec t0;          /* start of vib_image_add, for the progress line */
};

static void say(const struct vib_image_plan *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct vib_image_plan *v, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!v->o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->o->progress(v->o->progress_ctx, line);
}

/* Notes in cand_depot that the candidates from index `from` on come from depot d. */
static int note_cand_depot(struct vib_image_plan *v, size_t from, unsigned d)
{
	size_t *nd = realloc(v->cand_depot, (v->ncands + 1) * sizeof(*nd));
	size_t j;

	if (!nd)
		return rh_errf(v->err, -ENOMEM, "out of memory");
	v->cand_depot = nd;
	for (j = from; j < v->ncands; j++)
		v->cand_depot[j] = d;
	return 0;
}

/* Loads every depot and collects the candidates. */
static int load_depots(struct vib_image_plan *v)
{
	unsigned i;
	size_t before;
	int rc;

	v->depots = calloc(v->p->ndepots ? v->p->ndepots : 1, sizeof(*v->depots));
	if (!v->depots)
		return rh_errf(v->err, -ENOMEM, "out of memory");
	for (i = 0; i < v->p->ndepots; i++) {
		rc = depot_load(v->p->depots[i], &v->depots[i], v->err);
		if (rc)
			return rc;
		before = v->ncands;
		rc = depot_cands(&v->depots[i], &v->cands, &v->ncands, v->err);
		if (rc)
			return rc;
		rc = note_cand_depot(v, before, i);
		if (rc)
			return rc;
	}
	return 0;
}

/* One progress line per depot, as the bootbank gets its VIB modules. */
static void say_depots(const struct vib_image_plan *v)
{
	unsigned i;

	for (i = 0; i < v->p->ndepots; i++)
		say(v, "depot          %s: %zu VIBs, %zu image profiles", v->p->depots[i], v->depots[i].nvibs,
		    v->depots[i].nprofiles);
}

/* The depot image profile the profile names (image-profile =), NULL when it names none. */
static int find_depot_profile(const struct vib_image_plan *v, const struct depot_profile **ret)
{
	const struct profile *p = v->p;
	unsigned d;
	size_t i;

	*ret = NULL;
	if (!p->image_profile[0])
		return 0;
	for (d = 0; d < p->ndepots; d++)
		for (i = 0; i < v->depots[d].nprofiles; i++)
			if (!strcmp(v->depots[d].profiles[i].name, p->image_profile)) {
				*ret = &v->depots[d].profiles[i];
				return 0;
			}
	return rh_errf(v->err, -ENOENT, "image-profile '%s': no depot of the profile has it", p->image_profile);
}

/* The requests: the profile's vib lines, then the depot image profile's (a name the profile asks for itself
 * is taken from the profile); and the policy. */
static int collect_requests(struct vib_image_plan *v)
{
	const struct profile *p = v->p;
	const struct depot_profile *dp;
	size_t i, j, n = p->nvibs;
	int rc;

	rc = find_depot_profile(v, &dp);
	if (rc)
		return rc;
	v->reqs = calloc(n + (dp ? dp->nvibs : 0) + 1, sizeof(*v->reqs));
	if (!v->reqs)
		return rh_errf(v->err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (vib_req_parse(p->vibs[i], &v->reqs[v->nreqs++], v->err) < 0)
			return v->err->rc;
	for (i = 0; dp && i < dp->nvibs; i++) {
		for (j = 0; j < n && strcmp(v->reqs[j].name, dp->vibs[i].name); j++)
			;
		if (j == n)
			v->reqs[v->nreqs++] = dp->vibs[i];
	}
	v->policy = VIB_LEVEL_DEFAULT_POLICY;
	v->policy_from = "the default";
	if (p->acceptance[0]) {
		if (vib_level_parse(p->acceptance, &v->policy) < 0)
			v->policy = VIB_LEVEL_COMMUNITY; /* profile_parse accepts only the four names */
		v->policy_from = "the profile";
	} else if (dp) {
		v->policy = dp->acceptance;
		v->policy_from = "the depot image profile";
	}
	return 0;
}

static int setup_trust(struct vib_image_plan *v)
{
	size_t n = 0, i;
	int rc = vib_host_trust(&v->host_trust, v->err);

	if (rc)
		return rc;
	if (v->p->trust[0])
		v->trust[n++] = v->p->trust;
	for (i = 0; v->host_trust.dirs[i] && n < VIB_TRUST_DIRS_MAX + 1; i++)
		v->trust[n++] = v->host_trust.dirs[i];
	v->trust[n] = NULL;
	return 0;
}

/* Appends dir/name to cfg->modules with its SHA-256. */
static int add_module(struct vib_image_plan *v, const char *name, uint64_t *ret_size)
{
	struct bootcfg_file *f;
	char path[PATH_MAX];
	int rc;

	if (v->cfg->nmodules == BOOTCFG_MAX_MODULES)
		return rh_errf(v->err, -E2BIG, "%s: more than %d boot modules", name, BOOTCFG_MAX_MODULES);
	f = &v->cfg->modules[v->cfg->nmodules];
	if (strlen(name) >= sizeof(f->name))
		return rh_errf(v->err, -ENAMETOOLONG, "module name %s too long", name);
	rc = fs_join(path, sizeof(path), v->dir, name, v->err);
	if (rc)
		return rc;
	rc = fs_sha256_file(path, f->sha256, ret_size, v->err);
	if (rc)
		return rc;
	strcpy(f->name, name);
	f->has_sha256 = 1;
	v->cfg->nmodules++;
	return 0;
}

/* Writes the canonical module of payload i of vf to out (by a temporary file and rename). */
static int wrap_payload(struct vib_image_plan *v, const struct vib_file *vf, size_t i, const char *file,
			const char *out)
{
	char tmp[PATH_MAX];
	int in = -1, fd = -1, rc;

	rc = fs_tmp_beside(out, tmp, sizeof(tmp), &fd, v->err);
	if (rc)
		return rc;
	in = -1;
	rc = rh_open_input(vf->path, &in, v->err);
	if (!rc && lseek(in, (off_t)vf->payload_member[i].offset, SEEK_SET) < 0)
		rc = rh_errf(v->err, -errno, "%s: %s", vf->path, strerror(errno));
	if (!rc)
		rc = cpio_wrap_file(fd, "tardisks", file, in, vf->payload_member[i].size, v->err);
	if (in >= 0)
		close(in);
	close(fd);
	if (!rc)
		rc = fs_install_file(tmp, out, v->err);
	if (rc)
		unlink(tmp);
	return rc;
}

/* Uses the cached module `cached` for out when it is intact (modcache.h), then adds it to boot.cfg. 1 when used,
 * 0 when not, negative on a failure of the bootbank itself. */
static int use_cached(struct vib_image_plan *v, const char *cached, const char *file, const char *out)
{
	uint8_t sha[SHA256_DIGEST_LEN];
	uint64_t size;
	int rc;

	if (!modcache_take(cached, out, sha))
		return 0;
	rc = add_module(v, file, &size);
	return rc ? rc : 1;
}

/* PAYLOAD.tdk into the bootbank: from the cache when it holds this payload intact (same checked SHA-256, same
 * name), else wrapped from the VIB (and then stored in the cache). */
static int add_payload(struct vib_image_plan *v, const struct vib_file *vf, size_t i, int *ret_cached)
{
	const struct vib_payload *pl = &vf->desc.payloads[i];
	char file[VIB_NAME_MAX + 8], out[PATH_MAX], cached[PATH_MAX], hex[SHA256_HEX_LEN + 1];
	uint64_t size;
	int rc;

	vib_payload_module_name(pl, file, sizeof(file));
	rc = fs_join(out, sizeof(out), v->dir, file, v->err);
	if (rc)
		return rc;
	*ret_cached = 0;
	sha256_to_hex(vib_payload_checked_sha256(pl), hex);   /* the checksum vib_check proved */
	if (v->cache[0] && (size_t)snprintf(cached, sizeof(cached), "%s/%s-%s", v->cache, hex, file) < sizeof(cached)) {
		rc = use_cached(v, cached, file, out);
		if (rc < 0)
			return rc;
		if (rc) {
			*ret_cached = 1;
			return 0;
		}
	} else {
		cached[0] = '\0';
	}
	rc = wrap_payload(v, vf, i, file, out);
	if (rc)
		return rc;
	rc = add_module(v, file, &size);
	if (!rc && cached[0] && v->cache[0])
		modcache_store(out, v->cfg->modules[v->cfg->nmodules - 1].sha256, cached);
	return rc;
}


/* The payload names seen so far and the VIB each belongs to, to refuse a name used twice. */
struct payload_names {
	char (*names)[VIB_NAME_MAX];
	char (*owners)[VIB_NAME_MAX];
	size_t n;
};

static int payload_names_init(struct vib_image_plan *v, struct payload_names *pn)
{
	pn->n = 0;
	pn->names = calloc(VIB_LIST_MAX * (v->npick + 1), VIB_NAME_MAX);
	pn->owners = calloc(VIB_LIST_MAX * (v->npick + 1), VIB_NAME_MAX);
	if (!pn->names || !pn->owners)
		return rh_errf(v->err, -ENOMEM, "out of memory");
	return 0;
}

static void payload_names_free(struct payload_names *pn)
{
	free(pn->names);
	free(pn->owners);
}

/* Whether payload `name` of VIB `vib` is free: not base, not the ramhost layer, not a profile tardisk, not an
 * earlier payload; if so it is noted in pn. */
static int payload_name_take(struct vib_image_plan *v, const char *vib, const char *name, struct payload_names *pn)
{
	unsigned i;

	if (!strcmp(name, "base") || !strcmp(name, PROFILE_RAMHOST_LAYER))
		return rh_errf(v->err, -EEXIST, "VIB %s: payload '%s' has the name of the image's own %s.tdk", vib, name,
			       name);
	for (i = 0; i < v->p->ntardisks; i++)
		if (!strcmp(v->p->tardisks[i].name, name))
			return rh_errf(v->err, -EEXIST, "VIB %s: payload '%s' has the name of the profile's tardisk "
							"%s.tdk", vib, name, name);
	for (i = 0; i < pn->n; i++)
		if (!strcmp(pn->names[i], name))
			return rh_errf(v->err, -EEXIST, "VIB %s: payload '%s' is also a payload of VIB %s (two VIBs "
							"with the same payload name are refused)", vib, name, pn->owners[i]);
	strcpy(pn->names[pn->n], name);
	strcpy(pn->owners[pn->n++], vib);
	return 0;
}

/* vibs.cpio: the picked VIBs' database entries, the acceptance, the trust store, the image level. */
static int write_vibs_cpio(struct vib_image_plan *v)
{
	struct vibdb db = { NULL, 0 };
	struct vibdb_cpio_extra x = { 0 };
	const char *image_level = v->npick ? vib_level_str(v->image_level) : NULL;
	char out[PATH_MAX], tmp[PATH_MAX];
	struct timespec t1;
	uint64_t size;
	size_t i;
	int fd = -1, rc;

	db.v = calloc(v->npick + 1, sizeof(*db.v));
	if (!db.v)
		return rh_errf(v->err, -ENOMEM, "out of memory");
	for (i = 0; i < v->npick; i++) {
		const struct vib_file *vf = v->vfs[i];
		db.v[i].desc = vf->desc; /* borrowed: freed by vib_close, never by vibdb_free */
		db.v[i].xml = (char *)(vf->map + vf->desc_member.offset);
		db.v[i].xml_len = vf->desc_member.size;
		db.v[i].sig = vf->sig_member.size ? (void *)(vf->map + vf->sig_member.offset) : NULL;
		db.v[i].sig_len = vf->sig_member.size;
		db.v[i].level = v->levels[i];
	}
	db.n = v->npick;
	x.acceptance = v->p->acceptance[0] ? v->p->acceptance : NULL;
	x.trust_dir = v->p->trust[0] ? v->p->trust : NULL;
	rc = fs_join(out, sizeof(out), v->dir, VIBDB_MODULE, v->err);
	if (!rc)
		rc = fs_tmp_beside(out, tmp, sizeof(tmp), &fd, v->err);
	if (!rc)
		rc = vibdb_write_cpio_image(&db, &x, image_level, fd, out, v->err);
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = fs_install_file(tmp, out, v->err);
	if (rc && fd >= 0)
		unlink(tmp);
	free(db.v);
	if (rc)
		return rc;
	rc = add_module(v, VIBDB_MODULE, &size);
	if (rc)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	say(v, "%-14s %zu VIBs, image level %s, policy %s (%s)%s%s, VIB modules in %.2f s", VIBDB_MODULE, v->npick,
	    image_level ? image_level : "-", vib_level_str(v->policy), v->policy_from,
	    v->p->trust[0] ? ", trust store " : "", v->p->trust,
	    (double)(t1.tv_sec - v->t0.tv_sec) + (double)(t1.tv_nsec - v->t0.tv_nsec) / 1e9);
	return 0;
}

/* The depot entry of picked VIB i. */
static const struct depot_vib *pick_entry(const struct vib_image_plan *v, size_t i)
{
	return depot_vib_of(&v->depots[v->cand_depot[v->pick[i]]], v->cands[v->pick[i]].desc);
}

/* Fetches and opens picked VIB i into v->vfs[i] and checks it: the one the index names, its signature against
 * the trust store, its level against the policy. */
static int fetch_and_check(struct vib_image_plan *v, size_t i, const char *dl)
{
	const struct depot *d = &v->depots[v->cand_depot[v->pick[i]]];
	const struct depot_vib *dv = pick_entry(v, i);
	char path[PATH_MAX];
	int rc;

	if (!dv)
		return rh_errf(v->err, -EINVAL, "internal: candidate %zu has no depot entry", v->pick[i]);
	rc = depot_fetch_vib(d, dv, dl, NULL, path, sizeof(path), v->err);
	if (rc)
		return rc;
	v->vfs[i] = calloc(1, sizeof(*v->vfs[i]));
	if (!v->vfs[i])
		return rh_errf(v->err, -ENOMEM, "out of memory");
	rc = vib_open(path, v->vfs[i], v->err);
	if (rc) {
		free(v->vfs[i]);
		v->vfs[i] = NULL;
		return rc;
	}
	if (strcmp(v->vfs[i]->desc.name, dv->desc.name) || strcmp(v->vfs[i]->desc.version, dv->desc.version))
		return rh_errf(v->err, -EBADMSG, "%s: holds %s %s, the depot index says %s %s", path,
			       v->vfs[i]->desc.name, v->vfs[i]->desc.version, dv->desc.name, dv->desc.version);
	rc = vib_check(v->vfs[i], v->trust, NULL, 0, &v->levels[i], v->err);
	if (rc)
		return rh_err_prefix(v->err, rc, "%s", path);
	rc = vib_level_check(dv->desc.name, v->levels[i], v->policy, v->err);
	if (rc)
		return rh_err_prefix(v->err, rc, "%s", path);
	return 0;
}

/* Fetches, opens and checks every picked VIB (kept open in the plan) and finds the image level. */
static int fetch_picks(struct vib_image_plan *v)
{
	char dl[PATH_MAX];
	size_t i;
	int rc;

	v->image_level = VIB_LEVEL_CERTIFIED;
	v->vfs = calloc(v->npick + 1, sizeof(*v->vfs));
	v->levels = calloc(v->npick + 1, sizeof(*v->levels));
	if (!v->vfs || !v->levels)
		return rh_errf(v->err, -ENOMEM, "out of memory");
	rc = fs_join(dl, sizeof(dl), v->o->work, "vib-downloads", v->err);
	if (rc)
		return rc;
	for (i = 0; i < v->npick; i++) {
		rc = fetch_and_check(v, i, dl);
		if (rc)
			return rc;
		if (v->levels[i] < v->image_level)
			v->image_level = v->levels[i];
	}
	return 0;
}

/* The payload modules of picked VIB i into the bootbank, and its progress line. */
static int add_vib_payloads(struct vib_image_plan *v, size_t i, struct payload_names *pn)
{
	const struct depot_vib *dv = pick_entry(v, i);
	const struct vib_file *vf = v->vfs[i];
	unsigned ncached = 0;
	size_t j;
	int rc;

	for (j = 0; j < vf->desc.npayloads; j++) {
		int cached = 0;
		rc = payload_name_take(v, dv->desc.name, vf->desc.payloads[j].name, pn);
		if (rc)
			return rc;
		rc = add_payload(v, vf, j, &cached);
		if (rc)
			return rc;
		ncached += (unsigned)cached;
	}
	say(v, "vib            %s %s (%s), %zu payloads%s, from %s", dv->desc.name, dv->desc.version,
	    vib_level_str(v->levels[i]), vf->desc.npayloads, ncached ? " (cached)" : "",
	    v->depots[v->cand_depot[v->pick[i]]].base);
	return 0;
}

/* The payload names of the picked VIBs, as the index describes them, clash with nothing (checked again on the
 * VIB files themselves when they are added). */
static int check_payload_names(struct vib_image_plan *v)
{
	struct payload_names pn;
	size_t i, j;
	int rc;

	rc = payload_names_init(v, &pn);
	for (i = 0; i < v->npick && !rc; i++) {
		const struct vib_desc *d = v->cands[v->pick[i]].desc;
		for (j = 0; j < d->npayloads && !rc; j++)
			rc = payload_name_take(v, d->name, d->payloads[j].name, &pn);
	}
	payload_names_free(&pn);
	return rc;
}

/* Loads the depots, collects the requests and resolves them into v->pick. */
static int resolve(struct vib_image_plan *v)
{
	int rc;

	rc = load_depots(v);
	if (rc)
		return rc;
	rc = collect_requests(v);
	if (rc)
		return rc;
	rc = vib_resolve(v->cands, v->ncands, NULL, 0, v->reqs, v->nreqs, v->policy, &v->pick, &v->npick, v->err);
	if (rc)
		return rh_err_prefix(v->err, rc, "image profile '%s' (acceptance %s, from %s)", v->p->name,
				     vib_level_str(v->policy), v->policy_from);
	return check_payload_names(v);
}

void vib_image_plan_free(struct vib_image_plan *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v->vfs && i < v->npick; i++)
		if (v->vfs[i]) {
			vib_close(v->vfs[i]);
			free(v->vfs[i]);
		}
	free(v->vfs);
	free(v->levels);
	free(v->pick);
	for (i = 0; v->depots && i < v->p->ndepots; i++)
		depot_free(&v->depots[i]);
	free(v->depots);
	free(v->cands);
	free(v->cand_depot);
	free(v->reqs);
	free(v);
}

int vib_image_resolve(const struct profile *p, const struct vib_image_opts *o, struct vib_image_plan **ret,
		      struct rh_err *err)
{
	struct vib_image_plan *v = calloc(1, sizeof(*v));
	int rc;

	*ret = NULL;
	if (!v)
		return rh_errf(err, -ENOMEM, "out of memory");
	v->p = p;
	v->o = o;
	v->err = err;
	rc = resolve(v);
	if (!rc)
		rc = setup_trust(v);
	if (!rc)
		rc = fetch_picks(v);
	v->o = NULL; /* the caller's, valid during this call only */
	v->err = NULL;
	if (rc) {
		vib_image_plan_free(v);
		return rc;
	}
	*ret = v;
	return 0;
}


int vib_image_add(struct vib_image_plan *v, const char *dir, struct bootcfg *cfg, const struct vib_image_opts *o,
		  struct rh_err *err)
{
	struct payload_names pn;
	size_t i;
	int rc;

	v->dir = dir;
	v->cfg = cfg;
	v->o = o;
	v->err = err;
	clock_gettime(CLOCK_MONOTONIC, &v->t0);
	modcache_open("vib-modules", v->cache, sizeof(v->cache));
	say_depots(v);
	rc = payload_names_init(v, &pn);
	for (i = 0; i < v->npick && !rc; i++)
		rc = add_vib_payloads(v, i, &pn);
	payload_names_free(&pn);
	if (!rc)
		rc = write_vibs_cpio(v);
	if (!rc)
		modcache_prune(v->cache, VIB_IMAGE_CACHE_DAYS);
	v->o = NULL;
	v->err = NULL;
	return rc;
}
