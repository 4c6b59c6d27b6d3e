/* live_install.c: `vib install` and `vib remove` on the running host (live_install.h). Each function owns
 * what it opens, mounts and writes until it returns: on failure its undo list takes all of it back. */
#include "live_install.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "vib/fetch.h"
#include "fileio.h"
#include "live.h"
#include "vib/resolve.h"
#include "vib/sig.h"
#include "vib/vibdb.h"
#include "vib/vibfile.h"

#define DEFAULT_MIN_FREE (64ull << 20)
#define MAX_PAYLOADS 8

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void step(const struct live_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step(const struct live_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->progress)
		return;
	va_start(ap, fmt);
	fprintf(o->progress, "vib: ");
	vfprintf(o->progress, fmt, ap);
	fprintf(o->progress, "\n");
	fflush(o->progress);
	va_end(ap);
}

const char *live_vibdb_dir(void)
{
	const char *d = getenv("RAMHOST_VIBDB");
	return d && *d ? d : VIBDB_DEFAULT;
}

static void pending_path(const char *name, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s.pending", live_vibdb_dir(), name);
}

int live_pending(const char *name, char *ret, size_t cap)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;

	pending_path(name, path, sizeof(path));
	if (rh_read_file(path, 64, &buf, &len, NULL) < 0)
		return 0;
	snprintf(ret, cap, "%.*s", (int)strcspn(buf, "\n"), buf);
	free(buf);
	return 1;
}

static int pending_set(const char *name, const char *word, struct rh_err *err)
{
	char path[PATH_MAX];
	int fd;

	pending_path(name, path, sizeof(path));
	if (!word) {
		unlink(path);
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || rh_write_all(fd, word, strlen(word)) < 0) {
		int rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

int live_mem_available(uint64_t *ret, struct rh_err *err)
{
	const char *path = getenv("RAMHOST_MEMINFO") ? getenv("RAMHOST_MEMINFO") : "/proc/meminfo";
	char *buf = NULL, *p;
	size_t len;
	int rc = rh_read_file(path, 1u << 20, &buf, &len, err);

	if (rc < 0)
		return rc;
	p = strstr(buf, "MemAvailable:");
	if (!p) {
		free(buf);
		return rh_errf(err, -EINVAL, "%s: no MemAvailable line", path);
	}
	*ret = strtoull(p + strlen("MemAvailable:"), NULL, 10) * 1024;
	free(buf);
	return 0;
}

static uint64_t min_free(const struct live_opts *o)
{
	const char *s = getenv("RAMHOST_MIN_FREE");
	char *end;
	uint64_t v;

	if (o->min_free)
		return o->min_free;
	if (!s || !*s)
		return DEFAULT_MIN_FREE;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		v <<= 10;
	else if (*end == 'M' || *end == 'm')
		v <<= 20;
	else if (*end == 'G' || *end == 'g')
		v <<= 30;
	return v;
}

/* Refuses when MemAvailable - need < the margin. */
static int mem_check(const struct live_opts *o, const char *what, uint64_t need, struct rh_err *err)
{
	uint64_t avail, margin = min_free(o);
	int rc = live_mem_available(&avail, err);

	if (rc < 0)
		return rc;
	if (avail < need || avail - need < margin)
		return rh_errf(err, -ENOMEM, "%s: needs %llu MiB of RAM; %llu MiB available, and %llu MiB must stay "
					     "free (RAMHOST_MIN_FREE): refused", what,
			       (unsigned long long)(need >> 20), (unsigned long long)(avail >> 20),
			       (unsigned long long)(margin >> 20));
	return 0;
}

/* The live tmpfs at /run/ramhost/live, mounted on first use (tmpfs only takes the RAM its files use). */
static int live_dir_up(struct rh_err *err)
{
	struct statfs sf;
	int rc = rh_mkdir_p(LIVE_DIR, 0700, err);

	if (rc < 0)
		return rc;
	if (!statfs(LIVE_DIR, &sf) && sf.f_type == 0x01021994 /* TMPFS_MAGIC */) {
		struct stat a, b;
		if (!stat(LIVE_DIR, &a) && !stat("/run/ramhost", &b) && a.st_dev != b.st_dev)
			return 0;
	}
	if (mount("ramhost-live", LIVE_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
		return rh_errf(err, -errno, "mount a tmpfs at %s: %s", LIVE_DIR, strerror(errno));
	return 0;
}

static int is_url(const char *s)
{
	return strstr(s, "://") != NULL;
}

/* Writes the bytes [off, off+size) of map to path (new file, fsync'd). */
static int write_part(const char *path, const uint8_t *map, uint64_t off, uint64_t size, struct rh_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);

	if (fd < 0)
		return rh_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (rh_write_all(fd, map + off, (size_t)size) < 0) {
		int rc = rh_errf(err, -errno, "%s: write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return rc;
	}
	close(fd);
	return 0;
}

/* The vibs.cpio of db (with the image's acceptance word and trust store, when this boot has them, and the
 * image level recomputed) in a malloc'd buffer. */
static int make_cpio(const struct vibdb *db, void **ret, size_t *ret_len, struct rh_err *err)
{
	struct vibdb_cpio_extra x = { NULL, NULL };
	struct vibdb keep = { NULL, 0 };
	enum vib_level low = VIB_LEVEL_CERTIFIED;
	int lowest = 0;
	size_t i;
	char acc[64] = "", path[PATH_MAX], *buf = NULL;
	struct stat st;
	size_t len;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/acceptance", live_vibdb_dir());
	if (rh_read_file(path, sizeof(acc) - 1, &buf, &len, NULL) == 0) {
		snprintf(acc, sizeof(acc), "%.*s", (int)strcspn(buf, " \n"), buf);
		free(buf);
		x.acceptance = acc[0] ? acc : NULL;
	}
	snprintf(path, sizeof(path), "%s/trust", live_vibdb_dir());
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		x.trust_dir = path;
	fd = memfd_create("vibs.cpio", MFD_CLOEXEC);
	if (fd < 0)
		return rh_errf(err, -errno, "memfd: %s", strerror(errno));
	/* VIBs whose removal is staged are not in the next boot's database */
	keep.v = calloc(db->n + 1, sizeof(*keep.v));
	if (!keep.v) {
		close(fd);
		return rh_errf(err, -ENOMEM, "out of memory");
	}
	for (i = 0; i < db->n; i++) {
		char word[16];
		if (live_pending(db->v[i].desc.name, word, sizeof(word)) && !strcmp(word, "remove"))
			continue;
		keep.v[keep.n++] = db->v[i];
	}
	for (i = 0; i < keep.n; i++)   /* the image's level: its lowest VIB's, as the image builder records it */
		if (!lowest || keep.v[i].level < low)
			low = keep.v[i].level, lowest = 1;
	rc = vibdb_write_cpio_image(&keep, &x, lowest ? vib_level_str(low) : NULL, fd, VIBDB_MODULE, err);
	free(keep.v);   /* shallow copies: the entries are db's */
	if (!rc) {
		off_t end = lseek(fd, 0, SEEK_END);
		*ret = malloc(end > 0 ? (size_t)end : 1);
		*ret_len = end > 0 ? (size_t)end : 0;
		if (!*ret)
			rc = rh_errf(err, -ENOMEM, "out of memory");
		else if (*ret_len && rh_pread_all(fd, *ret, *ret_len, 0) < 0)
			rc = rh_errf(err, -EIO, "memfd read: %s", strerror(errno));
	}
	close(fd);
	return rc;
}

/* The booted bank: payload files added (add_tdk) or module names removed, vibs.cpio from the database dir. */
static int update_bank(const char *const *add, const char *const *remove, const struct vibdb *db, int *ret_bank,
		       struct rh_err *err)
{
	struct live_bank_edit e;
	size_t i;
	int rc;

	memset(&e, 0, sizeof(e));
	for (i = 0; add && add[i] && i < 7; i++)
		e.add_tdk[i] = add[i];
	for (i = 0; remove && remove[i] && i < 7; i++)
		e.remove[i] = remove[i];
	rc = make_cpio(db, (void **)&e.vibs_cpio, &e.vibs_len, err);
	rc = rc ?: live_bank_apply(&e, err);
	free((void *)e.vibs_cpio);
	if (rc >= 0)
		*ret_bank = rc;
	return rc < 0 ? rc : 0;
}

/* A test hook: RAMHOST_LIVE_FAIL_AT=refresh|bank makes the install fail right after its overlays were
 * refreshed or right before the bank is written, so that the system test can see the undo at work. */
static int injected(const char *point, struct rh_err *err)
{
	const char *at = getenv("RAMHOST_LIVE_FAIL_AT");

	if (!at || strcmp(at, point))
		return 0;
	return rh_errf(err, -EIO, "failure injected at '%s' (RAMHOST_LIVE_FAIL_AT)", point);
}

/* What an install did so far, for the undo. */
struct undo {
	char work[PATH_MAX];                    /* LIVE_DIR, or a dry run's private directory */
	char dl[PATH_MAX];                      /* the downloaded .vib, removed at the end either way */
	char tdk[MAX_PAYLOADS][PATH_MAX];       /* payload files in the live tmpfs */
	char mnt[MAX_PAYLOADS][PATH_MAX];       /* their mount points */
	unsigned ntdk, nmnt, pushed[MAX_PAYLOADS];
	struct live_etc_log etc;
	int db_put;
};

static void undo_all(struct undo *u, const char *name)
{
	struct rh_err e = { 0 };
	unsigned i, k;

	if (u->db_put) {
		vibdb_del(live_vibdb_dir(), name, &e);
		pending_set(name, NULL, &e);
	}
	live_etc_undo("/", &u->etc, &e);
	for (i = u->nmnt; i-- > 0;) {
		unsigned pushed;
		if (u->pushed[i])
			live_refresh(u->mnt[i], 0, &pushed, &e);
		live_tardisk_umount(u->mnt[i], &e);
	}
	for (k = 0; k < u->ntdk; k++)
		unlink(u->tdk[k]);
}

/* Relationship and name checks of v against the installed set: not installed yet, no payload name in use,
 * the set with it consistent. */
static int check_fit(const struct vib_file *v, enum vib_level level, enum vib_level policy, const struct vibdb *db,
		     const struct live_opts *o, struct rh_err *err)
{
	struct vib_cand *set = calloc(db->n + o->nassume + 1, sizeof(*set));
	char p[PATH_MAX];
	struct stat st;
	size_t i, n = 0;
	int rc = 0;

	if (!set)
		return rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; i < db->n && !rc; i++) {
		if (!strcmp(db->v[i].desc.name, v->desc.name))
			rc = rh_errf(err, -EEXIST, "%s %s is already installed (remove it first, or `vib update`)",
				     db->v[i].desc.name, db->v[i].desc.version);
		set[n].desc = &db->v[i].desc;
		set[n].level = db->v[i].level;
		set[n++].origin = "installed";
	}
	for (i = 0; i < v->desc.npayloads && !rc; i++) {
		snprintf(p, sizeof(p), "%s/%s", LIVE_TARDISKS, v->desc.payloads[i].name);
		if (!lstat(p, &st))
			rc = rh_errf(err, -EEXIST, "%s: payload %s: a tardisk of that name is already mounted at %s",
				     v->desc.name, v->desc.payloads[i].name, p);
	}
	if (!rc && v->desc.npayloads > MAX_PAYLOADS)
		rc = rh_errf(err, -E2BIG, "%s: %zu payloads; a live install takes at most %d", v->desc.name,
			     v->desc.npayloads, MAX_PAYLOADS);
	if (!rc && v->desc.nreplaces)
		for (i = 0; i < db->n && !rc; i++) {
			size_t k;
			for (k = 0; k < v->desc.nreplaces && !rc; k++)
				if (!strcmp(v->desc.replaces[k].name, db->v[i].desc.name))
					rc = rh_errf(err, -EDEADLK, "%s replaces the installed %s: remove %s first",
						     v->desc.name, db->v[i].desc.name, db->v[i].desc.name);
		}
	for (i = 0; i < o->nassume && !rc; i++) {   /* a dry run of several VIBs: the ones before this one */
		set[n].desc = o->assume[i];
		set[n].level = VIB_LEVEL_CERTIFIED;
		set[n++].origin = "dry run";
	}
	if (!rc) {
		set[n].desc = &v->desc;
		set[n].level = level;
		set[n++].origin = v->path;
		rc = vib_set_check(set, n, policy, err);
	}
	free(set);
	return rc;
}

int live_install(const char *src, const struct live_opts *o, struct live_result *r, struct rh_err *err)
{
	struct vib_file *v = calloc(1, sizeof(*v));
	struct undo *u = calloc(1, sizeof(*u));
	struct vibdb db = { NULL, 0 };
	struct vib_trust trust;
	struct vibdb_entry e;
	enum vib_level policy, level;
	const char *path = src, *add[MAX_PAYLOADS + 1] = { NULL };
	char **lowers = NULL, dev[32];
	double t0 = now_ms(), t;
	uint64_t payload_bytes = 0;
	struct stat st;
	size_t i;
	int rc, opened = 0;

	memset(r, 0, sizeof(*r));
	if (!v || !u) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (!o->dry_run && geteuid() != 0) {
		rc = rh_errf(err, -EPERM, "vib install changes the running system: run it as root");
		goto out;
	}
	rc = vib_host_level(&policy, err);
	rc = rc ?: vib_host_trust(&trust, err);
	if (rc < 0)
		goto out;
	if (o->no_sig_check && policy != VIB_LEVEL_COMMUNITY) {
		rc = rh_errf(err, -EPERM, "--no-sig-check: the host's acceptance level is %s; signatures can only be "
					  "skipped on a community host", vib_level_str(policy));
		goto out;
	}
	/* a dry run mounts nothing: its download goes to a private directory under $TMPDIR */
	if (o->dry_run) {
		const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(u->work, sizeof(u->work), "%s/ramhost-vib-dry.XXXXXX", tmp);
		rc = mkdtemp(u->work) ? 0 : rh_errf(err, -errno, "mkdtemp %s: %s", u->work, strerror(errno));
		if (rc < 0)
			u->work[0] = '\0';
	} else {
		snprintf(u->work, sizeof(u->work), "%s", LIVE_DIR);
		rc = live_dir_up(err);
	}
	if (rc < 0)
		goto out;
	if (is_url(src)) {
		struct fetch_opts fo = { 0, 0, 0, 1, 0 };
		uint64_t avail = 0, margin = min_free(o);

		rc = mem_check(o, src, 0, err);
		rc = rc ?: live_mem_available(&avail, err);
		if (rc < 0)
			goto out;
		fo.max_size = avail > margin ? (avail - margin) / 2 : 1;   /* the .vib, then its payloads */
		snprintf(u->dl, sizeof(u->dl), "%.3900s/download-%d.vib", u->work, (int)getpid());
		step(o, "downloading %s", src);
		rc = fetch_to_file(src, u->dl, &fo, &r->bytes, err);
		if (rc < 0) {
			char part[PATH_MAX + 8];
			snprintf(part, sizeof(part), "%s.part", u->dl);
			unlink(part);
			goto out;
		}
		path = u->dl;
	}
	r->ms_download = now_ms() - t0;
	t = now_ms();
	rc = vib_open(path, v, err);
	if (rc < 0)
		goto out;
	opened = 1;
	r->bytes = v->len;
	for (i = 0; i < v->desc.npayloads; i++)
		payload_bytes += v->desc.payloads[i].size;
	rc = mem_check(o, v->desc.name, payload_bytes, err);
	if (rc < 0)
		goto out;
	snprintf(r->name, sizeof(r->name), "%s", v->desc.name);
	snprintf(r->version, sizeof(r->version), "%s", v->desc.version);
	step(o, "%s %s: checking the signature and %zu payload hashes", v->desc.name, v->desc.version,
	     v->desc.npayloads);
	rc = vib_check(v, trust.dirs, NULL, o->no_sig_check, &level, err);
	rc = rc ?: vib_level_check(v->desc.name, level, policy, err);
	if (rc < 0)
		goto out;
	r->level = level;
	rc = vibdb_load(live_vibdb_dir(), &db, err);
	rc = rc ?: check_fit(v, level, policy, &db, o, err);
	if (rc < 0)
		goto out;
	r->ms_verify = now_ms() - t;
	for (i = 0; i < v->desc.npayloads; i++)
		snprintf(r->payloads[r->npayloads++], VIB_NAME_MAX, "%s", v->desc.payloads[i].name);
	if (!v->desc.live_install_allowed && !o->reboot_required) {
		rc = rh_errf(err, -EPERM, "%s does not allow a live install (live-install-allowed=false): use "
					  "--reboot-required to stage it in the bootbank for the next boot", v->desc.name);
		goto out;
	}
	if (o->dry_run) {
		step(o, "dry run: %s %s (%s) fits; nothing changed", v->desc.name, v->desc.version,
		     vib_level_str(level));
		goto out;
	}
	/* from here on every step is undone on failure */
	t = now_ms();
	rc = rh_mkdir_p(LIVE_DIR "/tardisks", 0755, err);
	for (i = 0; i < v->desc.npayloads && !rc; i++) {
		snprintf(u->tdk[i], PATH_MAX, "%s/tardisks/%s.tdk", LIVE_DIR, v->desc.payloads[i].name);
		rc = write_part(u->tdk[i], v->map, v->payload_member[i].offset, v->payload_member[i].size, err);
		if (!rc)
			add[u->ntdk++] = u->tdk[i];
	}
	if (rc < 0)
		goto undo;
	if (o->reboot_required && !v->desc.live_install_allowed)
		goto db;
	for (i = 0; i < v->desc.npayloads && !rc; i++) {
		snprintf(u->mnt[i], PATH_MAX, "%s/%s", LIVE_TARDISKS, v->desc.payloads[i].name);
		rc = live_tardisk_mount(u->tdk[i], u->mnt[i], dev, err);
		if (!rc) {
			u->nmnt++;
			step(o, "payload %s mounted read-only on %s", v->desc.payloads[i].name, dev);
		}
	}
	if (rc < 0)
		goto undo;
	r->ms_mount = now_ms() - t;
	t = now_ms();
	for (i = 0; i < u->nmnt && !rc; i++)
		rc = live_refresh(u->mnt[i], 1, &u->pushed[i], err);
	for (i = 0; i < u->nmnt && !rc; i++) {
		lowers = live_tardisk_mounts(v->desc.payloads[i].name);
		rc = live_etc_merge("/", u->mnt[i], (const char *const *)lowers, &u->etc, err);
		live_list_free(lowers);
		lowers = NULL;
	}
	if (rc < 0)
		goto undo;
	for (i = 0; i < u->etc.n; i++)
		if (u->etc.c[i].kind == LIVE_ETC_KEPT) {
			r->etc_kept++;
			step(o, "%s: changed here, kept; the new default is %s.vib-new", u->etc.c[i].path,
			     u->etc.c[i].path);
		}
	r->live = 1;
	r->ms_refresh = now_ms() - t;
	rc = injected("refresh", err);
	if (rc < 0)
		goto undo;
db:
	memset(&e, 0, sizeof(e));
	e.desc = v->desc;
	e.xml = (char *)(v->map + v->desc_member.offset);
	e.xml_len = v->desc_member.size;
	e.sig = v->sig_member.size ? (void *)(v->map + v->sig_member.offset) : NULL;
	e.sig_len = v->sig_member.size;
	e.level = level;
	rc = vibdb_put(live_vibdb_dir(), &e, err);
	if (rc < 0)
		goto undo;
	u->db_put = 1;
	if (!r->live) {
		rc = pending_set(v->desc.name, "install", err);
		if (rc < 0)
			goto undo;
	}
	t = now_ms();
	vibdb_free(&db);
	rc = vibdb_load(live_vibdb_dir(), &db, err);
	rc = rc ?: injected("bank", err);
	rc = rc ?: update_bank(add, NULL, &db, &r->bank, err);
	if (rc < 0)
		goto undo;
	r->ms_bank = now_ms() - t;
	if (!r->live && !r->bank) {
		rc = rh_errf(err, -ENODEV, "%s: --reboot-required needs a disk host (a bootbank to stage it in)",
			     v->desc.name);
		goto undo;
	}
	for (i = 0; !r->live && i < u->ntdk; i++)
		unlink(u->tdk[i]);   /* staged: the bank has its copy, nothing here uses it */
	step(o, "%s %s installed%s", v->desc.name, v->desc.version,
	     r->bank ? (r->live ? "; the booted bootbank keeps it" : " in the bootbank: active after the next reboot") :
		       " until the next reboot (not a disk host: no bootbank to keep it in)");
	goto out;
undo:
	undo_all(u, v->desc.name);
out:
	if (u && u->dl[0])
		unlink(u->dl);
	if (u && o->dry_run && u->work[0])
		rmdir(u->work);
	if (opened)
		vib_close(v);
	vibdb_free(&db);
	if (u)
		live_etc_log_free(&u->etc);
	free(u);
	free(v);
	(void)st;
	r->ms_total = now_ms() - t0;
	return rc;
}

int live_remove(const char *name, const struct live_opts *o, struct live_result *r, struct rh_err *err)
{
	struct vibdb db = { NULL, 0 };
	struct vib_cand *set = NULL;
	const struct vibdb_entry *me = NULL;
	char mods[MAX_PAYLOADS][VIB_NAME_MAX + 8], mnt[PATH_MAX], file[PATH_MAX];
	const char *remove[MAX_PAYLOADS + 1] = { NULL };
	double t0 = now_ms(), t;
	char word[16];
	size_t i, n = 0;
	int rc, live, staged_install;

	memset(r, 0, sizeof(*r));
	if (!o->dry_run && geteuid() != 0)
		return rh_errf(err, -EPERM, "vib remove changes the running system: run it as root");
	rc = vibdb_load(live_vibdb_dir(), &db, err);
	if (rc < 0)
		return rc;
	set = calloc(db.n + 1, sizeof(*set));
	if (!set) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < db.n; i++) {
		if (!strcmp(db.v[i].desc.name, name)) {
			me = &db.v[i];
			continue;
		}
		set[n].desc = &db.v[i].desc;
		set[n].level = db.v[i].level;
		set[n++].origin = "installed";
	}
	if (!me) {
		rc = rh_errf(err, -ENOENT, "%s is not installed (see `ramhost vib list`)", name);
		goto out;
	}
	snprintf(r->name, sizeof(r->name), "%s", me->desc.name);
	snprintf(r->version, sizeof(r->version), "%s", me->desc.version);
	r->level = me->level;
	/* what stays must still hold together (nothing left depending on it); the level is not re-judged */
	{
		struct rh_err why = { 0, "" };

		rc = vib_set_check(set, n, VIB_LEVEL_COMMUNITY, &why);
		if (rc < 0) {
			rc = rh_errf(err, rc, "removing %s would break the installed set: %s", name, why.msg);
			goto out;
		}
	}
	if (me->desc.npayloads > MAX_PAYLOADS) {
		rc = rh_errf(err, -E2BIG, "%s: more than %d payloads", name, MAX_PAYLOADS);
		goto out;
	}
	for (i = 0; i < me->desc.npayloads; i++) {
		snprintf(r->payloads[r->npayloads++], VIB_NAME_MAX, "%s", me->desc.payloads[i].name);
		snprintf(mods[i], sizeof(mods[i]), "%s.tdk", me->desc.payloads[i].name);
		remove[i] = mods[i];
	}
	live = me->desc.live_remove_allowed;
	staged_install = live_pending(name, word, sizeof(word)) && !strcmp(word, "install");
	if (live_pending(name, word, sizeof(word)) && !strcmp(word, "remove")) {
		rc = rh_errf(err, -EALREADY, "%s: its removal is already staged for the next boot", name);
		goto out;
	}
	if (staged_install)
		live = 1;   /* never in the running view: only the database and the bank to change */
	if (o->dry_run) {
		step(o, "dry run: %s %s can be removed%s; nothing changed", name, me->desc.version,
		     live ? "" : " at the next boot (live-remove-allowed=false)");
		goto out;
	}
	t = now_ms();
	for (i = 0; live && !staged_install && i < me->desc.npayloads && !rc; i++) {
		unsigned pushed, kept = 0;
		char **lowers = live_tardisk_mounts(me->desc.payloads[i].name);

		snprintf(mnt, sizeof(mnt), "%s/%s", LIVE_TARDISKS, me->desc.payloads[i].name);
		rc = live_etc_unmerge("/", mnt, (const char *const *)lowers, &kept, err);
		live_list_free(lowers);
		r->etc_kept += kept;
		rc = rc ?: live_refresh(mnt, 0, &pushed, err);
		rc = rc ?: live_tardisk_umount(mnt, err);
		snprintf(file, sizeof(file), "%s/tardisks/%s.tdk", LIVE_DIR, me->desc.payloads[i].name);
		unlink(file);   /* freed once the last user of the old view lets go */
		if (!rc)
			step(o, "payload %s taken out of the running view", me->desc.payloads[i].name);
	}
	if (rc < 0)
		goto out;
	r->live = live;
	r->ms_refresh = now_ms() - t;
	t = now_ms();
	if (live) {
		rc = vibdb_del(live_vibdb_dir(), name, err);
		if (rc < 0)
			goto out;
		pending_set(name, NULL, err);
		vibdb_free(&db);
		rc = vibdb_load(live_vibdb_dir(), &db, err);
		rc = rc ?: update_bank(NULL, remove, &db, &r->bank, err);
	} else {
		/* the bank's vibs.cpio without it (make_cpio leaves staged removals out); this boot keeps it */
		rc = pending_set(name, "remove", err);
		rc = rc ?: update_bank(NULL, remove, &db, &r->bank, err);
		if (!rc && !r->bank)
			rc = rh_errf(err, -ENODEV, "%s does not allow a live remove (live-remove-allowed=false) and this "
						   "host has no bootbank to stage the removal in", name);
		if (rc < 0) {
			struct rh_err e2 = { 0 };
			pending_set(name, NULL, &e2);
		}
	}
	if (rc < 0)
		goto out;
	r->ms_bank = now_ms() - t;
	step(o, "%s %s removed%s", name, r->version,
	     !live ? " from the bootbank: it goes at the next reboot" :
	     r->bank ? " (and from the booted bootbank)" : " until the next reboot (not a disk host)");
out:
	free(set);
	vibdb_free(&db);
	r->ms_total = now_ms() - t0;
	return rc;
}
