/* pxe_image.c: profile -> network boot image directory (see pxe_image.h). */
#include "pxe_image.h"

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
#include "outpath.h"
#include "tmpreg.h"

#define BANK_SUBDIR "bootbank"   /* where the bootbank is built inside the temporary directory */
#define CONF_MAX_SIZE (64u << 10)

/* One build: its inputs, the temporary directory and what has been written so far. */
struct pxe_job {
	const struct profile *p;
	const struct pxe_image_opts *o;
	const char *out;          /* as given, but without trailing slashes */
	char outbuf[PATH_MAX];
	struct pxe_image_result *res;
	struct rh_err *err;
	struct netkey key;
	int replace;              /* out holds an older image directory to swap out */
	char loader[PATH_MAX];    /* the ramhost.efi copied in */
	char tmp[PATH_MAX];       /* out.tmp.XXXXXX: becomes out */
	char bank[PATH_MAX];      /* tmp/bootbank: the bootbank as image build writes it */
	struct bootcfg cfg;
	struct timespec t0;
};

int pxe_image_valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= PROFILE_MAX_NAME || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-", s[i]))
			return 0;
	return 1;
}

/* NULL when every entry of the open directory d is a regular file named by 64 lower-case hex digits (an a/
 * that ramhost wrote), else the first foreign name (a pointer into d's buffer). */
static const char *foreign_artifact(DIR *d)
{
	struct dirent *e;
	struct stat st;
	size_t i;

	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (strlen(e->d_name) != SHA256_HEX_LEN)
			return e->d_name;
		for (i = 0; i < SHA256_HEX_LEN; i++)
			if (!strchr("0123456789abcdef", e->d_name[i]))
				return e->d_name;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			return e->d_name;
	}
	return NULL;
}

/* 1 when the entry name of the directory dfd is one an image directory holds, as the kind it must be; a/ is
 * checked through: its first foreign entry goes into bad (cap bytes). */
static int image_entry_ok(int dfd, const char *name, char *bad, size_t cap)
{
	const char *f;
	struct stat st;
	DIR *a;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (strcmp(name, PXE_IMAGE_ARTIFACTS))
		return S_ISREG(st.st_mode) && (!strcmp(name, PXE_IMAGE_CONF) || !strcmp(name, PXE_IMAGE_BOOTCFG) ||
					       !strcmp(name, PXE_IMAGE_LOADER));
	fd = S_ISDIR(st.st_mode) ? openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	a = fd >= 0 ? fdopendir(fd) : NULL;
	if (!a) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	f = foreign_artifact(a);
	if (f)
		snprintf(bad, cap, PXE_IMAGE_ARTIFACTS "/%s", f);
	closedir(a);
	return f == NULL;
}

/* The first entry of dir that an image directory does not hold into bad (cap bytes); "" when there is none. */
static int find_foreign(const char *dir, char *bad, size_t cap, struct rh_err *err)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	bad[0] = '\0';
	if (!d)
		return rh_errf(err, -errno, "%s: cannot read: %s", dir, strerror(errno));
	while (!bad[0] && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !image_entry_ok(dirfd(d), e->d_name, bad, cap) &&
		    !bad[0])
			snprintf(bad, cap, "%s", e->d_name);
	}
	closedir(d);
	return 0;
}

/* The refusal of --force over a directory that is not an image directory ramhost wrote; why says what gave it
 * away. */
static int not_ours(const char *dir, const char *why, struct rh_err *err)
{
	return rh_errf(err, -EPERM, "%s: not an image directory ramhost wrote; refusing to replace it even with --force "
				    "(%s)", dir, why);
}

int pxe_image_dir_is_ramhost(const char *dir, struct rh_err *err)
{
	char path[PATH_MAX], bad[NAME_MAX + 8], why[NAME_MAX + 64], *conf = NULL;
	size_t len;
	int rc, named;

	rc = find_foreign(dir, bad, sizeof(bad), err);
	if (rc)
		return rc;
	if (bad[0]) {
		snprintf(why, sizeof(why), "'%s' is not part of one", bad);
		return not_ours(dir, why, err);
	}
	rc = fs_join(path, sizeof(path), dir, PXE_IMAGE_CONF, err);
	if (rc)
		return rc;
	if (rh_read_file(path, CONF_MAX_SIZE, &conf, &len, NULL) < 0)
		return not_ours(dir, "no readable " PXE_IMAGE_CONF, err);
	named = !strncmp(conf, "name=", 5) || strstr(conf, "\nname=") != NULL;
	free(conf);
	if (!named)
		return not_ours(dir, PXE_IMAGE_CONF " has no name= line", err);
	return 0;
}

/* One progress line, "NAME  WHAT, SIZE, SECONDS s", timed from the last one. */
static void progress(struct pxe_job *j, const char *name, const char *what, uint64_t size)
{
	struct timespec t1;
	char line[700];

	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (j->o->bank.progress) {
		int mib = size >= (1u << 20);
		snprintf(line, sizeof(line), "%-14s %s, %.1f %s, %.2f s", name, what,
			 (double)size / (mib ? (1 << 20) : 1024), mib ? "MiB" : "KiB",
			 (double)(t1.tv_sec - j->t0.tv_sec) + (double)(t1.tv_nsec - j->t0.tv_nsec) / 1e9);
		j->o->bank.progress(j->o->bank.progress_ctx, line);
	}
	j->t0 = t1;
}

/* Records a written file (relative path rel) in the result; a repeated path is kept once. */
static struct pxe_image_file *add_file(struct pxe_job *j, const char *rel)
{
	struct pxe_image_result *r = j->res;
	unsigned i;

	for (i = 0; i < r->nfiles; i++)
		if (!strcmp(r->files[i].path, rel))
			return &r->files[i];
	if (r->nfiles >= PXE_IMAGE_MAX_FILES)
		return NULL;
	memset(&r->files[r->nfiles], 0, sizeof(r->files[0]));
	snprintf(r->files[r->nfiles].path, sizeof(r->files[0].path), "%s", rel);
	return &r->files[r->nfiles++];
}

/* The options, the server certificate and the loader, all before anything is written. */
static int check_inputs(struct pxe_job *j)
{
	const struct pxe_image_opts *o = j->o;
	int rc;

	if (o->name && !pxe_image_valid_name(o->name))
		return rh_errf(j->err, -EINVAL, "--name '%s' is not a valid image name (letters, digits, '.', '_', '+', "
						"'-'; not starting with '.' or '-'; at most %d)", o->name, PROFILE_MAX_NAME - 1);
	snprintf(j->res->name, sizeof(j->res->name), "%s", o->name ? o->name : j->p->name);
	rc = efiboot_check_signing(&o->efi, j->err);
	if (rc < 0)
		return rc;
	rc = efiboot_find_loader(&o->efi, j->loader, sizeof(j->loader), j->err);
	if (!rc)
		rc = pxe_loader_check(j->loader, j->err);
	if (rc)
		return rc;
	if (!o->server_cert)
		return 0;
	rc = pxe_loader_cert_key(o->server_cert, &j->key, j->err);
	if (rc)
		return rc;
	j->res->has_key = 1;
	j->res->key_bits = j->key.modulus_len * 8;
	memcpy(j->res->cert_sha256, j->key.cert_sha256, SHA256_DIGEST_LEN);
	return 0;
}

/* Whether out may take the image: missing, empty, or (force) an image directory ramhost wrote. */
static int check_out_dir(struct pxe_job *j)
{
	int empty = fs_dir_is_empty(j->out);

	if (empty == -ENOENT)
		return 0;
	if (empty < 0)
		return rh_errf(j->err, empty, "%s: cannot read: %s", j->out, strerror(-empty));
	if (empty)
		return 0;
	if (!j->o->force)
		return rh_errf(j->err, -EEXIST, "%s: exists and is not empty (use --force to replace an image directory "
						"ramhost wrote)", j->out);
	j->replace = 1;
	return pxe_image_dir_is_ramhost(j->out, j->err);
}

/* The output rule (outpath.h) against every input, the replace rule, and the profile's own paths. */
static int check_output(struct pxe_job *j)
{
	const char *in[PROFILE_MAX_INPUTS + 4];
	size_t n = profile_inputs(j->p, in);
	int rc;

	in[n++] = j->loader;
	in[n++] = j->o->server_cert;
	in[n++] = j->o->efi.sign_key;
	in[n++] = j->o->efi.sign_cert;
	rc = outpath_check_dir(j->out, in, n, j->err);
	if (!rc)
		rc = check_out_dir(j);
	if (!rc)
		rc = profile_check_inputs(j->p, j->err);
	return rc;
}

/* The sibling temporary directory out.tmp.XXXXXX (registered: removed if the command is stopped). */
static int make_tmp(struct pxe_job *j)
{
	char parent[PATH_MAX], name[PATH_MAX];
	const char *base;
	int rc;

	bank_build_split_out(j->out, parent, &base);
	if ((size_t)snprintf(name, sizeof(name), "%s.tmp", base) >= sizeof(name))
		return rh_errf(j->err, -ENAMETOOLONG, "%s: path too long", j->out);
	rc = fs_work_dir(parent, name, j->tmp, sizeof(j->tmp), j->err);
	if (rc)
		return rc;
	chmod(j->tmp, 0755);
	rc = fs_join(j->bank, sizeof(j->bank), j->tmp, BANK_SUBDIR, j->err);
	if (!rc)
		rc = rh_mkdir_p(j->bank, 0755, j->err);
	return rc;
}

/* The bootbank, exactly as `image build` writes it, into tmp/bootbank; with Secure Boot signing its kernel
 * signed too (as `image disk --sign-key` does), so that the loader's LoadImage of it passes the firmware's check. */
static int build_bank(struct pxe_job *j)
{
	int rc = bank_build_write(j->p, j->bank, &j->o->bank, &j->cfg, j->err);

	if (!rc && j->o->efi.sign_key)
		rc = efiboot_sign_bootbank_kernel(&j->o->efi, j->bank, &j->cfg, j->err);
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	if (!rc)
		snprintf(j->res->build, sizeof(j->res->build), "%s", j->cfg.build);
	return rc;
}

/* Moves the bank's file f to tmp/a/HEX once its SHA-256 is the one boot.cfg gives; *ret_size gets its size. */
static int move_artifact(struct pxe_job *j, const struct bootcfg_file *f, int kernel, uint64_t *ret_size)
{
	char src[PATH_MAX], dst[PATH_MAX], rel[3 + SHA256_HEX_LEN], want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
	struct pxe_image_file *e;
	uint8_t sum[SHA256_DIGEST_LEN];
	uint64_t size;
	int rc;

	if (!f->has_sha256 || strchr(f->name, '/'))
		return rh_errf(j->err, -EINVAL, "%s/boot.cfg: %s has no hash.%s line or is not a plain file name",
			       j->bank, f->name, f->name);
	sha256_to_hex(f->sha256, want);
	snprintf(rel, sizeof(rel), PXE_IMAGE_ARTIFACTS "/%s", want);
	rc = fs_join(src, sizeof(src), j->bank, f->name, j->err);
	if (!rc)
		rc = fs_join(dst, sizeof(dst), j->tmp, rel, j->err);
	if (!rc)
		rc = fs_sha256_file(src, sum, &size, j->err);
	if (rc)
		return rc;
	sha256_to_hex(sum, got);
	if (strcmp(got, want))
		return rh_errf(j->err, -EINVAL, "%s: SHA-256 %s, but boot.cfg says %s", src, got, want);
	if (rename(src, dst) < 0)
		return rh_errf(j->err, -errno, "%s: cannot move to %s: %s", src, dst, strerror(errno));
	e = add_file(j, rel);
	if (!e)
		return rh_errf(j->err, -E2BIG, "%s: too many files", j->out);
	if (!e->name[0]) {
		snprintf(e->name, sizeof(e->name), "%s", f->name);
		e->kernel = kernel;
		e->size = size;
		memcpy(e->sha256, sum, sizeof(sum));
		*ret_size += size;
	}
	return 0;
}

/* A top-level file of tmp into the result (its size and hash). */
static int record_file(struct pxe_job *j, const char *rel)
{
	struct pxe_image_file *e = add_file(j, rel);
	char path[PATH_MAX];
	int rc;

	if (!e)
		return rh_errf(j->err, -E2BIG, "%s: too many files", j->out);
	rc = fs_join(path, sizeof(path), j->tmp, rel, j->err);
	if (!rc)
		rc = fs_sha256_file(path, e->sha256, &e->size, j->err);
	return rc;
}

/* The kernel and every module to tmp/a/HEX, the bank's boot.cfg to tmp/boot.cfg, and the rest of the bank
 * (bootcfg.cpio, which the network paths derive per host) removed. */
static int stage_artifacts(struct pxe_job *j)
{
	char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX], what[64];
	uint64_t total = 0;
	unsigned i;
	int rc;

	rc = fs_join(dir, sizeof(dir), j->tmp, PXE_IMAGE_ARTIFACTS, j->err);
	if (!rc)
		rc = rh_mkdir_p(dir, 0755, j->err);
	if (!rc)
		rc = move_artifact(j, &j->cfg.kernel, 1, &total);
	for (i = 0; i < j->cfg.nmodules && !rc; i++)
		rc = move_artifact(j, &j->cfg.modules[i], 0, &total);
	if (!rc)
		rc = fs_sync_dir(dir, j->err);
	if (rc)
		return rc;
	snprintf(what, sizeof(what), "%u files by SHA-256", j->res->nfiles);
	progress(j, PXE_IMAGE_ARTIFACTS "/", what, total);
	rc = fs_join(src, sizeof(src), j->bank, PXE_IMAGE_BOOTCFG, j->err);
	if (!rc)
		rc = fs_join(dst, sizeof(dst), j->tmp, PXE_IMAGE_BOOTCFG, j->err);
	if (rc)
		return rc;
	if (rename(src, dst) < 0)
		return rh_errf(j->err, -errno, "%s: cannot move to %s: %s", src, dst, strerror(errno));
	rc = fs_rm_rf(j->bank, j->err);
	if (!rc)
		rc = record_file(j, PXE_IMAGE_BOOTCFG);
	return rc;
}

/* tmp/ramhost.efi: the loader with the server key (or "no key") embedded, Secure Boot signed when asked. */
static int stage_loader(struct pxe_job *j)
{
	struct pxe_loader_info info;
	struct pxe_image_file *e;
	char path[PATH_MAX], what[200];
	int rc;

	rc = fs_join(path, sizeof(path), j->tmp, PXE_IMAGE_LOADER, j->err);
	if (!rc)
		rc = pxe_loader_write(j->loader, path, j->res->has_key ? &j->key : NULL, &j->o->efi, &info, j->err);
	if (rc)
		return rc;
	e = add_file(j, PXE_IMAGE_LOADER);
	if (!e)
		return rh_errf(j->err, -E2BIG, "%s: too many files", j->out);
	e->size = info.size;
	memcpy(e->sha256, info.sha256, sizeof(info.sha256));
	j->res->secure_boot = info.signed_sb;
	if (j->res->has_key)
		snprintf(what, sizeof(what), "server key RSA %u embedded%s", (unsigned)j->res->key_bits,
			 info.signed_sb ? ", Secure Boot signed" : "");
	else
		snprintf(what, sizeof(what), "no server key%s", info.signed_sb ? ", Secure Boot signed" : "");
	progress(j, PXE_IMAGE_LOADER, what, info.size);
	return 0;
}

/* tmp/image.conf: name=, build=, server-cert-sha256= (nothing else: the server reads exactly these). */
static int stage_conf(struct pxe_job *j)
{
	char path[PATH_MAX], text[PROFILE_MAX_NAME + BOOTCFG_MAX_TEXT + 128], cert[SHA256_HEX_LEN + 1];
	int rc, n;

	snprintf(cert, sizeof(cert), "none");
	if (j->res->has_key)
		sha256_to_hex(j->res->cert_sha256, cert);
	n = snprintf(text, sizeof(text), "name=%s\nbuild=%s\nserver-cert-sha256=%s\n", j->res->name, j->res->build,
		     cert);
	rc = fs_join(path, sizeof(path), j->tmp, PXE_IMAGE_CONF, j->err);
	if (!rc)
		rc = fs_write_file(path, text, (size_t)n, 0644, j->err);
	if (!rc)
		rc = record_file(j, PXE_IMAGE_CONF);
	if (!rc) {
		snprintf(text, sizeof(text), "name=%s, server-cert-sha256=%s", j->res->name, cert);
		progress(j, PXE_IMAGE_CONF, text, (uint64_t)n);
	}
	return rc;
}

/* The commit: tmp synced and renamed to out (or swapped with the old image directory), out's parent synced. */
static int commit(struct pxe_job *j)
{
	char parent[PATH_MAX];
	const char *base;
	int rc = fs_sync_dir(j->tmp, j->err);

	if (!rc)
		rc = bank_build_install_dir(j->tmp, j->out, j->replace, j->err);
	if (rc)
		return rc;
	tmpreg_forget(j->tmp);
	j->tmp[0] = '\0';
	bank_build_split_out(j->out, parent, &base);
	return fs_sync_dir(parent, j->err);
}

/* The steps of an image directory build, in order; the first failure stops it. */
static int (*const pxe_steps[])(struct pxe_job *) = {
	check_inputs, check_output, make_tmp, build_bank, stage_artifacts, stage_loader, stage_conf, commit,
};

int pxe_image_build(const struct profile *p, const char *out, const struct pxe_image_opts *o,
		    struct pxe_image_result *ret, struct rh_err *err)
{
	struct pxe_job *j = calloc(1, sizeof(*j));
	struct pxe_image_result *res = calloc(1, sizeof(*res));
	size_t i;
	int rc = 0;

	if (!j || !res) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	j->p = p;
	j->o = o;
	j->out = j->outbuf;
	if ((size_t)snprintf(j->outbuf, sizeof(j->outbuf), "%s", out) >= sizeof(j->outbuf)) {
		rc = rh_errf(err, -ENAMETOOLONG, "%s: path too long", out);
		goto out;
	}
	for (i = strlen(j->outbuf); i > 1 && j->outbuf[i - 1] == '/'; i--)
		j->outbuf[i - 1] = '\0'; /* "DIR/" is DIR: its temporary goes beside it, not into it */
	j->res = res;
	j->err = err;
	for (i = 0; i < sizeof(pxe_steps) / sizeof(pxe_steps[0]) && !rc; i++)
		rc = pxe_steps[i](j);
	if (!rc && ret)
		*ret = *res;
out:
	if (j && j->tmp[0])
		fs_rm_rf(j->tmp, NULL);
	free(res);
	free(j);
	return rc;
}
