/* outpath.c: the output rule of every command that writes a file or a directory (see outpath.h). */
#include "outpath.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int refuse_empty(const char *out, struct rh_err *err)
{
	if (!out || !*out)
		return rh_errf(err, -EINVAL, "-o \"\": the output path is empty");
	return 0;
}

/* The input among inputs[0..n) that is the file st, or NULL. */
static const char *input_is(const struct stat *st, const char *const *inputs, size_t n)
{
	struct stat in;
	size_t i;

	for (i = 0; i < n; i++)
		if (inputs[i] && *inputs[i] && stat(inputs[i], &in) == 0 && same_file(&in, st))
			return inputs[i];
	return NULL;
}

/* The directory out would be created in must exist: found now, not after the long work. */
static int check_parent(const char *out, struct rh_err *err)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", out) >= sizeof(dir))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", out);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0; /* the current directory */
	slash[slash == dir ? 1 : 0] = '\0';
	if (stat(dir, &st) < 0)
		return rh_errf(err, -errno, "%s: cannot write into %s: %s", out, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return rh_errf(err, -ENOTDIR, "%s: %s is not a directory", out, dir);
	return 0;
}

/* Whether path, or one of the directories above it (after resolving symlinks), is the directory dir. */
static int is_under(const char *path, const struct stat *dir)
{
	char real[PATH_MAX], *slash;
	struct stat st;

	if (!realpath(path, real))
		return 0;
	for (;;) {
		if (stat(real, &st) == 0 && same_file(&st, dir))
			return 1;
		slash = strrchr(real, '/');
		if (!slash || !real[1])
			return 0;
		slash[slash == real ? 1 : 0] = '\0';
	}
}

/* The input directory among inputs[0..n) that out's directory is in (or is), or NULL: an output written there
 * would be read back as part of that input (the next build of it would hold the image). */
static const char *inside_input_dir(const char *out, const char *const *inputs, size_t n)
{
	char dir[PATH_MAX], *slash;
	struct stat in;
	size_t i;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", out) >= sizeof(dir))
		return NULL;
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir ? 1 : 0] = '\0';
	for (i = 0; i < n; i++)
		if (inputs[i] && *inputs[i] && stat(inputs[i], &in) == 0 && S_ISDIR(in.st_mode) && is_under(dir, &in))
			return inputs[i];
	return NULL;
}

int outpath_check(const char *out, int force, const char *const *inputs, size_t n, struct rh_err *err)
{
	struct stat st, lst;
	const char *in;
	int rc = refuse_empty(out, err);

	if (rc)
		return rc;
	in = inside_input_dir(out, inputs, n);
	if (in)
		return rh_errf(err, -EINVAL, "%s: is inside the input directory %s; refusing to write the output there",
			       out, in);
	if (lstat(out, &lst) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return rh_errf(err, -errno, "%s: %s", out, strerror(errno));
		return check_parent(out, err);
	}
	if (stat(out, &st) < 0)
		st = lst; /* a dangling symlink: replacing it is replacing a name */
	if (S_ISDIR(st.st_mode))
		return rh_errf(err, -EISDIR, "%s: is a directory (the output is a file)", out);
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return rh_errf(err, -EINVAL, "%s: exists and is not a regular file; refusing to replace it", out);
	in = input_is(&st, inputs, n);
	if (!in)
		in = input_is(&lst, inputs, n);
	if (in)
		return rh_errf(err, -EINVAL, "%s: is the input %s itself; refusing to overwrite it", out, in);
	if (!force)
		return rh_errf(err, -EEXIST, "%s: exists (use --force to replace it)", out);
	return 0;
}

int outpath_check_dir(const char *out, const char *const *inputs, size_t n, struct rh_err *err)
{
	struct stat st;
	size_t i;
	int rc = refuse_empty(out, err);

	if (rc)
		return rc;
	if (stat(out, &st) < 0) {
		if (errno != ENOENT)
			return rh_errf(err, -errno, "%s: %s", out, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return rh_errf(err, -ENOTDIR, "%s: exists and is not a directory", out);
	for (i = 0; i < n; i++)
		if (inputs[i] && *inputs[i] && is_under(inputs[i], &st))
			return rh_errf(err, -EINVAL, "%s: holds the input %s; refusing to write the output there", out,
				       inputs[i]);
	return 0;
}
