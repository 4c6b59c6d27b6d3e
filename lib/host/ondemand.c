/* ondemand.c: the plan of the on-demand kernel modules (see ondemand.h). */
#include "ondemand.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileio.h"
#include "modload.h"
#include "ramdisk_spec.h"
#include "sha256.h"
#include "sysroot.h"

int ondemand_plan_next(const char *buf, size_t len, size_t *pos, const char *path, const char **ret_path,
		       size_t *ret_len, struct rh_err *err)
{
	while (*pos < len) {
		const char *line = buf + *pos, *nl = memchr(line, '\n', len - *pos);
		size_t n = nl ? (size_t)(nl - line) : len - *pos;
		unsigned lineno = 1;
		size_t i;

		*pos += n + (nl != NULL);
		if (n == 0 || line[0] == '#')
			continue;
		if (n < 4 || n >= PATH_MAX || memcmp(line + n - 3, ".ko", 3) || memchr(line, '\0', n) ||
		    !spec_valid_abspath(line, n)) {
			for (i = 0; buf + i < line; i++)
				lineno += buf[i] == '\n';
			return rh_errf(err, -EINVAL, "%s: line %u: not a clean absolute path ending in .ko: '%.*s'", path,
				       lineno, (int)(n > 80 ? 80 : n), line);
		}
		*ret_path = line;
		*ret_len = n;
		return 1;
	}
	return 0;
}

int ondemand_plan_write(const char *path, const char *const *paths, unsigned n, struct rh_err *err)
{
	char dir[PATH_MAX], *slash, *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned i;
	int rc;

	if (!f)
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	fprintf(f, "# the kernel modules this boot did not load, in load order (written by init; lib/host/ondemand.h)\n");
	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", paths[i]);
	if (fclose(f) != 0) {
		free(text);
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir) {
		free(text);
		return rh_errf(err, -EINVAL, "%s: not a path in a directory", path);
	}
	*slash = '\0';
	rc = rh_replace_file(dir, slash + 1, text, len, dir, err);
	free(text);
	return rc;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A digest of /sys/block's entry names, so two readings compare as equal or not. */
static void block_devices(uint8_t d[SHA256_DIGEST_LEN])
{
	struct sha256_ctx c;
	DIR *dir = opendir(sysroot_sys_block());
	struct dirent *e;

	sha256_init(&c);
	while (dir && (e = readdir(dir)))
		sha256_update(&c, e->d_name, strlen(e->d_name) + 1);
	if (dir)
		closedir(dir);
	sha256_final(&c, d);
}

/* Waits until the block devices have not changed for ONDEMAND_SETTLE_MS, at most ONDEMAND_SETTLE_MAX_MS. */
static void settle(void)
{
	uint8_t last[SHA256_DIGEST_LEN], cur[SHA256_DIGEST_LEN];
	uint64_t start = now_ms(), since = start;
	const struct timespec tick = { 0, 100 * 1000000L };

	block_devices(last);
	while (now_ms() - since < ONDEMAND_SETTLE_MS && now_ms() - start < ONDEMAND_SETTLE_MAX_MS) {
		nanosleep(&tick, NULL);
		block_devices(cur);
		if (memcmp(cur, last, sizeof(cur))) {
			memcpy(last, cur, sizeof(cur));
			since = now_ms();
		}
	}
}

int ondemand_load(const char *path, unsigned *ret_loaded, struct rh_err *err)
{
	char *buf = NULL, mod[PATH_MAX];
	const char *p;
	size_t len, pos = 0, plen;
	unsigned loaded = 0;
	int rc;

	*ret_loaded = 0;
	rc = rh_read_file(path, ONDEMAND_MAX_PLAN, &buf, &len, err);
	if (rc == -ENOENT) {
		rh_err_clear(err);
		return 0;
	}
	while (rc >= 0 && (rc = ondemand_plan_next(buf, len, &pos, path, &p, &plen, err)) > 0) {
		memcpy(mod, p, plen);
		mod[plen] = '\0';
		rc = modload_file(mod, err);
		if (rc == -ENODEV) {
			rh_err_clear(err);
			rc = 0;
		}
		loaded += rc == 1;
	}
	free(buf);
	if (rc < 0)
		return rc;
	if (loaded)
		settle();
	*ret_loaded = loaded;
	return 0;
}
