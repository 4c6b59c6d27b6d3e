/* test_bootcfg.c: boot.cfg parsing (ESXi syntax and ramhost's hash lines), errors, and the writer round trip. */
#include <errno.h>

#include "bootcfg.h"
#include "unit.h"

#define H1 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define H2 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* An ESXi 7 boot.cfg, abridged, with CRLF line ends, comments and keys ramhost does not know. */
static const char esxi[] =
	"bootstate=0\r\n"
	"title=Loading VMware ESXi\r\n"
	"timeout=5\r\n"
	"# a comment\r\n"
	"prefix=\r\n"
	"kernel=b.b00\r\n"
	"kernelopt=autoPartition=FALSE\r\n"
	"modules=jumpstrt.gz --- useropts.gz --- features.gz --- k.b00 --- uc_intel.b00 --- s.v00\r\n"
	"build=7.0.3-0.20.19193900\r\n"
	"updated=1\r\n"
	"cpuUniformityHardCheckPanic=FALSE\r\n"
	"\r\n";

static void test_esxi_file(void)
{
	struct bootcfg c;
	struct bootcfg_error e = { 0, 0 };

	CHECK(bootcfg_parse(esxi, sizeof(esxi) - 1, &c, &e) == 0);
	CHECK(c.bootstate == BOOTSTATE_VALID);
	CHECK_STR(c.title, "Loading VMware ESXi");
	CHECK(c.timeout == 5);
	CHECK_STR(c.prefix, "");
	CHECK_STR(c.kernel.name, "b.b00");
	CHECK_STR(c.kernelopt, "autoPartition=FALSE");
	CHECK(c.nmodules == 6);
	CHECK_STR(c.modules[0].name, "jumpstrt.gz");
	CHECK_STR(c.modules[5].name, "s.v00");
	CHECK_STR(c.build, "7.0.3-0.20.19193900");
	CHECK(c.updated == 1);
	CHECK(!c.modules[0].has_sha256 && !c.kernel.has_sha256);
}

static void test_hashes_and_lookup(void)
{
	static const char txt[] = "hash.base.tdk=sha256:" H1 "\n"     /* before modules=: still attached */
				  "kernel=vmlinuz\nmodules=init.cpio --- base.tdk\n"
				  "hash.vmlinuz=sha256:" H2 "\nhash.init.cpio=sha256:" H2 "\n";
	struct bootcfg c;
	const struct bootcfg_file *m;
	uint8_t d[32];

	CHECK(bootcfg_parse(txt, sizeof(txt) - 1, &c, NULL) == 0);
	CHECK(c.kernel.has_sha256);
	m = bootcfg_find_module(&c, "base.tdk");
	CHECK(m && m->has_sha256);
	sha256_from_hex(H1, 64, d);
	CHECK(m && memcmp(m->sha256, d, 32) == 0);
	CHECK(bootcfg_find_module(&c, "nope.tdk") == NULL);
	CHECK(c.timeout == -1 && c.bootstate == -1);
}

static void test_find_by_basename(void)
{
	static const char txt[] = "kernel=/bootbank/vmlinuz\nmodules=/bootbank/init.cpio --- /bootbank/base.tdk\n";
	struct bootcfg c;

	CHECK(bootcfg_parse(txt, sizeof(txt) - 1, &c, NULL) == 0);
	CHECK(bootcfg_find_module(&c, "base.tdk") == &c.modules[1]);
	CHECK(bootcfg_find_module(&c, "/bootbank/base.tdk") == &c.modules[1]);
	CHECK(bootcfg_find_module(&c, "other/base.tdk") == NULL);
}

static void test_errors(void)
{
	static const struct {
		const char *txt;
		int rc;
		unsigned line;
		const char *what_part;
	} rows[] = {
		{ "kernel=a\nnonsense line\n", -EINVAL, 2, "key=value" },
		{ "=value\n", -EINVAL, 1, "empty key" },
		{ "timeout=soon\n", -EINVAL, 1, "timeout" },
		{ "timeout=-1\n", -EINVAL, 1, "timeout" },
		{ "bootstate=4\n", -EINVAL, 1, "bootstate" },
		{ "updated=99999999999999999999\n", -EINVAL, 1, "updated" },
		{ "modules=--- a\n", -EINVAL, 1, "starts with" },
		{ "modules=a --- --- b\n", -EINVAL, 1, "empty entry" },
		{ "modules=a ---\n", -EINVAL, 1, "empty entry" },
		{ "modules=a b\n", -EINVAL, 1, "separated" },
		{ "kernel=k\nmodules=a --- base.tdk --- base.tdk\nhash.base.tdk=sha256:" H1 "\n", -EINVAL, 2, "same file twice" },
		{ "kernel=a b\n", -EINVAL, 1, "kernel" },
		{ "kernel=\n", -EINVAL, 1, "kernel" },
		{ "kernel=k\nhash.k=sha256:1234\n", -EINVAL, 2, "64 hex" },
		{ "kernel=k\nhash.k=md5:" H1 "\n", -EINVAL, 2, "sha256:" },
		{ "kernel=k\nmodules=a\nhash.b=sha256:" H1 "\n", -EINVAL, 3, "neither" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bootcfg c;
		struct bootcfg_error e = { 0, 0 };
		int rc = bootcfg_parse(rows[i].txt, strlen(rows[i].txt), &c, &e);

		if (rc != rows[i].rc || e.line != rows[i].line || !e.what || !strstr(e.what, rows[i].what_part)) {
			fprintf(stderr, "  row %zu: rc %d line %u what '%s'\n", i, rc, e.line, e.what ? e.what : "");
			CHECK(0);
		}
	}
}

static void test_limits(void)
{
	static char big[BOOTCFG_MAX_LINE + 64];
	char mods[64 * 8 + 16];
	struct bootcfg c;
	struct bootcfg_error e;
	size_t n = 0;
	int i;

	/* a line over the limit */
	memcpy(big, "title=", 6);
	memset(big + 6, 'x', BOOTCFG_MAX_LINE);
	CHECK(bootcfg_parse(big, 6 + BOOTCFG_MAX_LINE, &c, &e) == -E2BIG);
	/* 65 modules */
	n = (size_t)sprintf(mods, "modules=m0");
	for (i = 1; i < 65; i++)
		n += (size_t)sprintf(mods + n, " --- m%d", i);
	CHECK(bootcfg_parse(mods, n, &c, &e) == -E2BIG);
	/* 64 are fine */
	n = (size_t)sprintf(mods, "modules=m0");
	for (i = 1; i < 64; i++)
		n += (size_t)sprintf(mods + n, " --- m%d", i);
	CHECK(bootcfg_parse(mods, n, &c, &e) == 0 && c.nmodules == 64);
	/* an embedded NUL is refused, not silently truncated */
	CHECK(bootcfg_parse("title=a\0b\n", 10, &c, &e) == -EINVAL);
	/* a last line without a newline still counts; a repeated key keeps its last value */
	CHECK(bootcfg_parse("timeout=1\ntimeout=7", 19, &c, &e) == 0 && c.timeout == 7);
}

/* installopt=: the Install entry's extra options on an installable ISO; absent everywhere else. */
static void test_installopt(void)
{
	static const char iso[] = "kernel=vmlinuz\nkernelopt=console=ttyS0\n"
				  "installopt=  ramhost.install=auto ramhost.ks=/install/ks.cfg \t\r\nmodules=a\n";
	static const char menu[] = "# image iso\ninstallopt=ramhost.install=auto\n";
	static char big[BOOTCFG_MAX_TEXT + 32];
	struct bootcfg c, d;
	struct bootcfg_error e = { 0, 0 };
	char text[8192];
	long n;

	CHECK(bootcfg_parse(iso, sizeof(iso) - 1, &c, &e) == 0);
	CHECK_STR(c.installopt, "ramhost.install=auto ramhost.ks=/install/ks.cfg");
	CHECK_STR(c.kernelopt, "console=ttyS0");
	n = bootcfg_format(&c, text, sizeof(text));
	CHECK(n > 0 && strstr(text, "\ninstallopt=ramhost.install=auto ramhost.ks=/install/ks.cfg\n") != NULL);
	CHECK(bootcfg_parse(text, (size_t)n, &d, NULL) == 0 && memcmp(&c, &d, sizeof(c)) == 0);
	/* the ISO's /install/menu.cfg (BOOTCFG_ISO_INSTALL_CFG): a comment and installopt= alone parse */
	CHECK(bootcfg_parse(menu, sizeof(menu) - 1, &c, &e) == 0 &&
	      !strcmp(c.installopt, "ramhost.install=auto") && !c.kernel.name[0] && c.nmodules == 0);
	/* a disk's boot.cfg has none, and its text gets no installopt= line */
	CHECK(bootcfg_parse(esxi, sizeof(esxi) - 1, &c, NULL) == 0 && c.installopt[0] == '\0');
	n = bootcfg_format(&c, text, sizeof(text));
	CHECK(n > 0 && strstr(text, "installopt") == NULL);
	/* an empty value is the same as none; a repeated key keeps the last */
	CHECK(bootcfg_parse("installopt=a\ninstallopt=\n", 25, &c, NULL) == 0 && c.installopt[0] == '\0');
	CHECK(bootcfg_parse("installopt=a\ninstallopt=b\n", 26, &c, NULL) == 0 && !strcmp(c.installopt, "b"));
	/* too long: named */
	n = sprintf(big, "installopt=");
	memset(big + n, 'x', BOOTCFG_MAX_TEXT);
	CHECK(bootcfg_parse(big, (size_t)n + BOOTCFG_MAX_TEXT, &c, &e) == -E2BIG && e.line == 1 &&
	      e.what && strstr(e.what, "installopt="));
}

static void test_roundtrip(void)
{
	struct bootcfg a, b;
	char text[8192];
	long n;

	bootcfg_init(&a);
	strcpy(a.title, "ramhost demo 1.0");
	strcpy(a.kernelopt, "console=ttyS0,115200 quiet");
	strcpy(a.installopt, "ramhost.install=auto");
	strcpy(a.kernel.name, "vmlinuz");
	a.kernel.has_sha256 = 1;
	sha256_from_hex(H1, 64, a.kernel.sha256);
	a.nmodules = 2;
	strcpy(a.modules[0].name, "init.cpio");
	strcpy(a.modules[1].name, "base.tdk");
	a.modules[1].has_sha256 = 1;
	sha256_from_hex(H2, 64, a.modules[1].sha256);
	a.timeout = 3;
	a.bootstate = BOOTSTATE_UPGRADING;
	a.updated = 42;
	strcpy(a.build, "demo-1.0");
	n = bootcfg_format(&a, text, sizeof(text));
	CHECK(n > 0 && (size_t)n == strlen(text));
	CHECK(strstr(text, "modules=init.cpio --- base.tdk\n") != NULL);
	CHECK(strstr(text, "hash.base.tdk=sha256:" H2 "\n") != NULL);
	CHECK(bootcfg_parse(text, (size_t)n, &b, NULL) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	/* too small a buffer is an error, never a truncated file */
	CHECK(bootcfg_format(&a, text, 40) == -E2BIG);
}

int main(void)
{
	RUN(test_esxi_file);
	RUN(test_hashes_and_lookup);
	RUN(test_find_by_basename);
	RUN(test_errors);
	RUN(test_limits);
	RUN(test_installopt);
	RUN(test_roundtrip);
	UNIT_EXIT();
}
