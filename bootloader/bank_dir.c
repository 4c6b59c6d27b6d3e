/* bank_dir.c: one boot bank directory: write, read, check, copy, mark good (see bank_dir.h). */
#include "bank_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "fileio.h"
#include "fs.h"
#include "sha256.h"

#define CFG_FILE_MAX (1u << 20)      /* the largest boot.cfg read */
#define CFG_TEXT_MAX 16384           /* the largest boot.cfg written by the builders */
#define MARK_TEXT_MAX (256u << 10)   /* the largest boot.cfg rewritten by mark-good */

int bank_dir_write_bootcfg_module(const char *dir, const char *text, size_t len, struct rh_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct cpio_writer w;
	int fd, rc;

	rc = fs_join(path, sizeof(path), dir, BANK_DIR_BOOTCFG_MODULE, err);
	if (rc)
		return rc;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot create: %s", tmp, strerror(errno));
	cpio_writer_init(&w, fd, path);
	rc = cpio_add_buf(&w, "boot.cfg", 0444, text, len, err);
	if (!rc)
		rc = cpio_finish(&w, err);
	if (!rc && fsync(fd) < 0)
		rc = rh_errf(err, -errno, "%s: fsync: %s", tmp, strerror(errno));
	close(fd);
	if (!rc && rename(tmp, path) < 0)
		rc = rh_errf(err, -errno, "%s: cannot rename into place: %s", path, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

int bank_dir_write_cfg(const char *dir, const struct bootcfg *cfg, struct rh_err *err)
{
	char text[CFG_TEXT_MAX], path[PATH_MAX], tmp[PATH_MAX];
	long len;
	int rc;

	len = bootcfg_format(cfg, text, sizeof(text));
	if (len < 0)
		return rh_errf(err, (int)len, "%s/boot.cfg: does not fit in %zu bytes", dir, sizeof(text));
	rc = fs_join(path, sizeof(path), dir, "boot.cfg", err);
	if (rc)
		return rc;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	rc = fs_write_file(tmp, text, (size_t)len, 0644, err);
	if (!rc && rename(tmp, path) < 0)
		rc = rh_errf(err, -errno, "%s: cannot rename into place: %s", path, strerror(errno));
	if (rc) {
		unlink(tmp);
		return rc;
	}
	return bank_dir_write_bootcfg_module(dir, text, (size_t)len, err);
}

/* The i-th file bank_dir_copy copies: the kernel, the modules, then boot.cfg. */
static const char *copied_name(const struct bootcfg *cfg, unsigned i)
{
	if (i == 0)
		return cfg->kernel.name;
	if (i <= cfg->nmodules)
		return cfg->modules[i - 1].name;
	return "boot.cfg";
}

int bank_dir_copy(const char *src, const char *dst, const struct bootcfg *cfg, struct rh_err *err)
{
	char s[PATH_MAX], d[PATH_MAX], *text = NULL;
	size_t len;
	unsigned i;
	int rc = 0;

	for (i = 0; i <= cfg->nmodules + 1; i++) {
		const char *name = copied_name(cfg, i);

		if (strchr(name, '/'))
			return rh_errf(err, -EINVAL, "%s/boot.cfg: module %s is not a plain file name", src, name);
		rc = fs_join(s, sizeof(s), src, name, err);
		if (!rc)
			rc = fs_join(d, sizeof(d), dst, name, err);
		if (!rc)
			rc = fs_copy_file(s, d, 0644, err);
		if (rc)
			return rc;
	}
	rc = rh_read_file(d, CFG_FILE_MAX, &text, &len, err);
	if (rc)
		return rc;
	rc = bank_dir_write_bootcfg_module(dst, text, len, err);
	free(text);
	return rc;
}

static int check_one(const char *dir, const struct bootcfg_file *f, struct rh_err *err)
{
	uint8_t got[SHA256_DIGEST_LEN];
	char path[PATH_MAX], want_hex[SHA256_HEX_LEN + 1], got_hex[SHA256_HEX_LEN + 1];
	int rc;

	if (!f->has_sha256)
		return rh_errf(err, -EINVAL, "%s/boot.cfg: no hash.%s line", dir, f->name);
	rc = fs_join(path, sizeof(path), dir, f->name, err);
	if (!rc)
		rc = fs_sha256_file(path, got, NULL, err);
	if (rc)
		return rc;
	if (memcmp(got, f->sha256, sizeof(got))) {
		sha256_to_hex(f->sha256, want_hex);
		sha256_to_hex(got, got_hex);
		return rh_errf(err, -EBADMSG, "%s: SHA-256 mismatch: boot.cfg says %s, the file has %s", path,
			       want_hex, got_hex);
	}
	return 0;
}

int bank_dir_check(const char *dir, const struct bootcfg *cfg, struct rh_err *err)
{
	unsigned i;
	int rc = check_one(dir, &cfg->kernel, err);

	for (i = 0; i < cfg->nmodules && !rc; i++)
		rc = check_one(dir, &cfg->modules[i], err);
	return rc;
}

int bank_dir_read_cfg(const char *dir, struct bootcfg *ret, struct rh_err *err)
{
	struct bootcfg_error perr = { 0, NULL };
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	rc = fs_join(path, sizeof(path), dir, "boot.cfg", err);
	if (!rc)
		rc = rh_read_file(path, CFG_FILE_MAX, &buf, &len, err);
	if (rc)
		return rc;
	rc = bootcfg_parse(buf, len, ret, &perr);
	free(buf);
	if (rc)
		return rh_errf(err, rc, "%s:%u: %s", path, perr.line, perr.what ? perr.what : "bad boot.cfg");
	return 0;
}

/* Reads and parses dir/boot.cfg for the booted host. Returns 0, -ENOENT (no boot.cfg; no message), or an error
 * naming label. */
static int read_label_cfg(const char *dir, const char *label, struct bootcfg *ret, struct rh_err *err)
{
	struct bootcfg_error perr = { 0, NULL };
	struct rh_err rerr = { 0, "" };
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/boot.cfg", dir) >= sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	rc = rh_read_file(path, CFG_FILE_MAX, &buf, &len, &rerr);
	if (rc == -ENOENT)
		return rc;
	if (rc < 0)
		return rh_errf(err, rc, "%s: boot.cfg: %s", label, strerror(-rc));
	rc = bootcfg_parse(buf, len, ret, &perr);
	free(buf);
	if (rc < 0)
		return rh_errf(err, rc, "%s: boot.cfg: line %u: %s", label, perr.line,
			       perr.what ? perr.what : "cannot be parsed");
	return 0;
}

int bank_dir_read(const char *dir, const char *label, struct bank_dir_state *ret, struct rh_err *err)
{
	struct rh_err perr = { 0, "" };
	struct bootcfg *cfg = malloc(sizeof(*cfg));
	int rc;

	if (!cfg)
		return rh_errf(err, -ENOMEM, "out of memory");
	ret->present = 0;
	ret->readable = 1;
	rc = read_label_cfg(dir, label, cfg, &perr);
	if (rc == -ENOENT) {
		snprintf(ret->problem, sizeof(ret->problem), "no boot.cfg");
		rc = 0;
	} else if (rc == -EINVAL || rc == -E2BIG) {
		/* unparsable: the bank is missing by the bank rules, and that is a state, not a failure */
		snprintf(ret->problem, sizeof(ret->problem), "%s", perr.msg);
		rc = 0;
	} else if (rc < 0) {
		ret->readable = 0;
		snprintf(ret->problem, sizeof(ret->problem), "%s", perr.msg);
		rh_errf(err, rc, "%s", perr.msg);
	} else {
		ret->present = 1;
		ret->problem[0] = '\0';
		ret->bootstate = cfg->bootstate;
		ret->updated = cfg->updated;
		snprintf(ret->build, sizeof(ret->build), "%s", cfg->build);
	}
	free(cfg);
	return rc;
}

/* cfg with bootstate=0 as text (len into *ret_len), checked to read back as what was meant. */
static int format_valid(struct bootcfg *cfg, const char *label, char *text, long *ret_len, struct rh_err *err)
{
	struct bootcfg *check = malloc(sizeof(*check));
	struct bootcfg_error perr = { 0, NULL };
	long len;
	int rc = 0;

	if (!check)
		return rh_errf(err, -ENOMEM, "out of memory");
	cfg->bootstate = BOOTSTATE_VALID;
	len = bootcfg_format(cfg, text, MARK_TEXT_MAX);
	if (len < 0) {
		rc = rh_errf(err, (int)len, "%s: boot.cfg: does not fit in %u bytes once formatted", label,
			     MARK_TEXT_MAX);
	} else if (bootcfg_parse(text, (size_t)len, check, &perr) < 0 || check->bootstate != BOOTSTATE_VALID ||
		   check->nmodules != cfg->nmodules || check->updated != cfg->updated) {
		/* what is written must read back as what was meant: the same file with bootstate=0 */
		rc = rh_errf(err, -EINVAL, "%s: boot.cfg: the rewritten text does not parse back (line %u: %s)", label,
			     perr.line, perr.what ? perr.what : "fields differ");
	}
	free(check);
	if (!rc)
		*ret_len = len;
	return rc;
}

int bank_dir_mark_good(const char *dir, const char *label, int *ret_old, int *ret_changed, struct rh_err *err)
{
	struct bootcfg *cfg = malloc(sizeof(*cfg));
	char *text = malloc(MARK_TEXT_MAX);
	int rc, old, changed = 0;
	long len = 0;

	if (!cfg || !text) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = read_label_cfg(dir, label, cfg, err);
	if (rc == -ENOENT)
		rc = rh_errf(err, rc, "%s: boot.cfg: not found in the bank", label);
	if (rc < 0)
		goto out;
	old = cfg->bootstate;
	if (old != BOOTSTATE_VALID && old >= 0) {
		rc = format_valid(cfg, label, text, &len, err);
		if (rc < 0)
			goto out;
		rc = rh_replace_file(dir, "boot.cfg", text, (size_t)len, label, err);
		if (rc < 0)
			goto out;
		changed = 1;
		rc = bank_dir_write_bootcfg_module(dir, text, (size_t)len, err);
		if (rc < 0)
			goto out;
	}
	*ret_old = old;
	*ret_changed = changed;
out:
	free(text);
	free(cfg);
	return rc;
}

const char *bank_dir_state_name(int bootstate)
{
	switch (bootstate) {
	case BOOTSTATE_VALID:
		return "VALID";
	case BOOTSTATE_UPGRADING:
		return "UPGRADING";
	case BOOTSTATE_DIRTY:
		return "DIRTY";
	case BOOTSTATE_INVALID:
		return "INVALID";
	}
	return "VALID (absent)";
}

/* Whether the entry name of dir (boot.cfg is cfg) is a file of the bootbank: boot.cfg, bootcfg.cpio, the
 * kernel or a module, as a regular file. 0, or -EPERM with why on err. */
static int bank_file_known(const char *dir, const struct bootcfg *cfg, const char *name, struct rh_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	unsigned i;
	int known = !strcmp(name, "boot.cfg") || !strcmp(name, BANK_DIR_BOOTCFG_MODULE) ||
		    !strcmp(name, cfg->kernel.name);

	for (i = 0; i < cfg->nmodules && !known; i++)
		known = !strcmp(name, cfg->modules[i].name);
	if (!known)
		return rh_errf(err, -EPERM, "'%s' is not named in its boot.cfg", name);
	if (fs_join(path, sizeof(path), dir, name, err) < 0)
		return -EPERM;
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return rh_errf(err, -EPERM, "'%s' is not a regular file", name);
	return 0;
}

/* See bank_dir.h. */
int bank_dir_is_ramhost(const char *dir, struct rh_err *err)
{
	struct bootcfg *cfg = malloc(sizeof(*cfg));
	struct rh_err why = { 0 };
	struct dirent *e;
	DIR *d = NULL;
	int rc;

	if (!cfg)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = bank_dir_read_cfg(dir, cfg, &why);
	if (!rc && !(d = opendir(dir)))
		rc = rh_errf(&why, -errno, "%s", strerror(errno));
	while (!rc && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = bank_file_known(dir, cfg, e->d_name, &why);
	if (d)
		closedir(d);
	free(cfg);
	if (rc)
		return rh_errf(err, -EPERM, "%s: not a bootbank ramhost wrote; refusing to replace it even with --force "
				   "(%s)", dir, why.msg);
	return 0;
}
