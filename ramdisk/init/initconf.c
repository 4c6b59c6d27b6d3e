/* initconf.c: init.conf parser (see initconf.h). */
#include "initconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The value shown in an error message, cut to keep the message readable. */
#define SHOWN(kv) (int)((kv)->vlen > 80 ? 80 : (kv)->vlen), (kv)->val

/* A module path: relative, clean, ends in ".ko" (finit_module of this kernel takes no compressed files). */
static int valid_kmod(const char *s, size_t len)
{
	char abs[RD_MAX_PATH + 1];

	if (len < 4 || len >= RD_MAX_PATH - 1 || memcmp(s + len - 3, ".ko", 3))
		return 0;
	abs[0] = '/';
	memcpy(abs + 1, s, len);
	return spec_valid_abspath(abs, len + 1);
}

static int valid_kver(const char *s, size_t len)
{
	size_t i;

	if (!len || len >= RD_MAX_NAME || (len <= 2 && s[0] == '.'))
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '/' || s[i] == 0x7f)
			return 0;
	return 1;
}

static int add_ramdisk(struct initconf *c, const struct kv_line *kv, const char *path, struct rh_err *err)
{
	struct ramdisk_spec rd;
	const char *what = NULL;
	unsigned i;
	int rc = spec_parse_ramdisk(kv->val, kv->vlen, &rd, &what);

	if (rc < 0)
		return rh_errf(err, rc, "%s: line %u: %s: '%.*s'", path, kv->line, what, SHOWN(kv));
	for (i = 0; i < c->nramdisks; i++) {
		if (!strcmp(c->ramdisks[i].name, rd.name))
			return rh_errf(err, -EINVAL, "%s: line %u: ramdisk name '%s' is used twice", path, kv->line,
				       rd.name);
		if (!strcmp(c->ramdisks[i].mountpoint, rd.mountpoint))
			return rh_errf(err, -EINVAL, "%s: line %u: two ramdisks mounted at '%s'", path, kv->line,
				       rd.mountpoint);
	}
	if (c->nramdisks == RD_MAX_RAMDISKS)
		return rh_errf(err, -E2BIG, "%s: line %u: more than %d ramdisks", path, kv->line, RD_MAX_RAMDISKS);
	c->ramdisks[c->nramdisks++] = rd;
	return 0;
}

static int apply(struct initconf *c, const struct kv_line *kv, const char *path, int *seen_kver, int *seen_init,
		 struct rh_err *err)
{
	if (kv_is(kv, "kver")) {
		if (*seen_kver)
			return rh_errf(err, -EINVAL, "%s: line %u: kver= is given twice", path, kv->line);
		if (!valid_kver(kv->val, kv->vlen))
			return rh_errf(err, -EINVAL, "%s: line %u: kver= is not a kernel release: '%.*s'", path,
				       kv->line, SHOWN(kv));
		*seen_kver = 1;
		return spec_copy(c->kver, sizeof(c->kver), kv->val, kv->vlen);
	}
	if (kv_is(kv, "kmod") || kv_is(kv, "dkmod") || kv_is(kv, "omod")) {
		const char *key = kv_is(kv, "kmod") ? "kmod" : kv_is(kv, "dkmod") ? "dkmod" : "omod";
		if (!valid_kmod(kv->val, kv->vlen))
			return rh_errf(err, -EINVAL,
				       "%s: line %u: %s= is not a clean relative path ending in .ko: '%.*s'", path,
				       kv->line, key, SHOWN(kv));
		if (c->nkmods == INITCONF_MAX_KMODS)
			return rh_errf(err, -E2BIG, "%s: line %u: more than %d kmod=, dkmod= and omod= lines", path, kv->line,
				       INITCONF_MAX_KMODS);
		c->where[c->nkmods] = key[0] == 'k' ? INITCONF_KMOD_CPIO : key[0] == 'd' ? INITCONF_KMOD_DRIVERS :
										  INITCONF_KMOD_ONDEMAND;
		return spec_copy(c->kmods[c->nkmods++], RD_MAX_PATH, kv->val, kv->vlen);
	}
	if (kv_is(kv, "ramdisk"))
		return add_ramdisk(c, kv, path, err);
	if (kv_is(kv, "init")) {
		if (*seen_init)
			return rh_errf(err, -EINVAL, "%s: line %u: init= is given twice", path, kv->line);
		if (!spec_valid_abspath(kv->val, kv->vlen) || kv->vlen == 1)
			return rh_errf(err, -EINVAL, "%s: line %u: init= is not a clean absolute path: '%.*s'", path,
				       kv->line, SHOWN(kv));
		*seen_init = 1;
		return spec_copy(c->init, sizeof(c->init), kv->val, kv->vlen);
	}
	return rh_errf(err, -EINVAL, "%s: line %u: unknown key '%.*s'", path, kv->line,
		       (int)(kv->klen > 40 ? 40 : kv->klen), kv->key);
}

int initconf_parse(const char *buf, size_t len, const char *path, struct initconf *ret, struct rh_err *err)
{
	struct initconf *c = calloc(1, sizeof(*c));
	int seen_kver = 0, seen_init = 0, rc;
	unsigned line = 0;
	size_t pos = 0;
	struct kv_line kv;
	const char *what = NULL;

	if (!c)
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	while ((rc = kv_next(buf, len, &pos, &line, &kv, &what)) > 0) {
		rc = apply(c, &kv, path, &seen_kver, &seen_init, err);
		if (rc < 0)
			goto out;
	}
	if (rc < 0) {
		rh_errf(err, rc, "%s: line %u: %s", path, line, what);
		goto out;
	}
	if (c->nkmods && !seen_kver) {
		rc = rh_errf(err, -EINVAL, "%s: kmod=/dkmod=/omod= lines but no kver= line", path);
		goto out;
	}
	if (!initconf_root(c)) {
		rc = rh_errf(err, -EINVAL, "%s: no ramdisk= line for '/' (the root ramdisk)", path);
		goto out;
	}
	if (!seen_init)
		strcpy(c->init, "/sbin/init");
	*ret = *c;
	rc = 0;
out:
	free(c);
	return rc;
}

const struct ramdisk_spec *initconf_root(const struct initconf *conf)
{
	unsigned i;

	for (i = 0; i < conf->nramdisks; i++)
		if (!strcmp(conf->ramdisks[i].mountpoint, "/"))
			return &conf->ramdisks[i];
	return NULL;
}
