/* debootstrap.c: the cached debootstrap base (see debootstrap.h). */
#include "debootstrap.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apt_sources.h"
#include "fs.h"
#include "sha256.h"
#include "tmpreg.h"

/* Bump when the recipe (variant, prune rules) changes, so old caches are not taken for new ones. */
#define RECIPE "ramhost-debootstrap 1 variant=minbase prune=3"
#define MAX_PKGS 256

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The packages as a sorted, deduplicated list in buf ("a,b,c"); what debootstrap's --include takes. */
static int sorted_packages(const char *packages, char *buf, size_t cap, struct rh_err *err)
{
	char *copy = strdup(packages ? packages : ""), *save = NULL, *w, *v[MAX_PKGS];
	size_t n = 0, i, len = 0;

	if (!copy)
		return rh_errf(err, -ENOMEM, "out of memory");
	for (w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		if (n == MAX_PKGS) {
			free(copy);
			return rh_errf(err, -E2BIG, "packages: more than %d names", MAX_PKGS);
		}
		v[n++] = w;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		if (len + l + 2 > cap) {
			free(copy);
			return rh_errf(err, -E2BIG, "packages: list too long");
		}
		if (len)
			buf[len++] = ',';
		memcpy(buf + len, v[i], l + 1);
		len += l;
	}
	free(copy);
	return 0;
}

int debootstrap_cache_key(const char *suite, const char *packages, const char *mirror, char ret[17],
			  struct rh_err *err)
{
	char list[4096], text[6144], hex[SHA256_HEX_LEN + 1];
	uint8_t d[SHA256_DIGEST_LEN];
	int rc, n;

	rc = sorted_packages(packages, list, sizeof(list), err);
	if (rc)
		return rc;
	n = snprintf(text, sizeof(text), "%s\nsuite=%s\nmirror=%s\npackages=%s\n", RECIPE, suite, mirror, list);
	if (n < 0 || (size_t)n >= sizeof(text))
		return rh_errf(err, -E2BIG, "debootstrap: cache key input too long");
	sha256_buf(text, (size_t)n, d);
	sha256_to_hex(d, hex);
	memcpy(ret, hex, 16);
	ret[16] = '\0';
	return 0;
}

/* Detaches every mount below dir (debootstrap mounts proc, sys and sometimes binds /dev into the target; one
 * left behind by an interrupted run must never be walked by rm -rf). Returns 0 when none is left. */
static int umount_below(const char *dir, struct rh_err *err)
{
	char line[8192], prefix[PATH_MAX + 2], *mps[512];
	size_t n = 0, i, plen;
	int pass, rc = 0;
	FILE *f;

	if ((size_t)snprintf(prefix, sizeof(prefix), "%s/", dir) >= sizeof(prefix))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	plen = strlen(prefix);
	for (pass = 0; pass < 2; pass++) {
		n = 0;
		f = fopen("/proc/self/mounts", "re");
		if (!f)
			return rh_errf(err, -errno, "/proc/self/mounts: %s", strerror(errno));
		while (n < 512 && fgets(line, sizeof(line), f)) {
			char mp[PATH_MAX];
			if (sscanf(line, "%*s %4095s", mp) == 1 && !strncmp(mp, prefix, plen))
				mps[n++] = strdup(mp);
		}
		fclose(f);
		if (n == 0)
			return 0;
		for (i = n; i-- > 0;) { /* deepest last mounted first */
			if (mps[i] && pass == 0)
				umount2(mps[i], MNT_DETACH);
			else if (mps[i] && !rc)
				rc = rh_errf(err, -EBUSY, "%s: still mounted inside the debootstrap tree; not removing %s",
					     mps[i], dir);
			free(mps[i]);
		}
	}
	return rc;
}

/* Removes a failed build directory, after making sure nothing is mounted inside it. */
static void discard(const char *dir)
{
	struct rh_err e = { 0 };

	if (dir[0] && umount_below(dir, &e) == 0)
		fs_rm_rf(dir, NULL);
}

/* The last ~600 bytes of the log, on one line, for an error message. */
static void log_tail(const char *log, char *buf, size_t cap)
{
	int fd = open(log, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > (off_t)cap - 1)
		lseek(fd, end - (off_t)cap + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

/* Runs debootstrap with stdout and stderr appended to log. */
static int run_debootstrap(const struct debootstrap_opts *o, const char *include, const char *target,
			   const char *mirror, const char *log, struct rh_err *err)
{
	char inc[4200], tail[600];
	char *argv[8];
	int argc = 0, status, fd;
	pid_t pid;

	argv[argc++] = (char *)(o->program ? o->program : "debootstrap");
	argv[argc++] = "--variant=minbase";
	if (include[0]) {
		snprintf(inc, sizeof(inc), "--include=%s", include);
		argv[argc++] = inc;
	}
	argv[argc++] = (char *)o->suite;
	argv[argc++] = (char *)target;
	argv[argc++] = (char *)mirror;
	argv[argc] = NULL;

	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot create: %s", log, strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fd);
		return rh_errf(err, -errno, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0); /* its own group: a signal to ramhost stops debootstrap and the dpkg it runs */
		if (null >= 0)
			dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		/* the caller's PATH first (a test or a newer debootstrap may come first), then the sbin dirs that a
		 * non-login root shell may lack */
		char path[8192];
		const char *old = getenv("PATH");
		snprintf(path, sizeof(path), "%.4000s%s/usr/sbin:/usr/bin:/sbin:/bin", old && *old ? old : "",
			 old && *old ? ":" : "");
		setenv("PATH", path, 1);
		setenv("DEBIAN_FRONTEND", "noninteractive", 1);
		setenv("LC_ALL", "C", 1);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* also here, so that the group exists before the signal handler may need it */
	tmpreg_group_add(pid); /* stopped, with what it started, before the temporaries go, on a signal */
	close(fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			tmpreg_child_forget(pid);
			return rh_errf(err, -errno, "waitpid: %s", strerror(errno));
		}
	tmpreg_child_forget(pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	log_tail(log, tail, sizeof(tail));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return rh_errf(err, -ENOENT, "debootstrap: cannot run %s (install the debootstrap package: "
					     "scripts/setup.sh): %s", argv[0], tail);
	return rh_errf(err, -EIO, "debootstrap %s from %s failed (%s %d; log %s): ...%s", o->suite, mirror,
		       WIFEXITED(status) ? "exit status" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), log, tail);
}

/* Removes every path matching root/pattern (never following symlinks out of the tree). */
static int rm_glob(const char *root, const char *pattern, struct rh_err *err)
{
	char pat[PATH_MAX];
	glob_t g;
	size_t i;
	int rc = 0;

	if ((size_t)snprintf(pat, sizeof(pat), "%s/%s", root, pattern) >= sizeof(pat))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", root);
	if (glob(pat, GLOB_NOSORT | GLOB_PERIOD, NULL, &g) != 0)
		return 0;
	for (i = 0; i < g.gl_pathc && !rc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/');
		if (base && (!strcmp(base, "/.") || !strcmp(base, "/..")))
			continue;
		rc = fs_rm_rf(g.gl_pathv[i], err);
	}
	globfree(&g);
	return rc;
}

/* usr/share/doc/PKG/...: everything but the copyright file. */
static int prune_docs(const char *root, struct rh_err *err)
{
	char pat[PATH_MAX];
	glob_t g;
	size_t i;
	int rc = 0;

	snprintf(pat, sizeof(pat), "%s/usr/share/doc/*/*", root);
	if (glob(pat, GLOB_NOSORT | GLOB_PERIOD, NULL, &g) != 0)
		return 0;
	for (i = 0; i < g.gl_pathc && !rc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		if (!strcmp(base, "copyright") || !strcmp(base, ".") || !strcmp(base, ".."))
			continue;
		rc = fs_rm_rf(g.gl_pathv[i], err);
	}
	globfree(&g);
	return rc;
}

static int put(const char *root, const char *rel, const char *text, unsigned mode, struct rh_err *err)
{
	char path[PATH_MAX];
	int rc = fs_join(path, sizeof(path), root, rel, err);

	if (rc)
		return rc;
	unlink(path); /* a symlink here (resolv.conf) must not be written through */
	return fs_write_file(path, text, strlen(text), mode, err);
}

/* The package databases (dpkg's, debconf's) move from var/ to usr/lib/sysimage/ (where image-based systems keep
 * theirs: rpm's /usr/lib/sysimage/rpm), and a relative symlink takes their place. On the booted host /usr is a
 * read-only view of the tardisks and packages come as images and VIBs, never as .debs installed in place, so the
 * databases are only read (`dpkg -l`, `apt list --installed`, `dpkg -S`): from /var, which init copies into its
 * ramdisk at every boot, they took 6.7 MiB of RAM for that (docs/debian-base.md). `apt-get install` on the host
 * now stops at once at dpkg's lock (read-only file system) instead of failing half way on /usr. A tree without
 * the directory (a test's fake debootstrap) is left as it is. */
static int move_to_sysimage(const char *root, const char *rel, const char *name, struct rh_err *err)
{
	char from[PATH_MAX], dir[PATH_MAX], to[PATH_MAX + 64], target[256] = "";
	const char *p;
	struct stat st;
	int rc;

	rc = fs_join(from, sizeof(from), root, rel, err);
	if (!rc)
		rc = fs_join(dir, sizeof(dir), root, "usr/lib/sysimage", err);
	if (rc)
		return rc;
	if (lstat(from, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	snprintf(to, sizeof(to), "%s/%s", dir, name);
	for (p = strchr(rel, '/'); p; p = strchr(p + 1, '/'))   /* one ../ per directory above rel */
		strcat(target, "../");
	snprintf(target + strlen(target), sizeof(target) - strlen(target), "usr/lib/sysimage/%s", name);
	rc = rh_mkdir_p(dir, 0755, err);
	if (rc)
		return rc;
	if (rename(from, to) < 0)
		return rh_errf(err, -errno, "%s: cannot move to %s: %s", from, to, strerror(errno));
	if (symlink(target, from) < 0)
		return rh_errf(err, -errno, "%s: cannot make a symlink: %s", from, strerror(errno));
	return 0;
}

/* root's password field in etc/shadow emptied (the other lines kept as they are). */
static int empty_root_password(const char *root, struct rh_err *err)
{
	char path[PATH_MAX], *buf = NULL, *out = NULL, *line, *end;
	size_t len, n = 0;
	int rc;

	rc = fs_join(path, sizeof(path), root, "etc/shadow", err);
	if (!rc)
		rc = rh_read_file(path, 1 << 20, &buf, &len, err);
	if (rc)
		return rc;
	out = malloc(len + 1);
	if (!out) {
		free(buf);
		return rh_errf(err, -ENOMEM, "out of memory");
	}
	for (line = buf; line < buf + len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(buf + len - line));
		if (!end)
			end = buf + len;
		if (end - line > 5 && !memcmp(line, "root:", 5)) {
			const char *rest = memchr(line + 5, ':', (size_t)(end - line - 5));
			if (rest) {
				memcpy(out + n, "root:", 5);
				n += 5;
				line = (char *)rest;
			}
		}
		memcpy(out + n, line, (size_t)(end - line));
		n += (size_t)(end - line);
		if (end < buf + len)
			out[n++] = '\n';
	}
	rc = fs_write_file(path, out, n, 0640, err);
	free(buf);
	free(out);
	return rc;
}

int debootstrap_prune(const char *root, struct rh_err *err)
{
	static const char *const globs[] = {
		"var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*", "var/log/*.log",
		"var/log/apt/*", "var/cache/debconf/*-old", "var/lib/dpkg/*-old", "usr/share/man/*",
		"usr/share/info/*", "etc/ssh/ssh_host_*", "var/lib/dbus/machine-id", "debootstrap",
	};
	char path[PATH_MAX];
	unsigned i;
	int rc = 0;

	for (i = 0; i < sizeof(globs) / sizeof(globs[0]) && !rc; i++)
		rc = rm_glob(root, globs[i], err);
	if (!rc)
		rc = prune_docs(root, err);
	if (!rc)
		rc = move_to_sysimage(root, "var/lib/dpkg", "dpkg", err);
	if (!rc)
		rc = move_to_sysimage(root, "var/cache/debconf", "debconf", err);
	if (!rc)
		rc = fs_join(path, sizeof(path), root, "var/lib/apt/lists/partial", err);
	if (!rc)
		rc = rh_mkdir_p(path, 0700, err);
	/* empty: systemd generates the machine ID at boot (and state keeps it) */
	if (!rc)
		rc = put(root, "etc/machine-id", "", 0444, err);
	if (!rc)
		rc = put(root, "etc/resolv.conf", "", 0644, err);
	/* no /etc/hostname: the booted host takes the DHCP server's name, else the profile's (ramhost_layer.h) */
	if (!rc)
		rc = fs_join(path, sizeof(path), root, "etc/hostname", err);
	if (!rc && unlink(path) < 0 && errno != ENOENT)
		rc = rh_errf(err, -errno, "%s: cannot remove: %s", path, strerror(errno));
	if (!rc)
		rc = put(root, "etc/hosts", "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n",
			 0644, err);
	if (!rc)
		rc = empty_root_password(root, err);
	return rc;
}

/* The mirror (o->mirror or the host's apt sources), the cache key, the sorted package list (include) and the
 * cache directory dir (PATH_MAX bytes, created) of a build of o. */
static int cache_entry(const struct debootstrap_opts *o, struct debootstrap_result *r, char *dir, char *include,
		       size_t include_cap, struct rh_err *err)
{
	char cache[2048];
	int rc;

	if (o->mirror) {
		if (strlen(o->mirror) >= sizeof(r->mirror))
			return rh_errf(err, -E2BIG, "debootstrap: mirror URI too long");
		strcpy(r->mirror, o->mirror);
	} else {
		rc = apt_sources_mirror(o->apt_root, o->suite, r->mirror, sizeof(r->mirror), err);
		if (rc)
			return rc;
	}
	rc = debootstrap_cache_key(o->suite, o->packages, r->mirror, r->key, err);
	if (!rc)
		rc = sorted_packages(o->packages, include, include_cap, err);
	if (rc)
		return rc;
	if (o->cachedir) {
		snprintf(dir, PATH_MAX, "%s", o->cachedir);
	} else {
		rc = fs_cache_dir(cache, sizeof(cache), err);
		if (rc)
			return rc;
		snprintf(dir, PATH_MAX, "%s/debootstrap", cache);
	}
	return rh_mkdir_p(dir, 0755, err);
}

/* A fresh tree in the work directory tmp (under dir): tmp/key (the recipe), tmp/root by debootstrap (its log
 * tmp/debootstrap.log), unmounted below, pruned and synced. A failed run's log is kept beside the cache as
 * SUITE-KEY.failed.log, for the message's "see log". */
static int build_tree(const struct debootstrap_opts *o, const struct debootstrap_result *r, const char *dir,
		      const char *include, const char *tmp, struct rh_err *err)
{
	char path[PATH_MAX], target[PATH_MAX], keytext[8192], kept[PATH_MAX];
	int rc;

	path[0] = '\0';
	rc = fs_join(target, sizeof(target), tmp, "root", err);
	if (rc)
		return rc;
	snprintf(keytext, sizeof(keytext), "%s\nsuite=%s\nmirror=%s\npackages=%s\n", RECIPE, o->suite, r->mirror,
		 include);
	rc = fs_join(path, sizeof(path), tmp, "key", err);
	if (!rc)
		rc = fs_write_file(path, keytext, strlen(keytext), 0644, err);
	if (!rc)
		rc = fs_join(path, sizeof(path), tmp, "debootstrap.log", err);
	if (!rc)
		rc = run_debootstrap(o, include, target, r->mirror, path, err);
	if (!rc)
		rc = umount_below(tmp, err);
	if (!rc)
		rc = debootstrap_prune(target, err);
	if (!rc)
		rc = fs_sync_dir(tmp, err);
	if (rc && path[0] && (size_t)snprintf(kept, sizeof(kept), "%s/%s-%s.failed.log", dir, o->suite, r->key) < sizeof(kept))
		rename(path, kept);
	return rc;
}

/* Renames the finished work directory tmp to the cache entry final (then tmp is ""); when another build finished
 * the same key first, its tree is taken and tmp left for the caller to discard. */
static int commit_tree(const char *dir, char *tmp, const char *final, struct rh_err *err)
{
	if (rename(tmp, final) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			return rh_errf(err, -errno, "%s: cannot rename %s into the cache: %s", final, tmp,
				       strerror(errno));
		return 0; /* another build finished the same key first: take its tree */
	}
	tmp[0] = '\0';
	fs_sync_dir(dir, NULL);
	return 0;
}

int debootstrap_base(const struct debootstrap_opts *o, struct debootstrap_result *ret, struct rh_err *err)
{
	struct debootstrap_result r;
	char dir[PATH_MAX], final[PATH_MAX], tmp[PATH_MAX], include[4096];
	struct stat st;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = cache_entry(o, &r, dir, include, sizeof(include), err);
	if (rc)
		return rc;
	if ((size_t)snprintf(final, sizeof(final), "%s/%s-%s", dir, o->suite, r.key) >= sizeof(final) - 64)
		return rh_errf(err, -ENAMETOOLONG, "%s: cache path too long", dir);
	rc = fs_join(r.root, sizeof(r.root), final, "root", err);
	if (!rc)
		rc = fs_join(r.log, sizeof(r.log), final, "debootstrap.log", err);
	if (rc)
		return rc;
	if (stat(r.root, &st) == 0 && S_ISDIR(st.st_mode)) {
		r.cached = 1;
		*ret = r;
		return 0;
	}
	rc = fs_work_dir(dir, "tmp", tmp, sizeof(tmp), err);
	if (rc)
		return rc;
	rc = build_tree(o, &r, dir, include, tmp, err);
	if (!rc)
		rc = commit_tree(dir, tmp, final, err);
	if (!rc)
		*ret = r;
	discard(tmp);
	return rc;
}
