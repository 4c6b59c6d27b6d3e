/* oci_base.c: a container image base's tree and init check (oci_base.h). */
#include "oci_base.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bootcfg.h"
#include "fs.h"
#include "modcache.h"
#include "profile.h"
#include "tardisk/tardisk.h"

int oci_base_tree(const char *base_tdk, const char *root, struct rh_err *err)
{
	static const char *const with_data[] = { "usr/lib/os-release", "etc/os-release", NULL };

	return tardisk_skeleton(base_tdk, root, with_data, err);
}

int oci_base_check_init(const char *root, const char *init, const char *shown, struct rh_err *err)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int dfd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC), fd = -1, rc = 0;
	struct stat st;

	if (dfd < 0)
		return rh_errf(err, -errno, "%s: %s", root, strerror(errno));
	fd = (int)syscall(SYS_openat2, dfd, init + 1, &how, sizeof(how));
	if (fd < 0 || fstat(fd, &st) < 0)
		rc = rh_errf(err, -ENOENT, "%s: the image has no %s, so it cannot boot as a host: add an init (Debian: "
			     "systemd-sysv and udev, as a debootstrap base has) or name the image's init with 'init ='",
			     shown, init);
	else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		rc = rh_errf(err, -EACCES, "%s: %s in the image is not an executable file", shown, init);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

struct split_ctx {
	const char *work;
	struct oci_base_layers *ret;
	struct modcache_tdk *cache;  /* per layer */
};

/* tardisk_create_layers's question for layer i of n: the cache's image, or where to write it. */
static int split_layer(void *ctx, unsigned i, unsigned n, const uint8_t key[SHA256_DIGEST_LEN], char *out,
		       size_t cap, struct rh_err *err)
{
	struct split_ctx *c = ctx;
	struct oci_base_layer *l;
	char file[80];
	int rc;

	if (i == 0) {
		if (n > OCI_BASE_MAX_LAYERS)
			return rh_errf(err, -E2BIG, "the image has %u layers; with oci-layers = split each is a boot "
				       "module, and at most %d fit beside the others (boot.cfg holds %d): use "
				       "oci-layers = merged", n, OCI_BASE_MAX_LAYERS, BOOTCFG_MAX_MODULES);
		c->ret->v = calloc(n, sizeof(*c->ret->v));
		c->cache = calloc(n, sizeof(*c->cache));
		if (!c->ret->v || !c->cache)
			return rh_errf(err, -ENOMEM, "out of memory");
		c->ret->n = n;
	}
	l = &c->ret->v[i];
	profile_base_layer_name(i, l->name, sizeof(l->name));
	snprintf(file, sizeof(file), "%s.tdk", l->name);
	rc = fs_join(l->img, sizeof(l->img), c->work, file, err);
	if (rc)
		return rc;
	modcache_tdk_open_in(&c->cache[i], MODCACHE_OCI_LAYERS, l->img);
	memcpy(c->cache[i].key, key, SHA256_DIGEST_LEN);
	l->cached = modcache_tdk_reuse(&c->cache[i], key);
	if (!l->cached && (size_t)snprintf(out, cap, "%s", l->img) >= cap)
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", l->img);
	return l->cached;
}

int oci_base_split(const char *src, const char *work, long long mtime, struct oci_base_layers *ret,
		   struct rh_err *err)
{
	struct split_ctx c = { work, ret, NULL };
	struct tardisk_layers_opts lo = { split_layer, &c };
	struct tardisk_create_opts o;
	int rc;

	memset(ret, 0, sizeof(*ret));
	memset(&o, 0, sizeof(o));
	o.src = src;
	o.mtime = mtime;
	rc = tardisk_create_layers(&o, &lo, err);
	for (unsigned i = 0; i < ret->n; i++) {
		if (rc)
			unlink(ret->v[i].img);
		else if (!ret->v[i].cached)
			modcache_tdk_store(&c.cache[i]);
	}
	free(c.cache);
	if (rc)
		oci_base_layers_free(ret);
	return rc;
}

void oci_base_layers_free(struct oci_base_layers *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
