/* test_apt_sources.c: the mirror of a suite from apt's sources (image-builder/apt_sources.c), table-driven,
 * plus the debootstrap cache key and the profile's `base = debootstrap:SUITE` / `packages =` keys. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-builder/apt_sources.h"
#include "image-builder/debootstrap.h"
#include "image-builder/profile.h"
#include "fileio.h"
#include "unit.h"

static const char machine[] =
	"Types: deb\n"
	"# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
	"URIs: http://deb.example.org/debian\n"
	"Suites: bookworm bookworm-updates\n"
	"Components: main\n"
	"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
	"\n"
	"Types: deb\n"
	"URIs: http://deb.example.org/debian-security\n"
	"Suites: bookworm-security\n"
	"Components: main\n";

static void test_deb822(void)
{
	static const struct {
		const char *text, *suite;
		int rc;
		const char *uri;
	} rows[] = {
		{ machine, "bookworm", 0, "http://deb.example.org/debian" },
		{ machine, "bookworm-updates", 0, "http://deb.example.org/debian" },
		{ machine, "bookworm-security", 0, "http://deb.example.org/debian-security" },
		{ machine, "trixie", -ENOENT, NULL },
		{ machine, "bookwor", -ENOENT, NULL },
		/* deb-src only, disabled, or a method debootstrap cannot use: skipped */
		{ "Types: deb-src\nURIs: http://a/d\nSuites: bookworm\n", "bookworm", -ENOENT, NULL },
		{ "Types: deb\nURIs: http://a/d\nSuites: bookworm\nEnabled: no\n\nTypes: deb\nURIs: http://b/d\n"
		  "Suites: bookworm\n", "bookworm", 0, "http://b/d" },
		{ "Types: deb\nURIs: mirror+file:/etc/m.txt https://c/d\nSuites: bookworm\n", "bookworm", 0, "https://c/d" },
		{ "Types: deb\nURIs: cdrom:[x]/\nSuites: bookworm\n", "bookworm", -ENOENT, NULL },
		/* field names in any case, URIs on a continuation line, CRLF, multi-line Signed-By */
		{ "types: deb deb-src\r\nuris:\r\n file:/srv/mirror\r\nSuites: bookworm\r\nSigned-By:\r\n -----BEGIN\r\n"
		  " .\r\n", "bookworm", 0, "file:/srv/mirror" },
		{ "Types deb\n", "bookworm", -EINVAL, NULL },
		{ "", "bookworm", -ENOENT, NULL },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char uri[APT_URI_MAX] = "";
		struct rh_err err = { 0 };
		int rc = apt_sources_deb822_find(rows[i].text, strlen(rows[i].text), "x.sources", rows[i].suite, uri,
						 sizeof(uri), &err);
		if (rc != rows[i].rc)
			fprintf(stderr, "  row %u: rc %d, want %d (%s)\n", i, rc, rows[i].rc, err.msg);
		CHECK(rc == rows[i].rc);
		if (rows[i].uri)
			CHECK_STR(uri, rows[i].uri);
		if (rc == -EINVAL)
			CHECK(!strncmp(err.msg, "x.sources:1: ", 13));
	}
}

static void test_list(void)
{
	static const struct {
		const char *text, *suite;
		int rc;
		const char *uri;
	} rows[] = {
		{ "deb http://a/debian bookworm main\n", "bookworm", 0, "http://a/debian" },
		{ "# deb http://x/ bookworm main\ndeb-src http://y/ bookworm main\n"
		  "deb [arch=amd64 signed-by=/k.gpg] https://z/debian bookworm main contrib\n", "bookworm", 0,
		  "https://z/debian" },
		{ "deb http://a/debian bookworm-updates main\n", "bookworm", -ENOENT, NULL },
		{ "deb [arch=amd64 http://a/ bookworm\n", "bookworm", -ENOENT, NULL },
		{ "deb cdrom:[Debian]/ bookworm main\n", "bookworm", -ENOENT, NULL },
		{ "deb\n  \n", "bookworm", -ENOENT, NULL },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char uri[APT_URI_MAX] = "";
		struct rh_err err = { 0 };
		int rc = apt_sources_list_find(rows[i].text, strlen(rows[i].text), "sources.list", rows[i].suite, uri,
					       sizeof(uri), &err);
		CHECK(rc == rows[i].rc);
		if (rows[i].uri)
			CHECK_STR(uri, rows[i].uri);
	}
}

/* A fake root: deb822 files win over sources.list; the message names the files when nothing matches. */
static void test_mirror_from_root(void)
{
	char root[] = "/tmp/test_apt_sources.XXXXXX", path[256], uri[APT_URI_MAX];
	struct rh_err err = { 0 };
	FILE *f;

	CHECK(mkdtemp(root) != NULL);
	snprintf(path, sizeof(path), "%s/etc/apt/sources.list.d", root);
	CHECK(rh_mkdir_p(path, 0755, NULL) == 0);
	snprintf(path, sizeof(path), "%s/etc/apt/sources.list", root);
	f = fopen(path, "w");
	fputs("deb http://list/debian bookworm main\n", f);
	fclose(f);
	CHECK(apt_sources_mirror(root, "bookworm", uri, sizeof(uri), &err) == 0);
	CHECK_STR(uri, "http://list/debian");
	snprintf(path, sizeof(path), "%s/etc/apt/sources.list.d/debian.sources", root);
	f = fopen(path, "w");
	fputs(machine, f);
	fclose(f);
	CHECK(apt_sources_mirror(root, "bookworm", uri, sizeof(uri), &err) == 0);
	CHECK_STR(uri, "http://deb.example.org/debian");
	CHECK(apt_sources_mirror(root, "sid", uri, sizeof(uri), &err) == -ENOENT);
	CHECK(strstr(err.msg, "no apt source for suite 'sid'") != NULL);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	CHECK(system(path) == 0);
}

static void test_cache_key(void)
{
	char a[17], b[17], c[17], d[17];

	CHECK(debootstrap_cache_key("bookworm", "systemd-sysv openssh-server", "http://m/debian", a, NULL) == 0);
	CHECK(debootstrap_cache_key("bookworm", "openssh-server,systemd-sysv systemd-sysv", "http://m/debian", b,
				    NULL) == 0);
	CHECK(debootstrap_cache_key("bookworm", "systemd-sysv openssh-server", "http://n/debian", c, NULL) == 0);
	CHECK(debootstrap_cache_key("trixie", "systemd-sysv openssh-server", "http://m/debian", d, NULL) == 0);
	CHECK(strlen(a) == 16);
	CHECK_STR(a, b);  /* order and duplicates do not matter */
	CHECK(strcmp(a, c) != 0);
	CHECK(strcmp(a, d) != 0);
}

#define HEAD "name = d\nversion = 1\nkernel = debian\n"

static void test_profile_keys(void)
{
	static const struct {
		const char *text;
		const char *base, *packages, *err;
	} rows[] = {
		{ HEAD "base = debootstrap:bookworm\npackages = systemd-sysv openssh-server\npackages = dbus, "
		  "systemd-sysv\n", "debootstrap:bookworm", "systemd-sysv openssh-server dbus", NULL },
		{ HEAD "base = debootstrap:bookworm\n", "debootstrap:bookworm", "", NULL },
		{ HEAD "base = debootstrap:\n", NULL, NULL, "t.profile:4: base 'debootstrap:': expected" },
		{ HEAD "base = debootstrap:Bookworm\n", NULL, NULL, "t.profile:4: base 'debootstrap:Bookworm'" },
		{ HEAD "base = debootstrap:bookworm\npackages = Systemd\n", NULL, NULL,
		  "t.profile:5: packages: 'Systemd' is not a Debian package name" },
		{ HEAD "base = builtin:minimal\npackages = dbus\n", NULL, NULL,
		  "t.profile:5: packages is only for a 'base = debootstrap:SUITE' base" },
		{ HEAD "tardisk = ramhost x\nbase = debootstrap:bookworm\n", NULL, NULL,
		  "t.profile:5: tardisk name 'ramhost' is reserved" },
		{ HEAD "tardisk = ramhost x\nbase = builtin:minimal\n", "builtin:minimal", "", NULL },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct profile *p = calloc(1, sizeof(*p));
		struct rh_err err = { 0 };
		int rc = profile_parse(rows[i].text, strlen(rows[i].text), "t.profile", "/prof", p, &err);

		if (rows[i].err) {
			CHECK(rc < 0);
			if (strncmp(err.msg, rows[i].err, strlen(rows[i].err)))
				fprintf(stderr, "  row %u: got '%s'\n", i, err.msg);
			CHECK(!strncmp(err.msg, rows[i].err, strlen(rows[i].err)));
		} else {
			CHECK(rc == 0);
			CHECK_STR(p->base, rows[i].base);
			CHECK_STR(p->packages, rows[i].packages);
		}
		free(p);
	}
}

int main(void)
{
	RUN(test_deb822);
	RUN(test_list);
	RUN(test_mirror_from_root);
	RUN(test_cache_key);
	RUN(test_profile_keys);
	UNIT_EXIT();
}
