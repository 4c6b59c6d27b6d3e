/* bootgen_cpio.c: the per-host cpio modules: bootcfg.cpio (the per-host boot.cfg wrapped as the bootbank's
 * bootcfg.cpio, the iPXE path's last initrd) and the state module (the host's generation file at
 * /state/state-NNNNNNNN.rhs, in the canonical one-file wrapper of lib/host/cpio.h, so its hash in boot.cfg
 * is cpio_wrap_sha256 of the stored file). Both are made in a memfd by the same writers the bootbank uses. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "fileio.h"
#include "host_state.h"
#include "pxe_int.h"
#include "ramdisk/state/state_format.h"

/* Reads all of the memfd fd into a new buffer. */
static int fd_bytes(int fd, uint8_t **ret_buf, size_t *ret_len, struct rh_err *err)
{
	struct stat st;
	uint8_t *buf;
	int rc;

	if (fstat(fd, &st) < 0)
		return rh_errf(err, -errno, "memfd: %s", strerror(errno));
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = rh_pread_all(fd, buf, (size_t)st.st_size, 0);
	if (rc < 0) {
		free(buf);
		return rh_errf(err, rc, "memfd: read back failed");
	}
	*ret_buf = buf;
	*ret_len = (size_t)st.st_size;
	return 0;
}

/* An anonymous file in memory for a module being made: the cpio writers write to a descriptor. */
static int mem_file(const char *name, struct rh_err *err)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	return fd < 0 ? rh_errf(err, -errno, "memfd_create: %s", strerror(errno)) : fd;
}

int pxe_gen_bootcfg_cpio(const struct pxe_gen *g, uint8_t **ret_buf, size_t *ret_len, struct rh_err *err)
{
	struct cpio_writer w;
	char *text = NULL;
	size_t len = 0;
	int fd, rc;

	rc = pxe_gen_bootcfg(g, &text, &len, err);
	if (rc < 0)
		return rc;
	fd = mem_file("bootcfg.cpio", err);
	if (fd < 0) {
		free(text);
		return fd;
	}
	cpio_writer_init(&w, fd, "bootcfg.cpio");
	rc = cpio_add_buf(&w, "boot.cfg", 0444, text, len, err);
	if (!rc)
		rc = cpio_finish(&w, err);
	if (!rc)
		rc = fd_bytes(fd, ret_buf, ret_len, err);
	close(fd);
	free(text);
	return rc;
}

/* Opens the stored generation gen of the host: a regular file, no link, at most state_max_bytes. */
static int open_gen(const struct pxe_gen *g, uint64_t gen, char name[STATE_NAME_LEN], int *ret_fd,
		    uint64_t *ret_size, struct rh_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	state_gen_name(gen, name, STATE_NAME_LEN);
	if ((size_t)snprintf(path, sizeof(path), "%s/hosts/%s/%s", g->cfg->set.state_dir, g->mac_hyp, name) >=
	    sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "state dir path too long");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return rh_errf(err, errno == ELOOP ? -EACCES : -errno, "%s: %s", path, errno == ELOOP ?
			       "a symbolic link" : strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > g->cfg->set.state_max_bytes) {
		close(fd);
		return rh_errf(err, -EACCES, "%s: not a regular file of at most state-max-size bytes", path);
	}
	*ret_fd = fd;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

int pxe_gen_state_cpio(const struct pxe_gen *g, uint64_t gen, uint8_t **ret_buf, size_t *ret_len,
		       struct rh_err *err)
{
	char name[STATE_NAME_LEN];
	uint64_t size = 0;
	int in, out, rc;

	rc = open_gen(g, gen, name, &in, &size, err);
	if (rc < 0)
		return rc;
	out = mem_file("state.cpio", err);
	if (out < 0) {
		close(in);
		return out;
	}
	rc = cpio_wrap_file(out, "state", name, in, size, err);
	if (!rc)
		rc = fd_bytes(out, ret_buf, ret_len, err);
	close(out);
	close(in);
	return rc;
}

int pxe_gen_state_module(const struct pxe_gen *g, struct bootcfg *cfg, struct rh_err *err)
{
	char path[PATH_MAX], name[STATE_NAME_LEN], base[128];
	struct rh_err e = { 0, "" };
	struct bootcfg_file *m;
	uint64_t gen = 0, size = 0;
	int fd, rc;

	if (pxe_host_state_newest(g->cfg->set.state_dir, g->f->mac, &gen, path, &e) < 0)
		return 0;       /* no generation (or none verifies): the host boots with the image defaults */
	if (cfg->nmodules >= BOOTCFG_MAX_MODULES)
		return rh_errf(err, -E2BIG, "image %s: no room for the state module", g->c->image_name);
	rc = open_gen(g, gen, name, &fd, &size, err);
	if (rc < 0)
		return rc;
	m = &cfg->modules[cfg->nmodules];
	memset(m, 0, sizeof(*m));
	rc = cpio_wrap_sha256("state", name, fd, size, m->sha256, err);
	close(fd);
	if (rc < 0)
		return rc;
	m->has_sha256 = 1;
	/* with artifact-url, boot.cfg's prefix= points away from this server: the state module names it */
	base[0] = '\0';
	if (g->cfg->set.artifact_url[0])
		pxe_base_url(g->srv, g->cfg, base, sizeof(base));
	if ((size_t)snprintf(m->name, sizeof(m->name), "%shost/%s/state/%llu.cpio", base, g->mac_hyp,
			     (unsigned long long)gen) >= sizeof(m->name))
		return rh_errf(err, -ENAMETOOLONG, "host %s: state module name too long", g->mac_hyp);
	cfg->nmodules++;
	return 0;
}
