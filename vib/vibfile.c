/* vibfile.c: a .vib opened (mmapped, its members and descriptor checked), verified (signature, payload sizes
 * and SHA-256) and created (payload hashes filled in, descriptor signed, archive written atomically).
 *
 * The archive must hold exactly descriptor.xml, sig.pkcs7 and the descriptor's payloads as NAME.tdk, in that
 * order: anything else is refused, so what is verified is all that is there. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "cpio.h"
#include "fileio.h"
#include "fs.h"
#include "tmpreg.h"
#include "sha256.h"
#include "sig.h"
#include "vibfile.h"

/* Checks the member list against the descriptor; fills v's members. */
static int match_members(struct vib_file *v, struct rh_err *err)
{
	uint64_t pos = 0;
	struct ar_member m;
	size_t idx = 0;
	int r;

	while ((r = ar_next(v->map, v->len, &pos, &m, err)) > 0) {
		char want[VIB_NAME_MAX + 8];

		if (idx == 0)
			snprintf(want, sizeof(want), "descriptor.xml");
		else if (idx == 1)
			snprintf(want, sizeof(want), "sig.pkcs7");
		else if (idx - 2 < v->desc.npayloads)
			vib_payload_module_name(&v->desc.payloads[idx - 2], want, sizeof(want));
		else
			return rh_errf(err, -EBADMSG, "%s: member '%s' is not a payload of the descriptor", v->path, m.name);
		if (strcmp(m.name, want))
			return rh_errf(err, -EBADMSG, "%s: member %zu is '%s', expected '%s'", v->path, idx + 1, m.name, want);
		if (idx == 0)
			v->desc_member = m;
		else if (idx == 1)
			v->sig_member = m;
		else
			v->payload_member[idx - 2] = m;
		idx++;
	}
	if (r < 0)
		return rh_err_prefix(err, r, "%s: not a valid .vib archive", v->path);
	if (idx < 2 + v->desc.npayloads)
		return rh_errf(err, -EBADMSG, "%s: %s missing from the archive", v->path,
			       idx == 0 ? "descriptor.xml" : idx == 1 ? "sig.pkcs7" : "a payload");
	return 0;
}

int vib_open(const char *path, struct vib_file *ret, struct rh_err *err)
{
	struct vib_file *v = calloc(1, sizeof(*v));
	struct ar_member dm;
	struct stat st;
	int fd = -1, r;

	if (!v)
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	if (strlen(path) >= sizeof(v->path)) {
		r = rh_errf(err, -ENAMETOOLONG, "%.200s...: path too long", path);
		goto fail;
	}
	strcpy(v->path, path);
	r = rh_open_input(path, &fd, err);
	if (r < 0)
		goto fail;
	if (fstat(fd, &st) < 0) {
		r = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 8) {
		r = rh_errf(err, -EBADMSG, "%s: not a .vib (%s)", path, S_ISREG(st.st_mode) ? "too short" : "not a file");
		goto fail;
	}
	v->len = (size_t)st.st_size;
	v->map = mmap(NULL, v->len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (v->map == MAP_FAILED) {
		v->map = NULL;
		r = rh_errf(err, -errno, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	/* the descriptor first: it says which payloads to expect */
	r = ar_next(v->map, v->len, &(uint64_t){ 0 }, &dm, err);
	if (r == 0)
		r = rh_errf(err, -EBADMSG, "%s: empty archive", path);
	else if (r < 0)
		rh_err_prefix(err, r, "%s: not a .vib", path);
	if (r <= 0)
		goto fail;
	if (strcmp(dm.name, "descriptor.xml")) {
		r = rh_errf(err, -EBADMSG, "%s: the first member is '%s', not descriptor.xml", path, dm.name);
		goto fail;
	}
	r = vib_desc_parse(v->map + dm.offset, dm.size, &v->desc, err);
	if (r < 0) {
		rh_err_prefix(err, r, "%s", path);
		goto fail;
	}
	if ((r = match_members(v, err)) < 0)
		goto fail;
	close(fd);
	*ret = *v;
	free(v);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	vib_close(v);
	free(v);
	return r;
}

void vib_close(struct vib_file *v)
{
	if (!v)
		return;
	if (v->map)
		munmap((void *)v->map, v->len);
	vib_desc_free(&v->desc);
	v->map = NULL;
	v->len = 0;
}

/* The digest of payload p (p->size bytes at data): as the bootbank module when module is set, else of the
 * payload file. */
static int payload_digest(const uint8_t *data, const struct vib_payload *p, int module, uint8_t got[32],
			  struct rh_err *err)
{
	struct cpio_wrap_hash h;
	char name[VIB_NAME_MAX + 8];
	int r;

	if (!module) {
		sha256_buf(data, p->size, got);
		return 0;
	}
	vib_payload_module_name(p, name, sizeof(name));
	r = cpio_wrap_hash_begin(&h, VIB_MODULE_DIR, name, p->size);
	if (r < 0)
		return rh_errf(err, r, "payload %s: cannot be a boot module (%llu bytes)", p->name,
			       (unsigned long long)p->size);
	sha256_update(&h.ctx, data, p->size);
	cpio_wrap_hash_end(&h, got);
	return 0;
}

/* Compares each payload of v with its checksum: the one vib_payload_checked_sha256 names, or the plain one when
 * plain is set. */
static int check_payloads(const struct vib_file *v, int plain, struct rh_err *err)
{
	for (size_t i = 0; i < v->desc.npayloads; i++) {
		const struct vib_payload *p = &v->desc.payloads[i];
		const struct ar_member *m = &v->payload_member[i];
		const uint8_t *want = plain ? p->sha256 : vib_payload_checked_sha256(p);
		int module = want != p->sha256;
		char hw[SHA256_HEX_LEN + 1], hg[SHA256_HEX_LEN + 1];
		uint8_t got[32];
		int r;

		if (m->size != p->size)
			return rh_errf(err, -EBADMSG, "%s: payload %s: %" PRIu64 " bytes, the descriptor says %" PRIu64
				       " (tampered payload)", v->path, p->name, m->size, p->size);
		madvise((void *)((uintptr_t)(v->map + m->offset) & ~(uintptr_t)4095), m->size + 4096, MADV_SEQUENTIAL);
		r = payload_digest(v->map + m->offset, p, module, got, err);
		if (r < 0)
			return rh_err_prefix(err, r, "%s", v->path);
		if (memcmp(got, want, 32)) {
			sha256_to_hex(want, hw);
			sha256_to_hex(got, hg);
			return rh_errf(err, -EBADMSG, "%s: payload %s: SHA-256 mismatch (tampered payload): descriptor %s, "
				       "file %s%s", v->path, p->name, hw, hg,
				       module ? " (both of the payload as the boot module)" : "");
		}
	}
	return 0;
}

int vib_check_plain(const struct vib_file *v, struct rh_err *err)
{
	return check_payloads(v, 1, err);
}

int vib_check(const struct vib_file *v, const char *const *trust_dirs, const char *extra_ca, int skip_sig,
	      enum vib_level *ret_level, struct rh_err *err)
{
	enum vib_level level = v->desc.level;
	int r;

	if (!skip_sig) {
		r = vib_sig_verify(v->map + v->desc_member.offset, v->desc_member.size, v->map + v->sig_member.offset,
				   v->sig_member.size, v->desc.level, trust_dirs, extra_ca, time(NULL), &level, err);
		if (r < 0)
			return rh_err_prefix(err, r, "%s", v->path);
	}
	r = check_payloads(v, 0, err);
	if (r < 0)
		return r;
	if (ret_level)
		*ret_level = level;
	return 0;
}

/* Size, SHA-256 and boot-module SHA-256 of the file at path, into p (whose name the caller has set), in one
 * read: the module hash needs the size first, and a file that changes size while read is refused. */
static int hash_file(const char *path, struct vib_payload *p, struct rh_err *err)
{
	int fd = -1, r = rh_open_input(path, &fd, err);
	char *buf = malloc(1 << 20), name[VIB_NAME_MAX + 8];
	struct cpio_wrap_hash mod;
	struct sha256_ctx ctx;
	uint64_t total = 0;
	struct stat st;

	if (r < 0)
		goto out;
	if (!buf) {
		r = rh_errf(err, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	vib_payload_module_name(p, name, sizeof(name));
	r = cpio_wrap_hash_begin(&mod, VIB_MODULE_DIR, name, (uint64_t)st.st_size);
	if (r < 0) {
		r = rh_errf(err, r, "%s: cannot be a boot module (%lld bytes; at most 4 GiB - 1)", path,
			    (long long)st.st_size);
		goto out;
	}
	sha256_init(&ctx);
	for (;;) {
		ssize_t got = read(fd, buf, 1 << 20);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = rh_errf(err, -errno, "%s: read: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		sha256_update(&ctx, buf, (size_t)got);
		sha256_update(&mod.ctx, buf, (size_t)got);
		total += (uint64_t)got;
	}
	if (total != (uint64_t)st.st_size) {
		r = rh_errf(err, -EIO, "%s: changed size while read (%llu bytes, then %llu)", path,
			    (unsigned long long)st.st_size, (unsigned long long)total);
		goto out;
	}
	sha256_final(&ctx, p->sha256);
	cpio_wrap_hash_end(&mod, p->module_sha256);
	p->has_module_sha256 = true;
	p->size = total;
	snprintf(p->type, sizeof(p->type), "tdk");
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

int vib_create(const char *out, struct vib_desc *d, const char *const *payload_paths, const char *key_path,
	       const char *cert_path, struct rh_err *err)
{
	char *xml = NULL, tmp[4200] = "";
	void *sig = NULL;
	size_t xlen = 0, slen = 0;
	uint64_t mtime = 0;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int fd = -1, r;

	if (sde && *sde)
		mtime = strtoull(sde, NULL, 10);
	if ((key_path != NULL) != (cert_path != NULL))
		return rh_errf(err, -EINVAL, "%s: signing needs both a key and a certificate", out);
	if (key_path && d->level == VIB_LEVEL_COMMUNITY)
		return rh_errf(err, -EINVAL, "%s: a community VIB is not signed; set <acceptance-level> to partner, "
			       "accepted or certified to sign it", out);
	if (!key_path && d->level != VIB_LEVEL_COMMUNITY)
		return rh_errf(err, -EINVAL, "%s: acceptance level %s needs a signature (--sign-key and --sign-cert); "
			       "only community VIBs are unsigned", out, vib_level_str(d->level));
	for (size_t i = 0; i < d->npayloads; i++)
		if ((r = hash_file(payload_paths[i], &d->payloads[i], err)) < 0)
			return r;
	if ((r = vib_desc_write(d, &xml, &xlen, err)) < 0)
		return r;
	if (key_path && (r = vib_sig_sign(xml, xlen, key_path, cert_path, &sig, &slen, err)) < 0)
		goto out;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", out) >= sizeof(tmp)) {
		r = rh_errf(err, -ENAMETOOLONG, "%.200s: path too long", out);
		goto out;
	}
	fd = fs_make_temp(tmp, 0, err); /* a registered temporary until renamed into place */
	if (fd < 0) {
		r = fd;
		tmp[0] = '\0';
		goto out;
	}
	if ((r = ar_write_start(fd, tmp, err)) < 0 ||
	    (r = ar_write_member(fd, tmp, "descriptor.xml", xml, xlen, mtime, err)) < 0 ||
	    (r = ar_write_member(fd, tmp, "sig.pkcs7", sig ? sig : "", slen, mtime, err)) < 0)
		goto out;
	for (size_t i = 0; i < d->npayloads; i++) {
		char name[VIB_NAME_MAX + 8];
		int pfd = -1;

		if ((r = rh_open_input(payload_paths[i], &pfd, err)) < 0)
			goto out;
		vib_payload_module_name(&d->payloads[i], name, sizeof(name));
		r = ar_write_member_fd(fd, tmp, name, pfd, d->payloads[i].size, mtime, err);
		close(pfd);
		if (r < 0)
			goto out;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		r = rh_errf(err, -errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, out) < 0) {
		r = rh_errf(err, -errno, "%s: rename: %s", out, strerror(errno));
		goto out;
	}
	tmpreg_forget(tmp);
	tmp[0] = '\0';
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp[0])
		fs_rm_rf(tmp, NULL);
	free(xml);
	free(sig);
	return r;
}
