/* prehash.c: the tardisks hashed beside the module loads (see prehash.h). */
#include "prehash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"

const char *prehash_tardisk_base(const char *name, size_t *ret_len)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	size_t blen = strlen(base);

	if (blen < 5 || strcmp(base + blen - 4, ".tdk"))
		return NULL;
	*ret_len = blen;
	return base;
}

static void *hash_all(void *arg)
{
	struct prehash *ph = arg;
	unsigned i;

	for (i = 0; i < ph->cfg->nmodules && i < BOOTCFG_MAX_MODULES; i++) {
		size_t blen;
		const char *base = prehash_tardisk_base(ph->cfg->modules[i].name, &blen);
		struct rh_err err = { 0 };
		char path[sizeof(ph->dir) + BOOTCFG_MAX_NAME + 3];
		struct stat st;
		int fd;

		if (!base)
			continue;
		snprintf(path, sizeof(path), "/%s/%s", ph->dir, base);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			ph->rc[i] = cpio_wrap_sha256(ph->dir, base, fd, (uint64_t)st.st_size,
						     ph->got[i], &err);
		close(fd);
	}
	return NULL;
}

void prehash_start(struct prehash *ph, const struct bootcfg *cfg, const char *dir)
{
	unsigned i;

	memset(ph, 0, sizeof(*ph));
	ph->cfg = cfg;
	for (i = 0; i < BOOTCFG_MAX_MODULES; i++)
		ph->rc[i] = -1;
	if ((size_t)snprintf(ph->dir, sizeof(ph->dir), "%s", dir) >= sizeof(ph->dir))
		return;
	ph->started = pthread_create(&ph->thread, NULL, hash_all, ph) == 0;
}

int prehash_get(struct prehash *ph, unsigned i, uint8_t got[SHA256_DIGEST_LEN])
{
	if (!ph->started)
		return -1;
	if (!ph->joined) {
		pthread_join(ph->thread, NULL);
		ph->joined = 1;
	}
	if (i >= BOOTCFG_MAX_MODULES || ph->rc[i] != 0)
		return -1;
	memcpy(got, ph->got[i], SHA256_DIGEST_LEN);
	return 0;
}
