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
#include "fs.h"
#include "sha256.h"
#include "vib/depot.h"
#include "vib/resolve.h"
#include "vib/sig.h"
#include "vib/vibdb.h"
#include "vib/vibfile.h"

#define VIB_IMAGE_CACHE_DAYS 30 /* a cached payload module unused this long is removed */

static const char *const level_words[] = { "community", "partner", "accepted", "certified" };

struct vimg {
	const struct profile *p;
	const char *dir;
	struct bootcfg *cfg;
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
	char cache[PATH_MAX];        /* wrapped payload modules by SHA-256 ("" when there is no cache dir) */
	struct timespec t0;          /* start of vib_image_add, for the progress line */
};

static void say(const struct vimg *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct vimg *v, const char *fmt, ...)
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

/* Loads every depot and collects the candidates. */
static int load_depots(struct vimg *v)
{
	unsigned i;
	size_t j, before;
	int rc = 0;

	v->depots = calloc(v->p->ndepots ? v->p->ndepots : 1, sizeof(*v->depots));
	if (!v->depots)
		return rh_errf(v->err, -ENOMEM, "out of memory");
	for (i = 0; i < v->p->ndepots && !rc; i++) {
		size_t *nd;
		rc = depot_load(v->p->depots[i], &v->depots[i], v->err);
		before = v->ncands;
		rc = rc ?: depot_cands(&v->depots[i], &v->cands, &v->ncands, v->err);
		if (rc)
			break;
		nd = realloc(v->cand_depot, (v->ncands + 1) * sizeof(*nd));
		if (!nd)
			return rh_errf(v->err, -ENOMEM, "out of memory");
		v->cand_depot = nd;
		for (j = before; j < v->ncands; j++)
			v->cand_depot[j] = i;
		say(v, "depot          %s: %zu VIBs, %zu image profiles", v->p->depots[i], v->depots[i].nvibs,
		    v->depots[i].nprofiles);
	}
	return rc;
}

/* The requests: the profile's vib lines, then the depot image profile's (a name the profile asks for itself
 * is taken from the profile); and the policy. */
static int collect_requests(struct vimg *v)
{
	const struct profile *p = v->p;
	const struct depot_profile *dp = NULL;
	size_t i, j, n = p->nvibs;
	unsigned d;

	for (d = 0; p->image_profile[0] && d < p->ndepots && !dp; d++)
		for (i = 0; i < v->depots[d].nprofiles; i++)
			if (!strcmp(v->depots[d].profiles[i].name, p->image_profile)) {
				dp = &v->depots[d].profiles[i];
				break;
			}
	if (p->image_profile[0] && !dp)
		return rh_errf(v->err, -ENOENT, "image-profile '%s': no depot of the profile has it", p->image_profile);
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
	v->policy = VIB_LEVEL_PARTNER;
	v->policy_from = "the default";
	if (p->acceptance[0]) {
		for (d = 0; d < 4 && strcmp(p->acceptance, level_words[d]); d++)
			;
		v->policy = (enum vib_level)(d & 3);
		v->policy_from = "the profile";
	} else if (dp) {
		v->policy = dp->acceptance;
		v->policy_from = "the depot image profile";
	}
	return 0;
}

static int setup_trust(struct vimg *v)
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
static int add_module(struct vimg *v, const char *name, uint64_t *ret_size)
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
	rc = rc ?: fs_sha256_file(path, f->sha256, ret_size, v->err);
	if (rc)
		return rc;
	strcpy(f->name, name);
	f->has_sha256 = 1;
	v->cfg->nmodules++;
	return 0;
}

/* Writes the canonical module of payload i of vf to out (by a temporary file and rename). */
static int wrap_payload(struct vimg *v, const struct vib_file *vf, size_t i, const char *file, const char *out)
{
	char tmp[PATH_MAX];
	int in = -1, fd = -1, rc;

	rc = fs_tmp_beside(out, tmp, sizeof(tmp), &fd, v->err);
	if (rc)
		return rc;
	in = open(vf->path, O_RDONLY | O_CLOEXEC);
	if (in < 0 || lseek(in, (off_t)vf->payload_member[i].offset, SEEK_SET) < 0)
		rc = rh_errf(v->err, -errno, "%s: %s", vf->path, strerror(errno));
	rc = rc ?: cpio_wrap_file(fd, "tardisks", file, in, vf->payload_member[i].size, v->err);
	if (in >= 0)
		close(in);
	close(fd);
	rc = rc ?: fs_install_file(tmp, out, v->err);
	if (rc)
		unlink(tmp);
	return rc;
}

/* Uses the cached module `cached` for out when it is intact: copied, and its SHA-256 (computed by add_module for
 * boot.cfg) equal to the one recorded next to it (cached.sha256) when it was made. 1 when used, 0 when not (the
 * damaged or missing entry is dropped), negative on a failure of the bootbank itself. */
static int use_cached(struct vimg *v, const char *cached, const char *file, const char *out)
{
	char side[PATH_MAX + 8], *want = NULL, got[SHA256_HEX_LEN + 1];
	struct rh_err tmp = { 0 };
	size_t len = 0;
	uint64_t size;
	int rc;

	snprintf(side, sizeof(side), "%s.sha256", cached);
	if (access(cached, R_OK) < 0 || rh_read_file(side, 128, &want, &len, &tmp) < 0)
		return 0;
	if (fs_copy_file(cached, out, 0644, &tmp) < 0) {
		free(want);
		unlink(out);
		return 0;
	}
	rc = add_module(v, file, &size);
	if (rc) {
		free(want);
		return rc;
	}
	sha256_to_hex(v->cfg->modules[v->cfg->nmodules - 1].sha256, got);
	if (len >= SHA256_HEX_LEN && !memcmp(want, got, SHA256_HEX_LEN)) {
		free(want);
		utimensat(AT_FDCWD, cached, NULL, 0); /* last used: now (pruning goes by it) */
		return 1;
	}
	free(want);
	v->cfg->nmodules--; /* damaged: forget it, wrap anew */
	unlink(out);
	unlink(cached);
	unlink(side);
	return 0;
}

/* Stores the module just written at out into the cache, with its SHA-256 next to it. Best effort: a cache that
 * cannot be written only costs time. */
static void store_cached(struct vimg *v, const char *out, const char *cached)
{
	char side[PATH_MAX + 8], tmp[PATH_MAX + 16], hex[SHA256_HEX_LEN + 2];
	struct rh_err e = { 0 };

	snprintf(tmp, sizeof(tmp), "%s.tmp", cached);
	snprintf(side, sizeof(side), "%s.sha256", cached);
	sha256_to_hex(v->cfg->modules[v->cfg->nmodules - 1].sha256, hex);
	hex[SHA256_HEX_LEN] = '\n';
	hex[SHA256_HEX_LEN + 1] = '\0';
	if (fs_copy_file(out, tmp, 0444, &e) < 0 || rename(tmp, cached) < 0) {
		unlink(tmp);
		return;
	}
	if (fs_write_file(tmp, hex, SHA256_HEX_LEN + 1, 0444, &e) < 0 || rename(tmp, side) < 0) {
		unlink(tmp);
		unlink(cached);
	}
}

/* PAYLOAD.tdk into the bootbank: from the cache when it holds this payload intact (same payload SHA-256, same
 * name), else wrapped from the VIB (and then stored in the cache). */
static int add_payload(struct vimg *v, const struct vib_file *vf, size_t i, int *ret_cached)
{
	const struct vib_payload *pl = &vf->desc.payloads[i];
	char file[VIB_NAME_MAX + 8], out[PATH_MAX], cached[PATH_MAX], hex[SHA256_HEX_LEN + 1];
	uint64_t size;
	int rc;

	snprintf(file, sizeof(file), "%s.tdk", pl->name);
	rc = fs_join(out, sizeof(out), v->dir, file, v->err);
	if (rc)
		return rc;
	*ret_cached = 0;
	sha256_to_hex(pl->sha256, hex);
	if (v->cache[0] && (size_t)snprintf(cached, sizeof(cached), "%s/%s-%s", v->cache, hex, file) < sizeof(cached)) {
		rc = use_cached(v, cached, file, out);
		if (rc)
			return rc < 0 ? rc : (*ret_cached = 1, 0);
	} else {
		cached[0] = '\0';
	}
	rc = wrap_payload(v, vf, i, file, out);
	rc = rc ?: add_module(v, file, &size);
	if (!rc && cached[0] && v->cache[0])
		store_cached(v, out, cached);
	return rc;
}

/* Drops cache entries not used for VIB_IMAGE_CACHE_DAYS days. */
static void prune_cache(const struct vimg *v)
{
	struct dirent *de;
	time_t now = time(NULL);
	DIR *d;

	if (!v->cache[0] || !(d = opendir(v->cache)))
		return;
	while ((de = readdir(d))) {
		struct stat st;
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".tdk"))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > (time_t)VIB_IMAGE_CACHE_DAYS * 86400) {
			char side[NAME_MAX + 16];
			snprintf(side, sizeof(side), "%s.sha256", de->d_name);
			unlinkat(dirfd(d), de->d_name, 0);
			unlinkat(dirfd(d), side, 0);
		}
	}
	closedir(d);
}

/* Whether a payload name is free: not base, not the ramhost layer, not a profile tardisk, not an earlier
 * payload (names[0..n)). */
static int payload_name_check(struct vimg *v, const char *vib, const char *name, char (*names)[VIB_NAME_MAX],
			      const char (*owners)[VIB_NAME_MAX], size_t n)
{
	unsigned i;

	if (!strcmp(name, "base") || !strcmp(name, PROFILE_RAMHOST_LAYER))
		return rh_errf(v->err, -EEXIST, "VIB %s: payload '%s' has the name of the image's own %s.tdk", vib, name,
			       name);
	for (i = 0; i < v->p->ntardisks; i++)
		if (!strcmp(v->p->tardisks[i].name, name))
			return rh_errf(v->err, -EEXIST, "VIB %s: payload '%s' has the name of the profile's tardisk "
							"%s.tdk", vib, name, name);
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return rh_errf(v->err, -EEXIST, "VIB %s: payload '%s' is also a payload of VIB %s (two VIBs "
							"with the same payload name are refused)", vib, name, owners[i]);
	return 0;
}

/* vibs.cpio: the picked VIBs' database entries, the acceptance, the trust store, the image level. */
static int write_vibs_cpio(struct vimg *v, struct vib_file **vfs, const enum vib_level *levels, size_t n,
			   enum vib_level image_level)
{
	struct vibdb db = { NULL, 0 };
	struct vibdb_cpio_extra x = { 0 };
	char out[PATH_MAX], tmp[PATH_MAX];
	uint64_t size;
	size_t i;
	int fd = -1, rc;

	db.v = calloc(n + 1, sizeof(*db.v));
	if (!db.v)
		return rh_errf(v->err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		db.v[i].desc = vfs[i]->desc; /* borrowed: freed by vib_close, never by vibdb_free */
		db.v[i].xml = (char *)(vfs[i]->map + vfs[i]->desc_member.offset);
		db.v[i].xml_len = vfs[i]->desc_member.size;
		db.v[i].sig = vfs[i]->sig_member.size ? (void *)(vfs[i]->map + vfs[i]->sig_member.offset) : NULL;
		db.v[i].sig_len = vfs[i]->sig_member.size;
		db.v[i].level = levels[i];
	}
	db.n = n;
	x.acceptance = v->p->acceptance[0] ? v->p->acceptance : NULL;
	x.trust_dir = v->p->trust[0] ? v->p->trust : NULL;
	rc = fs_join(out, sizeof(out), v->dir, VIBDB_MODULE, v->err);
	rc = rc ?: fs_tmp_beside(out, tmp, sizeof(tmp), &fd, v->err);
	rc = rc ?: vibdb_write_cpio_image(&db, &x, n ? level_words[image_level] : NULL, fd, out, v->err);
	if (fd >= 0)
		close(fd);
	rc = rc ?: fs_install_file(tmp, out, v->err);
	if (rc && fd >= 0)
		unlink(tmp);
	free(db.v);
	rc = rc ?: add_module(v, VIBDB_MODULE, &size);
	if (!rc) {
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		say(v, "%-14s %zu VIBs, image level %s, policy %s (%s)%s%s, VIB modules in %.2f s", VIBDB_MODULE, n,
		    n ? level_words[image_level] : "-", level_words[v->policy], v->policy_from,
		    v->p->trust[0] ? ", trust store " : "", v->p->trust,
		    (double)(t1.tv_sec - v->t0.tv_sec) + (double)(t1.tv_nsec - v->t0.tv_nsec) / 1e9);
	}
	return rc;
}

/* Fetches, opens and checks each picked VIB; with write, adds its payload modules and then vibs.cpio. */
static int add_picks(struct vimg *v, const size_t *pick, size_t npick, int write)
{
	struct vib_file **vfs = calloc(npick + 1, sizeof(*vfs));
	enum vib_level *levels = calloc(npick + 1, sizeof(*levels)), image_level = VIB_LEVEL_CERTIFIED;
	char (*names)[VIB_NAME_MAX] = calloc(VIB_LIST_MAX * (npick + 1), VIB_NAME_MAX);
	char (*owners)[VIB_NAME_MAX] = calloc(VIB_LIST_MAX * (npick + 1), VIB_NAME_MAX);
	char dl[PATH_MAX], path[PATH_MAX];
	size_t i, j, nnames = 0;
	int rc = 0;

	if (!vfs || !levels || !names || !owners) {
		rc = rh_errf(v->err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = fs_join(dl, sizeof(dl), v->o->work, "vib-downloads", v->err);
	for (i = 0; i < npick && !rc; i++) {
		const struct depot *d = &v->depots[v->cand_depot[pick[i]]];
		const struct depot_vib *dv = depot_vib_of(d, v->cands[pick[i]].desc);
		unsigned ncached = 0;

		if (!dv) {
			rc = rh_errf(v->err, -EINVAL, "internal: candidate %zu has no depot entry", pick[i]);
			break;
		}
		rc = depot_fetch_vib(d, dv, dl, NULL, path, sizeof(path), v->err);
		if (rc)
			break;
		vfs[i] = calloc(1, sizeof(*vfs[i]));
		if (!vfs[i]) {
			rc = rh_errf(v->err, -ENOMEM, "out of memory");
			break;
		}
		rc = vib_open(path, vfs[i], v->err);
		if (rc) {
			free(vfs[i]);
			vfs[i] = NULL;
			break;
		}
		if (strcmp(vfs[i]->desc.name, dv->desc.name) || strcmp(vfs[i]->desc.version, dv->desc.version)) {
			rc = rh_errf(v->err, -EBADMSG, "%s: holds %s %s, the depot index says %s %s", path,
				     vfs[i]->desc.name, vfs[i]->desc.version, dv->desc.name, dv->desc.version);
			break;
		}
		{
			struct rh_err e2 = { 0 };
			rc = vib_check(vfs[i], v->trust, NULL, 0, &levels[i], &e2);
			if (rc) {
				rh_errf(v->err, rc, "%s: %s", path, e2.msg);
				break;
			}
			rc = vib_level_check(dv->desc.name, levels[i], v->policy, &e2);
			if (rc) {
				rh_errf(v->err, rc, "%s: %s", path, e2.msg);
				break;
			}
		}
		if (levels[i] < image_level)
			image_level = levels[i];
		for (j = 0; write && j < vfs[i]->desc.npayloads && !rc; j++) {
			const char *pn = vfs[i]->desc.payloads[j].name;
			int cached = 0;
			rc = payload_name_check(v, dv->desc.name, pn, names, (const char (*)[VIB_NAME_MAX])owners,
						nnames);
			if (rc)
				break;
			strcpy(names[nnames], pn);
			strcpy(owners[nnames++], dv->desc.name);
			rc = add_payload(v, vfs[i], j, &cached);
			ncached += (unsigned)cached;
		}
		if (!rc && write)
			say(v, "vib            %s %s (%s), %zu payloads%s, from %s", dv->desc.name, dv->desc.version,
			    level_words[levels[i]], vfs[i]->desc.npayloads, ncached ? " (cached)" : "", d->base);
	}
	if (write)
		rc = rc ?: write_vibs_cpio(v, vfs, levels, npick, image_level);
out:
	for (i = 0; vfs && i < npick; i++)
		if (vfs[i]) {
			vib_close(vfs[i]);
			free(vfs[i]);
		}
	free(vfs);
	free(levels);
	free(names);
	free(owners);
	return rc;
}

/* The payload names of the picked VIBs, as the index describes them, clash with nothing (checked again on the
 * VIB files themselves when they are added). */
static int check_payload_names(struct vimg *v, const size_t *pick, size_t npick)
{
	char (*names)[VIB_NAME_MAX] = calloc(VIB_LIST_MAX * (npick + 1), VIB_NAME_MAX);
	char (*owners)[VIB_NAME_MAX] = calloc(VIB_LIST_MAX * (npick + 1), VIB_NAME_MAX);
	size_t i, j, n = 0;
	int rc = 0;

	if (!names || !owners)
		rc = rh_errf(v->err, -ENOMEM, "out of memory");
	for (i = 0; i < npick && !rc; i++) {
		const struct vib_desc *d = v->cands[pick[i]].desc;
		for (j = 0; j < d->npayloads && !rc; j++) {
			rc = payload_name_check(v, d->name, d->payloads[j].name, names,
						(const char (*)[VIB_NAME_MAX])owners, n);
			if (!rc) {
				strcpy(names[n], d->payloads[j].name);
				strcpy(owners[n++], d->name);
			}
		}
	}
	free(names);
	free(owners);
	return rc;
}

/* Loads the depots, collects the requests and resolves them: *ret_pick as vib_resolve's. */
static int resolve(struct vimg *v, size_t **ret_pick, size_t *ret_n)
{
	struct rh_err e2 = { 0 };
	int rc;

	rc = load_depots(v);
	rc = rc ?: collect_requests(v);
	if (rc)
		return rc;
	rc = vib_resolve(v->cands, v->ncands, NULL, 0, v->reqs, v->nreqs, v->policy, ret_pick, ret_n, &e2);
	if (rc)
		return rh_errf(v->err, rc, "image profile '%s' (acceptance %s, from %s): %s", v->p->name,
			       level_words[v->policy], v->policy_from, e2.msg);
	return check_payload_names(v, *ret_pick, *ret_n);
}

static struct vimg *vimg_new(const struct profile *p, const char *dir, struct bootcfg *cfg,
			     const struct vib_image_opts *o, struct rh_err *err)
{
	struct vimg *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->p = p;
	v->dir = dir;
	v->cfg = cfg;
	v->o = o;
	v->err = err;
	return v;
}

static void vimg_free(struct vimg *v)
{
	size_t i;

	for (i = 0; v->depots && i < v->p->ndepots; i++)
		depot_free(&v->depots[i]);
	free(v->depots);
	free(v->cands);
	free(v->cand_depot);
	free(v->reqs);
	free(v);
}

int vib_image_resolve(const struct profile *p, const struct vib_image_opts *o, struct rh_err *err)
{
	struct vimg *v = vimg_new(p, NULL, NULL, o, err);
	size_t *pick = NULL, npick = 0;
	int rc;

	if (!v)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = resolve(v, &pick, &npick);
	rc = rc ?: setup_trust(v);
	rc = rc ?: add_picks(v, pick, npick, 0);
	free(pick);
	vimg_free(v);
	return rc;
}

int vib_image_add(const struct profile *p, const char *dir, struct bootcfg *cfg, const struct vib_image_opts *o,
		  struct rh_err *err)
{
	struct vimg *v = vimg_new(p, dir, cfg, o, err);
	size_t *pick = NULL, npick = 0;
	char cache[2048];
	int rc;

	if (!v)
		return rh_errf(err, -ENOMEM, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &v->t0);
	if (fs_cache_dir(cache, sizeof(cache), NULL) == 0 &&
	    (size_t)snprintf(v->cache, sizeof(v->cache), "%s/vib-modules", cache) < sizeof(v->cache) &&
	    rh_mkdir_p(v->cache, 0755, NULL) < 0)
		v->cache[0] = '\0';
	rc = resolve(v, &pick, &npick);
	rc = rc ?: setup_trust(v);
	rc = rc ?: add_picks(v, pick, npick, 1);
	if (!rc)
		prune_cache(v);
	free(pick);
	vimg_free(v);
	return rc;
}
