/* bootenv.c: boot.env parser and writer (see bootenv.h). */
#include "bootenv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN(kv) (int)((kv)->vlen > 80 ? 80 : (kv)->vlen), (kv)->val

static int valid_text(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

static int add_tardisk(struct bootenv *e, const struct kv_line *kv, const char *path, struct rh_err *err)
{
	struct tardisk_entry t;
	const char *f[4];
	size_t fl[4];
	unsigned i;
	int n = spec_split(kv->val, kv->vlen, f, fl, 4);

	memset(&t, 0, sizeof(t));
	if (n != 4)
		return rh_errf(err, -EINVAL, "%s: line %u: tardisk= needs 4 fields: NAME FILE MOUNTPOINT SIZE: '%.*s'",
			       path, kv->line, SHOWN(kv));
	if (!spec_valid_name(f[0], fl[0]))
		return rh_errf(err, -EINVAL, "%s: line %u: tardisk name is not 1-63 characters of [A-Za-z0-9_.-]: "
			       "'%.*s'", path, kv->line, (int)fl[0], f[0]);
	if (!spec_valid_abspath(f[1], fl[1]) || !spec_valid_abspath(f[2], fl[2]))
		return rh_errf(err, -EINVAL, "%s: line %u: tardisk file or mount point is not a clean absolute "
			       "path: '%.*s'", path, kv->line, SHOWN(kv));
	if (spec_parse_u64(f[3], fl[3], &t.size) < 0)
		return rh_errf(err, -EINVAL, "%s: line %u: tardisk size is not a number of bytes: '%.*s'", path,
			       kv->line, (int)fl[3], f[3]);
	spec_copy(t.name, sizeof(t.name), f[0], fl[0]);
	spec_copy(t.file, sizeof(t.file), f[1], fl[1]);
	spec_copy(t.mountpoint, sizeof(t.mountpoint), f[2], fl[2]);
	for (i = 0; i < e->ntardisks; i++)
		if (!strcmp(e->tardisks[i].name, t.name))
			return rh_errf(err, -EINVAL, "%s: line %u: tardisk '%s' is listed twice", path, kv->line,
				       t.name);
	if (e->ntardisks == RD_MAX_TARDISKS)
		return rh_errf(err, -E2BIG, "%s: line %u: more than %d tardisks", path, kv->line, RD_MAX_TARDISKS);
	e->tardisks[e->ntardisks++] = t;
	return 0;
}

static int add_ramdisk(struct bootenv *e, const struct kv_line *kv, const char *path, struct rh_err *err)
{
	struct ramdisk_spec rd;
	const char *what = NULL;
	unsigned i;
	int rc = spec_parse_ramdisk(kv->val, kv->vlen, &rd, &what);

	if (rc < 0)
		return rh_errf(err, rc, "%s: line %u: %s: '%.*s'", path, kv->line, what, SHOWN(kv));
	for (i = 0; i < e->nramdisks; i++)
		if (!strcmp(e->ramdisks[i].name, rd.name) || !strcmp(e->ramdisks[i].mountpoint, rd.mountpoint))
			return rh_errf(err, -EINVAL, "%s: line %u: ramdisk '%s' at '%s' repeats an earlier one", path,
				       kv->line, rd.name, rd.mountpoint);
	if (e->nramdisks == RD_MAX_RAMDISKS)
		return rh_errf(err, -E2BIG, "%s: line %u: more than %d ramdisks", path, kv->line, RD_MAX_RAMDISKS);
	e->ramdisks[e->nramdisks++] = rd;
	return 0;
}

/* stage=NAME MS: appended in order; the times never go back. */
static int add_stage(struct bootenv *e, const struct kv_line *kv, const char *path, struct rh_err *err)
{
	struct bootenv_stage st;
	const char *f[2];
	size_t fl[2], i;
	int n = spec_split(kv->val, kv->vlen, f, fl, 2);

	memset(&st, 0, sizeof(st));
	if (n != 2 || fl[0] >= sizeof(st.name) || spec_parse_u64(f[1], fl[1], &st.ms) < 0)
		return rh_errf(err, -EINVAL, "%s: line %u: stage= needs NAME (1-%zu characters) and MS: '%.*s'", path,
			       kv->line, sizeof(st.name) - 1, SHOWN(kv));
	for (i = 0; i < fl[0]; i++)
		if (!((f[0][i] >= 'a' && f[0][i] <= 'z') || (f[0][i] >= '0' && f[0][i] <= '9') || f[0][i] == '-'))
			return rh_errf(err, -EINVAL, "%s: line %u: stage name is not [a-z0-9-]: '%.*s'", path, kv->line,
				       SHOWN(kv));
	if (e->nstages == BOOTENV_MAX_STAGES)
		return rh_errf(err, -E2BIG, "%s: line %u: more than %d stages", path, kv->line, BOOTENV_MAX_STAGES);
	if (e->nstages && st.ms < e->stages[e->nstages - 1].ms)
		return rh_errf(err, -EINVAL, "%s: line %u: stage %.*s ends before the stage above it", path,
			       kv->line, (int)fl[0], f[0]);
	memcpy(st.name, f[0], fl[0]);
	e->stages[e->nstages++] = st;
	return 0;
}

/* Bits for the scalar keys, to refuse repeats. */
enum { SEEN_BANK = 1, SEEN_BUILD = 2, SEEN_KVER = 4, SEEN_INIT_MS = 8 };

static int once(unsigned *seen, unsigned bit, const struct kv_line *kv, const char *path, struct rh_err *err)
{
	if (*seen & bit)
		return rh_errf(err, -EINVAL, "%s: line %u: %.*s= is given twice", path, kv->line, (int)kv->klen,
			       kv->key);
	*seen |= bit;
	return 0;
}

static int apply(struct bootenv *e, const struct kv_line *kv, const char *path, unsigned *seen,
		 struct rh_err *err)
{
	uint64_t n;
	int rc;

	if (kv_is(kv, "bank")) {
		rc = once(seen, SEEN_BANK, kv, path, err);
		if (!rc && (spec_parse_u64(kv->val, kv->vlen, &n) < 0 || n > 9))
			rc = rh_errf(err, -EINVAL, "%s: line %u: bank= is not 0-9: '%.*s'", path, kv->line, SHOWN(kv));
		if (!rc)
			e->bank = (unsigned)n;
		return rc;
	}
	if (kv_is(kv, "build") || kv_is(kv, "kver")) {
		int is_build = kv_is(kv, "build");
		char *dst = is_build ? e->build : e->kver;
		size_t cap = is_build ? sizeof(e->build) : sizeof(e->kver);

		rc = once(seen, is_build ? SEEN_BUILD : SEEN_KVER, kv, path, err);
		if (!rc && (!valid_text(kv->val, kv->vlen) || spec_copy(dst, cap, kv->val, kv->vlen) < 0))
			rc = rh_errf(err, -EINVAL, "%s: line %u: %.*s= is too long or has control characters", path,
				     kv->line, (int)kv->klen, kv->key);
		return rc;
	}
	if (kv_is(kv, "init_ms")) {
		rc = once(seen, SEEN_INIT_MS, kv, path, err);
		if (!rc && spec_parse_u64(kv->val, kv->vlen, &e->init_ms) < 0)
			rc = rh_errf(err, -EINVAL, "%s: line %u: init_ms= is not a number: '%.*s'", path, kv->line,
				     SHOWN(kv));
		e->has_init_ms = !rc;
		return rc;
	}
	if (kv_is(kv, "tardisk"))
		return add_tardisk(e, kv, path, err);
	if (kv_is(kv, "ramdisk"))
		return add_ramdisk(e, kv, path, err);
	if (kv_is(kv, "stage"))
		return add_stage(e, kv, path, err);
	return 0; /* unknown keys: written by a newer init */
}

int bootenv_parse(const char *buf, size_t len, const char *path, struct bootenv *ret, struct rh_err *err)
{
	struct bootenv *e = calloc(1, sizeof(*e));
	unsigned line = 0, seen = 0;
	size_t pos = 0;
	struct kv_line kv;
	const char *what = NULL;
	int rc;

	if (!e)
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	while ((rc = kv_next(buf, len, &pos, &line, &kv, &what)) > 0) {
		rc = apply(e, &kv, path, &seen, err);
		if (rc < 0)
			goto out;
	}
	if (rc < 0) {
		rh_errf(err, rc, "%s: line %u: %s", path, line, what);
		goto out;
	}
	if (!(seen & SEEN_BANK)) {
		rc = rh_errf(err, -EINVAL, "%s: no bank= line", path);
		goto out;
	}
	*ret = *e;
	rc = 0;
out:
	free(e);
	return rc;
}

/* Appends printf output at *pos; -E2BIG once it no longer fits (later calls keep failing). */
/* The formatter's output: appends do nothing once one has failed (the buffer was too small), so
 * bootenv_format checks once, at the end. */
struct env_writer {
	char *buf;
	size_t cap;
	size_t pos;
	int rc;
};

static void put(struct env_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct env_writer *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->rc)
		return;
	if (w->pos >= w->cap) {
		w->rc = -E2BIG;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->pos, w->cap - w->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->pos) {
		w->rc = -E2BIG;
		return;
	}
	w->pos += (size_t)n;
}

long bootenv_format(const struct bootenv *env, char *buf, size_t cap)
{
	struct env_writer w = { .buf = buf, .cap = cap };
	unsigned i;

	if (!cap)
		return -E2BIG;
	buf[0] = '\0';
	put(&w, "bank=%u\nbuild=%s\nkver=%s\n", env->bank, env->build, env->kver);
	for (i = 0; i < env->ntardisks; i++) {
		const struct tardisk_entry *t = &env->tardisks[i];
		put(&w, "tardisk=%s %s %s %" PRIu64 "\n", t->name, t->file, t->mountpoint, t->size);
	}
	for (i = 0; i < env->nramdisks; i++) {
		const struct ramdisk_spec *r = &env->ramdisks[i];
		put(&w, "ramdisk=%s %s %" PRIu64 " %" PRIu64 "\n", r->name, r->mountpoint, r->size, r->inodes);
	}
	if (env->has_init_ms)
		put(&w, "init_ms=%" PRIu64 "\n", env->init_ms);
	for (i = 0; i < env->nstages; i++)
		put(&w, "stage=%s %" PRIu64 "\n", env->stages[i].name, env->stages[i].ms);
	return w.rc < 0 ? w.rc : (long)w.pos;
}
