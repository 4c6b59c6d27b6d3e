/* vibdb.c: the installed-VIB database, a directory of NAME.xml / NAME.sig / NAME.level files plus sticky.list,
 * and its vibs.cpio form (see vibdb.h).
 *
 * Writes are ordered so that a crash leaves either the old or the new entry: .sig and .level first, NAME.xml
 * (the marker of an entry) last, each by temporary file, fsync and rename; a removal unlinks NAME.xml first.
 * sticky.list is derived from the entries and rewritten after every change. */
#include "vibdb.h"

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
#include "sticky_rule.h"

/* The level word of a NAME.level file (trailing blanks and newline ignored). */
static int parse_level(const char *s, size_t len, enum vib_level *ret)
{
	char word[16];

	while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	if (len >= sizeof(word))
		return -EINVAL;
	memcpy(word, s, len);
	word[len] = '\0';
	return vib_level_parse(word, ret);
}

/* A VIB name as a file name of n bytes (the one name check, vib_name_valid). */
static int name_ok(const char *s, size_t n)
{
	char name[VIB_NAME_MAX];

	if (n >= sizeof(name))
		return 0;
	memcpy(name, s, n);
	name[n] = '\0';
	return vib_name_valid(name);
}

static void entry_free(struct vibdb_entry *e)
{
	vib_desc_free(&e->desc);
	free(e->xml);
	free(e->sig);
	memset(e, 0, sizeof(*e));
}

void vibdb_free(struct vibdb *db)
{
	size_t i;

	if (!db)
		return;
	for (i = 0; i < db->n; i++)
		entry_free(&db->v[i]);
	free(db->v);
	db->v = NULL;
	db->n = 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct vibdb_entry *)a)->desc.name, ((const struct vibdb_entry *)b)->desc.name);
}

/* Reads dir/NAME.xml, .sig, .level into *e. */
static int load_one(const char *dir, const char *name, struct vibdb_entry *e, struct rh_err *err)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	memset(e, 0, sizeof(*e));
	snprintf(path, sizeof(path), "%s/%s.xml", dir, name);
	rc = rh_read_file(path, VIB_DESC_MAX, &e->xml, &e->xml_len, err);
	if (rc)
		return rc;
	rc = vib_desc_parse(e->xml, e->xml_len, &e->desc, err);
	if (rc) {
		rh_err_prefix(err, rc, "%s", path);
		goto fail;
	}
	if (strcmp(e->desc.name, name)) {
		rc = rh_errf(err, -EINVAL, "%s: the descriptor names VIB '%s', not '%s'", path, e->desc.name, name);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/%s.sig", dir, name);
	rc = rh_read_file(path, 1u << 20, &buf, &len, err);
	if (rc == -ENOENT) {
		rh_err_clear(err);
		rc = 0;
	} else if (rc) {
		goto fail;
	} else if (len) {
		e->sig = buf;
		e->sig_len = len;
		buf = NULL;
	}
	free(buf);
	buf = NULL;
	snprintf(path, sizeof(path), "%s/%s.level", dir, name);
	rc = rh_read_file(path, 64, &buf, &len, err);
	if (rc == -ENOENT) {
		rh_err_clear(err);
		e->level = VIB_LEVEL_COMMUNITY; /* nothing proven */
		return 0;
	}
	if (rc)
		goto fail;
	if (parse_level(buf, len, &e->level) < 0)
		rc = rh_errf(err, -EINVAL, "%s: '%.20s' is not a level (community partner accepted certified)", path,
			     buf);
	free(buf);
	if (!rc)
		return 0;
fail:
	entry_free(e);
	return rc;
}

int vibdb_load(const char *dir, struct vibdb *ret, struct rh_err *err)
{
	struct vibdb db = { NULL, 0 };
	size_t cap = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d) {
		if (errno == ENOENT) {
			*ret = db;
			return 0;
		}
		return rh_errf(err, -errno, "%s: cannot read the VIB database: %s", dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char name[VIB_NAME_MAX];

		if (l < 5 || strcmp(de->d_name + l - 4, ".xml") || !name_ok(de->d_name, l - 4))
			continue;
		memcpy(name, de->d_name, l - 4);
		name[l - 4] = '\0';
		if (db.n == cap) {
			struct vibdb_entry *nv = realloc(db.v, (cap = cap ? cap * 2 : 16) * sizeof(*nv));
			if (!nv) {
				rc = rh_errf(err, -ENOMEM, "%s: out of memory", dir);
				break;
			}
			db.v = nv;
		}
		rc = load_one(dir, name, &db.v[db.n], err);
		if (rc)
			break;
		db.n++;
	}
	closedir(d);
	if (rc) {
		vibdb_free(&db);
		return rc;
	}
	if (db.n)
		qsort(db.v, db.n, sizeof(*db.v), by_name);
	*ret = db;
	return 0;
}

/* Writes len bytes to dir/name by a temporary file, fsync and rename (rh_replace_file). */
static int put_file(const char *dir, const char *name, const void *buf, size_t len, struct rh_err *err)
{
	return rh_replace_file(dir, name, buf, len, dir, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vibdb_sticky_text(const struct vibdb *db, char **ret, size_t *ret_len, struct rh_err *err)
{
	const char **all = NULL;
	size_t n = 0, total = 0, i, j, len = 0;
	char *text = NULL;
	FILE *f;

	for (i = 0; i < db->n; i++)
		total += db->v[i].desc.nsticky;
	all = calloc(total + 1, sizeof(*all));
	if (!all)
		return rh_errf(err, -ENOMEM, "sticky.list: out of memory");
	for (i = 0; i < db->n; i++)
		for (j = 0; j < db->v[i].desc.nsticky; j++)
			if (!sticky_pattern_invalid(db->v[i].desc.sticky[j]))
				all[n++] = db->v[i].desc.sticky[j];
	if (n)
		qsort(all, n, sizeof(*all), cmp_str);
	f = open_memstream(&text, &len);
	if (!f) {
		free(all);
		return rh_errf(err, -ENOMEM, "sticky.list: out of memory");
	}
	fprintf(f, "# sticky files of the installed VIBs (written by ramhost; do not edit)\n");
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(all[i], all[i - 1]))
			fprintf(f, "%s\n", all[i]);
	free(all);
	if (fclose(f) != 0) {
		free(text);
		return rh_errf(err, -ENOMEM, "sticky.list: out of memory");
	}
	*ret = text;
	*ret_len = len;
	return 0;
}

/* Rewrites dir/sticky.list from what dir holds now. */
static int refresh_sticky(const char *dir, struct rh_err *err)
{
	struct vibdb db = { NULL, 0 };
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = vibdb_load(dir, &db, err);
	if (rc == 0)
		rc = vibdb_sticky_text(&db, &text, &len, err);
	if (rc == 0)
		rc = put_file(dir, VIBDB_STICKY_LIST, text, len, err);
	free(text);
	vibdb_free(&db);
	return rc;
}

static int sync_dir(const char *dir, struct rh_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return rh_errf(err, -errno, "%s: %s", dir, strerror(errno));
	if (fsync(fd) < 0)
		rc = rh_errf(err, -errno, "%s: fsync: %s", dir, strerror(errno));
	close(fd);
	return rc;
}

int vibdb_put(const char *dir, const struct vibdb_entry *e, struct rh_err *err)
{
	const char *name = e->desc.name;
	char file[VIB_NAME_MAX + 8];

	char word[16];
	int n, rc;

	if (!vib_name_valid(name))
		return rh_errf(err, -EINVAL, "%s: '%s' is not a VIB name", dir, name);
	if ((unsigned)e->level > VIB_LEVEL_CERTIFIED)
		return rh_errf(err, -EINVAL, "%s: VIB %s: bad level %d", dir, name, (int)e->level);
	rc = rh_mkdir_p(dir, 0755, err);
	if (rc)
		return rc;
	snprintf(file, sizeof(file), "%s.sig", name);
	rc = put_file(dir, file, e->sig, e->sig ? e->sig_len : 0, err);
	if (rc)
		return rc;
	snprintf(file, sizeof(file), "%s.level", name);
	n = snprintf(word, sizeof(word), "%s\n", vib_level_str(e->level));
	rc = put_file(dir, file, word, (size_t)n, err);
	if (rc)
		return rc;
	snprintf(file, sizeof(file), "%s.xml", name);
	rc = put_file(dir, file, e->xml, e->xml_len, err);
	if (rc)
		return rc;
	rc = refresh_sticky(dir, err);
	if (rc)
		return rc;
	return sync_dir(dir, err);
}

int vibdb_del(const char *dir, const char *name, struct rh_err *err)
{
	static const char *const ext[] = { "xml", "sig", "level" };
	char path[PATH_MAX];
	unsigned i;
	int rc;

	if (!vib_name_valid(name))
		return rh_errf(err, -EINVAL, "%s: '%s' is not a VIB name", dir, name);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			return rh_errf(err, -errno, "%s: cannot remove: %s", path, strerror(errno));
	}
	rc = refresh_sticky(dir, err);
	if (rc)
		return rc;
	return sync_dir(dir, err);
}

/* Adds dir/fn as vibs/trust/LEVEL/fn. */
static int add_trust_pem(struct cpio_writer *w, const char *dir, const char *level, const char *fn,
			 struct rh_err *err)
{
	char name[PATH_MAX], path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, fn) >= sizeof(path) ||
	    (size_t)snprintf(name, sizeof(name), "vibs/trust/%s/%s", level, fn) >= sizeof(name))
		return rh_errf(err, -ENAMETOOLONG, "%s/%s: path too long", dir, fn);
	rc = rh_read_file(path, 1u << 20, &buf, &len, err);
	if (rc)
		return rc;
	rc = cpio_add_buf(w, name, 0644, buf, len, err);
	free(buf);
	return rc;
}

/* Adds trust_dir/LEVEL/ *.pem (the signed levels, sorted by file name) as vibs/trust/LEVEL/NAME. */
static int add_trust(struct cpio_writer *w, const char *trust_dir, struct rh_err *err)
{
	unsigned lv;
	int rc = cpio_add_dir(w, "vibs/trust", 0755, err);

	for (lv = VIB_LEVEL_PARTNER; lv <= VIB_LEVEL_CERTIFIED && !rc; lv++) {
		char dir[PATH_MAX], name[PATH_MAX];
		struct dirent **ents = NULL;
		int n, i;

		snprintf(dir, sizeof(dir), "%s/%s", trust_dir, vib_level_str((enum vib_level)lv));
		n = scandir(dir, &ents, NULL, alphasort);
		if (n < 0) {
			if (errno == ENOENT)
				continue;
			return rh_errf(err, -errno, "%s: cannot read the trust store: %s", dir, strerror(errno));
		}
		snprintf(name, sizeof(name), "vibs/trust/%s", vib_level_str((enum vib_level)lv));
		rc = cpio_add_dir(w, name, 0755, err);
		for (i = 0; i < n; i++) {
			const char *fn = ents[i]->d_name;
			size_t l = strlen(fn);

			if (!rc && l > 4 && !strcmp(fn + l - 4, ".pem") && fn[0] != '.')
				rc = add_trust_pem(w, dir, vib_level_str((enum vib_level)lv), fn, err);
			free(ents[i]);
		}
		free(ents);
	}
	return rc;
}

int vibdb_write_cpio_image(const struct vibdb *db, const struct vibdb_cpio_extra *x, const char *image_level,
			   int out_fd, const char *path, struct rh_err *err)
{
	struct cpio_writer w;
	char name[VIB_NAME_MAX + 16], *sticky = NULL;
	size_t i, slen = 0;
	int rc;

	cpio_writer_init(&w, out_fd, path);
	rc = cpio_add_dir(&w, "vibs", 0755, err);
	for (i = 0; i < db->n && !rc; i++) {
		const struct vibdb_entry *e = &db->v[i];
		char word[16];
		int n;

		if ((unsigned)e->level > VIB_LEVEL_CERTIFIED || !vib_name_valid(e->desc.name))
			return rh_errf(err, -EINVAL, "%s: VIB '%s': bad name or level", path, e->desc.name);
		n = snprintf(word, sizeof(word), "%s\n", vib_level_str(e->level));
		snprintf(name, sizeof(name), "vibs/%s.xml", e->desc.name);
		rc = cpio_add_buf(&w, name, 0644, e->xml, e->xml_len, err);
		snprintf(name, sizeof(name), "vibs/%s.sig", e->desc.name);
		if (!rc)
			rc = cpio_add_buf(&w, name, 0644, e->sig ? e->sig : "", e->sig ? e->sig_len : 0, err);
		snprintf(name, sizeof(name), "vibs/%s.level", e->desc.name);
		if (!rc)
			rc = cpio_add_buf(&w, name, 0644, word, (size_t)n, err);
	}
	if (!rc)
		rc = vibdb_sticky_text(db, &sticky, &slen, err);
	if (!rc)
		rc = cpio_add_buf(&w, "vibs/" VIBDB_STICKY_LIST, 0644, sticky, slen, err);
	free(sticky);
	if (!rc && x && x->acceptance) {
		char word[32];
		int n = snprintf(word, sizeof(word), "%s\n", x->acceptance);
		rc = cpio_add_buf(&w, "vibs/acceptance", 0644, word, (size_t)n, err);
	}
	if (!rc && image_level) {
		char word[32];
		int n = snprintf(word, sizeof(word), "%s\n", image_level);
		rc = cpio_add_buf(&w, "vibs/image-level", 0644, word, (size_t)n, err);
	}
	if (!rc && x && x->trust_dir)
		rc = add_trust(&w, x->trust_dir, err);
	if (rc)
		return rc;
	return cpio_finish(&w, err);
}

int vibdb_write_cpio_ex(const struct vibdb *db, const struct vibdb_cpio_extra *x, int out_fd, const char *path,
			struct rh_err *err)
{
	return vibdb_write_cpio_image(db, x, NULL, out_fd, path, err);
}

int vibdb_write_cpio(const struct vibdb *db, int out_fd, const char *path, struct rh_err *err)
{
	return vibdb_write_cpio_ex(db, NULL, out_fd, path, err);
}
