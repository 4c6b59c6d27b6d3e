/* install_seed.c: seeded files -> first state generation (see install_seed.h). */
#include "install_seed.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"

int install_seed_wanted(const struct answer *a)
{
	return a && (a->hostname[0] || a->rootpw[0] || a->nsticky);
}

int install_shadow_set_root(const char *old, size_t len, const char *hash, char **ret, size_t *ret_len)
{
	size_t cap = len + strlen(hash) + 64, o = 0, i = 0;
	char *out = malloc(cap);
	int done = 0;

	if (!out)
		return -ENOMEM;
	while (i < len) {
		const char *nl = memchr(old + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (old + i)) : len - i;
		const char *line = old + i;
		if (!done && n >= 5 && !memcmp(line, "root:", 5)) {
			const char *rest = memchr(line + 5, ':', n - 5);
			o += (size_t)sprintf(out + o, "root:%s", hash);
			if (rest) {
				memcpy(out + o, rest, (size_t)(line + n - rest));
				o += (size_t)(line + n - rest);
			} else {
				o += (size_t)sprintf(out + o, ":19000:0:99999:7:::");
			}
			done = 1;
		} else {
			memcpy(out + o, line, n);
			o += n;
		}
		out[o++] = '\n';
		i += n + 1;
	}
	if (!done)
		o += (size_t)sprintf(out + o, "root:%s:19000:0:99999:7:::\n", hash);
	out[o] = '\0';
	*ret = out;
	*ret_len = o;
	return 0;
}

/* root/path's parent directories, then the file with text and mode | S_ISVTX. */
static int put(const char *root, const char *path, const char *text, size_t len, unsigned mode, struct rh_err *err)
{
	char full[PATH_MAX], *slash;
	int rc;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", root, path) >= sizeof(full))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	slash = strrchr(full, '/');
	*slash = '\0';
	rc = rh_mkdir_p(full, 0755, err);
	*slash = '/';
	if (!rc)
		rc = fs_write_file(full, text, len, mode, err);
	if (!rc && chmod(full, mode | S_ISVTX) < 0)
		rc = rh_errf(err, -errno, "%s: chmod: %s", full, strerror(errno));
	return rc;
}

int install_seed(const struct answer *a, struct install_medium *m, const char *store, const char *ramhost,
		 struct rh_err *err)
{
	char root[PATH_MAX], full[PATH_MAX], *shadow = NULL, *old = NULL, *out = NULL;
	size_t len, oldlen;
	unsigned i;
	int rc;

	rc = fs_host_work_dir("install-root", root, sizeof(root), err);
	if (rc < 0)
		return rc;
	if (a->hostname[0]) {
		char line[80];
		snprintf(line, sizeof(line), "%s\n", a->hostname);
		rc = put(root, "/etc/hostname", line, strlen(line), 0644, err);
	}
	if (!rc && a->rootpw[0]) {
		if (rh_read_file("/etc/shadow", 1 << 20, &old, &oldlen, NULL))
			oldlen = 0;
		if (install_shadow_set_root(old ? old : "", oldlen, a->rootpw, &shadow, &len))
			rc = rh_errf(err, -ENOMEM, "out of memory");
		if (!rc)
			rc = put(root, "/etc/shadow", shadow, len, 0600, err);
	}
	for (i = 0; i < a->nsticky && !rc; i++) {
		const struct answer_sticky *s = &a->sticky[i];
		if (!s->source[0]) {
			rc = put(root, s->path, s->text, s->len, 0644, err);
			continue;
		}
		rc = put(root, s->path, "", 0, 0644, err);
		snprintf(full, sizeof(full), "%s%s", root, s->path);
		if (!rc)
			rc = install_medium_copy(m, s->source, full, 0644, NULL, NULL, err);
		if (!rc && chmod(full, 01644) < 0)
			rc = rh_errf(err, -errno, "%s: chmod: %s", full, strerror(errno));
	}
	if (!rc) {
		char self[PATH_MAX];
		char *argv[] = { self, "state", "save", "--root", root, "--store", (char *)store, NULL };
		struct rh_err e = { 0 };
		snprintf(self, sizeof(self), "%s", ramhost ? ramhost : "/proc/self/exe");
		if (fs_run_capture(argv, 1 << 16, &out, &e))
			rc = rh_errf(err, e.rc ? e.rc : -EIO, "state save into %s: %s", store, e.msg);
	}
	fs_rm_rf(root, NULL);
	free(out);
	free(old);
	free(shadow);
	return rc;
}
