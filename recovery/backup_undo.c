/* backup_undo.c: `rescue undo`: a backup folder (backup.c, backup.h) put back on its disk, every extent checked
 * against the hashes of its manifest before anything is written; and the newest backup of a parent folder. */
#include "backup.h"
#include "backup_int.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"

#define UNDO_MANIFEST_MAX (16u << 20)
static int parse_disk(struct backup_manifest *m, char *line)
{
	char *save = NULL, *path = strtok_r(line, " ", &save), *size = strtok_r(NULL, " ", &save),
	     *sector = strtok_r(NULL, " ", &save);

	if (!path || !size || !sector || m->size)
		return -EINVAL; /* one disk record, before the extents */
	m->size = strtoull(size, NULL, 10);
	m->sector = (uint32_t)strtoul(sector, NULL, 10);
	return m->size && (m->sector == 512 || m->sector == 4096) ? 0 : -EINVAL;
}

static int parse_ext(struct backup_manifest *m, char *line)
{
	struct backup_manifest_ext *e;
	int pos = 0;

	if (m->next >= m->ext_cap)
		return -E2BIG;
	e = &m->ext[m->next];
	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%" SCNu64 " %" SCNu64 " %64s %64s %n", &e->off, &e->len, e->old, e->new, &pos) != 4 ||
	    !pos || strlen(e->old) != SHA256_HEX_LEN || strlen(e->new) != SHA256_HEX_LEN || !e->len ||
	    e->len > m->size || e->off > m->size - e->len)
		return -EINVAL;
	e->why = line + pos;
	e->at = m->total;
	m->total += e->len;
	m->next++;
	return 0;
}

/* "NAME-GUID present|absent": the GUID is the last 36 characters of the first word. */
static int parse_var(struct backup_manifest *m, char *line)
{
	struct backup_manifest_var *v;
	char *sp = strchr(line, ' ');
	size_t n;

	if (m->nvar >= BACKUP_MANIFEST_MAX_VARS)
		return -E2BIG;
	if (!sp)
		return -EINVAL;
	n = (size_t)(sp - line);
	if (n < 38 || n - 37 >= sizeof(m->var[0].name) || line[n - 37] != '-')
		return -EINVAL;
	v = &m->var[m->nvar];
	memcpy(v->name, line, n - 37);
	v->name[n - 37] = '\0';
	memcpy(v->guid, line + n - 36, 36);
	v->guid[36] = '\0';
	if (strchr(v->name, '/') || strchr(v->guid, '/'))
		return -EINVAL;
	if (!strcmp(sp + 1, "present"))
		v->present = 1;
	else if (strcmp(sp + 1, "absent"))
		return -EINVAL;
	m->nvar++;
	return 0;
}

int backup_manifest_parse(char *text, size_t len, struct backup_manifest *m, size_t *ret_line)
{
	size_t lineno = 0;
	char *line, *save = NULL;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	/* an extent record is longer than 138 bytes: len / 128 bounds their number */
	m->ext_cap = len / 128 + 1 < BACKUP_MANIFEST_MAX_EXT ? len / 128 + 1 : BACKUP_MANIFEST_MAX_EXT;
	m->ext = calloc(m->ext_cap, sizeof(*m->ext));
	m->var = calloc(BACKUP_MANIFEST_MAX_VARS, sizeof(*m->var));
	if (!m->ext || !m->var)
		return -ENOMEM;
	for (line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (lineno == 1)
			rc = strcmp(line, "ramhost-rescue-backup 1") ? -EINVAL : 0;
		else if (!strncmp(line, "disk ", 5))
			rc = parse_disk(m, line + 5);
		else if (!strncmp(line, "ext ", 4) && m->size)
			rc = parse_ext(m, line + 4);
		else if (!strncmp(line, "var ", 4))
			rc = parse_var(m, line + 4);
		else if (strncmp(line, "file ", 5))
			rc = -EINVAL;
	}
	if (!rc && !m->size)
		rc = -EINVAL;
	*ret_line = lineno;
	return rc;
}

void backup_manifest_free(struct backup_manifest *m)
{
	free(m->ext);
	free(m->var);
	m->ext = NULL;
	m->var = NULL;
}

static int read_manifest(const char *path, char **text, struct backup_manifest *m, struct rh_err *err)
{
	size_t len, line = 0;
	int rc = rh_read_file(path, UNDO_MANIFEST_MAX, text, &len, err);

	if (rc < 0)
		return rc;
	rc = backup_manifest_parse(*text, len, m, &line);
	if (rc == -ENOMEM)
		return rh_errf(err, rc, "%s: out of memory", path);
	if (rc < 0)
		return rh_errf(err, rc, "%s: line %zu: not a rescue backup manifest record", path, line);
	return 0;
}

/* Reads extent e's current bytes from the disk and its old bytes from old.bin into the caller's buffers, and
 * decides: holds the new bytes -> restore; the old ones -> leave; neither -> refuse unless force. */
static int check_ext(const struct rdisk *d, int oldfd, struct backup_manifest_ext *e, int force, uint8_t *cur, uint8_t *old,
		     struct rh_err *err)
{
	char h[SHA256_HEX_LEN + 1];
	int rc = rdisk_read(d, e->off, cur, e->len, err);

	if (rc < 0)
		return rc;
	rc = rh_pread_all(oldfd, old, e->len, e->at);
	backup_hex_sha(old, e->len, h);
	if (rc < 0 || strcmp(h, e->old))
		return rh_errf(err, -EINVAL, "old.bin: the old bytes of the extent at byte %" PRIu64 " (%s) are damaged",
			       e->off, e->why);
	backup_hex_sha(cur, e->len, h);
	if (!strcmp(h, e->old))
		return 0;
	if (strcmp(h, e->new) && !force)
		return rh_errf(err, -ESTALE, "%s: the %" PRIu64 " bytes at byte %" PRIu64 " (%s) were changed since the "
				       "repair (neither the repaired nor the old bytes): nothing put back; --force puts "
				       "the old bytes back anyway", d->path, e->len, e->off, e->why);
	e->restore = 1;
	return 0;
}

/* Checks every extent (nothing written yet), then writes the old bytes of those to restore and syncs. */
static int put_extents(struct rdisk *d, int oldfd, struct backup_manifest *m, int force, struct backup_undo_result *r,
		       struct rh_err *err)
{
	uint8_t *cur = NULL, *old = NULL;
	uint64_t max = 0;
	int rc = 0;

	for (size_t i = 0; i < m->next; i++)
		max = m->ext[i].len > max ? m->ext[i].len : max;
	cur = malloc(max ? max : 1);
	old = malloc(max ? max : 1);
	if (!cur || !old) {
		rc = rh_errf(err, -ENOMEM, "undo: out of memory");
		goto out;
	}
	for (size_t i = 0; i < m->next && !rc; i++)
		rc = check_ext(d, oldfd, &m->ext[i], force, cur, old, err);
	if (!rc)
		rc = rdisk_reopen_rw(d, err);
	for (size_t i = 0; i < m->next && !rc; i++) {
		const struct backup_manifest_ext *e = &m->ext[i];
		if (!e->restore)
			continue;
		rc = rh_pread_all(oldfd, old, e->len, e->at);
		if (rc < 0)
			rc = rh_errf(err, rc, "old.bin: %s", strerror(-rc));
		else
			rc = rdisk_write(d, e->off, old, e->len, err);
		r->extents++;
		r->bytes += e->len;
	}
	if (!rc)
		rc = rdisk_sync(d, err);
out:
	free(cur);
	free(old);
	return rc;
}

static int put_vars(const char *dir, const char *efivars, const struct backup_manifest *m, struct backup_undo_result *r,
		    struct rh_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < m->nvar && !rc; i++) {
		const struct backup_manifest_var *v = &m->var[i];
		char path[PATH_MAX], *buf = NULL;
		size_t len = 0;

		if (v->present) {
			snprintf(path, sizeof(path), "%s/vars/%s-%s", dir, v->name, v->guid);
			rc = rh_read_file(path, 1u << 20, &buf, &len, err);
			if (!rc && len < 4)
				rc = rh_errf(err, -EINVAL, "%s: shorter than its 4 attribute bytes", path);
		}
		if (!rc)
			rc = backup_restore_var(efivars, v->name, v->guid, buf, len, err);
		if (!rc)
			r->vars++;
		free(buf);
	}
	return rc;
}

int backup_undo(const char *dir, const char *path, const char *efivars, int force, struct backup_undo_result *ret,
		struct rh_err *err)
{
	struct backup_undo_result r = { 0, 0, 0 };
	struct backup_manifest m;
	struct rdisk d = { .fd = -1 };
	char file[PATH_MAX], *text = NULL;
	struct stat st;
	int oldfd = -1, rc;

	memset(&m, 0, sizeof(m));
	rc = fs_join(file, sizeof(file), dir, "manifest", err);
	if (!rc)
		rc = read_manifest(file, &text, &m, err);
	if (!rc)
		rc = rdisk_open(path, 0, m.sector, &d, err);
	if (!rc && d.size != m.size)
		rc = rh_errf(err, -EINVAL, "%s: %" PRIu64 " bytes, but the backup %s was made of a disk of %" PRIu64
				      " bytes: not the same disk", path, d.size, dir, m.size);
	if (!rc)
		rc = fs_join(file, sizeof(file), dir, "old.bin", err);
	if (!rc)
		rc = rh_open_input(file, &oldfd, err);
	if (!rc && (fstat(oldfd, &st) < 0 || (uint64_t)st.st_size != m.total))
		rc = rh_errf(err, -EINVAL, "%s: not the %" PRIu64 " bytes the manifest lists", file, m.total);
	if (!rc)
		rc = put_extents(&d, oldfd, &m, force, &r, err);
	if (!rc && efivars)
		rc = put_vars(dir, efivars, &m, &r, err);
	if (!rc)
		rc = backup_set_status(dir, "undone", err);
	if (!rc && ret)
		*ret = r;
	if (oldfd >= 0)
		close(oldfd);
	rdisk_close(&d);
	backup_manifest_free(&m);
	free(text);
	return rc;
}

/* "rescue-YYYYMMDD-HHMMSS" with an optional "-N": the names name_folder (backup.c) gives. */
static int backup_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 22 || strncmp(s, "rescue-", 7) || s[15] != '-' || strspn(s + 7, "0123456789") != 8 ||
	    strspn(s + 16, "0123456789") != 6)
		return 0;
	return n == 22 || (s[22] == '-' && n > 23 && strspn(s + 23, "0123456789") == n - 23);
}

/* 1 when backup name a is newer than b: the stamp, then the -N suffix as a number (none = 1). */
static int newer(const char *a, const char *b)
{
	int c = strncmp(a, b, 22);

	if (c)
		return c > 0;
	return strtoul(a[22] ? a + 23 : "1", NULL, 10) > strtoul(b[22] ? b + 23 : "1", NULL, 10);
}

int backup_newest(const char *parent, char *ret, struct rh_err *err)
{
	char best[256] = "";
	struct dirent *e;
	DIR *dir = opendir(parent);

	if (!dir)
		return errno == ENOENT ? -ENOENT : rh_errf(err, -errno, "%s: %s", parent, strerror(errno));
	while ((e = readdir(dir)))
		if (backup_name(e->d_name) && strlen(e->d_name) < sizeof(best) &&
		    (!best[0] || newer(e->d_name, best)))
			snprintf(best, sizeof(best), "%s", e->d_name);
	closedir(dir);
	if (!best[0])
		return -ENOENT;
	return fs_join(ret, PATH_MAX, parent, best, err);
}
