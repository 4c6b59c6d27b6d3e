/* modules_dep.c: modules.dep / modules.builtin parsing and dependency resolution (see modules_dep.h). */
#include "modules_dep.h"
#include "fileio.h"

#include <archive.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

#define MAX_DEPTH 256

static const char *const suffixes[] = { ".ko.xz", ".ko.zst", ".ko.gz", ".ko" };

int modules_dep_normalize(const char *s, size_t len, char out[64])
{
	const char *base = s;
	size_t i, n;

	for (i = 0; i < len; i++)
		if (s[i] == '/')
			base = s + i + 1;
	n = len - (size_t)(base - s);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);
		if (n > sl && !memcmp(base + n - sl, suffixes[i], sl)) {
			n -= sl;
			break;
		}
	}
	if (n == 0 || n >= 64)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (base[i] == '\0')
			return -EINVAL;
		out[i] = base[i] == '-' ? '_' : base[i];
	}
	out[n] = '\0';
	return 0;
}

int modules_dep_plain_path(const char *path, char *out, size_t cap)
{
	size_t n = strlen(path), i;

	for (i = 0; i + 1 < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);
		if (n > sl && !strcmp(path + n - sl, suffixes[i])) {
			n -= sl - 3; /* keep ".ko" */
			break;
		}
	}
	if (n + 1 > cap)
		return -ENAMETOOLONG;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

void modules_dep_free(struct modules_dep *db)
{
	free(db->text);
	free(db->mods);
	free(db->builtin);
	free(db->by_path);
	memset(db, 0, sizeof(*db));
}

/* A module path we are willing to copy into the init module: relative, no "..", no blanks. */
static int safe_relpath(const char *p)
{
	const char *s;

	if (!*p || *p == '/')
		return 0;
	for (s = p; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\\')
			return 0;
	for (s = p; s; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (!strncmp(s, "..", 2) && (s[2] == '/' || s[2] == '\0'))
			return 0;
		if (*s == '/' || *s == '\0')
			return 0; /* empty component */
	}
	return 1;
}

/* qsort has no context argument in C11; parsing is not reentrant across threads for that reason. */
static const struct modules_dep *sort_db;

static int cmp_path(const void *a, const void *b)
{
	return strcmp(sort_db->mods[*(const unsigned *)a].path, sort_db->mods[*(const unsigned *)b].path);
}

int modules_dep_parse(struct modules_dep *db, const char *buf, size_t len, const char *what, struct rh_err *err)
{
	unsigned lines = 1, line = 0;
	size_t i;
	char *s, *end;
	int rc = 0;

	memset(db, 0, sizeof(*db));
	db->what = what ? what : "modules.dep";
	if (memchr(buf, '\0', len))
		return rh_errf(err, -EINVAL, "%s: NUL byte in file", db->what);
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	db->text = malloc(len + 1);
	db->mods = calloc(lines, sizeof(*db->mods));
	if (!db->text || !db->mods) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", db->what);
		goto err;
	}
	memcpy(db->text, buf, len);
	db->text[len] = '\0';
	for (s = db->text; *s; s = end) {
		struct modules_dep_mod *m;
		char *colon, *p;

		line++;
		end = strchr(s, '\n');
		if (end)
			*end++ = '\0';
		else
			end = s + strlen(s);
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		colon = strchr(s, ':');
		if (!colon) {
			rc = rh_errf(err, -EINVAL, "%s:%u: expected 'path.ko: dependencies...'", db->what, line);
			goto err;
		}
		*colon = '\0';
		for (p = colon; p > s && (p[-1] == ' ' || p[-1] == '\t'); p--)
			p[-1] = '\0';
		m = &db->mods[db->nmods];
		m->path = s;
		m->deps = colon + 1;
		m->deps_len = strlen(colon + 1);
		m->line = line;
		if (!safe_relpath(s) || modules_dep_normalize(s, strlen(s), m->name) < 0) {
			rc = rh_errf(err, -EINVAL, "%s:%u: bad module path '%.100s'", db->what, line, s);
			goto err;
		}
		db->nmods++;
	}
	db->by_path = malloc((db->nmods + 1) * sizeof(*db->by_path));
	if (!db->by_path) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", db->what);
		goto err;
	}
	for (i = 0; i < db->nmods; i++)
		db->by_path[i] = (unsigned)i;
	sort_db = db;
	qsort(db->by_path, db->nmods, sizeof(*db->by_path), cmp_path);
	sort_db = NULL;
	return 0;
err:
	modules_dep_free(db);
	return rc;
}

int modules_dep_add_builtin(struct modules_dep *db, const char *buf, size_t len, struct rh_err *err)
{
	size_t pos = 0, lines = 1, i;
	char (*b)[64];

	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	b = realloc(db->builtin, (db->nbuiltin + lines) * sizeof(*b));
	if (!b)
		return rh_errf(err, -ENOMEM, "modules.builtin: out of memory");
	db->builtin = b;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		while (n && (buf[pos + n - 1] == ' ' || buf[pos + n - 1] == '\r'))
			n--;
		if (n && modules_dep_normalize(buf + pos, n, db->builtin[db->nbuiltin]) == 0)
			db->nbuiltin++;
		pos += (nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos);
	}
	return 0;
}

const char *const modules_dep_required[MODULES_DEP_NREQUIRED] = { "squashfs", "loop", "overlay" };

/* virtio_pci is the transport virtio_blk/virtio_scsi need in QEMU; ata_piix serves -hda on i440fx, uhci/ohci
 * QEMU's default USB controllers: the list in the contract plus what a VM needs to reach those drivers. */
const char *const modules_dep_disk[MODULES_DEP_NDISK] = {
	"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "sr_mod", "ahci", "ata_piix", "usb-storage", "uas",
	"xhci_pci", "ehci_pci", "uhci_hcd", "ohci_pci", "vfat", "nls_cp437", "nls_ascii", "nls_utf8", "nls_iso8859_1",
	"ext4", "crc32c_generic", "efivarfs",
};

void modules_dep_boot_names(const struct modules_dep *db, const char *const *extra, unsigned nextra, const char **ret_names,
		     unsigned *ret_n)
{
	unsigned i, n = 0;

	for (i = 0; i < MODULES_DEP_NREQUIRED; i++)
		ret_names[n++] = modules_dep_required[i];
	for (i = 0; i < MODULES_DEP_NDISK; i++)
		if (modules_dep_find(db, modules_dep_disk[i]) >= 0)
			ret_names[n++] = modules_dep_disk[i];
	for (i = 0; i < nextra; i++)
		ret_names[n++] = extra[i];
	*ret_n = n;
}

int modules_dep_find(const struct modules_dep *db, const char *name)
{
	char norm[64];
	unsigned i;

	if (modules_dep_normalize(name, strlen(name), norm) < 0)
		return -ENOENT;
	for (i = 0; i < db->nmods; i++)
		if (!strcmp(db->mods[i].name, norm))
			return (int)i;
	return -ENOENT;
}

int modules_dep_is_builtin(const struct modules_dep *db, const char *name)
{
	char norm[64];
	unsigned i;

	if (modules_dep_normalize(name, strlen(name), norm) < 0)
		return 0;
	for (i = 0; i < db->nbuiltin; i++)
		if (!strcmp(db->builtin[i], norm))
			return 1;
	return 0;
}

int modules_dep_next_dep(const struct modules_dep_mod *m, size_t *pos, const char **ret_word, size_t *ret_len)
{
	size_t i = *pos, start;

	while (i < m->deps_len && (m->deps[i] == ' ' || m->deps[i] == '\t' || m->deps[i] == '\r'))
		i++;
	start = i;
	while (i < m->deps_len && m->deps[i] != ' ' && m->deps[i] != '\t' && m->deps[i] != '\r')
		i++;
	*pos = i;
	if (i == start)
		return 0;
	*ret_word = m->deps + start;
	*ret_len = i - start;
	return 1;
}

int modules_dep_find_path(const struct modules_dep *db, const char *p, size_t len)
{
	size_t lo = 0, hi = db->nmods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = db->mods[db->by_path[mid]].path;
		int c = strncmp(m, p, len);
		if (c == 0)
			c = m[len] == '\0' ? 0 : 1;
		if (c == 0)
			return (int)db->by_path[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

struct resolver {
	const struct modules_dep *db;
	unsigned char *state;  /* 0 new, 1 on the current path, 2 done */
	unsigned *order, norder;
	unsigned stack[MAX_DEPTH], depth;
	struct rh_err *err;
};

static int cycle_error(struct resolver *r, unsigned idx)
{
	char msg[600];
	size_t off = 0;
	unsigned i, start = 0;

	for (i = 0; i < r->depth; i++)
		if (r->stack[i] == idx)
			start = i;
	for (i = start; i < r->depth && off < sizeof(msg) - 80; i++)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s -> ", r->db->mods[r->stack[i]].name);
	snprintf(msg + off, sizeof(msg) - off, "%s", r->db->mods[idx].name);
	return rh_errf(r->err, -ELOOP, "%s: dependency cycle: %s", r->db->what, msg);
}

/* Depth-first: every dependency of idx goes into the order before idx. */
static int visit(struct resolver *r, unsigned idx)
{
	const struct modules_dep_mod *m = &r->db->mods[idx];
	const char *w;
	size_t pos = 0, wlen;
	int rc;

	if (r->state[idx] == 2)
		return 0;
	if (r->state[idx] == 1)
		return cycle_error(r, idx);
	if (r->depth == MAX_DEPTH)
		return rh_errf(r->err, -ELOOP, "%s:%u: dependency chain deeper than %d", r->db->what, m->line,
			       MAX_DEPTH);
	r->state[idx] = 1;
	r->stack[r->depth++] = idx;
	while (modules_dep_next_dep(m, &pos, &w, &wlen)) {
		int dep = modules_dep_find_path(r->db, w, wlen);

		if (dep < 0) {
			char name[64];
			if (modules_dep_normalize(w, wlen, name) == 0 && modules_dep_is_builtin(r->db, name))
				continue;
			return rh_errf(r->err, -ENOENT, "%s:%u: %s depends on %.*s, which has no line of its own",
				       r->db->what, m->line, m->name, (int)(wlen > 200 ? 200 : wlen), w);
		}
		rc = visit(r, (unsigned)dep);
		if (rc)
			return rc;
	}
	r->depth--;
	r->state[idx] = 2;
	r->order[r->norder++] = idx;
	return 0;
}

int modules_dep_resolve(const struct modules_dep *db, const char *const *names, unsigned n, unsigned **ret_order,
		 unsigned *ret_n, struct rh_err *err)
{
	struct resolver r;
	unsigned i;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.db = db;
	r.err = err;
	r.state = calloc(db->nmods + 1, 1);
	r.order = calloc(db->nmods + 1, sizeof(*r.order));
	if (!r.state || !r.order) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", db->what);
		goto out;
	}
	for (i = 0; i < n; i++) {
		int idx = modules_dep_find(db, names[i]);
		if (idx < 0) {
			if (modules_dep_is_builtin(db, names[i]))
				continue;
			rc = rh_errf(err, -ENOENT, "kernel module '%s' is neither in %s nor built in", names[i],
				     db->what);
			goto out;
		}
		r.depth = 0;
		rc = visit(&r, (unsigned)idx);
		if (rc)
			goto out;
	}
	*ret_order = r.order;
	*ret_n = r.norder;
	r.order = NULL;
out:
	free(r.state);
	free(r.order);
	return rc;
}

/* Decompresses a whole .ko.xz/.zst/.gz with libarchive's raw format (any filter it knows). */
static int decompress(const char *path, void **ret_buf, size_t *ret_len, struct rh_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t cap = 1 << 20, len = 0;
	char *buf = NULL;
	int rc = 0, fd = -1;

	if (!a)
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if ((rc = rh_open_input(path, &fd, err)) < 0)
		goto out;
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK) {
		rc = rh_errf(err, -EIO, "%s: cannot decompress: %s", path, archive_error_string(a));
		goto out;
	}
	if (archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE) {
		rc = rh_errf(err, -EINVAL, "%s: not compressed, although its name says so", path);
		goto out;
	}
	buf = malloc(cap);
	for (;;) {
		la_ssize_t n;
		if (!buf) {
			rc = rh_errf(err, -ENOMEM, "%s: out of memory", path);
			goto out;
		}
		if (len == cap) {
			char *nb = cap > (256u << 20) ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				rc = rh_errf(err, -EFBIG, "%s: decompressed module too large", path);
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = archive_read_data(a, buf + len, cap - len);
		if (n < 0) {
			rc = rh_errf(err, -EIO, "%s: cannot decompress: %s", path, archive_error_string(a));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
out:
	free(buf);
	archive_read_free(a);
	if (fd >= 0)
		close(fd);
	return rc;
}

int modules_dep_read_file(const char *path, void **ret_buf, size_t *ret_len, struct rh_err *err)
{
	size_t n = strlen(path);
	char *buf;
	size_t len;
	int rc;

	if (n < 3 || strcmp(path + n - 3, ".ko"))
		return decompress(path, ret_buf, ret_len, err);
	rc = rh_read_file(path, 512u << 20, &buf, &len, err);
	if (rc)
		return rc;
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}
