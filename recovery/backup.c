/* backup.c: the only writer of a rescue: the backup folder, then the write set as a step table (see backup.h for
 * the folder; `rescue undo` is backup_undo.c).
 *
 * Manifest records, one a line, fields separated by one space; PATH, PART and the disk path have space, tab,
 * newline and backslash written as \040, \011, \012, \134 (as /proc/mounts does), WHY is the rest of its line:
 *   ramhost-rescue-backup 1
 *   disk PATH SIZE SECTOR GUID|none
 *   ext OFF LEN OLD-SHA256 NEW-SHA256 WHY
 *   var NAME-GUID present|absent
 *   file PART PATH ACTION
 * (control characters in WHY are written as '?': one record stays one line). */
#include "backup.h"
#include "backup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "image-builder/efivar.h"
#include "sha256.h"
#include "steps.h"
#include "tmpreg.h"

#define BACKUP_EDGE (1024u * 1024u)       /* head.bin and tail.bin */
#define BACKUP_VAR_MAX (64u * 1024u)      /* the largest variable kept */

struct apply {
	struct rdisk *d;
	const struct wset *w;
	const struct backup_opts *o;
	char dir[PATH_MAX];           /* the finished folder */
	uint8_t **old;                /* old bytes of each extent */
	char **oldvar;                /* each variable's file as it was (4 attribute bytes + data); NULL: absent */
	size_t *oldvar_len;
	size_t disk_done, vars_done;  /* extents / variables whose write was attempted */
	struct rh_err undo_err;       /* what an undo could not put back */
};

/* Writes s with space, tab, newline and backslash as octal escapes. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			fprintf(f, "\\%03o", (unsigned char)*s);
		else
			fputc(*s, f);
	}
}

void backup_hex_sha(const void *buf, size_t len, char out[SHA256_HEX_LEN + 1])
{
	uint8_t dg[SHA256_DIGEST_LEN];

	sha256_buf(buf, len, dg);
	sha256_to_hex(dg, out);
}

static int manifest_text(const struct apply *a, char **ret, size_t *ret_len)
{
	char oldh[SHA256_HEX_LEN + 1], newh[SHA256_HEX_LEN + 1];
	FILE *f = open_memstream(ret, ret_len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "ramhost-rescue-backup 1\ndisk ");
	put_escaped(f, a->d->path);
	fprintf(f, " %" PRIu64 " %" PRIu32 " %s\n", a->d->size, a->d->sector,
		a->o->disk_guid && *a->o->disk_guid ? a->o->disk_guid : "none");
	for (size_t i = 0; i < a->w->next; i++) {
		const struct wset_ext *e = &a->w->ext[i];
		backup_hex_sha(a->old[i], e->len, oldh);
		backup_hex_sha(e->data, e->len, newh);
		fprintf(f, "ext %" PRIu64 " %" PRIu64 " %s %s ", e->off, e->len, oldh, newh);
		for (const char *p = e->why; *p; p++)
			fputc((unsigned char)*p < 0x20 ? '?' : *p, f);
		fputc('\n', f);
	}
	for (size_t i = 0; a->o->efivars && i < a->w->nvar; i++)
		fprintf(f, "var %s-%s %s\n", a->w->var[i].name, a->w->var[i].guid, a->oldvar[i] ? "present" : "absent");
	for (size_t i = 0; i < a->w->nfile; i++) {
		fprintf(f, "file ");
		put_escaped(f, a->w->file[i].part);
		fputc(' ', f);
		put_escaped(f, a->w->file[i].path);
		fprintf(f, " %s\n", a->w->file[i].action);
	}
	return fclose(f) == 0 ? 0 : -ENOMEM;
}

/* Reads what the write set will replace: every extent's bytes and every variable's file. */
static int read_old(struct apply *a, struct rh_err *err)
{
	const struct wset *w = a->w;
	int rc = 0;

	a->old = calloc(w->next + 1, sizeof(*a->old));
	a->oldvar = calloc(w->nvar + 1, sizeof(*a->oldvar));
	a->oldvar_len = calloc(w->nvar + 1, sizeof(*a->oldvar_len));
	if (!a->old || !a->oldvar || !a->oldvar_len)
		return rh_errf(err, -ENOMEM, "backup: out of memory");
	for (size_t i = 0; i < w->next && !rc; i++) {
		a->old[i] = malloc(w->ext[i].len);
		if (!a->old[i])
			return rh_errf(err, -ENOMEM, "backup: out of memory for %" PRIu64 " bytes", w->ext[i].len);
		rc = rdisk_read(a->d, w->ext[i].off, a->old[i], w->ext[i].len, err);
	}
	for (size_t i = 0; a->o->efivars && i < w->nvar && !rc; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s-%s", a->o->efivars, w->var[i].name, w->var[i].guid);
		rc = rh_read_file(path, BACKUP_VAR_MAX, &a->oldvar[i], &a->oldvar_len[i], NULL);
		if (rc == -ENOENT)
			rc = 0;
		else if (rc < 0)
			rc = rh_errf(err, rc, "%s: cannot read the variable to back it up: %s", path, strerror(-rc));
		else if (a->oldvar_len[i] < 4)
			rc = rh_errf(err, -EINVAL, "%s: shorter than its 4 attribute bytes", path);
	}
	return rc;
}

static int write_in(const char *dir, const char *name, const void *buf, size_t len, struct rh_err *err)
{
	char path[PATH_MAX];
	int rc = fs_join(path, sizeof(path), dir, name, err);

	return rc < 0 ? rc : fs_write_file(path, buf, len, 0600, err);
}

/* old.bin: the old bytes of every extent, in manifest order, fsynced. */
static int write_old_bin(const struct apply *a, const char *dir, struct rh_err *err)
{
	char path[PATH_MAX];
	int fd, rc = fs_join(path, sizeof(path), dir, "old.bin", err);

	if (rc < 0)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return rh_errf(err, -errno, "%s: %s", path, strerror(errno));
	for (size_t i = 0; i < a->w->next && !rc; i++)
		rc = rh_write_all(fd, a->old[i], a->w->ext[i].len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc < 0 ? rh_errf(err, rc, "%s: %s", path, strerror(-rc)) : 0;
}

/* head.bin and tail.bin: the first and last MiB of the disk. */
static int write_edges(const struct apply *a, const char *dir, struct rh_err *err)
{
	uint64_t n = a->d->size < BACKUP_EDGE ? a->d->size : BACKUP_EDGE;
	uint8_t *buf = malloc(n);
	int rc;

	if (!buf)
		return rh_errf(err, -ENOMEM, "backup: out of memory");
	rc = rdisk_read(a->d, 0, buf, n, err);
	if (!rc)
		rc = write_in(dir, "head.bin", buf, n, err);
	if (!rc)
		rc = rdisk_read(a->d, a->d->size - n, buf, n, err);
	if (!rc)
		rc = write_in(dir, "tail.bin", buf, n, err);
	free(buf);
	return rc;
}

static int write_vars(const struct apply *a, const char *dir, struct rh_err *err)
{
	char vdir[PATH_MAX], name[160];
	int rc = fs_join(vdir, sizeof(vdir), dir, "vars", err);

	if (rc < 0)
		return rc;
	if (mkdir(vdir, 0700) < 0)
		return rh_errf(err, -errno, "%s: %s", vdir, strerror(errno));
	for (size_t i = 0; a->o->efivars && i < a->w->nvar && !rc; i++) {
		if (!a->oldvar[i])
			continue;
		snprintf(name, sizeof(name), "%s-%s", a->w->var[i].name, a->w->var[i].guid);
		rc = write_in(vdir, name, a->oldvar[i], a->oldvar_len[i], err);
	}
	return rc < 0 ? rc : fs_sync_dir(vdir, err);
}

/* Renames the complete folder tmp to PARENT/rescue-YYYYMMDD-HHMMSS, or -2, -3... when that exists. */
static int name_folder(struct apply *a, const char *tmp, struct rh_err *err)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (unsigned n = 1; n < 1000; n++) {
		char suffix[16] = "", dir[PATH_MAX];
		if (n > 1)
			snprintf(suffix, sizeof(suffix), "-%u", n);
		if ((size_t)snprintf(dir, sizeof(dir), "%s/rescue-%s%s", a->o->parent, stamp, suffix) >= sizeof(dir))
			return rh_errf(err, -ENAMETOOLONG, "%s: path too long", a->o->parent);
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) == 0) {
			tmpreg_forget(tmp);
			memcpy(a->dir, dir, sizeof(dir));
			return fs_sync_dir(a->o->parent, err);
		}
		if (errno != EEXIST && errno != ENOTEMPTY)
			return rh_errf(err, -errno, "%s: cannot name the backup %s: %s", tmp, dir, strerror(errno));
	}
	return rh_errf(err, -EEXIST, "%s: too many backups named rescue-%s", a->o->parent, stamp);
}

/* Step "backup": the whole folder, every file and the folder fsynced, renamed into place, PARENT fsynced. */
static int run_backup(void *ctx, struct rh_err *err)
{
	struct apply *a = ctx;
	char tmp[PATH_MAX], *man = NULL;
	size_t manlen = 0;
	int rc;

	rc = rh_mkdir_p(a->o->parent, 0700, err);
	if (rc < 0)
		return rc;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.rescue-tmp-XXXXXX", a->o->parent) >= sizeof(tmp))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", a->o->parent);
	rc = fs_make_temp(tmp, 1, err);
	if (rc < 0)
		return rc;
	if (manifest_text(a, &man, &manlen) < 0)
		rc = rh_errf(err, -ENOMEM, "backup: out of memory");
	if (!rc)
		rc = write_in(tmp, "manifest", man, manlen, err);
	if (!rc)
		rc = write_old_bin(a, tmp, err);
	if (!rc)
		rc = write_edges(a, tmp, err);
	if (!rc)
		rc = write_vars(a, tmp, err);
	if (!rc)
		rc = write_in(tmp, "status", "applying\n", 9, err);
	if (!rc)
		rc = fs_sync_dir(tmp, err);
	if (!rc)
		rc = name_folder(a, tmp, err);
	if (rc < 0) {
		rh_err_prefix(err, rc, "backup to %s", a->o->parent);
		fs_rm_rf(tmp, NULL);
		if (a->dir[0]) /* named, but PARENT could not be synced: the disk was not touched */
			backup_set_status(a->dir, "undone", &a->undo_err);
	}
	free(man);
	return rc;
}

int backup_set_status(const char *dir, const char *status, struct rh_err *err)
{
	char line[16];
	int n = snprintf(line, sizeof(line), "%s\n", status);

	return rh_replace_file(dir, "status", line, (size_t)n, dir, err);
}

/* The undo of "backup": the disk is as before again, which is what an undo leaves. */
static void undo_backup(void *ctx)
{
	struct apply *a = ctx;

	backup_set_status(a->dir, "undone", &a->undo_err);
}

static void undo_disk(void *ctx)
{
	struct apply *a = ctx;

	for (size_t i = 0; i < a->disk_done; i++)
		rdisk_write(a->d, a->w->ext[i].off, a->old[i], a->w->ext[i].len, &a->undo_err);
	rdisk_sync(a->d, &a->undo_err);
}

static int run_disk(void *ctx, struct rh_err *err)
{
	struct apply *a = ctx;
	int rc = 0;

	for (size_t i = 0; i < a->w->next && !rc; i++) {
		a->disk_done = i + 1;
		rc = rdisk_write(a->d, a->w->ext[i].off, a->w->ext[i].data, a->w->ext[i].len, err);
	}
	if (!rc)
		rc = rdisk_sync(a->d, err);
	if (rc < 0)
		undo_disk(a); /* the loop undoes completed steps only: put back this one's partial writes */
	return rc;
}

/* Puts a variable back as its backup file holds it (4 attribute bytes + data), or deletes it (buf NULL). */
int backup_restore_var(const char *efivars, const char *name, const char *guid, const char *buf, size_t len,
		       struct rh_err *err)
{
	const uint8_t *p = (const uint8_t *)buf;

	if (!buf)
		return efivar_delete(efivars, name, guid, err);
	return efivar_write(efivars, name, guid, p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			    (uint32_t)p[3] << 24, p + 4, len - 4, err);
}

static void undo_vars(void *ctx)
{
	struct apply *a = ctx;

	for (size_t i = 0; i < a->vars_done; i++)
		backup_restore_var(a->o->efivars, a->w->var[i].name, a->w->var[i].guid, a->oldvar[i], a->oldvar_len[i],
			    &a->undo_err);
}

static int run_vars(void *ctx, struct rh_err *err)
{
	struct apply *a = ctx;
	int rc = 0;

	for (size_t i = 0; a->o->efivars && i < a->w->nvar && !rc; i++) {
		const struct wset_var *v = &a->w->var[i];
		a->vars_done = i + 1;
		if (v->del)
			rc = efivar_delete(a->o->efivars, v->name, v->guid, err);
		else
			rc = efivar_write(a->o->efivars, v->name, v->guid, v->attrs, v->data, v->len, err);
	}
	if (rc < 0)
		undo_vars(a);
	return rc;
}

static int run_sync(void *ctx, struct rh_err *err)
{
	struct apply *a = ctx;
	int rc = rdisk_sync(a->d, err);

	return rc < 0 ? rc : backup_set_status(a->dir, "applied", err);
}

static const struct step apply_steps[] = {
	{ "backup", run_backup, undo_backup },
	{ "disk", run_disk, undo_disk },
	{ "vars", run_vars, undo_vars },
	{ "sync", run_sync, NULL },
};

int backup_apply(struct rdisk *d, const struct wset *w, const struct backup_opts *o, char *ret_dir,
		 struct rh_err *err)
{
	struct apply a;
	struct steps t = { "rescue-repair", apply_steps, sizeof(apply_steps) / sizeof(apply_steps[0]), NULL, NULL };
	int rc;

	memset(&a, 0, sizeof(a));
	a.d = d;
	a.w = w;
	a.o = o;
	if (w->nvar && !o->efivars)
		return rh_errf(err, -EINVAL, "%s: the repair writes firmware variables but no efivarfs directory was "
				      "given", d->path);
	/* a read-only disk is refused here, before a backup folder exists */
	rc = rdisk_reopen_rw(d, err);
	if (!rc)
		rc = read_old(&a, err);
	if (!rc) {
		rc = steps_run(&t, &a, NULL, err);
		if (rc < 0 && a.undo_err.rc)
			rh_err_append(err, rc, "putting back what was written failed too: %s", a.undo_err.msg);
		else if (rc < 0 && a.dir[0])
			rh_err_append(err, rc, "the disk is as it was; the backup is in %s", a.dir);
	}
	if (!rc)
		snprintf(ret_dir, PATH_MAX, "%s", a.dir);
	for (size_t i = 0; a.old && i < w->next; i++)
		free(a.old[i]);
	for (size_t i = 0; a.oldvar && i < w->nvar; i++)
		free(a.oldvar[i]);
	free(a.old);
	free(a.oldvar);
	free(a.oldvar_len);
	return rc;
}
