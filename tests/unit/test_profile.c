/* test_profile.c: the image profile parser (image-builder/profile.c), table-driven. */
#include <errno.h>
#include <stdlib.h>

#include "image-builder/profile.h"
#include "unit.h"

#define HEAD "name = demo\nversion = 1.0\nkernel = debian\nbase = builtin:minimal\n"

static struct profile *parse(const char *text, struct rh_err *err, int *rc)
{
	struct profile *p = calloc(1, sizeof(*p));

	rh_err_clear(err);
	*rc = profile_parse(text, strlen(text), "t.profile", "/prof", p, err);
	return p;
}

static void test_minimal_defaults(void)
{
	struct rh_err err;
	int rc;
	struct profile *p = parse(HEAD, &err, &rc);

	CHECK(rc == 0);
	CHECK_STR(p->name, "demo");
	CHECK_STR(p->version, "1.0");
	CHECK_STR(p->title, "demo 1.0");
	CHECK_STR(p->kernel, "debian");
	CHECK_STR(p->base, "builtin:minimal");
	CHECK_STR(p->init, "/sbin/init");
	CHECK(p->timeout == 5);
	CHECK(p->ntardisks == 0 && p->nkmods == 0);
	/* the five known ramdisks, in their fixed order, with the contract's defaults */
	CHECK(p->nramdisks == 5);
	CHECK_STR(p->ramdisks[0].name, "root");
	CHECK_STR(p->ramdisks[0].mountpoint, "/");
	CHECK(p->ramdisks[0].size == 33554432 && p->ramdisks[0].inodes == 8192);
	CHECK_STR(p->ramdisks[1].mountpoint, "/etc");
	CHECK(p->ramdisks[1].size == 8388608 && p->ramdisks[1].inodes == 2048);
	CHECK_STR(p->ramdisks[2].mountpoint, "/var");
	CHECK_STR(p->ramdisks[3].mountpoint, "/tmp");
	CHECK_STR(p->ramdisks[4].mountpoint, "/run");
	CHECK(p->ramdisks[4].size == 16777216 && p->ramdisks[4].inodes == 4096);
	free(p);
}

static void test_full(void)
{
	static const char text[] =
		"# a comment\n"
		"   # an indented comment\n"
		"\n"
		"name=web\r\n"
		"version = 2.3-rc1\n"
		"title =   Web server  \n"
		"kernel = kernels/vmlinuz-6.1\n"
		"kernel-modules = /lib/modules/6.1.0\n"
		"kernelopt = console=ttyS0,115200 loglevel=4 a=b=c\n"
		"base = rootfs.tar.zst\n"
		"tardisk = extras extras\n"
		"tardisk = tools /abs/tools.tar\n"
		"ramdisk = tmp 1G inodes=100\n"
		"ramdisk = scratch 512K mount=/scratch\n"
		"ramdisk = root 48M\n"
		"kmod = virtio-net\n"
		"kmod = virtio_net\n"
		"kmod = e1000\n"
		"timeout = 0\n"
		"init = /lib/systemd/systemd\n";
	struct rh_err err;
	int rc;
	struct profile *p = parse(text, &err, &rc);

	CHECK(rc == 0);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK_STR(p->name, "web");
	CHECK_STR(p->version, "2.3-rc1");
	CHECK_STR(p->title, "Web server");
	CHECK_STR(p->kernel, "/prof/kernels/vmlinuz-6.1");
	CHECK_STR(p->kernel_modules, "/lib/modules/6.1.0");
	CHECK_STR(p->kernelopt, "console=ttyS0,115200 loglevel=4 a=b=c");
	CHECK_STR(p->base, "/prof/rootfs.tar.zst");
	CHECK(p->ntardisks == 2);
	CHECK_STR(p->tardisks[0].name, "extras");
	CHECK_STR(p->tardisks[0].source, "/prof/extras");
	CHECK_STR(p->tardisks[1].source, "/abs/tools.tar");
	CHECK(p->nramdisks == 6);
	CHECK_STR(p->ramdisks[0].name, "root");
	CHECK(p->ramdisks[0].size == 48ull << 20 && p->ramdisks[0].inodes == 8192);
	CHECK_STR(p->ramdisks[3].name, "tmp");
	CHECK(p->ramdisks[3].size == 1ull << 30 && p->ramdisks[3].inodes == 100);
	CHECK_STR(p->ramdisks[5].name, "scratch");
	CHECK_STR(p->ramdisks[5].mountpoint, "/scratch");
	CHECK(p->ramdisks[5].size == 512 * 1024 && p->ramdisks[5].inodes == 1024);
	CHECK(p->nkmods == 2);
	CHECK_STR(p->kmods[0], "virtio_net");
	CHECK_STR(p->kmods[1], "e1000");
	CHECK(p->timeout == 0);
	CHECK_STR(p->init, "/lib/systemd/systemd");
	free(p);
}

static void test_sizes(void)
{
	static const struct {
		const char *in;
		int rc;
		uint64_t want;
	} rows[] = {
		{ "4096", 0, 4096 }, { "64M", 0, 64ull << 20 }, { "1G", 0, 1ull << 30 }, { "512k", 0, 512 * 1024 },
		{ "2T", 0, 2ull << 40 }, { "64MiB", 0, 64ull << 20 }, { "64MB", 0, 64ull << 20 },
		{ "0", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "-1M", -EINVAL, 0 }, { "12Q", -EINVAL, 0 },
		{ "M", -EINVAL, 0 }, { "1G5", -EINVAL, 0 }, { "99999999999999999999", -EINVAL, 0 },
		{ "20000000T", -EINVAL, 0 },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = 0;
		int rc = profile_parse_size(rows[i].in, &v);
		if (rc != rows[i].rc || (rc == 0 && v != rows[i].want)) {
			fprintf(stderr, "  size '%s': rc %d value %llu\n", rows[i].in, rc, (unsigned long long)v);
			unit_failed_now = 1;
		}
	}
}

/* Every bad input: the error names t.profile:LINE and says what was wrong. */
static void test_errors(void)
{
	static const struct {
		const char *text;
		const char *want; /* substring of the message, which starts with t.profile:LINE: */
	} rows[] = {
		{ HEAD "bogus = 1\n", "t.profile:5: unknown key 'bogus'" },
		{ HEAD "no equals sign\n", "t.profile:5: expected 'key = value'" },
		{ HEAD "title =\n", "t.profile:5: title: empty value" },
		{ HEAD "title = a\x1b[2Jb\n", "t.profile:5: title has a control character (byte 0x1b at 2)" },
		{ HEAD "kernelopt = quiet\rx\n", "t.profile:5: kernelopt has a control character (byte 0x0d at 6)" },
		{ HEAD "name = other\n", "t.profile:5: name is given twice (first on line 1)" },
		{ "name = bad/name\n", "t.profile:1: name 'bad/name' is not a valid name" },
		{ "name = .hidden\n", "t.profile:1: name '.hidden' is not a valid name" },
		{ "version = 1 0\n", "t.profile:1: version '1 0' is not a valid name" },
		{ HEAD "timeout = soon\n", "t.profile:5: timeout 'soon'" },
		{ HEAD "timeout = -1\n", "t.profile:5: timeout '-1'" },
		{ HEAD "timeout = 99999\n", "t.profile:5: timeout '99999'" },
		{ HEAD "init = sbin/init\n", "t.profile:5: init 'sbin/init': expected an absolute path" },
		{ HEAD "tardisk = extras\n", "t.profile:5: tardisk: expected 'tardisk = NAME SOURCE'" },
		{ HEAD "tardisk = a b c\n", "t.profile:5: tardisk: expected" },
		{ HEAD "tardisk = base x\n", "t.profile:5: tardisk name 'base' is reserved" },
		{ HEAD "tardisk = a x\ntardisk = a y\n", "t.profile:6: tardisk 'a' is given twice" },
		{ HEAD "tardisk = a/b x\n", "t.profile:5: tardisk name 'a/b' is not a valid name" },
		{ HEAD "ramdisk = tmp\n", "t.profile:5: ramdisk: expected" },
		{ HEAD "ramdisk = tmp lots\n", "t.profile:5: ramdisk 'tmp': bad size 'lots'" },
		{ HEAD "ramdisk = tmp 0\n", "t.profile:5: ramdisk 'tmp': bad size '0'" },
		{ HEAD "ramdisk = tmp 1M inodes=x\n", "t.profile:5: ramdisk 'tmp': bad inode count 'x'" },
		{ HEAD "ramdisk = tmp 1M inodes=0\n", "t.profile:5: ramdisk 'tmp': bad inode count '0'" },
		{ HEAD "ramdisk = tmp 1M color=red\n", "t.profile:5: ramdisk 'tmp': unknown option 'color=red'" },
		{ HEAD "ramdisk = tmp 1M mount=/var/tmp\n", "t.profile:5: ramdisk 'tmp' is always mounted at /tmp" },
		{ HEAD "ramdisk = cache 1M\n", "t.profile:5: ramdisk 'cache': not a known name" },
		{ HEAD "ramdisk = cache 1M mount=rel\n", "t.profile:5: ramdisk 'cache': mount point 'rel'" },
		{ HEAD "ramdisk = cache 1M mount=/a/../b\n", "t.profile:5: ramdisk 'cache': mount point" },
		{ HEAD "ramdisk = var 1M\nramdisk = var 2M\n", "t.profile:6: ramdisk 'var' is given twice" },
		{ HEAD "ramdisk = a 1M mount=/x\nramdisk = b 1M mount=/x\n",
		  "t.profile:6: ramdisk 'b': mount point /x is already ramdisk 'a'" },
		{ HEAD "kmod = virtio.net\n", "t.profile:5: kmod 'virtio.net': bad module name" },
		{ HEAD "base = builtin:huge\n", "t.profile:5: base is given twice (first on line 4)" },
		{ "name = a\nversion = 1\nkernel = debian\nbase = builtin:huge\n",
		  "t.profile:4: base 'builtin:huge': unknown built-in base" },
		{ "name = a\nversion = 1\nkernel = debian\n", "t.profile:3: end of file: missing required key 'base'" },
		{ "name = a\nversion = 1\nkernel = debian\nbase = oci:\n", "t.profile:4: base 'oci:': expected 'oci:PATH[:TAG]'" },
		{ "name = a\nversion = 1\nkernel = debian\nbase = oci:img\ntardisk = ramhost x\n",
		  "tardisk name 'ramhost' is reserved for the ramhost layer of a debootstrap or container image base" },
		{ "name = a\nversion = 1\nkernel = debian\nbase = oci:img\npackages = vim\n",
		  "t.profile:5: packages is only for a 'base = debootstrap:SUITE' base" },
		{ "name = a\nversion = 1\nkernel = debian\nbase = oci:img\noci-layers = layered\n",
		  "t.profile:5: oci-layers 'layered': expected merged or split" },
		{ HEAD "oci-layers = split\n", "t.profile:5: oci-layers is only for a container image base" },
		{ HEAD "tardisk = base-2 x\n", "t.profile:5: tardisk name 'base-2' is reserved for the base image" },
		{ HEAD "tardisk = app oci:\n", "t.profile:5: tardisk 'oci:': expected 'oci:PATH[:TAG]'" },
		{ "version = 1\nkernel = debian\nbase = x\n", "t.profile:3: end of file: missing required key 'name'" },
		{ "", "t.profile:0: end of file: missing required key 'name'" },
		{ "name = a\nversion = 1\nkernel = ./vmlinuz\nbase = x\n",
		  "t.profile:3: kernel is a path, so 'kernel-modules = DIR'" },
		{ HEAD "kernel-modules = /lib/modules/x\n", "t.profile:5: kernel-modules is only for a kernel given by path" },
		{ HEAD "sticky = etc/hostname\n", "t.profile:5: sticky 'etc/hostname': not an absolute path" },
		{ HEAD "sticky = /\n", "t.profile:5: sticky '/': '/' would make everything sticky" },
		{ HEAD "sticky = /etc/../x\n", "t.profile:5: sticky '/etc/../x': an empty, '.' or '..' component" },
		{ HEAD "sticky = /etc/./x\n", "t.profile:5: sticky '/etc/./x': an empty" },
		{ HEAD "sticky = /etc//x\n", "t.profile:5: sticky '/etc//x': an empty" },
		{ HEAD "sticky = /etc//\n", "t.profile:5: sticky '/etc//': an empty" },
		{ HEAD "sticky = /etc/a\tb\n", "t.profile:5: sticky '/etc/a\tb': a control character" },
		{ HEAD "sticky = /tmp/x\n", "t.profile:5: sticky '/tmp/x': below a directory that is never saved" },
		{ HEAD "sticky = /usr\n", "t.profile:5: sticky '/usr': below a directory that is never saved" },
		{ HEAD "sticky = /run/ramhost/*\n", "t.profile:5: sticky '/run/ramhost/*': below" },
		{ HEAD "sticky = /proc/\n", "t.profile:5: sticky '/proc/': below" },
		{ HEAD "sticky = /etc/a\nsticky = /etc/b\nsticky = /etc/a/\n", "t.profile:7: sticky '/etc/a' is given twice" },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err;
		int rc;
		struct profile *p = parse(rows[i].text, &err, &rc);
		if (rc >= 0 || !strstr(err.msg, rows[i].want) || strncmp(err.msg, "t.profile:", 10)) {
			fprintf(stderr, "  row %u: rc %d, message '%s', want '%s'\n", i, rc, err.msg, rows[i].want);
			unit_failed_now = 1;
		}
		free(p);
	}
}

/* base = oci:PATH[:TAG]: PATH made absolute against the profile's directory, the tag kept; such a base gets
 * the ramhost layer's defaults (all drivers, DHCP) and takes a network key. */
static void test_oci_base(void)
{
	struct rh_err err;
	int rc;
	struct profile *p = parse("name = a\nversion = 1\nkernel = debian\nbase = oci:images/deb:v1\n"
				  "network = static 192.0.2.10/24 gateway=192.0.2.1\n", &err, &rc);

	CHECK(rc == 0);
	CHECK_STR(p->base, "oci:/prof/images/deb:v1");
	CHECK(profile_base_is_oci(p) && profile_base_gets_layer(p) && !profile_base_is_debootstrap(p));
	CHECK(p->drivers == PROFILE_DRIVERS_ALL && p->network.mode == PROFILE_NET_STATIC);
	CHECK(!p->oci_split);   /* merged unless asked */
	free(p);
	p = parse("name = a\nversion = 1\nkernel = debian\nbase = oci:/abs/img.tar\noci-layers = split\n"
		  "tardisk = app oci:apps/app.tar:v2\n", &err, &rc);
	CHECK(rc == 0);
	CHECK_STR(p->base, "oci:/abs/img.tar");
	CHECK(p->oci_split);
	CHECK_STR(p->tardisks[0].source, "oci:/prof/apps/app.tar:v2");   /* a tardisk's image path made absolute too */
	free(p);
}

/* The module names of a split container image base's layers: the one rule. */
static void test_base_layer_names(void)
{
	char buf[PROFILE_MAX_NAME];

	profile_base_layer_name(0, buf, sizeof(buf));
	CHECK_STR(buf, "base");
	profile_base_layer_name(1, buf, sizeof(buf));
	CHECK_STR(buf, "base-2");
	profile_base_layer_name(47, buf, sizeof(buf));
	CHECK_STR(buf, "base-48");
	CHECK(profile_base_layer_reserved("base") && profile_base_layer_reserved("base-48"));
	CHECK(!profile_base_layer_reserved("base-") && !profile_base_layer_reserved("base-tools") &&
	      !profile_base_layer_reserved("base2"));
}

/* sticky = lines: kept in file order, trailing '/' dropped, globs and names that only start like a never-saved
 * directory accepted; at most PROFILE_MAX_STICKY of them, each at most PROFILE_MAX_PATTERN - 1 long. */
static void test_sticky(void)
{
	static const char text[] = HEAD
		"sticky = /etc/hostname\n"
		"sticky=/etc/ssh/ssh_host_*\n"
		"sticky = /var/lib/demo/\n"
		"sticky = /tmpfiles.conf\n"
		"sticky = /root/my notes.txt\n"
		"sticky = /*/keep\n";
	char *big = malloc(PROFILE_MAX_STICKY * 40 + 4096);
	struct rh_err err;
	struct profile *p;
	unsigned i;
	int rc;

	p = parse(HEAD, &err, &rc);
	CHECK(rc == 0 && p->nsticky == 0);
	free(p);
	p = parse(text, &err, &rc);
	CHECK(rc == 0);
	CHECK(p->nsticky == 6);
	CHECK_STR(p->sticky[0], "/etc/hostname");
	CHECK_STR(p->sticky[1], "/etc/ssh/ssh_host_*");
	CHECK_STR(p->sticky[2], "/var/lib/demo");
	CHECK_STR(p->sticky[3], "/tmpfiles.conf");
	CHECK_STR(p->sticky[4], "/root/my notes.txt");
	CHECK_STR(p->sticky[5], "/*/keep");
	free(p);

	/* 64 lines are fine, the 65th is refused with its line number */
	strcpy(big, HEAD);
	for (i = 0; i < PROFILE_MAX_STICKY; i++)
		sprintf(big + strlen(big), "sticky = /etc/f%u\n", i);
	p = parse(big, &err, &rc);
	CHECK(rc == 0 && p->nsticky == PROFILE_MAX_STICKY);
	free(p);
	strcat(big, "sticky = /etc/one-more\n");
	p = parse(big, &err, &rc);
	CHECK(rc == -E2BIG && strstr(err.msg, "t.profile:69: sticky '/etc/one-more': more than 64 sticky lines"));
	free(p);

	/* a pattern of PROFILE_MAX_PATTERN - 1 characters fits, one more does not */
	strcpy(big, HEAD "sticky = /");
	memset(big + strlen(big), 'a', PROFILE_MAX_PATTERN - 2);
	big[strlen(HEAD) + 10 + PROFILE_MAX_PATTERN - 2] = '\0';
	p = parse(big, &err, &rc);
	CHECK(rc == 0 && p->nsticky == 1 && strlen(p->sticky[0]) == PROFILE_MAX_PATTERN - 1);
	free(p);
	strcat(big, "a");
	p = parse(big, &err, &rc);
	CHECK(rc == -E2BIG && strstr(err.msg, "t.profile:5: sticky '/aaa") && strstr(err.msg, "longer than 255"));
	free(p);

	/* the validator on its own */
	CHECK(sticky_pattern_invalid("/etc/shadow") == NULL);
	CHECK(sticky_pattern_invalid("/optional") == NULL);
	CHECK(sticky_pattern_invalid("/opt/x") != NULL);
	CHECK(sticky_pattern_invalid("/etc/..") != NULL);
	CHECK(sticky_pattern_invalid("relative") != NULL);
	free(big);
}

static void test_nul_and_long_lines(void)
{
	static const char nul[] = HEAD "title = a\0b\n";
	struct profile *p = calloc(1, sizeof(*p));
	char *big = malloc(10000);
	struct rh_err err;
	int rc;

	rh_err_clear(&err);
	rc = profile_parse(nul, sizeof(nul) - 1, "t.profile", "/", p, &err);
	CHECK(rc == -EINVAL && strstr(err.msg, "t.profile:5: NUL byte"));
	memset(big, 'a', 9999);
	big[9999] = '\0';
	memcpy(big, "title = ", 8);
	rh_err_clear(&err);
	rc = profile_parse(big, strlen(big), "t.profile", "/", p, &err);
	CHECK(rc == -E2BIG && strstr(err.msg, "t.profile:1: line longer than"));
	/* on failure the output is untouched */
	memset(p, 0x5a, sizeof(*p));
	rc = profile_parse("bogus", 5, "t.profile", "/", p, &err);
	CHECK(rc < 0 && ((unsigned char *)p)[0] == 0x5a);
	free(big);
	free(p);
}

int main(void)
{
	RUN(test_minimal_defaults);
	RUN(test_full);
	RUN(test_sizes);
	RUN(test_errors);
	RUN(test_oci_base);
	RUN(test_base_layer_names);
	RUN(test_sticky);
	RUN(test_nul_and_long_lines);
	UNIT_EXIT();
}
