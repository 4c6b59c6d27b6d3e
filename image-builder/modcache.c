/* modcache.c: the cache of built boot modules (see modcache.h). */
#include "modcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "hex.h"
#include "tmpreg.h"

void modcache_open(const char *sub, char *dir, size_t cap)
{
	char cache[2048];

	dir[0] = '\0';
	if (fs_cache_dir(cache, sizeof(cache), NULL) == 0 && (size_t)snprintf(dir, cap, "%s/%s", cache, sub) < cap &&
	    rh_mkdir_p(dir, 0755, NULL) < 0)
		dir[0] = '\0';
}

int modcache_take(const char *cached, const char *out, uint8_t sha[SHA256_DIGEST_LEN])
{
	char side[PATH_MAX + 8], *want = NULL, got[SHA256_HEX_LEN + 1];
	struct rh_err tmp = { 0 };
	size_t len = 0;
	int ok;

	snprintf(side, sizeof(side), "%s.sha256", cached);
	if (access(cached, R_OK) < 0 || rh_read_file(side, 128, &want, &len, &tmp) < 0)
		return 0;
	ok = fs_copy_file(cached, out, 0644, &tmp) == 0 && fs_sha256_file(out, sha, NULL, &tmp) == 0;
	if (ok) {
		sha256_to_hex(sha, got);
		ok = len >= SHA256_HEX_LEN && !memcmp(want, got, SHA256_HEX_LEN);
	}
	free(want);
	if (ok) {
		utimensat(AT_FDCWD, cached, NULL, 0); /* last used: now (pruning goes by it) */
		return 1;
	}
	unlink(out);
	unlink(cached);
	unlink(side);
	return 0;
}

/* Copies src (or writes buf[0..len) when src is NULL) to dst through a private temporary beside dst
 * (registered, so an interruption leaves none; two builds sharing the cache never write the same one), renamed
 * over dst. */
static int cache_put(const char *src, const void *buf, size_t len, const char *dst)
{
	char tmp[PATH_MAX + 16];
	struct rh_err e = { 0 };
	int fd, rc = fs_tmp_beside(dst, tmp, sizeof(tmp), &fd, &e);

	if (rc < 0)
		return rc;
	close(fd);
	if (src)
		rc = fs_copy_file(src, tmp, 0444, &e);
	else
		rc = fs_write_file(tmp, buf, len, 0444, &e);
	if (rc == 0 && rename(tmp, dst) < 0)
		rc = -errno;
	if (rc < 0) {
		fs_rm_rf(tmp, &e);
		return rc;
	}
	tmpreg_forget(tmp);
	return 0;
}

void modcache_store(const char *out, const uint8_t sha[SHA256_DIGEST_LEN], const char *cached)
{
	char side[PATH_MAX + 8], hex[SHA256_HEX_LEN + 2];

	snprintf(side, sizeof(side), "%s.sha256", cached);
	sha256_to_hex(sha, hex);
	hex[SHA256_HEX_LEN] = '\n';
	hex[SHA256_HEX_LEN + 1] = '\0';
	if (cache_put(out, NULL, 0, cached) < 0)
		return;
	if (cache_put(NULL, hex, SHA256_HEX_LEN + 1, side) < 0)
		unlink(cached);
}

void modcache_prune(const char *dir, unsigned days)
{
	struct dirent *de;
	time_t now = time(NULL);
	DIR *d;

	if (!dir[0] || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		struct stat st;
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".tdk"))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > (time_t)days * 86400) {
			char side[NAME_MAX + 16];
			snprintf(side, sizeof(side), "%s.sha256", de->d_name);
			unlinkat(dirfd(d), de->d_name, 0);
			unlinkat(dirfd(d), side, 0);
		}
	}
	closedir(d);
}

#define TDK_CACHE_DAYS 30 /* an image unused this long is removed */

static int tdk_entry(const struct modcache_tdk *c, const uint8_t key[SHA256_DIGEST_LEN], char *buf, size_t cap)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_to_hex(key, hex);
	return c->dir[0] && (size_t)snprintf(buf, cap, "%s/%s.tdk", c->dir, hex) < cap ? 0 : -ENAMETOOLONG;
}

void modcache_tdk_open_in(struct modcache_tdk *c, const char *sub, const char *out)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	modcache_open(sub, c->dir, sizeof(c->dir));
}

void modcache_tdk_open(struct modcache_tdk *c, const char *out)
{
	modcache_tdk_open_in(c, "tardisks", out);
}

int modcache_tdk_reuse(void *ctx, const uint8_t key[SHA256_DIGEST_LEN])
{
	struct modcache_tdk *c = ctx;
	uint8_t sha[SHA256_DIGEST_LEN];
	char cached[PATH_MAX + 80];

	if (tdk_entry(c, key, cached, sizeof(cached)) < 0 || !modcache_take(cached, c->out, sha))
		return 0;
	c->hit = 1;
	return 1;
}

void modcache_tdk_store(struct modcache_tdk *c)
{
	uint8_t sha[SHA256_DIGEST_LEN];
	char cached[PATH_MAX + 80];
	struct rh_err e = { 0 };

	if (c->hit || tdk_entry(c, c->key, cached, sizeof(cached)) < 0)
		return;
	if (fs_sha256_file(c->out, sha, NULL, &e) == 0)
		modcache_store(c->out, sha, cached);
	modcache_prune(c->dir, TDK_CACHE_DAYS);
}
