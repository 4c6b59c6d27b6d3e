/* live_install.c: `vib install` and `vib remove` on the running host (live_install.h). Each is a few checks
 * that change nothing, then a table of named steps with their undo (vib-install, vib-remove) run by
 * steps_run(): read a table top to bottom for what happens, bottom to top for what a failure puts back. */
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

#include "env.h"
#include "vib/fetch.h"
#include "fileio.h"
#include "live.h"
#include "steps.h"
#include "sysroot.h"
#include "fs.h"
#include "vib/resolve.h"
#include "vib/sig.h"
#include "vib/vibdb.h"
#include "vib/vibfile.h"

#define DEFAULT_MIN_FREE (64ull << 20)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void progress(const struct live_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const struct live_opts *o, const char *fmt, ...)
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
	const char *path = sysroot_meminfo();
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

/* The RAM that must stay available: o->min_free, else RAMHOST_MIN_FREE, else DEFAULT_MIN_FREE. */
static int min_free(const struct live_opts *o, uint64_t *ret, struct rh_err *err)
{
	if (o->min_free) {
		*ret = o->min_free;
		return 0;
	}
	return env_number("RAMHOST_MIN_FREE", DEFAULT_MIN_FREE, UINT64_MAX, 1, ret, err);
}

/* Refuses when MemAvailable - need < the margin. */
static int mem_check(const struct live_opts *o, const char *what, uint64_t need, struct rh_err *err)
{
	uint64_t avail, margin;
	int rc = min_free(o, &margin, err);

	if (rc < 0)
		return rc;
	rc = live_mem_available(&avail, err);
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
	off_t end;

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
	if (rc)
		goto out;
	end = lseek(fd, 0, SEEK_END);
	*ret = malloc(end > 0 ? (size_t)end : 1);
	*ret_len = end > 0 ? (size_t)end : 0;
	if (!*ret)
		rc = rh_errf(err, -ENOMEM, "out of memory");
	else if (*ret_len && rh_pread_all(fd, *ret, *ret_len, 0) < 0)
		rc = rh_errf(err, -EIO, "memfd read: %s", strerror(errno));
out:
	close(fd);
	return rc;
}

/* The booted bank: payload files added (add_tdk, with the payloads of the verified descriptor when given) or
 * module names removed, vibs.cpio from the database dir. */
static int update_bank(const char *const *add, const struct vib_desc *d, const char *const *remove,
		       const struct vibdb *db, int *ret_bank, struct rh_err *err)
{
	struct live_bank_edit e;
	size_t i;
	int rc;

	memset(&e, 0, sizeof(e));
	for (i = 0; add && add[i] && i < LIVE_MAX_PAYLOADS; i++) {
		e.add_tdk[i] = add[i];
		if (d && i < d->npayloads && d->payloads[i].has_module_sha256)
			e.add_sha256[i] = d->payloads[i].module_sha256;
	}
	for (i = 0; remove && remove[i] && i < LIVE_MAX_PAYLOADS; i++)
		e.remove[i] = remove[i];
	rc = make_cpio(db, (void **)&e.vibs_cpio, &e.vibs_len, err);
	if (rc == 0)
		rc = live_bank_apply(&e, err);
	free((void *)e.vibs_cpio);
	if (rc < 0)
		return rc;
	*ret_bank = rc;
	return 0;
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
	if (!rc && v->desc.npayloads > LIVE_MAX_PAYLOADS)
		rc = rh_errf(err, -E2BIG, "%s: %zu payloads; a live install takes at most %d", v->desc.name,
			     v->desc.npayloads, LIVE_MAX_PAYLOADS);
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

/* ---- install ---- */

/* An install in progress: what the checks found and what each step did, for its undo. */
struct install {
	const char *src;
	const struct live_opts *o;
	struct live_result *r;
	struct rh_err *err;                     /* the steps report here, with their own messages */
	struct vib_file *v;
	int opened;
	struct vib_trust trust;
	enum vib_level policy, level;
	struct vibdb db;
	const char *path;                       /* the .vib: src, or the download */
	char work[PATH_MAX];                    /* LIVE_DIR, or a dry run's private directory */
	char dl[PATH_MAX];                      /* the downloaded .vib, removed at the end either way */
	char tdk[LIVE_MAX_PAYLOADS][PATH_MAX];  /* payload files in the live tmpfs */
	char mnt[LIVE_MAX_PAYLOADS][PATH_MAX];  /* their mount points */
	const char *add[LIVE_MAX_PAYLOADS + 1]; /* the payload files written so far, for the bank */
	unsigned ntdk, nmnt, pushed[LIVE_MAX_PAYLOADS];
	struct live_etc_log etc;
	int staged;                             /* --reboot-required for a VIB that cannot go in live: bank only */
	double t0, t;
};

/* Root, the host's level and trust store, and the directory the download goes to. */
static int install_setup(struct install *c)
{
	const struct live_opts *o = c->o;
	int rc;

	if (!o->dry_run && geteuid() != 0)
		return rh_errf(c->err, -EPERM, "vib install changes the running system: run it as root");
	rc = vib_host_level(&c->policy, c->err);
	if (rc < 0)
		return rc;
	rc = vib_host_trust(&c->trust, c->err);
	if (rc < 0)
		return rc;
	if (o->no_sig_check && c->policy != VIB_LEVEL_COMMUNITY)
		return rh_errf(c->err, -EPERM, "--no-sig-check: the host's acceptance level is %s; signatures can "
					       "only be skipped on a community host", vib_level_str(c->policy));
	/* a dry run mounts nothing: its download goes to a private directory under $TMPDIR */
	if (o->dry_run)
		return fs_work_dir(NULL, "ramhost-vib-dry", c->work, sizeof(c->work), c->err);
	snprintf(c->work, sizeof(c->work), "%s", LIVE_DIR);
	return live_dir_up(c->err);
}

/* A URL is downloaded into the work directory, at most half of what RAM can spare (the .vib, then its
 * payloads). */
static int install_download(struct install *c)
{
	struct fetch_opts fo = { 0, 0, 0, 1, 0 };
	uint64_t avail = 0, margin;
	char part[PATH_MAX + 8];
	int rc;

	if (!is_url(c->src))
		return 0;
	rc = min_free(c->o, &margin, c->err);
	if (rc < 0)
		return rc;
	rc = mem_check(c->o, c->src, 0, c->err);
	if (rc < 0)
		return rc;
	rc = live_mem_available(&avail, c->err);
	if (rc < 0)
		return rc;
	fo.max_size = avail > margin ? (avail - margin) / 2 : 1;
	snprintf(c->dl, sizeof(c->dl), "%.3900s/download-%d.vib", c->work, (int)getpid());
	progress(c->o, "downloading %s", c->src);
	rc = fetch_to_file(c->src, c->dl, &fo, &c->r->bytes, c->err);
	if (rc < 0) {
		snprintf(part, sizeof(part), "%s.part", c->dl);
		unlink(part);
		return rc;
	}
	c->path = c->dl;
	return 0;
}

/* Opens the .vib, checks RAM, signature, hashes and level, then the installed set and live-install-allowed. */
static int install_verify(struct install *c)
{
	struct vib_file *v = c->v;
	struct live_result *r = c->r;
	uint64_t payload_bytes = 0;
	size_t i;
	int rc = vib_open(c->path, v, c->err);

	if (rc < 0)
		return rc;
	c->opened = 1;
	r->bytes = v->len;
	for (i = 0; i < v->desc.npayloads; i++)
		payload_bytes += v->desc.payloads[i].size;
	rc = mem_check(c->o, v->desc.name, payload_bytes, c->err);
	if (rc < 0)
		return rc;
	snprintf(r->name, sizeof(r->name), "%s", v->desc.name);
	snprintf(r->version, sizeof(r->version), "%s", v->desc.version);
	progress(c->o, "%s %s: checking the signature and %zu payload hashes", v->desc.name, v->desc.version,
		 v->desc.npayloads);
	rc = vib_check(v, c->trust.dirs, NULL, c->o->no_sig_check, &c->level, c->err);
	if (rc == 0)
		rc = vib_level_check(v->desc.name, c->level, c->policy, c->err);
	if (rc < 0)
		return rc;
	r->level = c->level;
	rc = vibdb_load(live_vibdb_dir(), &c->db, c->err);
	if (rc == 0)
		rc = check_fit(v, c->level, c->policy, &c->db, c->o, c->err);
	if (rc < 0)
		return rc;
	r->ms_verify = now_ms() - c->t;
	for (i = 0; i < v->desc.npayloads; i++)
		snprintf(r->payloads[r->npayloads++], VIB_NAME_MAX, "%s", v->desc.payloads[i].name);
	if (!v->desc.live_install_allowed && !c->o->reboot_required)
		return rh_errf(c->err, -EPERM, "%s does not allow a live install (live-install-allowed=false): use "
					       "--reboot-required to stage it in the bootbank for the next boot",
			       v->desc.name);
	c->staged = c->o->reboot_required && !v->desc.live_install_allowed;
	return 0;
}

static void tardisks_undo(void *ctx)
{
	struct install *c = ctx;
	unsigned k;

	for (k = 0; k < c->ntdk; k++)
		unlink(c->tdk[k]);
}

/* Each payload copied out of the .vib into the live tmpfs. */
static int tardisks_run(void *ctx, struct rh_err *loop_err)
{
	struct install *c = ctx;
	const struct vib_file *v = c->v;
	size_t i;
	int rc;

	(void)loop_err;   /* reports on c->err */
	c->t = now_ms();
	rc = rh_mkdir_p(LIVE_DIR "/tardisks", 0755, c->err);
	for (i = 0; i < v->desc.npayloads && !rc; i++) {
		snprintf(c->tdk[i], PATH_MAX, "%s/tardisks/%s.tdk", LIVE_DIR, v->desc.payloads[i].name);
		rc = write_part(c->tdk[i], v->map, v->payload_member[i].offset, v->payload_member[i].size, c->err);
		if (!rc)
			c->add[c->ntdk++] = c->tdk[i];
	}
	if (rc < 0)
		tardisks_undo(c);
	return rc;
}

static void mount_undo(void *ctx)
{
	struct install *c = ctx;
	struct rh_err e = { 0, "" };
	unsigned i;

	for (i = c->nmnt; i-- > 0;)
		live_tardisk_umount(c->mnt[i], &e);
}

/* Each payload loop-mounted read-only at /run/ramhost/tardisks/NAME. */
static int mount_run(void *ctx, struct rh_err *loop_err)
{
	struct install *c = ctx;
	const struct vib_file *v = c->v;
	char dev[32];
	size_t i;
	int rc = 0;

	(void)loop_err;   /* reports on c->err */
	if (c->staged)
		return 0;
	for (i = 0; i < v->desc.npayloads && !rc; i++) {
		snprintf(c->mnt[i], PATH_MAX, "%s/%s", LIVE_TARDISKS, v->desc.payloads[i].name);
		rc = live_tardisk_mount(c->tdk[i], c->mnt[i], dev, c->err);
		if (!rc) {
			c->nmnt++;
			progress(c->o, "payload %s mounted read-only on %s", v->desc.payloads[i].name, dev);
		}
	}
	if (rc < 0) {
		mount_undo(c);
		return rc;
	}
	c->r->ms_mount = now_ms() - c->t;
	return 0;
}

static void refresh_undo(void *ctx)
{
	struct install *c = ctx;
	struct rh_err e = { 0, "" };
	unsigned i, pushed;

	for (i = c->nmnt; i-- > 0;)
		if (c->pushed[i])
			live_refresh(c->mnt[i], 0, &pushed, &e);
}

/* Each payload's layer pushed on top of the overlays of /usr, /opt, ... */
static int refresh_run(void *ctx, struct rh_err *loop_err)
{
	struct install *c = ctx;
	size_t i;
	int rc = 0;

	(void)loop_err;   /* reports on c->err */
	if (c->staged)
		return 0;
	c->t = now_ms();
	for (i = 0; i < c->nmnt && !rc; i++)
		rc = live_refresh(c->mnt[i], 1, &c->pushed[i], c->err);
	if (rc < 0)
		refresh_undo(c);
	return rc;
}

static void etc_undo(void *ctx)
{
	struct install *c = ctx;
	struct rh_err e = { 0, "" };

	live_etc_undo("/", &c->etc, &e);
}

/* Each payload's /etc defaults merged into the writable /etc (the user's changes kept). */
static int etc_run(void *ctx, struct rh_err *loop_err)
{
	struct install *c = ctx;
	const struct vib_file *v = c->v;
	char **lowers;
	size_t i;
	int rc = 0;

	(void)loop_err;   /* reports on c->err */
	if (c->staged)
		return 0;
	for (i = 0; i < c->nmnt && !rc; i++) {
		lowers = live_tardisk_mounts(v->desc.payloads[i].name);
		rc = live_etc_merge("/", c->mnt[i], (const char *const *)lowers, &c->etc, c->err);
		live_list_free(lowers);
	}
	if (rc < 0) {
		etc_undo(c);
		return rc;
	}
	for (i = 0; i < c->etc.n; i++)
		if (c->etc.c[i].kind == LIVE_ETC_KEPT) {
			c->r->etc_kept++;
			progress(c->o, "%s: changed here, kept; the new default is %s.vib-new", c->etc.c[i].path,
				 c->etc.c[i].path);
		}
	c->r->live = 1;
	c->r->ms_refresh = now_ms() - c->t;
	return 0;
}

static void database_undo(void *ctx)
{
	struct install *c = ctx;
	struct rh_err e = { 0, "" };

	vibdb_del(live_vibdb_dir(), c->v->desc.name, &e);
	pending_set(c->v->desc.name, NULL, &e);
}

/* The database entry (NAME.xml, .sig, .level, sticky.list), and NAME.pending when staged. */
static int database_run(void *ctx, struct rh_err *loop_err)
{
	struct install *c = ctx;
	const struct vib_file *v = c->v;
	struct vibdb_entry e;
	int rc;

	(void)loop_err;   /* reports on c->err */
	memset(&e, 0, sizeof(e));
	e.desc = v->desc;
	e.xml = (char *)(v->map + v->desc_member.offset);
	e.xml_len = v->desc_member.size;
	e.sig = v->sig_member.size ? (void *)(v->map + v->sig_member.offset) : NULL;
	e.sig_len = v->sig_member.size;
	e.level = c->level;
	rc = vibdb_put(live_vibdb_dir(), &e, c->err);
	if (rc < 0)
		return rc;
	if (!c->r->live) {
		rc = pending_set(v->desc.name, "install", c->err);
		if (rc < 0)
			database_undo(c);
	}
	return rc;
}

/* The booted bank given the payload modules and the new vibs.cpio (all or nothing: no undo needed after). */
static int bank_run(void *ctx, struct rh_err *loop_err)
{
	struct install *c = ctx;
	struct live_result *r = c->r;
	int rc;

	(void)loop_err;   /* reports on c->err */
	c->t = now_ms();
	vibdb_free(&c->db);
	rc = vibdb_load(live_vibdb_dir(), &c->db, c->err);
	if (rc == 0)
		rc = update_bank(c->add, &c->v->desc, NULL, &c->db, &r->bank, c->err);
	if (rc < 0)
		return rc;
	r->ms_bank = now_ms() - c->t;
	if (!r->live && !r->bank)
		return rh_errf(c->err, -ENODEV, "%s: --reboot-required needs a disk host (a bootbank to stage it in)",
			       c->v->desc.name);
	return 0;
}

/* The install's changes, in order; a failure undoes the completed ones bottom to top (docs/vib-live.md).
 * mount, refresh and etc do nothing for a staged VIB. */
static const struct step install_steps[] = {
	{ "tardisks", tardisks_run, tardisks_undo },
	{ "mount", mount_run, mount_undo },
	{ "refresh", refresh_run, refresh_undo },
	{ "etc", etc_run, etc_undo },
	{ "database", database_run, database_undo },
	{ "bank", bank_run, NULL },
};

static int install_apply(struct install *c)
{
	const struct steps t = { "vib-install", install_steps, sizeof(install_steps) / sizeof(install_steps[0]),
				 NULL, NULL };
	const struct vib_file *v = c->v;
	struct live_result *r = c->r;
	unsigned i;
	int rc = steps_run(&t, c, NULL, c->err);

	if (rc < 0)
		return rc;
	for (i = 0; !r->live && i < c->ntdk; i++)
		unlink(c->tdk[i]);   /* staged: the bank has its copy, nothing here uses it */
	progress(c->o, "%s %s installed%s", v->desc.name, v->desc.version,
		 r->bank ? (r->live ? "; the booted bootbank keeps it" : " in the bootbank: active after the next reboot") :
			   " until the next reboot (not a disk host: no bootbank to keep it in)");
	return 0;
}

int live_install(const char *src, const struct live_opts *o, struct live_result *r, struct rh_err *err)
{
	struct install *c = calloc(1, sizeof(*c));
	double t0 = now_ms();
	int rc;

	memset(r, 0, sizeof(*r));
	if (!c) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	c->src = c->path = src;
	c->o = o;
	c->r = r;
	c->err = err;
	c->t0 = t0;
	c->v = calloc(1, sizeof(*c->v));
	if (!c->v) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = install_setup(c);
	if (rc == 0)
		rc = install_download(c);
	if (rc < 0)
		goto out;
	r->ms_download = now_ms() - t0;
	c->t = now_ms();
	rc = install_verify(c);
	if (rc < 0)
		goto out;
	if (o->dry_run) {
		progress(o, "dry run: %s %s (%s) fits; nothing changed", c->v->desc.name, c->v->desc.version,
			 vib_level_str(c->level));
		goto out;
	}
	rc = install_apply(c);
out:
	if (c) {
		if (c->dl[0])
			unlink(c->dl);
		if (o->dry_run && c->work[0])
			rmdir(c->work);
		if (c->opened)
			vib_close(c->v);
		vibdb_free(&c->db);
		live_etc_log_free(&c->etc);
		free(c->v);
		free(c);
	}
	r->ms_total = now_ms() - t0;
	return rc;
}

/* ---- remove ---- */

/* A removal in progress. */
struct removal {
	const char *name;
	const struct live_opts *o;
	struct live_result *r;
	struct rh_err *err;
	struct vibdb db;
	const struct vibdb_entry *me;
	char mods[LIVE_MAX_PAYLOADS][VIB_NAME_MAX + 8];
	const char *remove[LIVE_MAX_PAYLOADS + 1];   /* the bank modules to drop */
	int live, staged_install;
	double t;
};

/* The VIB is installed, the set holds together without it, its removal is not staged already. */
static int remove_check(struct removal *c)
{
	struct vib_cand *set = calloc(c->db.n + 1, sizeof(*set));
	struct live_result *r = c->r;
	char word[16];
	size_t i, n = 0;
	int rc = 0;

	if (!set)
		return rh_errf(c->err, -ENOMEM, "out of memory");
	for (i = 0; i < c->db.n; i++) {
		if (!strcmp(c->db.v[i].desc.name, c->name)) {
			c->me = &c->db.v[i];
			continue;
		}
		set[n].desc = &c->db.v[i].desc;
		set[n].level = c->db.v[i].level;
		set[n++].origin = "installed";
	}
	if (!c->me) {
		rc = rh_errf(c->err, -ENOENT, "%s is not installed (see `ramhost vib list`)", c->name);
		goto out;
	}
	snprintf(r->name, sizeof(r->name), "%s", c->me->desc.name);
	snprintf(r->version, sizeof(r->version), "%s", c->me->desc.version);
	r->level = c->me->level;
	/* what stays must still hold together (nothing left depending on it); the level is not re-judged */
	rc = vib_set_check(set, n, VIB_LEVEL_COMMUNITY, c->err);
	if (rc < 0) {
		rh_err_prefix(c->err, rc, "removing %s would break the installed set", c->name);
		goto out;
	}
	if (c->me->desc.npayloads > LIVE_MAX_PAYLOADS) {
		rc = rh_errf(c->err, -E2BIG, "%s: more than %d payloads", c->name, LIVE_MAX_PAYLOADS);
		goto out;
	}
	for (i = 0; i < c->me->desc.npayloads; i++) {
		snprintf(r->payloads[r->npayloads++], VIB_NAME_MAX, "%s", c->me->desc.payloads[i].name);
		vib_payload_module_name(&c->me->desc.payloads[i], c->mods[i], sizeof(c->mods[i]));
		c->remove[i] = c->mods[i];
	}
	c->live = c->me->desc.live_remove_allowed;
	c->staged_install = live_pending(c->name, word, sizeof(word)) && !strcmp(word, "install");
	if (live_pending(c->name, word, sizeof(word)) && !strcmp(word, "remove")) {
		rc = rh_errf(c->err, -EALREADY, "%s: its removal is already staged for the next boot", c->name);
		goto out;
	}
	if (c->staged_install)
		c->live = 1;   /* never in the running view: only the database and the bank to change */
out:
	free(set);
	return rc;
}

/* Each payload taken out of the running view: its /etc defaults, its overlay layers, its mount and RAM file.
 * No undo: what was taken out stays out (as the command always did); the step stops at the first failure. */
static int view_run(void *ctx, struct rh_err *loop_err)
{
	struct removal *c = ctx;
	const struct vib_desc *d = &c->me->desc;
	char mnt[PATH_MAX], file[PATH_MAX];
	double t = now_ms();
	size_t i;
	int rc = 0;

	(void)loop_err;   /* reports on c->err */
	for (i = 0; c->live && !c->staged_install && i < d->npayloads && !rc; i++) {
		unsigned pushed, kept = 0;
		char **lowers = live_tardisk_mounts(d->payloads[i].name);

		snprintf(mnt, sizeof(mnt), "%s/%s", LIVE_TARDISKS, d->payloads[i].name);
		rc = live_etc_unmerge("/", mnt, (const char *const *)lowers, &kept, c->err);
		live_list_free(lowers);
		c->r->etc_kept += kept;
		if (rc == 0)
			rc = live_refresh(mnt, 0, &pushed, c->err);
		if (rc == 0)
			rc = live_tardisk_umount(mnt, c->err);
		snprintf(file, sizeof(file), "%s/tardisks/%s.tdk", LIVE_DIR, d->payloads[i].name);
		unlink(file);   /* freed once the last user of the old view lets go */
		if (!rc)
			progress(c->o, "payload %s taken out of the running view", d->payloads[i].name);
	}
	if (rc < 0)
		return rc;
	c->r->live = c->live;
	c->r->ms_refresh = now_ms() - t;
	return 0;
}

static void unstage_undo(void *ctx)
{
	struct removal *c = ctx;
	struct rh_err e = { 0, "" };

	if (!c->live)
		pending_set(c->name, NULL, &e);
}

/* Live: the database entry deleted. Not live: NAME.pending says "remove" (this boot keeps the VIB). */
static int unregister_run(void *ctx, struct rh_err *loop_err)
{
	struct removal *c = ctx;
	int rc;

	(void)loop_err;   /* reports on c->err */
	c->t = now_ms();
	if (!c->live) {
		rc = pending_set(c->name, "remove", c->err);
		if (rc < 0)
			unstage_undo(c);
		return rc;
	}
	rc = vibdb_del(live_vibdb_dir(), c->name, c->err);
	if (rc < 0)
		return rc;
	pending_set(c->name, NULL, c->err);
	vibdb_free(&c->db);
	c->me = NULL;   /* it pointed into the old database */
	return vibdb_load(live_vibdb_dir(), &c->db, c->err);
}

/* The bank without the payload modules and with a vibs.cpio without the VIB (make_cpio leaves staged removals
 * out). */
static int unbank_run(void *ctx, struct rh_err *loop_err)
{
	struct removal *c = ctx;
	int rc;

	(void)loop_err;   /* reports on c->err */
	rc = update_bank(NULL, NULL, c->remove, &c->db, &c->r->bank, c->err);
	if (rc < 0)
		return rc;
	if (!c->live && !c->r->bank)
		return rh_errf(c->err, -ENODEV, "%s does not allow a live remove (live-remove-allowed=false) and this "
						"host has no bootbank to stage the removal in", c->name);
	c->r->ms_bank = now_ms() - c->t;
	return 0;
}

/* The removal's changes, in order. A failure after the database step takes a staged removal's mark back;
 * a live removal's earlier steps stay done (see docs/vib-live.md). */
static const struct step remove_steps[] = {
	{ "view", view_run, NULL },
	{ "database", unregister_run, unstage_undo },
	{ "bank", unbank_run, NULL },
};

int live_remove(const char *name, const struct live_opts *o, struct live_result *r, struct rh_err *err)
{
	const struct steps t = { "vib-remove", remove_steps, sizeof(remove_steps) / sizeof(remove_steps[0]), NULL,
				 NULL };
	struct removal c;
	double t0 = now_ms();
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.o = o;
	c.r = r;
	c.err = err;
	if (!o->dry_run && geteuid() != 0)
		return rh_errf(err, -EPERM, "vib remove changes the running system: run it as root");
	rc = vibdb_load(live_vibdb_dir(), &c.db, err);
	if (rc < 0)
		return rc;
	rc = remove_check(&c);
	if (rc < 0)
		goto out;
	if (o->dry_run) {
		progress(o, "dry run: %s %s can be removed%s; nothing changed", name, c.me->desc.version,
			 c.live ? "" : " at the next boot (live-remove-allowed=false)");
		goto out;
	}
	rc = steps_run(&t, &c, NULL, err);
	if (rc < 0)
		goto out;
	progress(o, "%s %s removed%s", name, r->version,
		 !c.live ? " from the bootbank: it goes at the next reboot" :
		 r->bank ? " (and from the booted bootbank)" : " until the next reboot (not a disk host)");
out:
	vibdb_free(&c.db);
	r->ms_total = now_ms() - t0;
	return rc;
}
