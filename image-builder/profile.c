/* profile.c: the image profile parser (see profile.h and docs/profile.md). */
#include "profile.h"
#include "tardisk/oci/oci_layout.h"
#include "fileio.h"

#include "size.h"
#include "sticky_rule.h"
#include "vib/descriptor.h"
#include "vib/resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_LEN 4096

/* The ramdisks with a well-known mount point, and what they get when the profile does not mention them. */
static const struct {
	const char *name, *mountpoint;
	uint64_t size, inodes;
} known_ramdisks[] = {
	{ "root", "/", 32ull << 20, 8192 },
	{ "etc", "/etc", 8ull << 20, 2048 },
	{ "var", "/var", 64ull << 20, 8192 },
	{ "tmp", "/tmp", 64ull << 20, 8192 },
	{ "run", "/run", 16ull << 20, 4096 },
};
#define NKNOWN (sizeof(known_ramdisks) / sizeof(known_ramdisks[0]))

/* The keys: single-valued ones first (given twice is an error), then the ones that may repeat (from K_TARDISK
 * on). keys[] below has each one's name and parser. */
enum key {
	K_NAME, K_VERSION, K_TITLE, K_KERNEL, K_KMODULES, K_KERNELOPT, K_BASE, K_TIMEOUT, K_INIT,
	K_ACCEPTANCE, K_TRUST, K_IMAGE_PROFILE, K_RESCUE, K_DRIVERS, K_NETWORK,
	K_TARDISK, K_RAMDISK, K_KMOD, K_PACKAGES, K_STICKY, K_DEPOT, K_VIB, K_OCI_LAYERS, NKEYS
};

struct parser {
	const char *file;
	const char *basedir;
	unsigned line;
	unsigned seen[NKEYS];  /* line a key was first given on, 0 = not yet */
	struct profile *p;
	struct rh_err *err;
};

#define PERR(ps, rc, fmt, ...) rh_errf((ps)->err, rc, "%s:%u: " fmt, (ps)->file, (ps)->line, ##__VA_ARGS__)

int profile_parse_size(const char *s, uint64_t *ret)
{
	uint64_t v;

	if (size_parse(s, &v) < 0 || v == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A name usable as a file name and in boot.cfg: [A-Za-z0-9._+-], not starting with '.' or '-'. */
static int valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= PROFILE_MAX_NAME || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-' || c == '+'))
			return 0;
	}
	return 1;
}

static int copy_text(struct parser *ps, char *dst, size_t cap, const char *val, const char *key)
{
	size_t n = strlen(val);

	size_t i;

	if (n >= cap)
		return PERR(ps, -E2BIG, "%s is %zu characters long, at most %zu allowed", key, n, cap - 1);
	/* title and kernelopt end up in boot.cfg and on the boot menu: a control byte (ESC, a CR) has no place there */
	for (i = 0; i < n; i++)
		if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f)
			return PERR(ps, -EINVAL, "%s has a control character (byte 0x%02x at %zu)", key,
				    (unsigned char)val[i], i + 1);
	memcpy(dst, val, n + 1);
	return 0;
}

static int copy_name(struct parser *ps, char *dst, const char *val, const char *what)
{
	if (!valid_name(val))
		return PERR(ps, -EINVAL, "%s '%s' is not a valid name (letters, digits, '.', '_', '+', '-'; at most %d)",
			    what, val, PROFILE_MAX_NAME - 1);
	strcpy(dst, val);
	return 0;
}

/* Resolves val against the profile's directory into dst. */
static int copy_path(struct parser *ps, char *dst, const char *val, const char *key)
{
	int n;

	if (val[0] == '/')
		n = snprintf(dst, PROFILE_MAX_PATH, "%s", val);
	else
		n = snprintf(dst, PROFILE_MAX_PATH, "%s/%s", ps->basedir, val);
	if (n < 0 || n >= PROFILE_MAX_PATH)
		return PERR(ps, -ENAMETOOLONG, "%s path '%s' is too long", key, val);
	return 0;
}

/* Splits s at runs of blanks into at most max words (s is modified). Returns the count, or max + 1. */
static unsigned split_words(char *s, char **words, unsigned max)
{
	unsigned n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == max)
			return max + 1;
		words[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
}

/* A container image source, oci:PATH[:TAG], into dst (PROFILE_MAX_PATH bytes) with PATH made absolute against
 * the profile's directory (key names the key in messages). */
static int copy_oci(struct parser *ps, char *dst, const char *val, const char *key)
{
	const char *spec = val + strlen(PROFILE_BASE_OCI);
	int n = spec[0] == '/' ? snprintf(dst, PROFILE_MAX_PATH, "%s", val) :
		snprintf(dst, PROFILE_MAX_PATH, "%s%s/%s", PROFILE_BASE_OCI, ps->basedir, spec);

	if (!spec[0])
		return PERR(ps, -EINVAL, "%s '%s': expected 'oci:PATH[:TAG]'", key, val);
	if (n < 0 || n >= PROFILE_MAX_PATH)
		return PERR(ps, -ENAMETOOLONG, "%s path '%s' is too long", key, val);
	return 0;
}

static int parse_tardisk(struct parser *ps, char *val)
{
	struct profile *p = ps->p;
	struct profile_tardisk *t;
	char *w[3];
	unsigned i;
	int rc;

	if (split_words(val, w, 2) != 2)
		return PERR(ps, -EINVAL, "tardisk: expected 'tardisk = NAME SOURCE'");
	if (p->ntardisks == PROFILE_MAX_TARDISKS)
		return PERR(ps, -E2BIG, "tardisk '%s': more than %d tardisks", w[0], PROFILE_MAX_TARDISKS);
	t = &p->tardisks[p->ntardisks];
	rc = copy_name(ps, t->name, w[0], "tardisk name");
	if (rc)
		return rc;
	if (profile_base_layer_reserved(t->name))
		return PERR(ps, -EINVAL, "tardisk name '%s' is reserved for the base image (use 'base = ...')", t->name);
	for (i = 0; i < p->ntardisks; i++)
		if (!strcmp(p->tardisks[i].name, t->name))
			return PERR(ps, -EEXIST, "tardisk '%s' is given twice", t->name);
	rc = oci_source(w[1], NULL) ? copy_oci(ps, t->source, w[1], "tardisk") : copy_path(ps, t->source, w[1], "tardisk");
	if (rc)
		return rc;
	t->line = ps->line;
	p->ntardisks++;
	return 0;
}

static int parse_ramdisk(struct parser *ps, char *val)
{
	struct profile *p = ps->p;
	struct profile_ramdisk r;
	char *w[5];
	unsigned n = split_words(val, w, 4), i;
	int rc, has_inodes = 0;

	memset(&r, 0, sizeof(r));
	if (n < 2 || n > 4)
		return PERR(ps, -EINVAL, "ramdisk: expected 'ramdisk = NAME SIZE [inodes=N] [mount=PATH]'");
	rc = copy_name(ps, r.name, w[0], "ramdisk name");
	if (rc)
		return rc;
	if (profile_parse_size(w[1], &r.size) < 0)
		return PERR(ps, -EINVAL, "ramdisk '%s': bad size '%s' (expected e.g. 64M, 1G, 512K)", r.name, w[1]);
	for (i = 2; i < n; i++) {
		if (!strncmp(w[i], "inodes=", 7)) {
			char *end;
			unsigned long long v;
			errno = 0;
			v = strtoull(w[i] + 7, &end, 10);
			if (errno || *end || end == w[i] + 7 || w[i][7] == '-' || v == 0 || v > 0xffffffffull)
				return PERR(ps, -EINVAL, "ramdisk '%s': bad inode count '%s'", r.name, w[i] + 7);
			r.inodes = v;
			has_inodes = 1;
		} else if (!strncmp(w[i], "mount=", 6)) {
			const char *m = w[i] + 6;
			if (m[0] != '/' || strstr(m, "..") || strlen(m) >= PROFILE_MAX_PATH)
				return PERR(ps, -EINVAL, "ramdisk '%s': mount point '%s' is not an absolute path",
					    r.name, m);
			strcpy(r.mountpoint, m);
		} else {
			return PERR(ps, -EINVAL, "ramdisk '%s': unknown option '%s' (expected inodes=N or mount=PATH)",
				    r.name, w[i]);
		}
	}
	for (i = 0; i < NKNOWN; i++) {
		if (strcmp(r.name, known_ramdisks[i].name))
			continue;
		if (r.mountpoint[0] && strcmp(r.mountpoint, known_ramdisks[i].mountpoint))
			return PERR(ps, -EINVAL, "ramdisk '%s' is always mounted at %s, not %s", r.name,
				    known_ramdisks[i].mountpoint, r.mountpoint);
		strcpy(r.mountpoint, known_ramdisks[i].mountpoint);
		if (!has_inodes)
			r.inodes = known_ramdisks[i].inodes;
	}
	if (!r.mountpoint[0])
		return PERR(ps, -EINVAL, "ramdisk '%s': not a known name (root etc var tmp run), so mount=PATH is needed",
			    r.name);
	if (!has_inodes && !r.inodes)
		r.inodes = r.size / 4096 < 1024 ? 1024 : r.size / 4096;
	for (i = 0; i < p->nramdisks; i++) {
		if (!strcmp(p->ramdisks[i].name, r.name))
			return PERR(ps, -EEXIST, "ramdisk '%s' is given twice", r.name);
		if (!strcmp(p->ramdisks[i].mountpoint, r.mountpoint))
			return PERR(ps, -EEXIST, "ramdisk '%s': mount point %s is already ramdisk '%s'", r.name,
				    r.mountpoint, p->ramdisks[i].name);
	}
	if (p->nramdisks == PROFILE_MAX_RAMDISKS)
		return PERR(ps, -E2BIG, "ramdisk '%s': more than %d ramdisks", r.name, PROFILE_MAX_RAMDISKS);
	p->ramdisks[p->nramdisks++] = r;
	return 0;
}

static int parse_kmod(struct parser *ps, char *val)
{
	struct profile *p = ps->p;
	char norm[PROFILE_MAX_NAME];
	size_t n = strlen(val), i;

	if (n == 0 || n >= PROFILE_MAX_NAME)
		return PERR(ps, -EINVAL, "kmod '%s': bad module name", val);
	for (i = 0; i <= n; i++) {
		char c = val[i];
		if (c && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
			   c == '-'))
			return PERR(ps, -EINVAL, "kmod '%s': bad module name (letters, digits, '-', '_')", val);
		norm[i] = c == '-' ? '_' : c;
	}
	for (i = 0; i < p->nkmods; i++)
		if (!strcmp(p->kmods[i], norm))
			return 0; /* the same module asked for twice is loaded once */
	if (p->nkmods == PROFILE_MAX_KMODS)
		return PERR(ps, -E2BIG, "kmod '%s': more than %d kmod lines", val, PROFILE_MAX_KMODS);
	strcpy(p->kmods[p->nkmods++], norm);
	return 0;
}

/* A Debian package or suite name: [a-z0-9][a-z0-9+.-]* (Debian policy 5.6.1); suites use the same set. */
static int valid_debian_name(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '.' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

/* `packages = NAME...`: appended to p->packages (repeated lines add up), duplicates dropped. */
static int parse_packages(struct parser *ps, char *val)
{
	struct profile *p = ps->p;
	char *save = NULL, *w;

	for (w = strtok_r(val, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		size_t have = strlen(p->packages), n = strlen(w);
		const char *at;

		if (!valid_debian_name(w))
			return PERR(ps, -EINVAL, "packages: '%.80s' is not a Debian package name (a-z 0-9 + . -)", w);
		for (at = strstr(p->packages, w); at; at = strstr(at + 1, w))
			if ((at == p->packages || at[-1] == ' ') && (at[n] == ' ' || at[n] == '\0'))
				break;
		if (at)
			continue;
		if (have + (have ? 1 : 0) + n >= sizeof(p->packages))
			return PERR(ps, -E2BIG, "packages: the list is longer than %d characters",
				    PROFILE_MAX_PACKAGES - 1);
		if (have)
			p->packages[have++] = ' ';
		memcpy(p->packages + have, w, n + 1);
	}
	return 0;
}

/* `sticky = PATTERN`: one absolute glob per line, a trailing '/' dropped, each pattern once. */
static int parse_sticky(struct parser *ps, char *val)
{
	struct profile *p = ps->p;
	char pat[PROFILE_MAX_PATTERN];
	const char *why;
	size_t n = strlen(val);
	unsigned i;

	if (n >= sizeof(pat))
		return PERR(ps, -E2BIG, "sticky '%.60s...': longer than %d characters", val, PROFILE_MAX_PATTERN - 1);
	memcpy(pat, val, n + 1);
	if (n > 1 && pat[n - 1] == '/')
		pat[n - 1] = '\0';
	why = sticky_pattern_invalid(pat);
	if (why)
		return PERR(ps, -EINVAL, "sticky '%.200s': %s (expected an absolute path or glob such as "
					 "/etc/hostname or /etc/ssh/ssh_host_*)", val, why);
	for (i = 0; i < p->nsticky; i++)
		if (!strcmp(p->sticky[i], pat))
			return PERR(ps, -EEXIST, "sticky '%s' is given twice", pat);
	if (p->nsticky == PROFILE_MAX_STICKY)
		return PERR(ps, -E2BIG, "sticky '%s': more than %d sticky lines", pat, PROFILE_MAX_STICKY);
	strcpy(p->sticky[p->nsticky++], pat);
	return 0;
}

int profile_base_is_debootstrap(const struct profile *p)
{
	return !strncmp(p->base, PROFILE_BASE_DEBOOTSTRAP, strlen(PROFILE_BASE_DEBOOTSTRAP));
}

int profile_base_is_oci(const struct profile *p)
{
	return !strncmp(p->base, PROFILE_BASE_OCI, strlen(PROFILE_BASE_OCI));
}

void profile_base_layer_name(unsigned i, char *buf, size_t cap)
{
	if (i == 0)
		snprintf(buf, cap, "base");
	else
		snprintf(buf, cap, "base-%u", i + 1);
}

int profile_base_layer_reserved(const char *name)
{
	if (!strcmp(name, "base"))
		return 1;
	if (strncmp(name, "base-", 5) || !name[5])
		return 0;
	return strspn(name + 5, "0123456789") == strlen(name + 5);
}

int profile_base_gets_layer(const struct profile *p)
{
	return profile_base_is_debootstrap(p) || profile_base_is_oci(p);
}

int profile_has_vibs(const struct profile *p)
{
	return p->ndepots || p->nvibs || p->acceptance[0] || p->trust[0] || p->image_profile[0];
}

/* `depot = URL|DIR`: URLs as given, directories resolved against the profile's directory. */
static int parse_depot(struct parser *ps, char *val)
{
	struct profile *p = ps->p;
	char *dst;
	unsigned i;

	if (p->ndepots == PROFILE_MAX_DEPOTS)
		return PERR(ps, -E2BIG, "depot '%.200s': more than %d depot lines", val, PROFILE_MAX_DEPOTS);
	dst = p->depots[p->ndepots];
	if (strstr(val, "://")) {
		if (strncmp(val, "http://", 7) && strncmp(val, "https://", 8) && strncmp(val, "file://", 7))
			return PERR(ps, -EINVAL, "depot '%.200s': expected an http://, https:// or file:// URL or a "
						 "directory", val);
		if (strlen(val) >= PROFILE_MAX_PATH || strpbrk(val, " \t"))
			return PERR(ps, -EINVAL, "depot '%.200s': too long or contains a blank", val);
		strcpy(dst, val);
	} else {
		int rc = copy_path(ps, dst, val, "depot");
		if (rc)
			return rc;
	}
	for (i = 0; i < p->ndepots; i++)
		if (!strcmp(p->depots[i], dst))
			return PERR(ps, -EEXIST, "depot '%.200s' is given twice", val);
	p->ndepots++;
	return 0;
}

/* `vib = NAME[OP VERSION]`: checked with the resolver's own request parser, kept as written. */
static int parse_vib(struct parser *ps, char *val)
{
	struct profile *p = ps->p;
	struct rh_err e2 = { 0 };
	struct vib_req r;
	unsigned i;

	if (p->nvibs == PROFILE_MAX_VIBS)
		return PERR(ps, -E2BIG, "vib '%.80s': more than %d vib lines", val, PROFILE_MAX_VIBS);
	if (strlen(val) >= PROFILE_MAX_VIBREQ || vib_req_parse(val, &r, &e2) < 0)
		return PERR(ps, -EINVAL, "vib '%.80s': expected NAME, NAME=VERSION or NAME>=VERSION (%s)", val,
			    e2.rc ? e2.msg : "too long");
	for (i = 0; i < p->nvibs; i++) {
		struct vib_req o;
		if (vib_req_parse(p->vibs[i], &o, NULL) == 0 && !strcmp(o.name, r.name))
			return PERR(ps, -EEXIST, "vib '%s' is asked for twice", r.name);
	}
	strcpy(p->vibs[p->nvibs++], val);
	return 0;
}

static int parse_name(struct parser *ps, char *val)
{
	return copy_name(ps, ps->p->name, val, "name");
}

static int parse_version(struct parser *ps, char *val)
{
	return copy_name(ps, ps->p->version, val, "version");
}

static int parse_title(struct parser *ps, char *val)
{
	return copy_text(ps, ps->p->title, sizeof(ps->p->title), val, "title");
}

static int parse_kernelopt(struct parser *ps, char *val)
{
	return copy_text(ps, ps->p->kernelopt, sizeof(ps->p->kernelopt), val, "kernelopt");
}

/* `kernel = debian` or a path. */
static int parse_kernel(struct parser *ps, char *val)
{
	if (!strcmp(val, PROFILE_KERNEL_DEBIAN)) {
		strcpy(ps->p->kernel, val);
		return 0;
	}
	return copy_path(ps, ps->p->kernel, val, "kernel");
}

static int parse_kmodules(struct parser *ps, char *val)
{
	return copy_path(ps, ps->p->kernel_modules, val, "kernel-modules");
}

/* `base = builtin:minimal`, `debootstrap:SUITE`, `oci:PATH[:TAG]` or a path. */
static int parse_base(struct parser *ps, char *val)
{
	struct profile *p = ps->p;

	if (!strncmp(val, "builtin:", 8)) {
		if (strcmp(val, PROFILE_BASE_MINIMAL))
			return PERR(ps, -EINVAL, "base '%s': unknown built-in base (known: %s)", val,
				    PROFILE_BASE_MINIMAL);
		strcpy(p->base, val);
		return 0;
	}
	if (!strncmp(val, PROFILE_BASE_DEBOOTSTRAP, strlen(PROFILE_BASE_DEBOOTSTRAP))) {
		const char *suite = val + strlen(PROFILE_BASE_DEBOOTSTRAP);
		if (!valid_debian_name(suite) || strlen(suite) >= PROFILE_MAX_NAME)
			return PERR(ps, -EINVAL, "base '%.80s': expected 'debootstrap:SUITE' with a suite name "
						 "such as bookworm", val);
		strcpy(p->base, val);
		return 0;
	}
	if (!strncmp(val, PROFILE_BASE_OCI, strlen(PROFILE_BASE_OCI)))
		return copy_oci(ps, p->base, val, "base");
	return copy_path(ps, p->base, val, "base");
}

static int parse_timeout(struct parser *ps, char *val)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || *end || val[0] == '-' || val[0] == '+' || v > 3600)
		return PERR(ps, -EINVAL, "timeout '%s': expected seconds, 0 to 3600", val);
	ps->p->timeout = v;
	return 0;
}

static int parse_init(struct parser *ps, char *val)
{
	if (val[0] != '/' || strpbrk(val, " \t") || strlen(val) >= sizeof(ps->p->init))
		return PERR(ps, -EINVAL, "init '%s': expected an absolute path without blanks", val);
	strcpy(ps->p->init, val);
	return 0;
}

static int parse_acceptance(struct parser *ps, char *val)
{
	enum vib_level level;

	if (vib_level_parse(val, &level) < 0)
		return PERR(ps, -EINVAL, "acceptance '%.40s': expected community, partner, accepted or certified", val);
	strcpy(ps->p->acceptance, val);
	return 0;
}

/* `rescue = yes|no` */
static int parse_rescue(struct parser *ps, char *val)
{
	if (strcmp(val, "yes") && strcmp(val, "no"))
		return PERR(ps, -EINVAL, "rescue '%.40s': expected yes or no", val);
	ps->p->rescue = !strcmp(val, "yes");
	return 0;
}

static const struct {
	const char *name;
	unsigned mask;
} driver_classes[] = {
	{ "net", PROFILE_DRIVERS_NET }, { "storage", PROFILE_DRIVERS_STORAGE }, { "other", PROFILE_DRIVERS_OTHER },
};

const char *profile_drivers_str(unsigned mask, char *buf, size_t cap)
{
	size_t i, n = 0;

	if (mask == PROFILE_DRIVERS_ALL)
		return "all";
	if (!mask)
		return "none";
	buf[0] = '\0';
	for (i = 0; i < sizeof(driver_classes) / sizeof(driver_classes[0]); i++)
		if ((mask & driver_classes[i].mask) && n < cap)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", driver_classes[i].name);
	return buf;
}

/* `drivers = all | none | CLASS[,CLASS...]` (classes: net, storage, other; blanks or ',' between them) */
static int parse_drivers(struct parser *ps, char *val)
{
	unsigned mask = 0;
	char *tok, *save = NULL;
	size_t i;

	if (!strcmp(val, "all") || !strcmp(val, "none")) {
		ps->p->drivers = val[0] == 'a' ? PROFILE_DRIVERS_ALL : 0;
		return 0;
	}
	for (tok = strtok_r(val, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		for (i = 0; i < sizeof(driver_classes) / sizeof(driver_classes[0]); i++)
			if (!strcmp(tok, driver_classes[i].name))
				break;
		if (i == sizeof(driver_classes) / sizeof(driver_classes[0]))
			return PERR(ps, -EINVAL, "drivers '%.40s': unknown class (expected all, none, or classes of "
						 "net, storage, other)", tok);
		mask |= driver_classes[i].mask;
	}
	ps->p->drivers = mask;
	return 0;
}

/* An IPv4 or IPv6 address (with /PREFIX when want_prefix) into out. */
static int net_address(const char *s, int want_prefix, char *out, size_t cap)
{
	char host[64], *slash, *end;
	unsigned char bin[16];
	long prefix;
	int v6;

	if (strlen(s) >= sizeof(host) || strlen(s) >= cap)
		return -EINVAL;
	strcpy(host, s);
	slash = strchr(host, '/');
	if ((slash != NULL) != want_prefix)
		return -EINVAL;
	if (slash)
		*slash = '\0';
	v6 = strchr(host, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1)
		return -EINVAL;
	if (slash) {
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (errno || *end || !slash[1] || slash[1] == '-' || slash[1] == '+' || prefix < 1 ||
		    prefix > (v6 ? 128 : 32))
			return -EINVAL;
	}
	strcpy(out, s);
	return 0;
}

/* The words after `static ADDR/PREFIX`: gateway=IP, dns=IP[,IP...], interface=NAME. */
static int parse_static_word(struct parser *ps, struct profile_network *n, char *w)
{
	char *v = strchr(w, '='), one[64], *tok, *save = NULL;
	size_t len = 0, i;

	if (!v)
		return PERR(ps, -EINVAL, "network: '%.40s': expected gateway=IP, dns=IP[,IP] or interface=NAME", w);
	*v++ = '\0';
	if (!strcmp(w, "gateway")) {
		if (net_address(v, 0, n->gateway, sizeof(n->gateway)) < 0)
			return PERR(ps, -EINVAL, "network: gateway '%.60s': not an IP address", v);
		return 0;
	}
	if (!strcmp(w, "interface")) {
		for (i = 0; v[i]; i++)
			if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
			      strchr("._-", v[i])))
				break;
		if (!i || v[i] || i >= sizeof(n->iface))
			return PERR(ps, -EINVAL, "network: interface '%.40s': not an interface name (at most 15 of "
						 "letters, digits, '.', '_', '-')", v);
		strcpy(n->iface, v);
		return 0;
	}
	if (strcmp(w, "dns"))
		return PERR(ps, -EINVAL, "network: unknown word '%.40s' (expected gateway=, dns= or interface=)", w);
	n->dns[0] = '\0';
	for (tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (net_address(tok, 0, one, sizeof(one)) < 0)
			return PERR(ps, -EINVAL, "network: dns '%.60s': not an IP address", tok);
		if (len + strlen(one) + 2 > sizeof(n->dns))
			return PERR(ps, -E2BIG, "network: too many dns addresses");
		len += (size_t)snprintf(n->dns + len, sizeof(n->dns) - len, "%s%s", len ? "," : "", one);
	}
	if (!len)
		return PERR(ps, -EINVAL, "network: dns= needs an address");
	return 0;
}

/* `network = dhcp | none | static ADDR/PREFIX [gateway=IP] [dns=IP[,IP...]] [interface=NAME]` */
static int parse_network(struct parser *ps, char *val)
{
	struct profile_network n;
	char *w, *save = NULL;
	int rc;

	memset(&n, 0, sizeof(n));
	w = strtok_r(val, " \t", &save);
	if (!strcmp(w, "dhcp") || !strcmp(w, "none")) {
		if (strtok_r(NULL, " \t", &save))
			return PERR(ps, -EINVAL, "network = %s takes no more words", w);
		n.mode = w[0] == 'd' ? PROFILE_NET_DHCP : PROFILE_NET_NONE;
		ps->p->network = n;
		return 0;
	}
	if (strcmp(w, "static"))
		return PERR(ps, -EINVAL, "network '%.40s': expected dhcp, none or static ADDR/PREFIX [gateway=IP] "
					 "[dns=IP] [interface=NAME]", w);
	n.mode = PROFILE_NET_STATIC;
	w = strtok_r(NULL, " \t", &save);
	if (!w || net_address(w, 1, n.address, sizeof(n.address)) < 0)
		return PERR(ps, -EINVAL, "network = static: '%.60s': expected ADDR/PREFIX (e.g. 192.0.2.10/24)",
			    w ? w : "");
	while ((w = strtok_r(NULL, " \t", &save))) {
		rc = parse_static_word(ps, &n, w);
		if (rc)
			return rc;
	}
	ps->p->network = n;
	return 0;
}

static int parse_trust(struct parser *ps, char *val)
{
	return copy_path(ps, ps->p->trust, val, "trust");
}

static int parse_image_profile(struct parser *ps, char *val)
{
	if (strlen(val) >= sizeof(ps->p->image_profile) || strpbrk(val, "/ \t"))
		return PERR(ps, -EINVAL, "image-profile '%.80s': not a depot image profile name", val);
	strcpy(ps->p->image_profile, val);
	return 0;
}

/* `oci-layers = merged | split` (a container image base: one base.tdk, or one tardisk per layer) */
static int parse_oci_layers(struct parser *ps, char *val)
{
	if (strcmp(val, "merged") && strcmp(val, "split"))
		return PERR(ps, -EINVAL, "oci-layers '%.40s': expected merged or split", val);
	ps->p->oci_split = !strcmp(val, "split");
	return 0;
}

/* Every key: its name in the profile and its parser (given the value, blanks around it stripped, never empty). */
static const struct {
	const char *name;
	int (*parse)(struct parser *ps, char *val);
} keys[NKEYS] = {
	[K_NAME] = { "name", parse_name },
	[K_VERSION] = { "version", parse_version },
	[K_TITLE] = { "title", parse_title },
	[K_KERNEL] = { "kernel", parse_kernel },
	[K_KMODULES] = { "kernel-modules", parse_kmodules },
	[K_KERNELOPT] = { "kernelopt", parse_kernelopt },
	[K_BASE] = { "base", parse_base },
	[K_TIMEOUT] = { "timeout", parse_timeout },
	[K_INIT] = { "init", parse_init },
	[K_ACCEPTANCE] = { "acceptance", parse_acceptance },
	[K_TRUST] = { "trust", parse_trust },
	[K_IMAGE_PROFILE] = { "image-profile", parse_image_profile },
	[K_RESCUE] = { "rescue", parse_rescue },
	[K_DRIVERS] = { "drivers", parse_drivers },
	[K_NETWORK] = { "network", parse_network },
	[K_TARDISK] = { "tardisk", parse_tardisk },
	[K_RAMDISK] = { "ramdisk", parse_ramdisk },
	[K_KMOD] = { "kmod", parse_kmod },
	[K_PACKAGES] = { "packages", parse_packages },
	[K_STICKY] = { "sticky", parse_sticky },
	[K_DEPOT] = { "depot", parse_depot },
	[K_VIB] = { "vib", parse_vib },
	[K_OCI_LAYERS] = { "oci-layers", parse_oci_layers },
};

/* The rescue module (rescue.tdk, the tools of `ramhost rescue`): built with the built-in base unless
 * `rescue = no`; a base of your own brings its own tools (a debootstrap base: its packages). */
static int finish_rescue(struct parser *ps)
{
	struct profile *p = ps->p;
	unsigned i;

	if (strcmp(p->base, PROFILE_BASE_MINIMAL)) {
		if (p->rescue == 1) {
			ps->line = ps->seen[K_RESCUE];
			return PERR(ps, -EINVAL, "rescue = yes is only for 'base = %s' (another base brings the "
						 "rescue tools itself: mtools, syslinux, e2fsprogs, dosfstools)",
				    PROFILE_BASE_MINIMAL);
		}
		p->rescue = 0;
		return 0;
	}
	if (p->rescue < 0)
		p->rescue = 1;
	for (i = 0; p->rescue && i < p->ntardisks; i++)
		if (!strcmp(p->tardisks[i].name, PROFILE_RESCUE_MODULE)) {
			ps->line = p->tardisks[i].line;
			return PERR(ps, -EINVAL, "tardisk name '%s' is reserved for the rescue module (or set "
						 "rescue = no)", PROFILE_RESCUE_MODULE);
		}
	return 0;
}

/* One `key = value` line: split, the key looked up in keys[], a single-valued key refused the second time. */
static int parse_line(struct parser *ps, char *line)
{
	char *eq, *key, *val, *end;
	unsigned k;

	eq = strchr(line, '=');
	if (!eq)
		return PERR(ps, -EINVAL, "expected 'key = value', got '%.60s'", line);
	key = line;
	*eq = '\0';
	for (end = eq; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	for (val = eq + 1; *val == ' ' || *val == '\t'; val++)
		;
	for (k = 0; k < NKEYS; k++)
		if (!strcmp(key, keys[k].name))
			break;
	if (k == NKEYS)
		return PERR(ps, -EINVAL, "unknown key '%.60s'", key);
	if (!*val)
		return PERR(ps, -EINVAL, "%s: empty value", key);
	if (k < K_TARDISK && ps->seen[k])
		return PERR(ps, -EEXIST, "%s is given twice (first on line %u)", key, ps->seen[k]);
	if (!ps->seen[k])
		ps->seen[k] = ps->line;
	return keys[k].parse(ps, val);
}

/* Puts the ramdisks in their fixed order: the known ones (given or defaulted) first, then the others. */
static void finish_ramdisks(struct profile *p)
{
	struct profile_ramdisk out[PROFILE_MAX_RAMDISKS + NKNOWN];
	unsigned n = 0, i, j;

	for (i = 0; i < NKNOWN; i++) {
		for (j = 0; j < p->nramdisks; j++)
			if (!strcmp(p->ramdisks[j].name, known_ramdisks[i].name))
				break;
		if (j < p->nramdisks) {
			out[n++] = p->ramdisks[j];
			continue;
		}
		memset(&out[n], 0, sizeof(out[n]));
		strcpy(out[n].name, known_ramdisks[i].name);
		strcpy(out[n].mountpoint, known_ramdisks[i].mountpoint);
		out[n].size = known_ramdisks[i].size;
		out[n].inodes = known_ramdisks[i].inodes;
		n++;
	}
	for (j = 0; j < p->nramdisks; j++) {
		for (i = 0; i < NKNOWN; i++)
			if (!strcmp(p->ramdisks[j].name, known_ramdisks[i].name))
				break;
		if (i == NKNOWN)
			out[n++] = p->ramdisks[j];
	}
	/* n <= PROFILE_MAX_RAMDISKS: the unknown ones plus the known ones are at most what the parser allowed
	 * plus the defaults; clamp to keep the array bound. */
	if (n > PROFILE_MAX_RAMDISKS)
		n = PROFILE_MAX_RAMDISKS;
	memcpy(p->ramdisks, out, n * sizeof(out[0]));
	p->nramdisks = n;
}

static int finish(struct parser *ps)
{
	struct profile *p = ps->p;
	static const enum key required[] = { K_NAME, K_VERSION, K_KERNEL, K_BASE };
	unsigned i, unknown = 0;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!ps->seen[required[i]])
			return PERR(ps, -EINVAL, "end of file: missing required key '%s'", keys[required[i]].name);
	if (strcmp(p->kernel, PROFILE_KERNEL_DEBIAN) && !p->kernel_modules[0]) {
		ps->line = ps->seen[K_KERNEL];
		return PERR(ps, -EINVAL, "kernel is a path, so 'kernel-modules = DIR' (its lib/modules/<version>) "
					 "is needed too");
	}
	if (!strcmp(p->kernel, PROFILE_KERNEL_DEBIAN) && p->kernel_modules[0]) {
		ps->line = ps->seen[K_KMODULES];
		return PERR(ps, -EINVAL, "kernel-modules is only for a kernel given by path (kernel = debian "
					 "brings its own)");
	}
	for (i = 0; i < p->nramdisks; i++)
		unknown += strcmp(p->ramdisks[i].name, "root") && strcmp(p->ramdisks[i].name, "etc") &&
			   strcmp(p->ramdisks[i].name, "var") && strcmp(p->ramdisks[i].name, "tmp") &&
			   strcmp(p->ramdisks[i].name, "run");
	if (unknown + NKNOWN > PROFILE_MAX_RAMDISKS)
		return PERR(ps, -E2BIG, "too many ramdisks: %u besides root etc var tmp run, at most %u", unknown,
			    (unsigned)(PROFILE_MAX_RAMDISKS - NKNOWN));
	if (!profile_base_is_debootstrap(p) && ps->seen[K_PACKAGES]) {
		ps->line = ps->seen[K_PACKAGES];
		return PERR(ps, -EINVAL, "packages is only for a 'base = debootstrap:SUITE' base");
	}
	for (i = 0; profile_base_gets_layer(p) && i < p->ntardisks; i++)
		if (!strcmp(p->tardisks[i].name, PROFILE_RAMHOST_LAYER)) {
			ps->line = ps->seen[K_BASE];
			return PERR(ps, -EINVAL, "tardisk name '%s' is reserved for the ramhost layer of a "
						 "debootstrap or container image base", PROFILE_RAMHOST_LAYER);
		}
	if ((p->nvibs || p->image_profile[0]) && !p->ndepots) {
		ps->line = p->image_profile[0] ? ps->seen[K_IMAGE_PROFILE] : ps->seen[K_VIB];
		return PERR(ps, -EINVAL, "%s needs at least one 'depot = URL|DIR' to take the VIBs from",
			    p->image_profile[0] ? "image-profile" : "vib");
	}
	if (finish_rescue(ps))
		return -EINVAL;
	if (ps->seen[K_OCI_LAYERS] && !profile_base_is_oci(p)) {
		ps->line = ps->seen[K_OCI_LAYERS];
		return PERR(ps, -EINVAL, "oci-layers is only for a container image base ('base = oci:PATH[:TAG]')");
	}
	if (!ps->seen[K_DRIVERS])
		p->drivers = !profile_base_gets_layer(p) ? 0 : PROFILE_DRIVERS_ALL;
	for (i = 0; p->drivers && i < p->ntardisks; i++)
		if (!strcmp(p->tardisks[i].name, PROFILE_DRIVERS_MODULE)) {
			ps->line = p->tardisks[i].line;
			return PERR(ps, -EINVAL, "tardisk name '%s' is reserved for the drivers tardisk (or set "
						 "drivers = none)", PROFILE_DRIVERS_MODULE);
		}
	if (ps->seen[K_NETWORK] && strcmp(p->base, PROFILE_BASE_MINIMAL) && !profile_base_gets_layer(p)) {
		ps->line = ps->seen[K_NETWORK];
		return PERR(ps, -EINVAL, "network is only for the built-in, debootstrap and container image bases (a "
					 "base of your own configures its network itself)");
	}
	finish_ramdisks(p);
	p->kernel_line = ps->seen[K_KERNEL];
	p->kmodules_line = ps->seen[K_KMODULES];
	p->base_line = ps->seen[K_BASE];
	p->trust_line = ps->seen[K_TRUST];
	if (!p->title[0])
		snprintf(p->title, sizeof(p->title), "%s %s", p->name, p->version);
	if (p->timeout < 0)
		p->timeout = 5;
	if (!p->init[0])
		strcpy(p->init, "/sbin/init");
	return 0;
}

int profile_parse(const char *buf, size_t len, const char *file, const char *basedir, struct profile *ret,
		  struct rh_err *err)
{
	struct parser ps;
	struct profile *p;
	char line[LINE_MAX_LEN];
	size_t pos = 0;
	int rc = 0;

	p = calloc(1, sizeof(*p));
	if (!p)
		return rh_errf(err, -ENOMEM, "%s: out of memory", file);
	p->timeout = -1;
	p->rescue = -1;
	memset(&ps, 0, sizeof(ps));
	ps.file = file ? file : "profile";
	ps.basedir = basedir && *basedir ? basedir : ".";
	ps.p = p;
	ps.err = err;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		char *s, *e;

		ps.line++;
		if (n >= sizeof(line)) {
			rc = PERR(&ps, -E2BIG, "line longer than %d characters", LINE_MAX_LEN - 1);
			goto out;
		}
		if (memchr(buf + pos, '\0', n)) {
			rc = PERR(&ps, -EINVAL, "NUL byte in line");
			goto out;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		for (e = line + n; e > line && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
			;
		*e = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (!*s || *s == '#')
			continue;
		rc = parse_line(&ps, s);
		if (rc)
			goto out;
	}
	rc = finish(&ps);
	if (!rc && file) /* only a real file name: it is also one of the build's inputs (profile_inputs) */
		snprintf(p->file, sizeof(p->file), "%s", file);
	if (!rc)
		memcpy(ret, p, sizeof(*p));
out:
	free(p);
	return rc;
}

int profile_load(const char *path, struct profile *ret, struct rh_err *err)
{
	char dir[PROFILE_MAX_PATH], *slash, *buf = NULL;
	size_t len;
	FILE *f;
	int rc, fd;

	if (strlen(path) >= sizeof(dir))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	rc = rh_open_input_as(path, "profile", &fd, err); /* a directory or a fifo is refused by name */
	if (rc < 0)
		return rc;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return rh_errf(err, -errno, "%s: cannot open profile: %s", path, strerror(errno));
	}
	buf = malloc(1 << 20);
	if (!buf) {
		fclose(f);
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	}
	len = fread(buf, 1, 1 << 20, f);
	if (ferror(f) || len == 1 << 20) {
		rc = ferror(f) ? rh_errf(err, -EIO, "%s: cannot read profile: %s", path, strerror(errno))
			       : rh_errf(err, -EFBIG, "%s: cannot read profile: over 1 MiB", path);
		goto out;
	}
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	/* Resolve relative to an absolute directory, so the paths stay right after a chdir. */
	if (dir[0] != '/') {
		char abs[PATH_MAX];
		if (!realpath(dir, abs) || strlen(abs) >= sizeof(dir)) {
			rc = rh_errf(err, errno ? -errno : -ENAMETOOLONG, "%s: cannot resolve its directory", path);
			goto out;
		}
		strcpy(dir, abs);
	}
	rc = profile_parse(buf, len, path, dir, ret, err);
out:
	free(buf);
	fclose(f);
	return rc;
}

/* What a profile path must be. */
enum want { WANT_FILE, WANT_DIR, WANT_EITHER };

static int base_is_path(const struct profile *p)
{
	return p->base[0] && strncmp(p->base, "builtin:", 8) && !profile_base_gets_layer(p);
}

/* One path of the profile (given by key on line): exists and has the type the build needs. */
static int check_input(const struct profile *p, unsigned line, const char *key, const char *path, enum want want,
		       struct rh_err *err)
{
	const char *what = NULL;
	struct stat st;
	int rc = -EINVAL;

	if (stat(path, &st) < 0) {
		rc = -errno;
		what = errno != ENOENT ? strerror(errno) : want == WANT_DIR ? "no such directory" : "no such file";
	} else if (want == WANT_FILE && !S_ISREG(st.st_mode)) {
		what = S_ISDIR(st.st_mode) ? "is a directory, not a file" : "is not a regular file";
	} else if (want == WANT_DIR && !S_ISDIR(st.st_mode)) {
		what = "is not a directory";
	} else if (want == WANT_EITHER && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		what = "is neither a directory nor a regular file (an archive)";
	}
	if (!what)
		return 0;
	return rh_errf(err, rc, "%s:%u: %s = %s: %s", p->file[0] ? p->file : "profile", line, key, path, what);
}

/* The file of a container image source (oci:PATH[:TAG]) as check_input checks any input. */
static int check_oci_input(const struct profile *p, unsigned line, const char *key, const char *src,
			   struct rh_err *err)
{
	char path[PROFILE_MAX_PATH], tag[256];
	int rc = oci_spec_split(src + strlen(PROFILE_BASE_OCI), path, sizeof(path), tag, sizeof(tag), err);

	return rc ? rc : check_input(p, line, key, path, WANT_EITHER, err);
}

int profile_check_inputs(const struct profile *p, struct rh_err *err)
{
	unsigned i;
	int rc = 0;

	if (strcmp(p->kernel, PROFILE_KERNEL_DEBIAN))
		rc = check_input(p, p->kernel_line, "kernel", p->kernel, WANT_FILE, err);
	if (!rc && p->kernel_modules[0])
		rc = check_input(p, p->kmodules_line, "kernel-modules", p->kernel_modules, WANT_DIR, err);
	if (!rc && base_is_path(p))
		rc = check_input(p, p->base_line, "base", p->base, WANT_EITHER, err);
	if (!rc && profile_base_is_oci(p))
		rc = check_oci_input(p, p->base_line, "base", p->base, err);
	for (i = 0; i < p->ntardisks && !rc; i++)
		rc = oci_source(p->tardisks[i].source, NULL) ?
			check_oci_input(p, p->tardisks[i].line, "tardisk", p->tardisks[i].source, err) :
			check_input(p, p->tardisks[i].line, "tardisk", p->tardisks[i].source, WANT_EITHER, err);
	if (!rc && p->trust[0])
		rc = check_input(p, p->trust_line, "trust", p->trust, WANT_DIR, err);
	return rc;
}

size_t profile_inputs(const struct profile *p, const char **ret)
{
	size_t n = 0;
	unsigned i;

	if (p->file[0])
		ret[n++] = p->file;
	if (strcmp(p->kernel, PROFILE_KERNEL_DEBIAN))
		ret[n++] = p->kernel;
	if (p->kernel_modules[0])
		ret[n++] = p->kernel_modules;
	if (base_is_path(p))
		ret[n++] = p->base;
	else if (profile_base_is_oci(p))
		ret[n++] = p->base + strlen(PROFILE_BASE_OCI);   /* PATH, or PATH:TAG (which no output can be) */
	if (p->trust[0])
		ret[n++] = p->trust;
	for (i = 0; i < p->ntardisks; i++)
		ret[n++] = p->tardisks[i].source + (oci_source(p->tardisks[i].source, NULL) ? strlen(PROFILE_BASE_OCI) : 0);
	return n;
}
