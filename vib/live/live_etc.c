/* live_etc.c: a payload's /etc defaults merged into the writable /etc, and taken out again (live.h).
 * The log owns its array; the caller frees it with live_etc_log_free. */
#include "live.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "copy_tree.h"
#include "fs.h"

#define FILE_MAX (64u << 20)

/* 1 when the regular files a and b have the same bytes; 0 when they differ or either is unreadable. */
static int same_file(const char *a, const char *b)
{
	char *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	int same;

	if (rh_read_file(a, FILE_MAX, &x, &xl, NULL) < 0 || rh_read_file(b, FILE_MAX, &y, &yl, NULL) < 0) {
		free(x);
		return 0;
	}
	same = xl == yl && !memcmp(x, y, xl);
	free(x);
	free(y);
	return same;
}

static int log_add(struct live_etc_log *log, const char *path, int kind, const char *restore, struct rh_err *err)
{
	struct live_etc_change *c;

	if (log->n == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 16;
		c = realloc(log->c, cap * sizeof(*c));
		if (!c)
			return rh_errf(err, -ENOMEM, "out of memory");
		log->c = c;
		log->cap = cap;
	}
	c = &log->c[log->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->kind = kind;
	snprintf(c->restore, sizeof(c->restore), "%s", restore ? restore : "");
	return 0;
}

/* Walks mnt/rel (a directory) and merges each file into root/rel (see live.h). */
static int merge_dir(const char *root, const char *mnt, const char *rel, const char *const *lowers,
		     struct live_etc_log *log, struct rh_err *err)
{
	char src[2 * PATH_MAX], dst[2 * PATH_MAX], sub[PATH_MAX], def[2 * PATH_MAX], side[2 * PATH_MAX + 16];
	struct dirent *de;
	struct stat st, dt;
	DIR *d;
	int rc = 0;

	snprintf(src, sizeof(src), "%s/%s", mnt, rel);
	d = opendir(src);
	if (!d)
		return rh_errf(err, -errno, "%s: %s", src, strerror(errno));
	while (!rc && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name);
		snprintf(src, sizeof(src), "%s/%s", mnt, sub);
		snprintf(dst, sizeof(dst), "%s/%s", root, sub);
		if (lstat(src, &st) < 0) {
			rc = rh_errf(err, -errno, "%s: %s", src, strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (lstat(dst, &dt) < 0) {
				rc = copy_tree(src, dst, err);
				if (rc == 0)
					rc = log_add(log, dst, LIVE_ETC_NEW, NULL, err);
			} else {
				rc = merge_dir(root, mnt, sub, lowers, log, err);
			}
			continue;
		}
		if (lstat(dst, &dt) < 0) {
			rc = copy_tree(src, dst, err);
			if (rc == 0)
				rc = log_add(log, dst, LIVE_ETC_NEW, NULL, err);
			continue;
		}
		if (S_ISREG(st.st_mode) && same_file(src, dst))
			continue;   /* already the new default */
		copy_layers_file(lowers, sub, def, sizeof(def));   /* the default the other tardisks show */
		if (def[0] && S_ISREG(dt.st_mode) && same_file(def, dst)) {
			rc = copy_tree(src, dst, err);
			if (rc == 0)
				rc = log_add(log, dst, LIVE_ETC_REPLACED, def, err);
			continue;
		}
		snprintf(side, sizeof(side), "%s.vib-new", dst);
		rc = copy_tree(src, side, err);
		if (rc == 0)
			rc = log_add(log, dst, LIVE_ETC_KEPT, NULL, err);
	}
	closedir(d);
	return rc;
}

int live_etc_merge(const char *root, const char *mnt, const char *const *lower_mnts, struct live_etc_log *log,
		   struct rh_err *err)
{
	char p[PATH_MAX];
	struct stat st;
	int rc;

	snprintf(p, sizeof(p), "%s/etc", mnt);
	if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	rc = merge_dir(root, mnt, "etc", lower_mnts, log, err);
	if (rc < 0) {
		struct rh_err e2 = { 0 };
		live_etc_undo(root, log, &e2);
	}
	return rc;
}

int live_etc_undo(const char *root, struct live_etc_log *log, struct rh_err *err)
{
	char side[PATH_MAX + 16];
	size_t i = log->n;
	int rc = 0, r;

	(void)root;
	while (i--) {
		const struct live_etc_change *c = &log->c[i];

		r = 0;
		if (c->kind == LIVE_ETC_NEW)
			r = fs_rm_rf(c->path, err);
		else if (c->kind == LIVE_ETC_REPLACED)
			r = copy_tree(c->restore, c->path, err);
		else {
			snprintf(side, sizeof(side), "%s.vib-new", c->path);
			r = fs_rm_rf(side, err);
		}
		if (r < 0 && !rc)
			rc = r;
	}
	log->n = 0;
	return rc;
}

static int unmerge_dir(const char *root, const char *mnt, const char *rel, const char *const *lowers,
		       unsigned *kept, struct rh_err *err)
{
	char src[2 * PATH_MAX], dst[2 * PATH_MAX], sub[PATH_MAX], def[2 * PATH_MAX], side[2 * PATH_MAX + 16];
	struct dirent *de;
	struct stat st, dt;
	DIR *d;
	int rc = 0;

	snprintf(src, sizeof(src), "%s/%s", mnt, rel);
	d = opendir(src);
	if (!d)
		return rh_errf(err, -errno, "%s: %s", src, strerror(errno));
	while (!rc && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name);
		snprintf(src, sizeof(src), "%s/%s", mnt, sub);
		snprintf(dst, sizeof(dst), "%s/%s", root, sub);
		snprintf(side, sizeof(side), "%s.vib-new", dst);
		unlink(side);
		if (lstat(src, &st) < 0 || lstat(dst, &dt) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = unmerge_dir(root, mnt, sub, lowers, kept, err);
			rmdir(dst);   /* only when it is empty now */
			continue;
		}
		if (!S_ISREG(st.st_mode) || !same_file(src, dst)) {
			(*kept)++;
			continue;
		}
		copy_layers_file(lowers, sub, def, sizeof(def));   /* the default the other tardisks show */
		if (def[0])
			rc = copy_tree(def, dst, err);
		else if (unlink(dst) < 0)
			rc = rh_errf(err, -errno, "remove %s: %s", dst, strerror(errno));
	}
	closedir(d);
	return rc;
}

int live_etc_unmerge(const char *root, const char *mnt, const char *const *lower_mnts, unsigned *ret_kept,
		     struct rh_err *err)
{
	char p[PATH_MAX];
	struct stat st;

	*ret_kept = 0;
	snprintf(p, sizeof(p), "%s/etc", mnt);
	if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return unmerge_dir(root, mnt, "etc", lower_mnts, ret_kept, err);
}

void live_etc_log_free(struct live_etc_log *log)
{
	free(log->c);
	memset(log, 0, sizeof(*log));
}
