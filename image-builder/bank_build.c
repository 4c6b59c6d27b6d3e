/* bank_build.c: profile -> bootbank directory (see bank_build.h). */
#include "bank_build.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "boot_alias.h"
#include "bootloader/bank_dir.h"
#include "bootloader/syslinux_cfg.h"
#include "cpio.h"
#include "debootstrap.h"
#include "drivers.h"
#include "drivers_job.h"
#include "modcache.h"
#include "fs.h"
#include "modules_dep.h"
#include "oci_base.h"
#include "outpath.h"
#include "ramhost_layer.h"
#include "tardisk/tardisk.h"
#include "vib_image.h"

struct kernel_src {
	char vmlinuz[PATH_MAX];
	char moddir[PATH_MAX];  /* lib/modules/<kver> */
	char kver[256];
};

struct build {
	const struct profile *p;
	const struct bank_build_opts *o;
	const char *dir;         /* the bootbank being written */
	char work[PATH_MAX];     /* scratch, removed at the end */
	char init[PATH_MAX];     /* the static init */
	char busybox[PATH_MAX];
	struct vib_image_plan *vibs; /* the profile's VIBs, resolved before the long work (NULL without VIB keys) */
	struct kernel_src k;
	struct modules_dep db;   /* the kernel's modules.dep, loaded once (load_modules) */
	char db_path[PATH_MAX];  /* its path, which db's messages name */
	unsigned char *drv_sel;  /* per db.mods[]: 1 in the profile's drivers set (drivers.h); NULL: drivers = none */
	unsigned drv_n;          /* how many are selected */
	unsigned drv_ondemand;   /* how many boot modules are on demand (drivers.h) */
	struct drivers_job drv_job; /* drivers.tdk being made alongside the base (start_drivers), pid 0 if not */
	char drv_cached[PATH_MAX]; /* its place in the drivers cache ("" without one) */
	struct timespec drv_t0;  /* when start_drivers began: a packed drivers.tdk's line counts from there */
	struct bootcfg cfg;
	struct timespec t0;
	int cached;              /* the stage's tardisk came from a cache: its line says so */
	struct rh_err *err;
};

static void stage_start(struct build *b)
{
	b->cached = 0;
	clock_gettime(CLOCK_MONOTONIC, &b->t0);
}

static void human(uint64_t n, char *buf, size_t cap)
{
	if (n >= (1u << 20))
		snprintf(buf, cap, "%.1f MiB", (double)n / (1 << 20));
	else if (n >= 1024)
		snprintf(buf, cap, "%.1f KiB", (double)n / 1024);
	else
		snprintf(buf, cap, "%llu B", (unsigned long long)n);
}

/* One progress line: "NAME: what, SIZE, TIME s"; a stage that wrote no file (size 0: the debootstrap lookup, the
 * VIB check) has no SIZE. */
static void stage_done(struct build *b, const char *name, uint64_t size, const char *fmt, ...)
{
	struct timespec t1;
	char what[512], sz[32], line[700];
	va_list ap;

	if (!b->o->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	human(size, sz + 2, sizeof(sz) - 2);
	sz[0] = ',';
	sz[1] = ' ';
	snprintf(line, sizeof(line), "%-14s %s%s%s, %.2f s", name, what, b->cached ? ", cached" : "", size ? sz : "",
		 (double)(t1.tv_sec - b->t0.tv_sec) + (double)(t1.tv_nsec - b->t0.tv_nsec) / 1e9);
	b->o->progress(b->o->progress_ctx, line);
}

static int path_in(char *buf, const char *dir, const char *name, struct rh_err *err)
{
	return fs_join(buf, PATH_MAX, dir, name, err);
}

/* kernel = debian: the newest vmlinuz-* of the setup cache whose lib/modules/<kver> exists. */
static int find_debian_kernel(struct kernel_src *k, struct rh_err *err)
{
	char cache[2048], pattern[PATH_MAX];
	glob_t g;
	size_t i;
	int rc;

	rc = fs_cache_dir(cache, sizeof(cache), err);
	if (rc)
		return rc;
	snprintf(pattern, sizeof(pattern), "%s/kernel/boot/vmlinuz-*", cache);
	if (glob(pattern, 0, NULL, &g) != 0)
		return rh_errf(err, -ENOENT, "kernel = debian: no %s (run scripts/setup.sh to fetch the Debian "
					     "kernel)", pattern);
	rc = -ENOENT;
	for (i = g.gl_pathc; i-- > 0;) { /* glob sorts: the last is the newest */
		const char *kver = strrchr(g.gl_pathv[i], '/') + strlen("/vmlinuz-");
		struct stat st;
		snprintf(k->moddir, sizeof(k->moddir), "%s/kernel/lib/modules/%s", cache, kver);
		if (stat(k->moddir, &st) == 0 && S_ISDIR(st.st_mode) && strlen(kver) < sizeof(k->kver)) {
			snprintf(k->vmlinuz, sizeof(k->vmlinuz), "%s", g.gl_pathv[i]);
			snprintf(k->kver, sizeof(k->kver), "%s", kver);
			rc = 0;
			break;
		}
	}
	globfree(&g);
	if (rc)
		return rh_errf(err, rc, "kernel = debian: no vmlinuz-* in %s/kernel/boot has its lib/modules/<version> "
					"directory", cache);
	return 0;
}

static int find_kernel(const struct profile *p, struct kernel_src *k, struct rh_err *err)
{
	const char *slash;
	struct stat st;
	size_t n;

	if (!strcmp(p->kernel, PROFILE_KERNEL_DEBIAN))
		return find_debian_kernel(k, err);
	if (stat(p->kernel, &st) < 0 || !S_ISREG(st.st_mode))
		return rh_errf(err, -ENOENT, "kernel %s: not a readable file", p->kernel);
	if (stat(p->kernel_modules, &st) < 0 || !S_ISDIR(st.st_mode))
		return rh_errf(err, -ENOENT, "kernel-modules %s: not a directory", p->kernel_modules);
	snprintf(k->vmlinuz, sizeof(k->vmlinuz), "%s", p->kernel);
	snprintf(k->moddir, sizeof(k->moddir), "%s", p->kernel_modules);
	n = strlen(k->moddir);
	while (n > 1 && k->moddir[n - 1] == '/')
		k->moddir[--n] = '\0';
	slash = strrchr(k->moddir, '/');
	slash = slash ? slash + 1 : k->moddir;
	if (strlen(slash) >= sizeof(k->kver))
		return rh_errf(err, -ENAMETOOLONG, "kernel-modules %s: version too long", p->kernel_modules);
	strcpy(k->kver, slash);
	if (!k->kver[0] || strpbrk(k->kver, " \t\n"))
		return rh_errf(err, -EINVAL, "kernel-modules %s: its last component should be the kernel version",
			       p->kernel_modules);
	return 0;
}

/* The static init: o->init, $RAMHOST_INIT, or `init` next to the running ramhost binary. */
static int find_init(const struct bank_build_opts *o, char *buf, size_t cap, struct rh_err *err)
{
	const char *env = getenv("RAMHOST_INIT");
	int st;

	if (o->init)
		snprintf(buf, cap, "%s", o->init);
	else if (env && *env)
		snprintf(buf, cap, "%s", env);
	else {
		int rc = fs_beside_self("init", buf, cap, err);
		if (rc < 0)
			return rc;
	}
	st = base_elf_is_static(buf);
	if (st == -ENOENT)
		return rh_errf(err, -ENOENT, "%s: no init binary (build it with `make`, or set RAMHOST_INIT)", buf);
	if (st < 0)
		return rh_errf(err, st, "%s: cannot read the init binary as a 64-bit ELF file", buf);
	if (!st)
		return rh_errf(err, -ENOEXEC, "%s: the init must be statically linked", buf);
	return 0;
}

static int load_kmod_db(const struct kernel_src *k, struct modules_dep *db, char *what, size_t cap, struct rh_err *err)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	rc = fs_join(what, cap, k->moddir, "modules.dep", err);
	if (rc)
		return rc;
	rc = rh_read_file(what, 64u << 20, &buf, &len, err);
	if (rc)
		return rc;
	rc = modules_dep_parse(db, buf, len, what, err);
	free(buf);
	buf = NULL;
	if (rc)
		return rc;
	rc = fs_join(path, sizeof(path), k->moddir, "modules.builtin", err);
	if (rc || access(path, F_OK) != 0)
		return rc;
	rc = rh_read_file(path, 64u << 20, &buf, &len, err);
	if (rc)
		return rc;
	rc = modules_dep_add_builtin(db, buf, len, err);
	free(buf);
	return rc;
}

/* Adds each missing parent directory of path (relative, e.g. lib/modules/x/kernel/fs/a.ko) to the archive. */
static int add_parents(struct cpio_writer *w, const char *path, char ***dirs, size_t *ndirs, struct rh_err *err)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);
	int rc;

	if (n >= sizeof(buf))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	memcpy(buf, path, n + 1);
	for (char *s = strchr(buf, '/'); s; s = strchr(s + 1, '/')) {
		char **nd;
		*s = '\0';
		for (i = 0; i < *ndirs; i++)
			if (!strcmp((*dirs)[i], buf))
				break;
		if (i == *ndirs) {
			rc = cpio_add_dir(w, buf, 0755, err);
			if (rc)
				return rc;
			nd = realloc(*dirs, (*ndirs + 1) * sizeof(*nd));
			if (!nd || !(nd[*ndirs] = strdup(buf))) {
				if (nd)
					*dirs = nd;
				return rh_errf(err, -ENOMEM, "out of memory");
			}
			*dirs = nd;
			(*ndirs)++;
		}
		*s = '/';
	}
	return 0;
}

static int add_file(struct cpio_writer *w, const char *name, const char *src, unsigned mode, struct rh_err *err)
{
	struct stat st;
	int fd, rc = rh_open_input(src, &fd, err);

	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0)
		rc = rh_errf(err, -errno, "%s: stat: %s", src, strerror(errno));
	else
		rc = cpio_add_fd(w, name, mode, fd, (uint64_t)st.st_size, err);
	close(fd);
	return rc;
}

/* init.conf as the init module's /etc/ramhost/init.conf (contract: kver, kmod, dkmod, omod, ramdisk, init
 * lines; ramdisk/init/initconf.h). */
static int format_initconf(const struct build *b, const struct modules_dep *db, const unsigned *order,
			   const unsigned char *where, unsigned n, char **ret, size_t *ret_len, struct rh_err *err)
{
	const struct profile *p = b->p;
	char *text = NULL, plain[PATH_MAX];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned i;

	if (!f)
		return rh_errf(err, -ENOMEM, "init.conf: out of memory");
	fprintf(f, "# ramhost init configuration, written by `ramhost image build` for %s-%s\n", p->name,
		p->version);
	fprintf(f, "kver=%s\n", b->k.kver);
	for (i = 0; i < n; i++) {
		modules_dep_plain_path(db->mods[order[i]].path, plain, sizeof(plain));
		if (where[i] == DRIVERS_BOOT_ONDEMAND)  /* from the drivers tardisk's root: its set, or aside */
			fprintf(f, "omod=%s/%s/%s\n", b->drv_sel[order[i]] == DRIVERS_SEL_SET ? "usr/lib/modules" :
				SYSROOT_ONDEMAND_DIR, b->k.kver, plain);
		else
			fprintf(f, "%s=%s\n", where[i] == DRIVERS_BOOT_CPIO ? "kmod" : "dkmod", plain);
	}
	for (i = 0; i < p->nramdisks; i++)
		fprintf(f, "ramdisk=%s %s %llu %llu\n", p->ramdisks[i].name, p->ramdisks[i].mountpoint,
			(unsigned long long)p->ramdisks[i].size, (unsigned long long)p->ramdisks[i].inodes);
	fprintf(f, "init=%s\n", p->init);
	if (fclose(f) != 0) {
		free(text);
		return rh_errf(err, -ENOMEM, "init.conf: out of memory");
	}
	*ret = text;
	*ret_len = len;
	return 0;
}

/* The profile's sticky patterns as the init module's /etc/ramhost/sticky.list (init copies it to
 * /run/ramhost/sticky.list for `ramhost state`): one pattern per line, present even when there are none. */
static int format_sticky(const struct profile *p, char **ret, size_t *ret_len, struct rh_err *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned i;

	if (!f)
		return rh_errf(err, -ENOMEM, "sticky.list: out of memory");
	fprintf(f, "# sticky patterns of %s-%s (the profile's sticky = lines), written by `ramhost image build`\n",
		p->name, p->version);
	for (i = 0; i < p->nsticky; i++)
		fprintf(f, "%s\n", p->sticky[i]);
	if (fclose(f) != 0) {
		free(text);
		return rh_errf(err, -ENOMEM, "sticky.list: out of memory");
	}
	*ret = text;
	*ret_len = len;
	return 0;
}

/* The kernel's modules.dep, read once for init.cpio and drivers.tdk, and the profile's drivers set in it. */
static int load_modules(struct build *b)
{
	int rc;

	rc = load_kmod_db(&b->k, &b->db, b->db_path, sizeof(b->db_path), b->err);
	if (rc || !b->p->drivers)
		return rc;
	b->drv_sel = calloc(b->db.nmods ? b->db.nmods : 1, 1);
	if (!b->drv_sel)
		return rh_errf(b->err, -ENOMEM, "out of memory");
	b->drv_n = drivers_select(&b->db, b->p->drivers, b->drv_sel);
	return 0;
}

/* What init.cpio carries besides init and busybox: the kernel modules to load at boot (order: dependencies
 * first) and the two text files. */
struct init_content {
	unsigned *order, norder;
	unsigned char *where;  /* per order[] entry: DRIVERS_BOOT_* (drivers.h) */
	unsigned ncpio, nondemand;
	char *conf, *sticky, *alias;  /* init.conf, sticky.list, boot.alias (boot_alias.h) */
	size_t conflen, stickylen, aliaslen;
};

static void init_content_free(struct init_content *c)
{
	free(c->order);
	free(c->where);
	free(c->conf);
	free(c->sticky);
	free(c->alias);
}

/* Where init finds each boot module: all in init.cpio without a drivers tardisk, else drivers_split_boot's
 * answer, where the every-boot modules are modules_dep_required's and the extra ones (the profile's kmod lines,
 * the network fallback). */
static int init_content_split(struct build *b, struct init_content *c, const char *const *extra, unsigned nextra)
{
	unsigned char *every = calloc(c->norder ? c->norder : 1, 1);
	unsigned i, k;
	int n;

	c->where = calloc(c->norder ? c->norder : 1, 1);
	if (!c->where || !every) {
		free(every);
		return rh_errf(b->err, -ENOMEM, "out of memory");
	}
	if (!b->drv_sel) {
		memset(c->where, DRIVERS_BOOT_CPIO, c->norder);
		c->ncpio = c->norder;
		free(every);
		return 0;
	}
	for (k = 0; k < c->norder; k++) {
		for (i = 0; i < MODULES_DEP_NREQUIRED; i++)
			every[k] |= (int)c->order[k] == modules_dep_find(&b->db, modules_dep_required[i]);
		for (i = 0; i < nextra; i++)
			every[k] |= (int)c->order[k] == modules_dep_find(&b->db, extra[i]);
	}
	n = drivers_split_boot(&b->db, c->order, c->norder, every, b->drv_sel, c->where);
	free(every);
	if (n < 0)
		return rh_errf(b->err, n, "out of memory");
	c->ncpio = (unsigned)n;
	for (k = 0; k < c->norder; k++)
		c->nondemand += c->where[k] == DRIVERS_BOOT_ONDEMAND;
	return 0;
}

/* boot.alias (boot_alias.h) from the kernel's modules.alias; a kernel without that file gets none, and init
 * then loads every boot module as before. */
static int make_boot_alias(struct build *b, struct init_content *c)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	int rc;

	rc = fs_join(path, sizeof(path), b->k.moddir, "modules.alias", b->err);
	if (!rc)
		rc = rh_read_file(path, 64u << 20, &buf, &len, b->err);
	if (rc == -ENOENT) {
		rh_err_clear(b->err);
		return 0;
	}
	if (!rc)
		rc = boot_alias_format(&b->db, c->order, c->norder, buf, len, &c->alias, &c->aliaslen, b->err);
	free(buf);
	return rc;
}

/* The boot modules (the required ones, disk drivers, the profile's kmod lines; virtio_net when the drivers
 * tardisk has no network drivers) resolved against modules.dep, and the init.conf and sticky.list texts. */
static int init_content_make(struct build *b, struct init_content *c)
{
	const char *names[MODULES_DEP_NREQUIRED + MODULES_DEP_NDISK + PROFILE_MAX_KMODS + 1];
	const char *extra[PROFILE_MAX_KMODS + 1];
	unsigned nnames = 0, nextra = 0, i;
	int rc;

	for (i = 0; i < b->p->nkmods; i++)
		extra[nextra++] = b->p->kmods[i];
	if (!(b->p->drivers & PROFILE_DRIVERS_NET) && modules_dep_find(&b->db, "virtio_net") >= 0)
		extra[nextra++] = "virtio_net"; /* a host without network drivers still has QEMU's network */
	modules_dep_boot_names(&b->db, extra, nextra, names, &nnames);
	rc = modules_dep_resolve(&b->db, names, nnames, &c->order, &c->norder, b->err);
	if (!rc)
		rc = init_content_split(b, c, extra, nextra);
	if (rc)
		return rc;
	rc = format_initconf(b, &b->db, c->order, c->where, c->norder, &c->conf, &c->conflen, b->err);
	if (!rc)
		rc = make_boot_alias(b, c);
	if (rc)
		return rc;
	return format_sticky(b->p, &c->sticky, &c->stickylen, b->err);
}

/* The fixed part of init.cpio: its directories, the console node, init and busybox. */
static int add_init_skeleton(struct build *b, struct cpio_writer *w)
{
	static const char *const dirs[] = { "bin", "dev", "etc", "etc/ramhost", "proc", "run", "sys", "sysroot",
					    "tardisks" };
	struct rh_err *err = b->err;
	unsigned i;
	int rc;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		rc = cpio_add_dir(w, dirs[i], 0755, err);
		if (rc)
			return rc;
	}
	rc = cpio_add_node(w, "dev/console", S_IFCHR | 0600, 5, 1, err);
	if (rc)
		return rc;
	rc = add_file(w, "init", b->init, 0755, err);
	if (rc)
		return rc;
	rc = add_file(w, "bin/busybox", b->busybox, 0755, err);
	if (rc)
		return rc;
	return cpio_add_symlink(w, "bin/sh", "busybox", err);
}

/* One kernel module as lib/modules/<kver>/PATH (decompressed), after its parent directories. */
static int add_init_kmod(struct build *b, struct cpio_writer *w, const char *rel, char ***made, size_t *nmade)
{
	char path[PATH_MAX], name[PATH_MAX], plain[PATH_MAX];
	void *data = NULL;
	size_t len;
	int rc;

	rc = fs_join(path, sizeof(path), b->k.moddir, rel, b->err);
	if (rc)
		return rc;
	modules_dep_plain_path(rel, plain, sizeof(plain));
	if ((size_t)snprintf(name, sizeof(name), "lib/modules/%s/%s", b->k.kver, plain) >= sizeof(name))
		return rh_errf(b->err, -ENAMETOOLONG, "%s: path too long", rel);
	rc = modules_dep_read_file(path, &data, &len, b->err);
	if (!rc)
		rc = add_parents(w, name, made, nmade, b->err);
	if (!rc)
		rc = cpio_add_buf(w, name, 0644, data, len, b->err);
	free(data);
	return rc;
}

/* Everything of init.cpio, in archive order, into w. */
static int add_init_files(struct build *b, struct cpio_writer *w, const struct init_content *c)
{
	char **made = NULL;
	size_t nmade = 0, j;
	unsigned i;
	int rc;

	rc = add_init_skeleton(b, w);
	for (i = 0; i < c->norder && !rc; i++)
		if (c->where[i] == DRIVERS_BOOT_CPIO)
			rc = add_init_kmod(b, w, b->db.mods[c->order[i]].path, &made, &nmade);
	for (j = 0; j < nmade; j++)
		free(made[j]);
	free(made);
	if (!rc)
		rc = cpio_add_buf(w, "etc/ramhost/init.conf", 0644, c->conf, c->conflen, b->err);
	if (!rc)
		rc = cpio_add_buf(w, "etc/ramhost/sticky.list", 0644, c->sticky, c->stickylen, b->err);
	if (!rc && c->aliaslen)
		rc = cpio_add_buf(w, "etc/ramhost/boot.alias", 0644, c->alias, c->aliaslen, b->err);
	if (!rc)
		rc = cpio_finish(w, b->err);
	return rc;
}

static int start_drivers(struct build *b);

/* init.cpio; once its content says which modules are on demand (the drivers split), drivers.tdk starts being
 * packed alongside (start_drivers). */
static int write_init_cpio(struct build *b, uint64_t *ret_size, unsigned *ret_nkmods, unsigned *ret_ndrivers)
{
	struct rh_err *err = b->err;
	struct init_content c = { 0 };
	char path[PATH_MAX];
	struct cpio_writer w;
	int fd = -1, rc;

	rc = init_content_make(b, &c);
	if (!rc)
		rc = start_drivers(b);
	if (!rc)
		rc = path_in(path, b->dir, "init.cpio", err);
	if (rc)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = rh_errf(err, -errno, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	cpio_writer_init(&w, fd, path);
	rc = add_init_files(b, &w, &c);
	if (!rc && fsync(fd) < 0)
		rc = rh_errf(err, -errno, "%s: fsync: %s", path, strerror(errno));
	if (!rc) {
		*ret_size = w.off;
		*ret_nkmods = c.ncpio;
		*ret_ndrivers = c.norder - c.ncpio;
		b->drv_ondemand = c.nondemand;
	}
out:
	if (fd >= 0)
		close(fd);
	init_content_free(&c);
	return rc;
}

/* Appends a module to boot.cfg with the SHA-256 of its bootbank file. */
static int add_module(struct build *b, const char *name, uint64_t *ret_size)
{
	struct bootcfg_file *f;
	char path[PATH_MAX];
	int rc;

	if (b->cfg.nmodules == BOOTCFG_MAX_MODULES)
		return rh_errf(b->err, -E2BIG, "more than %d boot modules", BOOTCFG_MAX_MODULES);
	f = &b->cfg.modules[b->cfg.nmodules];
	if (strlen(name) >= sizeof(f->name))
		return rh_errf(b->err, -ENAMETOOLONG, "module name %s too long", name);
	rc = path_in(path, b->dir, name, b->err);
	if (rc)
		return rc;
	rc = fs_sha256_file(path, f->sha256, ret_size, b->err);
	if (rc)
		return rc;
	strcpy(f->name, name);
	f->has_sha256 = 1;
	b->cfg.nmodules++;
	return 0;
}

#define TDK_NOCACHE 1 /* not through the tardisk cache (drivers.tdk has its own) */
#define TDK_STAGED 2  /* a tree this build staged: its mtimes are the time of the build */

/* The mtime clamp of a tardisk: SOURCE_DATE_EPOCH when set (-1: tardisk_create reads it); else, for a tree the
 * build staged itself (TDK_STAGED), the mtime of the ramhost binary that made it, so that the same inputs give
 * the same bytes (and a hit in the tardisk cache); else none (a profile's own tree keeps its times). */
static long long tardisk_clamp(int flags)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct stat st;

	if ((sde && *sde) || !(flags & TDK_STAGED) || stat("/proc/self/exe", &st) < 0)
		return -1;
	return (long long)st.st_mtime;
}

static int wrap_tardisk(struct build *b, const char *file, const char *img, uint64_t *ret_size);

/* tardisk_create(src) into the work dir, taken from the tardisk cache when the same content was built before
 * (modcache.h), then the canonical cpio wrapper into the bootbank as NAME.tdk. flags: TDK_*. */
static int make_tardisk(struct build *b, const char *name, const char *src, int flags, uint64_t *ret_size)
{
	struct tardisk_create_opts to;
	struct modcache_tdk cache;
	char img[PATH_MAX], file[PROFILE_MAX_NAME + 8];
	int rc;

	snprintf(file, sizeof(file), "%s.tdk", name);
	rc = path_in(img, b->work, file, b->err);
	if (rc)
		return rc;
	memset(&to, 0, sizeof(to));
	to.src = src;
	to.out = img;
	to.mtime = tardisk_clamp(flags);
	memset(&cache, 0, sizeof(cache));
	if (!(flags & TDK_NOCACHE))
		modcache_tdk_open(&cache, img);
	if (cache.dir[0]) {
		to.reuse = modcache_tdk_reuse;
		to.reuse_ctx = &cache;
		to.built_key = cache.key;
	}
	rc = tardisk_create(&to, b->err);
	if (rc)
		return rc;
	if (to.reuse)
		modcache_tdk_store(&cache);
	b->cached = cache.hit;
	return wrap_tardisk(b, file, img, ret_size);
}

/* The image img (removed here) in the canonical cpio wrapper as the bootbank's module file, which is added. */
static int wrap_tardisk(struct build *b, const char *file, const char *img, uint64_t *ret_size)
{
	char out[PATH_MAX];
	struct stat st;
	int in = -1, fd = -1, rc = path_in(out, b->dir, file, b->err);

	if (rc) {
		unlink(img);
		return rc;
	}
	in = open(img, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0) {
		rc = rh_errf(b->err, -errno, "%s: %s", img, strerror(errno));
		goto out;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = rh_errf(b->err, -errno, "%s: cannot create: %s", out, strerror(errno));
		goto out;
	}
	rc = cpio_wrap_file(fd, "tardisks", file, in, (uint64_t)st.st_size, b->err);
	if (!rc && fsync(fd) < 0)
		rc = rh_errf(b->err, -errno, "%s: fsync: %s", out, strerror(errno));
out:
	if (in >= 0)
		close(in);
	if (fd >= 0)
		close(fd);
	unlink(img);
	if (rc)
		return rc;
	return add_module(b, file, ret_size);
}

/* The ramhost binary the base ships as /usr/bin/ramhost: o->ramhost, $RAMHOST_SELF, else the host build beside the
 * running binary (host/ramhost: `make` builds it, smaller, without `pxe`; see cli/main.c), else the running binary
 * itself (an installed ramhost without the host build, or the host build running `image` on a host). buf (cap
 * bytes) holds the path when it is built here. */
static const char *shipped_ramhost(const struct bank_build_opts *o, char *buf, size_t cap)
{
	const char *env = getenv("RAMHOST_SELF");

	if (o->ramhost)
		return o->ramhost;
	if (env && *env)
		return env;
	if (fs_beside_self(BANK_HOST_RAMHOST, buf, cap, NULL) == 0 && access(buf, X_OK) == 0)
		return buf;
	return "/proc/self/exe";
}

/* ramhost.tdk: the ramhost layer (binary, missing libraries, systemd units) staged over the tree at root. */
static int make_ramhost_layer(struct build *b, const char *root)
{
	char self[PATH_MAX];
	struct ramhost_layer_opts lo = {
		.base_root = root,
		.shown = profile_base_is_oci(b->p) ? b->p->base : NULL,
		.ramhost = shipped_ramhost(b->o, self, sizeof(self)),
		.hostname = b->p->name,
		.network = &b->p->network,
	};
	struct ramhost_layer_info info;
	char stage[PATH_MAX];
	uint64_t size;
	int rc;

	stage_start(b);
	rc = path_in(stage, b->work, "ramhost-layer", b->err);
	if (!rc)
		rc = rh_mkdir_p(stage, 0755, b->err);
	if (!rc)
		rc = ramhost_layer_stage(stage, &lo, &info, b->err);
	if (!rc)
		rc = make_tardisk(b, PROFILE_RAMHOST_LAYER, stage, TDK_STAGED, &size);
	if (!rc)
		stage_done(b, "ramhost.tdk", size, "ramhost layer: binary, %u libraries, %u systemd units", info.nlibs,
			   info.nunits);
	fs_rm_rf(stage, NULL);
	return rc;
}

/* base = debootstrap:SUITE: base.tdk straight from the cached debootstrap tree, then ramhost.tdk, the ramhost
 * layer, right over it. */
static int make_debootstrap_base(struct build *b)
{
	const struct profile *p = b->p;
	struct debootstrap_opts dopts = { .suite = p->base + strlen(PROFILE_BASE_DEBOOTSTRAP), .packages = p->packages };
	struct debootstrap_result *r = calloc(1, sizeof(*r));
	uint64_t size;
	int rc;

	if (!r)
		return rh_errf(b->err, -ENOMEM, "out of memory");
	stage_start(b);
	if (b->o->progress)
		b->o->progress(b->o->progress_ctx, "debootstrap    looking for the cached tree (a cold build takes "
						   "minutes)");
	rc = debootstrap_base(&dopts, r, b->err);
	if (rc)
		goto out;
	stage_done(b, "debootstrap", 0, "%s, %s %s from %s", p->base, r->cached ? "cached" : "built", r->root,
		   r->mirror);
	stage_start(b);
	rc = make_tardisk(b, "base", r->root, 0, &size);
	if (rc)
		goto out;
	stage_done(b, "base.tdk", size, "from %s", r->root);
	rc = make_ramhost_layer(b, r->root);
out:
	free(r);
	return rc;
}

/* oci-layers = split: one module per layer of the container image (oci_base_split), lowest first, named by
 * profile_base_layer_name; *ret_n gets how many. */
static int make_oci_layers(struct build *b, unsigned *ret_n)
{
	char file[PROFILE_MAX_NAME + 8];
	struct oci_base_layers ls;
	uint64_t size;
	unsigned i, hits = 0;
	int rc;

	stage_start(b);
	rc = oci_base_split(b->p->base, b->work, -1, &ls, b->err);
	if (rc)
		return rc;
	for (i = 0; i < ls.n; i++)
		hits += ls.v[i].cached ? 1 : 0;
	stage_done(b, "base layers", 0, "%s: %u layers, %u from the layer cache", b->p->base, ls.n, hits);
	for (i = 0; i < ls.n && !rc; i++) {
		stage_start(b);
		snprintf(file, sizeof(file), "%s.tdk", ls.v[i].name);
		rc = wrap_tardisk(b, file, ls.v[i].img, &size);
		b->cached = ls.v[i].cached;
		if (!rc)
			stage_done(b, file, size, "layer %u of %u", i + 1, ls.n);
	}
	for (; i < ls.n; i++)
		unlink(ls.v[i].img);
	*ret_n = ls.n;
	oci_base_layers_free(&ls);
	return rc;
}

/* base = oci:PATH[:TAG]: base.tdk from the container image (or one module per layer), its init checked, then the
 * ramhost layer over it (oci_base.h). */
static int make_oci_base(struct build *b)
{
	const struct profile *p = b->p;
	char root[PATH_MAX], tdk[PATH_MAX], file[PROFILE_MAX_NAME + 8];
	unsigned n = 1, i;
	uint64_t size;
	int rc;

	stage_start(b);
	rc = p->oci_split ? make_oci_layers(b, &n) : make_tardisk(b, "base", p->base, 0, &size);
	if (rc)
		return rc;
	if (!p->oci_split)
		stage_done(b, "base.tdk", size, "from %s", p->base);
	rc = path_in(root, b->work, "oci-root", b->err);
	if (!rc)
		rc = rh_mkdir_p(root, 0755, b->err);
	for (i = 0; i < n && !rc; i++) {   /* the layers' trees over each other, lowest first */
		profile_base_layer_name(i, file, sizeof(file) - 4);
		strcat(file, ".tdk");
		rc = path_in(tdk, b->dir, file, b->err);
		if (!rc)
			rc = oci_base_tree(tdk, root, b->err);
	}
	if (!rc)
		rc = oci_base_check_init(root, p->init, p->base, b->err);
	if (!rc)
		rc = make_ramhost_layer(b, root);
	fs_rm_rf(root, NULL);
	return rc;
}

/* rescue.tdk (profile key rescue): the tools of `ramhost rescue`, layered over the built-in base staged at
 * base_root. */
static int make_rescue_module(struct build *b, const char *base_root)
{
	struct base_rescue_opts ro = { base_root, NULL };
	char stage[PATH_MAX];
	uint64_t size;
	int rc;

	stage_start(b);
	rc = path_in(stage, b->work, "rescue-root", b->err);
	if (!rc)
		rc = rh_mkdir_p(stage, 0755, b->err);
	if (!rc)
		rc = base_rescue_stage(stage, &ro, b->err);
	if (!rc)
		rc = make_tardisk(b, PROFILE_RESCUE_MODULE, stage, TDK_STAGED, &size);
	fs_rm_rf(stage, NULL);
	if (!rc)
		stage_done(b, "rescue.tdk", size, "rescue tools (mtools, syslinux, e2fsprogs, dosfstools, ramhost.efi)");
	return rc;
}

/* base = minimal: the built-in base (busybox + ramhost) staged in the work dir. */
static int make_builtin_base(struct build *b)
{
	char self[PATH_MAX];
	struct base_builtin_opts bo = {
		.busybox = b->busybox,
		.ramhost = shipped_ramhost(b->o, self, sizeof(self)),
		.hostname = b->p->name,
		.network = &b->p->network,
	};
	char stage[PATH_MAX];
	uint64_t size;
	int rc;

	rc = path_in(stage, b->work, "base-root", b->err);
	if (!rc)
		rc = rh_mkdir_p(stage, 0755, b->err);
	if (!rc)
		rc = base_builtin_stage(stage, &bo, b->err);
	if (!rc)
		rc = make_tardisk(b, "base", stage, TDK_STAGED, &size);
	if (!rc)
		stage_done(b, "base.tdk", size, "built-in minimal base (busybox + ramhost)");
	if (!rc && b->p->rescue)
		rc = make_rescue_module(b, stage);
	fs_rm_rf(stage, NULL);
	return rc;
}

static int make_base(struct build *b)
{
	const struct profile *p = b->p;
	uint64_t size;
	int rc;

	if (profile_base_is_debootstrap(p))
		return make_debootstrap_base(b);
	if (profile_base_is_oci(p))
		return make_oci_base(b);
	stage_start(b);
	if (!strcmp(p->base, PROFILE_BASE_MINIMAL))
		return make_builtin_base(b);
	rc = make_tardisk(b, "base", p->base, 0, &size);
	if (!rc)
		stage_done(b, "base.tdk", size, "from %s", p->base);
	return rc;
}

static int write_bootcfg(struct build *b, uint64_t *ret_size)
{
	char text[16384], path[PATH_MAX];
	long len;
	int rc;

	rc = syslinux_cfg_check_names(&b->cfg, BANK_DIR_BOOTCFG_MODULE, b->err);
	if (rc)
		return rc;
	len = bootcfg_format(&b->cfg, text, sizeof(text));
	if (len < 0)
		return rh_errf(b->err, (int)len, "boot.cfg: does not fit in %zu bytes", sizeof(text));
	rc = path_in(path, b->dir, "boot.cfg", b->err);
	if (!rc)
		rc = fs_write_file(path, text, (size_t)len, 0644, b->err);
	if (!rc)
		rc = bank_dir_write_bootcfg_module(b->dir, text, (size_t)len, b->err);
	if (!rc)
		*ret_size = (uint64_t)len;
	return rc;
}

/* Every path the profile names exists and has the right type, before anything else (the base build is long). */
static int check_inputs(struct build *b)
{
	return profile_check_inputs(b->p, b->err);
}

/* Resolves, fetches and checks the profile's VIBs first, so that unmet dependencies, conflicts and levels are
 * refused before the long work; the plan is kept for add_vibs. */
static int check_vibs(struct build *b)
{
	struct vib_image_opts vo = { b->work, NULL, NULL };
	int rc;

	if (!profile_has_vibs(b->p))
		return 0;
	stage_start(b);
	rc = vib_image_resolve(b->p, &vo, &b->vibs, b->err);
	if (rc)
		return rc;
	stage_done(b, "vib check", 0, "VIBs resolved, fetched and checked");
	return 0;
}

/* The inputs found before anything is written: the kernel, the static init, busybox. */
static int find_inputs(struct build *b)
{
	int rc;

	rc = find_kernel(b->p, &b->k, b->err);
	if (rc)
		return rc;
	rc = find_init(b->o, b->init, sizeof(b->init), b->err);
	if (rc)
		return rc;
	return base_find_busybox(b->busybox, sizeof(b->busybox), b->err);
}

static int stage_kernel(struct build *b)
{
	char path[PATH_MAX];
	uint64_t size;
	int rc;

	stage_start(b);
	rc = path_in(path, b->dir, "vmlinuz", b->err);
	if (!rc)
		rc = fs_copy_file(b->k.vmlinuz, path, 0644, b->err);
	if (!rc)
		rc = fs_sha256_file(path, b->cfg.kernel.sha256, &size, b->err);
	if (rc)
		return rc;
	strcpy(b->cfg.kernel.name, "vmlinuz");
	b->cfg.kernel.has_sha256 = 1;
	stage_done(b, "vmlinuz", size, "kernel %s", b->k.kver);
	return 0;
}

static int stage_init(struct build *b)
{
	uint64_t size;
	unsigned nk = 0, nd = 0;
	int rc;

	stage_start(b);
	rc = write_init_cpio(b, &size, &nk, &nd);
	if (!rc)
		rc = add_module(b, "init.cpio", &size);
	if (rc)
		return rc;
	if (nd)
		stage_done(b, "init.cpio", size, "init, busybox, %u kernel modules (%u more from %s.tdk, %u of them "
			   "only when the boot needs a disk)", nk, nd, PROFILE_DRIVERS_MODULE, b->drv_ondemand);
	else
		stage_done(b, "init.cpio", size, "init, busybox, %u kernel modules", nk);
	return 0;
}

#define DRIVERS_CACHE_DAYS 30 /* a cached drivers tardisk unused this long is removed */

/* Starts packing drivers.tdk in a child process (drivers_job.h), saying so. */
static int start_drivers_job(struct build *b)
{
	char msg[160], cls[32];

	if (b->o->progress) {
		snprintf(msg, sizeof(msg), "drivers.tdk    packing %u kernel modules (%s; cached for the next build) "
			 "while the rest is made", b->drv_n, profile_drivers_str(b->p->drivers, cls, sizeof(cls)));
		b->o->progress(b->o->progress_ctx, msg);
	}
	return drivers_job_start(&b->drv_job, b->work, &b->db, b->drv_sel, b->k.moddir, b->k.kver,
				 tardisk_clamp(TDK_NOCACHE | TDK_STAGED), b->err);
}

/* drivers.tdk (profile key drivers, drivers.h): the kernel's modules of the profile's classes; taken from
 * $RAMHOST_CACHE/drivers when the same set (same kernel files, same classes) was made before, else packed by a
 * child process (drivers_job.h) that runs while init.cpio, the base and the other tardisks are made. This only
 * starts it (write_init_cpio calls it); make_drivers puts the result in its place among the boot modules. */
static int start_drivers(struct build *b)
{
	char cache[PATH_MAX], key[DRIVERS_KEY_LEN + 1];
	int rc;

	if (!b->drv_sel)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &b->drv_t0);
	rc = drivers_key(&b->db, b->drv_sel, b->k.moddir, b->k.kver, b->p->drivers, key, b->err);
	if (rc)
		return rc;
	modcache_open("drivers", cache, sizeof(cache));
	if (cache[0] && (size_t)snprintf(b->drv_cached, sizeof(b->drv_cached), "%s/%s-%s.tdk", cache, b->k.kver,
					 key) >= sizeof(b->drv_cached))
		b->drv_cached[0] = '\0';
	if (b->drv_cached[0] && access(b->drv_cached, R_OK) == 0)
		return 0; /* taken from the cache in make_drivers */
	return start_drivers_job(b);
}

/* The cached drivers.tdk, or the one start_drivers' job packed, as the next boot module. */
static int make_drivers(struct build *b)
{
	const char *file = PROFILE_DRIVERS_MODULE ".tdk";
	char out[PATH_MAX], cls[32];
	uint8_t sha[SHA256_DIGEST_LEN];
	uint64_t size = 0;
	unsigned aside = 0, i;
	int rc, hit = 0;

	if (!b->drv_sel)
		return 0;
	if (b->drv_job.pid)
		b->t0 = b->drv_t0; /* its line tells the time since the job started */
	else
		stage_start(b);
	rc = path_in(out, b->dir, file, b->err);
	if (rc)
		return rc;
	if (!b->drv_job.pid && b->drv_cached[0] && modcache_take(b->drv_cached, out, sha)) {
		hit = 1;
		rc = add_module(b, file, &size);
	} else {
		if (!b->drv_job.pid) /* the cached file went away after start_drivers looked: pack it now */
			rc = start_drivers_job(b);
		if (!rc)
			rc = drivers_job_wait(&b->drv_job, b->err);
		if (!rc)
			rc = wrap_tardisk(b, file, b->drv_job.img, &size);
		if (!rc && b->drv_cached[0])
			modcache_store(out, b->cfg.modules[b->cfg.nmodules - 1].sha256, b->drv_cached);
	}
	b->cached = hit;
	for (i = 0; i < b->db.nmods; i++)
		aside += b->drv_sel[i] == DRIVERS_SEL_ONDEMAND;
	if (!rc && aside)
		stage_done(b, file, size, "%u kernel modules (drivers = %s; %u disk drivers more, on demand)", b->drv_n,
			   profile_drivers_str(b->p->drivers, cls, sizeof(cls)), aside);
	else if (!rc)
		stage_done(b, file, size, "%u kernel modules (drivers = %s)", b->drv_n,
			   profile_drivers_str(b->p->drivers, cls, sizeof(cls)));
	if (b->drv_cached[0]) {
		char cache[PATH_MAX];

		modcache_open("drivers", cache, sizeof(cache));
		if (cache[0])
			modcache_prune(cache, DRIVERS_CACHE_DAYS);
	}
	return rc;
}

/* The profile's own tardisks, NAME.tdk each, in profile order after the base. */
static int make_tardisks(struct build *b)
{
	char file[PROFILE_MAX_NAME + 8];
	uint64_t size;
	unsigned i;
	int rc;

	for (i = 0; i < b->p->ntardisks; i++) {
		stage_start(b);
		snprintf(file, sizeof(file), "%s.tdk", b->p->tardisks[i].name);
		rc = make_tardisk(b, b->p->tardisks[i].name, b->p->tardisks[i].source, 0, &size);
		if (rc)
			return rc;
		stage_done(b, file, size, "from %s", b->p->tardisks[i].source);
	}
	return 0;
}

/* Only images whose profile has VIB keys get payload modules and vibs.cpio (the last module), from the plan
 * check_vibs made. */
static int add_vibs(struct build *b)
{
	struct vib_image_opts vo = { b->work, b->o->progress, b->o->progress_ctx };

	if (!b->vibs)
		return 0;
	return vib_image_add(b->vibs, b->dir, &b->cfg, &vo, b->err);
}

/* boot.cfg (and bootcfg.cpio) last, naming every file above with its hash; then the directory is synced. */
static int finish_bootcfg(struct build *b)
{
	const struct profile *p = b->p;
	uint64_t size;
	int rc;

	stage_start(b);
	b->cfg.bootstate = BOOTSTATE_VALID;
	b->cfg.timeout = p->timeout;
	b->cfg.updated = 1;
	snprintf(b->cfg.title, sizeof(b->cfg.title), "%s", p->title);
	snprintf(b->cfg.kernelopt, sizeof(b->cfg.kernelopt), "%s", p->kernelopt);
	snprintf(b->cfg.build, sizeof(b->cfg.build), "%s-%s", p->name, p->version);
	rc = write_bootcfg(b, &size);
	if (!rc)
		rc = fs_sync_dir(b->dir, b->err);
	if (rc)
		return rc;
	stage_done(b, "boot.cfg", size, "%u modules, build=%s", b->cfg.nmodules, b->cfg.build);
	return 0;
}

/* The stages of a bootbank build, in order; the first failure stops it. */
static int (*const build_stages[])(struct build *) = {
	check_inputs, check_vibs, find_inputs, load_modules, stage_kernel, stage_init, make_base, make_drivers, make_tardisks,
	add_vibs,
	finish_bootcfg,
};

int bank_build_write(const struct profile *p, const char *dir, const struct bank_build_opts *o,
		     struct bootcfg *ret_cfg, struct rh_err *err)
{
	struct build *b = calloc(1, sizeof(*b));
	size_t i;
	int rc;

	if (!b)
		return rh_errf(err, -ENOMEM, "out of memory");
	b->p = p;
	b->o = o;
	b->dir = dir;
	b->err = err;
	bootcfg_init(&b->cfg);
	rc = fs_work_dir(o->workdir, "ramhost-image", b->work, sizeof(b->work), err);
	for (i = 0; i < sizeof(build_stages) / sizeof(build_stages[0]) && !rc; i++)
		rc = build_stages[i](b);
	if (!rc && ret_cfg)
		*ret_cfg = b->cfg;
	drivers_job_stop(&b->drv_job); /* a build that failed while the drivers were being packed */
	vib_image_plan_free(b->vibs); /* before the work dir: its VIBs may live there */
	free(b->drv_sel);
	modules_dep_free(&b->db);
	if (b->work[0])
		fs_rm_rf(b->work, NULL);
	free(b);
	return rc;
}

/* Puts the finished tmp directory at out: rename into a missing or empty out, or swap with an old bootbank
 * (RENAME_EXCHANGE) and remove the old one afterwards, so out is never missing or half-written. */
int bank_build_install_dir(const char *tmp, const char *out, int replace, struct rh_err *err)
{
	if (!replace) {
		if (rename(tmp, out) < 0)
			return rh_errf(err, -errno, "%s: cannot rename %s into place: %s", out, tmp, strerror(errno));
		return 0;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE) == 0)
		return fs_rm_rf(tmp, err); /* tmp now holds the old bootbank */
	/* no RENAME_EXCHANGE on this file system: move the old one aside first */
	char old[PATH_MAX];
	snprintf(old, sizeof(old), "%s.old-%ld", out, (long)getpid());
	if (rename(out, old) < 0)
		return rh_errf(err, -errno, "%s: cannot move the old bootbank aside: %s", out, strerror(errno));
	if (rename(tmp, out) < 0) {
		int rc = -errno;
		rename(old, out);
		return rh_errf(err, rc, "%s: cannot rename %s into place: %s", out, tmp, strerror(-rc));
	}
	return fs_rm_rf(old, err);
}

/* Whether out can take a new bootbank: missing, or an empty directory, or (force) a bootbank ramhost wrote to
 * replace; *replace says whether there is one to replace. */
static int check_out_dir(const char *out, int force, int *replace, struct rh_err *err)
{
	struct stat st;
	int empty;

	*replace = 0;
	if (stat(out, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return rh_errf(err, -errno, "%s: %s", out, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return rh_errf(err, -ENOTDIR, "%s: exists and is not a directory", out);
	empty = fs_dir_is_empty(out);
	if (empty < 0)
		return rh_errf(err, empty, "%s: cannot read: %s", out, strerror(-empty));
	if (!empty && !force)
		return rh_errf(err, -EEXIST, "%s: exists and is not empty (use --force to replace it)", out);
	if (!empty) {
		int rc = bank_dir_is_ramhost(out, err);
		if (rc)
			return rc;
	}
	*replace = !empty;
	return 0;
}

/* out's directory into parent (cap PATH_MAX), and its last component into *ret_name. */
void bank_build_split_out(const char *out, char *parent, const char **ret_name)
{
	const char *slash = strrchr(out, '/');

	*ret_name = slash ? slash + 1 : out;
	snprintf(parent, PATH_MAX, "%s", out);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		parent[slash - parent] = '\0';
	else
		snprintf(parent, PATH_MAX, "%s", slash ? "/" : ".");
}

int bank_build(const struct profile *p, const char *out, int force, const struct bank_build_opts *o,
	       struct rh_err *err)
{
	char tmp[PATH_MAX], parent[PATH_MAX], name[PATH_MAX];
	const char *base, *in[PROFILE_MAX_INPUTS];
	int rc, replace;

	rc = outpath_check_dir(out, in, profile_inputs(p, in), err);
	if (!rc)
		rc = check_out_dir(out, force, &replace, err);
	if (rc)
		return rc;
	bank_build_split_out(out, parent, &base);
	if ((size_t)snprintf(name, sizeof(name), "%s.tmp", base) >= sizeof(name))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", out);
	rc = fs_work_dir(parent, name, tmp, sizeof(tmp), err); /* the sibling out.tmp.XXXXXX */
	if (rc)
		return rc;
	chmod(tmp, 0755);
	rc = bank_build_write(p, tmp, o, NULL, err);
	if (!rc)
		rc = bank_build_install_dir(tmp, out, replace, err);
	if (rc) {
		fs_rm_rf(tmp, NULL);
		return rc;
	}
	return fs_sync_dir(parent, err);
}
