/* bootbank.c: profile -> bootbank directory (see bootbank.h). */
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
#include "bootloader/bank_dir.h"
#include "cpio.h"
#include "debootstrap.h"
#include "fs.h"
#include "kmod.h"
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
	const struct bootbank_opts *o;
	const char *dir;         /* the bootbank being written */
	char work[PATH_MAX];     /* scratch, removed at the end */
	char busybox[PATH_MAX];
	struct kernel_src k;
	struct bootcfg cfg;
	struct timespec t0;
	struct rh_err *err;
};

static void stage_start(struct build *b)
{
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

/* One progress line: "NAME: what, SIZE, TIME s". */
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
	human(size, sz, sizeof(sz));
	snprintf(line, sizeof(line), "%-14s %s, %s, %.2f s", name, what, sz,
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
static int find_init(const struct bootbank_opts *o, char *buf, size_t cap, struct rh_err *err)
{
	const char *env = getenv("RAMHOST_INIT");
	char exe[PATH_MAX];
	ssize_t n;
	int st;

	if (o->init)
		snprintf(buf, cap, "%s", o->init);
	else if (env && *env)
		snprintf(buf, cap, "%s", env);
	else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return rh_errf(err, -errno, "/proc/self/exe: %s", strerror(errno));
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		if ((size_t)snprintf(buf, cap, "%s/init", exe) >= cap)
			return rh_errf(err, -ENAMETOOLONG, "init path too long");
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

static int load_kmod_db(const struct kernel_src *k, struct kmoddb *db, char *what, size_t cap, struct rh_err *err)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	rc = fs_join(what, cap, k->moddir, "modules.dep", err);
	rc = rc ?: rh_read_file(what, 64u << 20, &buf, &len, err);
	rc = rc ?: kmoddb_parse(db, buf, len, what, err);
	free(buf);
	buf = NULL;
	if (rc)
		return rc;
	rc = fs_join(path, sizeof(path), k->moddir, "modules.builtin", err);
	if (!rc && access(path, F_OK) == 0) {
		rc = rh_read_file(path, 64u << 20, &buf, &len, err);
		rc = rc ?: kmoddb_add_builtin(db, buf, len, err);
		free(buf);
	}
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
	int fd = open(src, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot open: %s", src, strerror(errno));
	if (fstat(fd, &st) < 0)
		rc = rh_errf(err, -errno, "%s: stat: %s", src, strerror(errno));
	else
		rc = cpio_add_fd(w, name, mode, fd, (uint64_t)st.st_size, err);
	close(fd);
	return rc;
}

/* init.conf as the init module's /etc/ramhost/init.conf (contract: kver, kmod, ramdisk, init lines). */
static int format_initconf(const struct build *b, const struct kmoddb *db, const unsigned *order, unsigned n,
			   char **ret, size_t *ret_len, struct rh_err *err)
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
		kmoddb_plain_path(db->mods[order[i]].path, plain, sizeof(plain));
		fprintf(f, "kmod=%s\n", plain);
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

static int write_init_cpio(struct build *b, const char *init, uint64_t *ret_size, unsigned *ret_nkmods)
{
	static const char *const dirs[] = { "bin", "dev", "etc", "etc/ramhost", "proc", "run", "sys", "sysroot",
					    "tardisks" };
	struct rh_err *err = b->err;
	struct kmoddb db = { 0 };
	const char *names[KMOD_NREQUIRED + KMOD_NDISK + PROFILE_MAX_KMODS];
	unsigned *order = NULL, norder = 0, nnames = 0, i;
	char what[PATH_MAX], path[PATH_MAX], name[PATH_MAX], plain[PATH_MAX], **made = NULL, *conf = NULL;
	char *sticky = NULL;
	size_t nmade = 0, conflen = 0, stickylen = 0;
	struct cpio_writer w;
	int fd = -1, rc;

	rc = load_kmod_db(&b->k, &db, what, sizeof(what), err);
	if (!rc) {
		const char *extra[PROFILE_MAX_KMODS];
		for (i = 0; i < b->p->nkmods; i++)
			extra[i] = b->p->kmods[i];
		kmod_boot_names(&db, extra, b->p->nkmods, names, &nnames);
	}
	rc = rc ?: kmoddb_resolve(&db, names, nnames, &order, &norder, err);
	rc = rc ?: format_initconf(b, &db, order, norder, &conf, &conflen, err);
	rc = rc ?: format_sticky(b->p, &sticky, &stickylen, err);
	rc = rc ?: path_in(path, b->dir, "init.cpio", err);
	if (rc)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = rh_errf(err, -errno, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	cpio_writer_init(&w, fd, path);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !rc; i++)
		rc = cpio_add_dir(&w, dirs[i], 0755, err);
	rc = rc ?: cpio_add_node(&w, "dev/console", S_IFCHR | 0600, 5, 1, err);
	rc = rc ?: add_file(&w, "init", init, 0755, err);
	rc = rc ?: add_file(&w, "bin/busybox", b->busybox, 0755, err);
	rc = rc ?: cpio_add_symlink(&w, "bin/sh", "busybox", err);
	for (i = 0; i < norder && !rc; i++) {
		const char *rel = db.mods[order[i]].path;
		void *data = NULL;
		size_t len;

		rc = fs_join(path, sizeof(path), b->k.moddir, rel, err);
		if (rc)
			break;
		kmoddb_plain_path(rel, plain, sizeof(plain));
		if ((size_t)snprintf(name, sizeof(name), "lib/modules/%s/%s", b->k.kver, plain) >= sizeof(name)) {
			rc = rh_errf(err, -ENAMETOOLONG, "%s: path too long", rel);
			break;
		}
		rc = kmoddb_read_file(path, &data, &len, err);
		rc = rc ?: add_parents(&w, name, &made, &nmade, err);
		rc = rc ?: cpio_add_buf(&w, name, 0644, data, len, err);
		free(data);
	}
	rc = rc ?: cpio_add_buf(&w, "etc/ramhost/init.conf", 0644, conf, conflen, err);
	rc = rc ?: cpio_add_buf(&w, "etc/ramhost/sticky.list", 0644, sticky, stickylen, err);
	rc = rc ?: cpio_finish(&w, err);
	if (!rc && fsync(fd) < 0)
		rc = rh_errf(err, -errno, "%s: fsync: %s", path, strerror(errno));
	if (!rc) {
		*ret_size = w.off;
		*ret_nkmods = norder;
	}
out:
	if (fd >= 0)
		close(fd);
	for (size_t j = 0; j < nmade; j++)
		free(made[j]);
	free(made);
	free(order);
	free(conf);
	free(sticky);
	kmoddb_free(&db);
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
	rc = rc ?: fs_sha256_file(path, f->sha256, ret_size, b->err);
	if (rc)
		return rc;
	strcpy(f->name, name);
	f->has_sha256 = 1;
	b->cfg.nmodules++;
	return 0;
}

/* tardisk_create(src) into the work dir, then the canonical cpio wrapper into the bootbank as NAME.tdk. */
static int make_tardisk(struct build *b, const char *name, const char *src, uint64_t *ret_size)
{
	struct tardisk_create_opts to;
	char img[PATH_MAX], out[PATH_MAX], file[PROFILE_MAX_NAME + 8];
	struct stat st;
	int in = -1, fd = -1, rc;

	snprintf(file, sizeof(file), "%s.tdk", name);
	rc = path_in(img, b->work, file, b->err);
	rc = rc ?: path_in(out, b->dir, file, b->err);
	if (rc)
		return rc;
	memset(&to, 0, sizeof(to));
	to.src = src;
	to.out = img;
	to.mtime = -1; /* SOURCE_DATE_EPOCH when set */
	rc = tardisk_create(&to, b->err);
	if (rc)
		return rc;
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
	return rc ?: add_module(b, file, ret_size);
}

/* base = debootstrap:SUITE: base.tdk straight from the cached debootstrap tree, then ramhost.tdk, the ramhost
 * layer (binary, missing libraries, systemd units), right over it. */
/* The ramhost binary the base ships as /usr/bin/ramhost: o->ramhost, $RAMHOST_SELF, else the running binary. */
static const char *shipped_ramhost(const struct bootbank_opts *o)
{
	const char *env = getenv("RAMHOST_SELF");

	if (o->ramhost)
		return o->ramhost;
	return env && *env ? env : "/proc/self/exe";
}

static int make_debootstrap_base(struct build *b)
{
	const struct profile *p = b->p;
	struct debootstrap_opts dopts = { .suite = p->base + strlen(PROFILE_BASE_DEBOOTSTRAP), .packages = p->packages };
	struct debootstrap_result *r = calloc(1, sizeof(*r));
	struct ramhost_layer_info info;
	char stage[PATH_MAX];
	uint64_t size;
	int rc;

	if (!r)
		return rh_errf(b->err, -ENOMEM, "out of memory");
	stage_start(b);
	if (b->o->progress)
		b->o->progress(b->o->progress_ctx, "debootstrap    looking for the cached tree (a cold build takes "
						   "minutes)");
	rc = debootstrap_base(&dopts, r, b->err);
	if (!rc)
		stage_done(b, "debootstrap", 0, "%s, %s %s from %s", p->base, r->cached ? "cached" : "built", r->root,
			   r->mirror);
	if (!rc)
		stage_start(b);
	rc = rc ?: make_tardisk(b, "base", r->root, &size);
	if (!rc)
		stage_done(b, "base.tdk", size, "from %s", r->root);
	stage_start(b);
	struct ramhost_layer_opts lo = {
		.base_root = r->root,
		.ramhost = shipped_ramhost(b->o),
		.hostname = p->name,
	};
	rc = rc ?: path_in(stage, b->work, "ramhost-layer", b->err);
	rc = rc ?: rh_mkdir_p(stage, 0755, b->err);
	rc = rc ?: ramhost_layer_stage(stage, &lo, &info, b->err);
	rc = rc ?: make_tardisk(b, PROFILE_RAMHOST_LAYER, stage, &size);
	if (!rc)
		stage_done(b, "ramhost.tdk", size, "ramhost layer: binary, %u libraries, %u systemd units", info.nlibs,
			   info.nunits);
	fs_rm_rf(stage, NULL);
	free(r);
	return rc;
}

static int make_base(struct build *b)
{
	const struct profile *p = b->p;
	char stage[PATH_MAX];
	uint64_t size;
	int rc;

	if (!strncmp(p->base, PROFILE_BASE_DEBOOTSTRAP, strlen(PROFILE_BASE_DEBOOTSTRAP)))
		return make_debootstrap_base(b);
	stage_start(b);
	if (strcmp(p->base, PROFILE_BASE_MINIMAL)) {
		rc = make_tardisk(b, "base", p->base, &size);
		if (!rc)
			stage_done(b, "base.tdk", size, "from %s", p->base);
		return rc;
	}
	struct base_builtin_opts bo = {
		.busybox = b->busybox,
		.ramhost = shipped_ramhost(b->o),
		.hostname = p->name,
	};
	rc = path_in(stage, b->work, "base-root", b->err);
	rc = rc ?: rh_mkdir_p(stage, 0755, b->err);
	rc = rc ?: base_builtin_stage(stage, &bo, b->err);
	rc = rc ?: make_tardisk(b, "base", stage, &size);
	fs_rm_rf(stage, NULL);
	if (!rc)
		stage_done(b, "base.tdk", size, "built-in minimal base (busybox + ramhost)");
	return rc;
}

static int write_bootcfg(struct build *b, uint64_t *ret_size)
{
	char text[16384], path[PATH_MAX];
	long len;
	int rc;

	len = bootcfg_format(&b->cfg, text, sizeof(text));
	if (len < 0)
		return rh_errf(b->err, (int)len, "boot.cfg: does not fit in %zu bytes", sizeof(text));
	rc = path_in(path, b->dir, "boot.cfg", b->err);
	rc = rc ?: fs_write_file(path, text, (size_t)len, 0644, b->err);
	rc = rc ?: bank_dir_write_bootcfg_module(b->dir, text, (size_t)len, b->err);
	if (!rc)
		*ret_size = (uint64_t)len;
	return rc;
}

int bootbank_write(const struct profile *p, const char *dir, const struct bootbank_opts *o, struct bootcfg *ret_cfg,
		   struct rh_err *err)
{
	struct build *b = calloc(1, sizeof(*b));
	char init[PATH_MAX], path[PATH_MAX];
	uint64_t size;
	unsigned nk = 0, i;
	int rc;

	if (!b)
		return rh_errf(err, -ENOMEM, "out of memory");
	b->p = p;
	b->o = o;
	b->dir = dir;
	b->err = err;
	bootcfg_init(&b->cfg);
	rc = fs_work_dir(o->workdir, "ramhost-image", b->work, sizeof(b->work), err);
	if (rc)
		goto out;
	if (profile_has_vibs(p)) {
		/* refuse unmet dependencies, conflicts and levels before the long work */
		struct vib_image_opts vo = { b->work, NULL, NULL };
		stage_start(b);
		rc = vib_image_resolve(p, &vo, err);
		if (rc)
			goto out;
		stage_done(b, "vib check", 0, "VIBs resolved, fetched and checked");
	}
	rc = find_kernel(p, &b->k, err);
	rc = rc ?: find_init(o, init, sizeof(init), err);
	rc = rc ?: base_find_busybox(b->busybox, sizeof(b->busybox), err);
	if (rc)
		goto out;

	stage_start(b);
	rc = path_in(path, dir, "vmlinuz", err);
	rc = rc ?: fs_copy_file(b->k.vmlinuz, path, 0644, err);
	rc = rc ?: fs_sha256_file(path, b->cfg.kernel.sha256, &size, err);
	if (rc)
		goto out;
	strcpy(b->cfg.kernel.name, "vmlinuz");
	b->cfg.kernel.has_sha256 = 1;
	stage_done(b, "vmlinuz", size, "kernel %s", b->k.kver);

	stage_start(b);
	rc = write_init_cpio(b, init, &size, &nk);
	rc = rc ?: add_module(b, "init.cpio", &size);
	if (rc)
		goto out;
	stage_done(b, "init.cpio", size, "init, busybox, %u kernel modules", nk);

	rc = make_base(b);
	for (i = 0; i < p->ntardisks && !rc; i++) {
		char file[PROFILE_MAX_NAME + 8];
		stage_start(b);
		snprintf(file, sizeof(file), "%s.tdk", p->tardisks[i].name);
		rc = make_tardisk(b, p->tardisks[i].name, p->tardisks[i].source, &size);
		if (!rc)
			stage_done(b, file, size, "from %s", p->tardisks[i].source);
	}
	if (!rc && profile_has_vibs(p)) {
		/* only images whose profile has VIB keys get payload modules and vibs.cpio (the last module) */
		struct vib_image_opts vo = { b->work, o->progress, o->progress_ctx };
		rc = vib_image_add(p, dir, &b->cfg, &vo, err);
	}
	if (rc)
		goto out;

	stage_start(b);
	b->cfg.bootstate = BOOTSTATE_VALID;
	b->cfg.timeout = p->timeout;
	b->cfg.updated = 1;
	snprintf(b->cfg.title, sizeof(b->cfg.title), "%s", p->title);
	snprintf(b->cfg.kernelopt, sizeof(b->cfg.kernelopt), "%s", p->kernelopt);
	snprintf(b->cfg.build, sizeof(b->cfg.build), "%s-%s", p->name, p->version);
	rc = write_bootcfg(b, &size);
	rc = rc ?: fs_sync_dir(dir, err);
	if (rc)
		goto out;
	stage_done(b, "boot.cfg", size, "%u modules, build=%s", b->cfg.nmodules, b->cfg.build);
	if (ret_cfg)
		*ret_cfg = b->cfg;
out:
	if (b->work[0])
		fs_rm_rf(b->work, NULL);
	free(b);
	return rc;
}

/* Puts the finished tmp directory at out: rename into a missing or empty out, or swap with an old bootbank
 * (RENAME_EXCHANGE) and remove the old one afterwards, so out is never missing or half-written. */
static int install_dir(const char *tmp, const char *out, int replace, struct rh_err *err)
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

int bootbank_build(const struct profile *p, const char *out, int force, const struct bootbank_opts *o,
		   struct rh_err *err)
{
	char tmp[PATH_MAX], parent[PATH_MAX], *slash;
	struct stat st;
	int rc, replace = 0, empty;

	if (stat(out, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return rh_errf(err, -ENOTDIR, "%s: exists and is not a directory", out);
		empty = fs_dir_is_empty(out);
		if (empty < 0)
			return rh_errf(err, empty, "%s: cannot read: %s", out, strerror(-empty));
		if (!empty && !force)
			return rh_errf(err, -EEXIST, "%s: exists and is not empty (use --force to replace it)", out);
		replace = !empty;
	} else if (errno != ENOENT) {
		return rh_errf(err, -errno, "%s: %s", out, strerror(errno));
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", out) >= sizeof(tmp))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", out);
	if (!mkdtemp(tmp))
		return rh_errf(err, -errno, "%s: cannot create: %s", tmp, strerror(errno));
	chmod(tmp, 0755);
	rc = bootbank_write(p, tmp, o, NULL, err);
	rc = rc ?: install_dir(tmp, out, replace, err);
	if (rc) {
		fs_rm_rf(tmp, NULL);
		return rc;
	}
	snprintf(parent, sizeof(parent), "%s", out);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	else
		snprintf(parent, sizeof(parent), "%s", slash ? "/" : ".");
	return fs_sync_dir(parent, err);
}
