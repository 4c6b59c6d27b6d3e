/* depot_create.c: `ramhost depot create DIR` — scan the .vib files and image profiles of a depot directory and
 * write its index.xml (see depot.h). */
#include "depot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "sha256.h"
#include "urlpath.h"
#include "vibfile.h"

#define SCAN_DEPTH 16

struct scan {
	char **paths; size_t n, cap; /* relative paths of the .vib files */
};

static int scan_add(struct scan *s, const char *rel, struct rh_err *err)
{
	if (s->n == DEPOT_MAX_VIBS)
		return rh_errf(err, -E2BIG, "more than %d .vib files", DEPOT_MAX_VIBS);
	if (s->n == s->cap) {
		char **np = realloc(s->paths, (s->cap = s->cap ? s->cap * 2 : 32) * sizeof(*np));
		if (!np)
			return rh_errf(err, -ENOMEM, "out of memory");
		s->paths = np;
	}
	s->paths[s->n] = strdup(rel);
	if (!s->paths[s->n])
		return rh_errf(err, -ENOMEM, "out of memory");
	s->n++;
	return 0;
}

/* name percent-encoded into out, for a message about a name that cannot be printed as it is. */
static void show_name(const char *name, char *out, size_t cap)
{
	if (urlpath_encode(name, strlen(name), out, cap) < 0)
		snprintf(out, cap, "(a name of %zu bytes)", strlen(name));
}

/* Refuses a .vib whose path (relative to the depot root) could not be served: one that the index or a URL
 * would not carry unchanged (depot_path_problem). The message shows the path percent-encoded, so that a line
 * break or an escape sequence in it cannot forge output. */
static int check_vib_path(const char *root, const char *rel, struct rh_err *err)
{
	char shown[3 * DEPOT_PATH_MAX + 1];
	size_t off = 0;
	const char *why = depot_path_problem(rel, &off);

	if (!why)
		return 0;
	show_name(rel, shown, sizeof(shown));
	return rh_errf(err, -EINVAL, "%s: cannot index '%s' (shown percent-encoded): the path %s (at byte %zu); "
				     "rename it", root, shown, why, off);
}

/* Adds root/rel/ **.vib in sorted order; dot entries and symlinks are skipped. */
static int scan_dir(const char *root, const char *rel, unsigned depth, struct scan *s, struct rh_err *err)
{
	char dir[PATH_MAX], sub[PATH_MAX];
	struct dirent **ents = NULL;
	int n, i, rc = 0;

	if (depth > SCAN_DEPTH)
		return rh_errf(err, -ELOOP, "%s/%s: more than %d directory levels", root, rel, SCAN_DEPTH);
	if ((size_t)snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel) >= sizeof(dir))
		return rh_errf(err, -ENAMETOOLONG, "%s/%s: path too long", root, rel);
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return rh_errf(err, -errno, "%s: cannot read: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *fn = ents[i]->d_name;
		size_t l = strlen(fn);
		struct stat st;
		char full[PATH_MAX];

		if (rc || fn[0] == '.')
			goto next;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", fn) >= sizeof(sub) ||
		    (size_t)snprintf(full, sizeof(full), "%s/%s", dir, fn) >= sizeof(full)) {
			rc = rh_errf(err, -ENAMETOOLONG, "%s/%s: path too long", dir, fn);
			goto next;
		}
		if (lstat(full, &st) < 0) {
			rc = rh_errf(err, -errno, "%s: %s", full, strerror(errno));
			goto next;
		}
		if (S_ISDIR(st.st_mode))
			rc = scan_dir(root, sub, depth + 1, s, err);
		else if (S_ISREG(st.st_mode) && l > 4 && !strcmp(fn + l - 4, ".vib") &&
			 !(rc = check_vib_path(root, sub, err)))
			rc = scan_add(s, sub, err);
next:
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* NULL when name can be a depot image profile's name (written to the index and read back by depot_index_parse);
 * else what is wrong with it. */
static const char *profile_name_problem(const char *name)
{
	if (!*name)
		return "is empty";
	if (strlen(name) >= VIB_NAME_MAX)
		return "is too long";
	if (strpbrk(name, "/ \t<>&\"'"))
		return "has one of / < > & \" ' or a blank";
	return urlpath_name_problem(name, strlen(name), NULL);
}

/* NULL when text survives the index unchanged (UTF-8, no control character; a backslash is fine here). */
static const char *text_problem(const char *text)
{
	const char *why;
	size_t off = 0;

	while ((why = urlpath_name_problem(text, strlen(text), &off)) && text[off] == '\\')
		text += off + 1;
	return why;
}

/* One "key = value" of an image profile into p (cap: the room of p->vibs). */
static int profile_key(struct depot_profile *p, size_t *cap, const char *key, const char *val, const char *file,
		       unsigned line, struct rh_err *err)
{
	int rc;

	if (!strcmp(key, "name")) {
		const char *why = profile_name_problem(val);

		if (why)
			return rh_errf(err, -EINVAL, "%s:%u: bad name: the name %s", file, line, why);
		strcpy(p->name, val);
		return 0;
	}
	if (!strcmp(key, "description")) {
		const char *why = text_problem(val);

		if (why)
			return rh_errf(err, -EINVAL, "%s:%u: bad description: it %s", file, line, why);
		snprintf(p->description, sizeof(p->description), "%s", val);
		return 0;
	}
	if (!strcmp(key, "acceptance")) {
		if (vib_level_parse(val, &p->acceptance) < 0)
			return rh_errf(err, -EINVAL, "%s:%u: acceptance '%.40s': expected " VIB_LEVEL_NAMES, file, line,
				       val);
		return 0;
	}
	if (strcmp(key, "vib"))
		return rh_errf(err, -EINVAL, "%s:%u: unknown key '%.40s' (name, description, acceptance, vib)", file,
			       line, key);
	if (p->nvibs == VIB_LIST_MAX)
		return rh_errf(err, -E2BIG, "%s:%u: more than %d vib lines", file, line, VIB_LIST_MAX);
	if (p->nvibs == *cap) {
		struct vib_req *nv = realloc(p->vibs, (*cap = *cap ? *cap * 2 : 8) * sizeof(*nv));
		if (!nv)
			return rh_errf(err, -ENOMEM, "out of memory");
		p->vibs = nv;
	}
	rc = vib_req_parse(val, &p->vibs[p->nvibs], err);
	if (rc)
		return rh_err_prefix(err, rc, "%s:%u", file, line);
	p->nvibs++;
	return 0;
}

/* Splits the line l (trimmed in place) into *ret_key and *ret_val: 1 for a key = value line, 0 for a blank or
 * comment line, -1 when it has no '='. */
static int profile_split(char *l, char **ret_key, char **ret_val)
{
	char *s, *e, *eq;

	for (s = l; *s == ' ' || *s == '\t'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
		;
	*e = '\0';
	if (!*s || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return -1;
	for (e = eq; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	*ret_key = s;
	for (s = eq + 1; *s == ' ' || *s == '\t'; s++)
		;
	*ret_val = s;
	return 1;
}

int depot_profile_parse(const char *buf, size_t len, const char *file, struct depot_profile *ret, struct rh_err *err)
{
	struct depot_profile p;
	size_t pos = 0, cap = 0;
	unsigned line = 0;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.acceptance = VIB_LEVEL_DEFAULT_POLICY;
	while (pos < len && !rc) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		char l[1024], *key, *val;
		int kind;

		line++;
		if (n >= sizeof(l)) {
			rc = rh_errf(err, -E2BIG, "%s:%u: line too long", file, line);
			break;
		}
		memcpy(l, buf + pos, n);
		l[n] = '\0';
		pos += n + (nl ? 1 : 0);
		kind = profile_split(l, &key, &val);
		if (kind < 0)
			rc = rh_errf(err, -EINVAL, "%s:%u: expected 'key = value'", file, line);
		else if (kind > 0)
			rc = profile_key(&p, &cap, key, val, file, line, err);
	}
	if (!rc && !p.nvibs)
		rc = rh_errf(err, -EINVAL, "%s: no 'vib = NAME' line", file);
	if (rc) {
		free(p.vibs);
		return rc;
	}
	*ret = p;
	return 0;
}

/* pdir/fn (NAME.profile) as the next profile of d; the name defaults to NAME. */
static int load_profile(const char *pdir, const char *fn, struct depot *d, struct rh_err *err)
{
	struct depot_profile *p = &d->profiles[d->nprofiles];
	size_t l = strlen(fn), j, len;
	char path[PATH_MAX], *buf = NULL;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", pdir, fn) >= sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "%s/%s: path too long", pdir, fn);
	rc = rh_read_file(path, 1u << 20, &buf, &len, err);
	if (rc)
		return rc;
	rc = depot_profile_parse(buf, len, path, p, err);
	free(buf);
	if (rc)
		return rc;
	if (!p->name[0]) {
		const char *why = NULL;

		if (l - 8 >= VIB_NAME_MAX)
			why = "is too long";
		else
			snprintf(p->name, sizeof(p->name), "%.*s", (int)(l - 8), fn);
		if (!why)
			why = profile_name_problem(p->name);
		if (why) {
			char shown[3 * NAME_MAX + 1];

			free(p->vibs);
			p->vibs = NULL;
			show_name(fn, shown, sizeof(shown));
			return rh_errf(err, -EINVAL, "%s/%s (shown percent-encoded): the profile's name comes from the file "
						     "name, which %s: add a 'name =' line or rename the file", pdir, shown, why);
		}
	}
	for (j = 0; j < d->nprofiles; j++)
		if (!strcmp(d->profiles[j].name, p->name)) {
			free(p->vibs);
			p->vibs = NULL;
			return rh_errf(err, -EEXIST, "%s: image profile '%s' is defined twice", path, p->name);
		}
	d->nprofiles++;
	return 0;
}

/* dir/profiles/ *.profile, sorted. */
static int load_profiles(const char *dir, struct depot *d, struct rh_err *err)
{
	char pdir[PATH_MAX];
	struct dirent **ents = NULL;
	int n, i, rc = 0;

	snprintf(pdir, sizeof(pdir), "%s/profiles", dir);
	n = scandir(pdir, &ents, NULL, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		return rh_errf(err, -errno, "%s: cannot read: %s", pdir, strerror(errno));
	}
	d->profiles = calloc((size_t)n + 1, sizeof(*d->profiles));
	if (!d->profiles)
		rc = rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const char *fn = ents[i]->d_name;
		size_t l = strlen(fn);

		if (!rc && fn[0] != '.' && l > 8 && !strcmp(fn + l - 8, ".profile"))
			rc = load_profile(pdir, fn, d, err);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* Opens and checks dir/rel as d's next VIB (its descriptor text kept in *ret_desc, *ret_dlen); refuses a
 * second copy of a name and version. */
static int add_vib(const char *dir, const char *rel, const struct depot_create_opts *o, struct depot *d,
		   char **ret_desc, size_t *ret_dlen, struct rh_err *err)
{
	struct depot_vib *v = &d->vibs[d->nvibs];
	struct vib_file *vf = calloc(1, sizeof(*vf));
	const char *const *trust = o ? o->trust_dirs : NULL;
	enum vib_level lv = VIB_LEVEL_COMMUNITY;
	char path[PATH_MAX];
	size_t j;
	int rc;

	if (!vf)
		return rh_errf(err, -ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	rc = vib_open(path, vf, err);
	if (rc) {
		free(vf);
		return rc;
	}
	rc = vib_check(vf, trust, NULL, !trust, &lv, err);
	if (!rc) {
		*ret_desc = malloc(vf->desc_member.size + 1);
		if (!*ret_desc)
			rc = rh_errf(err, -ENOMEM, "out of memory");
	}
	if (!rc) {
		memcpy(*ret_desc, vf->map + vf->desc_member.offset, vf->desc_member.size);
		*ret_dlen = vf->desc_member.size;
		v->desc = vf->desc;
		memset(&vf->desc, 0, sizeof(vf->desc)); /* moved into v */
		v->level = lv;
		v->verified = trust != NULL;
		snprintf(v->path, sizeof(v->path), "%s", rel);
		v->size = vf->len;
		sha256_buf(vf->map, vf->len, v->sha256);
		d->nvibs++;
	}
	vib_close(vf);
	free(vf);
	if (rc)
		return rc;
	for (j = 0; j + 1 < d->nvibs; j++)
		if (!strcmp(d->vibs[j].desc.name, v->desc.name) && !strcmp(d->vibs[j].desc.version, v->desc.version))
			return rh_errf(err, -EEXIST, "%s: %s %s is also %s/%s", path, v->desc.name, v->desc.version, dir,
				       d->vibs[j].path);
	return 0;
}

/* dir/index.xml replaced by text (temporary file beside it, renamed). */
static int write_index(const char *dir, const char *text, size_t tlen, struct rh_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int rc, fd = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, DEPOT_INDEX) >= sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	rc = fs_tmp_beside(path, tmp, sizeof(tmp), &fd, err);
	if (rc)
		return rc;
	rc = rh_write_all(fd, text, tlen);
	if (rc < 0)
		rh_errf(err, rc, "%s: write: %s", tmp, strerror(-rc));
	close(fd);
	if (rc == 0)
		rc = fs_install_file(tmp, path, err);
	if (rc)
		unlink(tmp);
	return rc;
}

int depot_create(const char *dir, const struct depot_create_opts *o, struct depot *ret, struct rh_err *err)
{
	struct depot d;
	struct scan s = { NULL, 0, 0 };
	char **descs = NULL, *text = NULL, line[PATH_MAX + 128];
	size_t *dlens = NULL, tlen = 0, i;
	int rc;

	memset(&d, 0, sizeof(d));
	snprintf(d.base, sizeof(d.base), "%s", dir);
	rc = scan_dir(dir, "", 0, &s, err);
	if (rc)
		goto out;
	d.vibs = calloc(s.n + 1, sizeof(*d.vibs));
	descs = calloc(s.n + 1, sizeof(*descs));
	dlens = calloc(s.n + 1, sizeof(*dlens));
	if (!d.vibs || !descs || !dlens) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < s.n; i++) {
		const struct depot_vib *v = &d.vibs[d.nvibs];

		rc = add_vib(dir, s.paths[i], o, &d, &descs[i], &dlens[i], err);
		if (rc)
			goto out;
		if (o && o->progress) {
			snprintf(line, sizeof(line), "%s %s (%s%s) %s", v->desc.name, v->desc.version,
				 vib_level_str(v->level), v->verified ? ", signature checked" : "", v->path);
			o->progress(o->progress_ctx, line);
		}
	}
	rc = load_profiles(dir, &d, err);
	if (rc == 0)
		rc = depot_index_write(&d, (const char *const *)descs, dlens, &text, &tlen, err);
	if (rc == 0)
		rc = write_index(dir, text, tlen, err);
out:
	for (i = 0; i < s.n; i++) {
		free(s.paths[i]);
		if (descs)
			free(descs[i]);
	}
	free(s.paths);
	free(descs);
	free(dlens);
	free(text);
	if (!rc && ret)
		*ret = d;
	else
		depot_free(&d);
	return rc;
}
