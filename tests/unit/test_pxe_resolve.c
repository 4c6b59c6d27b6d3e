/* test_pxe_resolve.c: pxe_resolve (pxe-server/resolve.c) over a real image directory made here, and what
 * bootgen makes: every refusal of the namespace (a table), every namespace entry, query facts, the per-host iPXE
 * script, the "no rule matches" script, the per-host boot.cfg, its signature (verified with OpenSSL's
 * EVP_DigestVerify against the certificate), bootcfg.cpio, the state module, artifact-url; and image loading
 * (missing artifact, missing hash, a certificate that differs, the warning for an unsigned server). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cpio.h"
#include "fs.h"
#include "pxe-server/pxe_int.h"
#include "sha256.h"
#include "unit.h"

static char dir[128];
static char khex[SHA256_HEX_LEN + 1], mhex[SHA256_HEX_LEN + 1];

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK(fs_write_file(path, text, strlen(text), 0644, NULL) == 0);
}

/* dir/img: image.conf, boot.cfg (kernel vmlinuz, module init.cpio), a/HEX of both, ramhost.efi. */
static void make_image(const char *cert_hex)
{
	static const char k[] = "kernel bytes\n", m[] = "init module bytes\n";
	uint8_t d[32];
	char name[128], text[1024];

	snprintf(text, sizeof(text), "%s/img/a", dir);
	CHECK(rh_mkdir_p(text, 0755, NULL) == 0);
	sha256_buf(k, strlen(k), d);
	sha256_to_hex(d, khex);
	sha256_buf(m, strlen(m), d);
	sha256_to_hex(d, mhex);
	snprintf(name, sizeof(name), "img/a/%s", khex);
	write_file(name, k);
	snprintf(name, sizeof(name), "img/a/%s", mhex);
	write_file(name, m);
	snprintf(text, sizeof(text), "name=demo\nbuild=7\nserver-cert-sha256=%s\n", cert_hex);
	write_file("img/image.conf", text);
	snprintf(text, sizeof(text), "title=Demo\nkernel=vmlinuz\nmodules=init.cpio\nkernelopt=console=ttyS0\n"
		 "hash.vmlinuz=sha256:%s\nhash.init.cpio=sha256:%s\n", khex, mhex);
	write_file("img/boot.cfg", text);
	write_file("img/ramhost.efi", "MZ loader\n");
	snprintf(text, sizeof(text), "%s/ipxe", dir);
	mkdir(text, 0755);
	write_file("ipxe/undionly.kpxe", "undi\n");
}

static const char conf_tail[] =
	"image demo img\n"
	"rule web\n"
	"    match mac 52:54:00:12:*\n"
	"    image demo\n"
	"    kernelopt quiet\n"
	"    hostname web-{mac}\n"
	"rule sn\n"
	"    match serial SN-0*\n"
	"    image demo\n"
	"    state none\n";

static struct pxe_config *load_conf(const char *head, struct rh_err *err)
{
	char path[PATH_MAX + 16], text[8192];
	struct pxe_config *cfg = NULL;

	snprintf(text, sizeof(text), "mode = off\nipxe-dir = ipxe\nstate-dir = %s/state\n%s%s", dir, head, conf_tail);
	write_file("pxe.conf", text);
	snprintf(path, sizeof(path), "%s/pxe.conf", dir);
	rh_err_clear(err);
	if (pxe_config_load(path, &cfg, err) < 0)
		return NULL;
	return cfg;
}

static void server(struct pxe_server *srv)
{
	memset(srv, 0, sizeof(*srv));
	srv->server_ip = 0x0a000001;
	srv->http_port = 8080;
}

static int resolve(struct pxe_config *cfg, const char *path, const char *query, struct pxe_obj *o,
		   struct rh_err *err)
{
	struct pxe_server srv;

	server(&srv);
	rh_err_clear(err);
	return pxe_resolve(&srv, cfg, path, query, NULL, o, err);
}

static void test_refusals(void)
{
	static const char *const bad[] = {
		"", "/boot.ipxe", "../etc/passwd", "a/../boot.ipxe", "a//x", "boot.ipxe/", "x\001y", "a\\b",
		"etc/passwd", "a/XYZ", "a/0123", "img/demo/vmlinuz", "img/demo", "ipxe/evil.efi", "ipxe/",
		"host/zz-zz/boot.ipxe", "host/52-54-00-12-34-56/passwd", "host/52-54-00-12-34-56/state/x.cpio",
		"host/52-54-00-12-34-56/state/1.cpio/x", "host/52-54-00-12-34-56", "a/b/c/d/e/f/g", "boot.cfg",
	};
	struct rh_err err;
	struct pxe_config *cfg = load_conf("", &err);
	struct pxe_obj o;
	char path[512];
	size_t i;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = resolve(cfg, bad[i], NULL, &o, &err);

		if (rc != -EACCES || !strstr(err.msg, "refused")) {
			fprintf(stderr, "  '%s': rc %d, %s\n", bad[i], rc, err.msg);
			unit_failed_now = 1;
		}
		pxe_obj_free(&o);
	}
	snprintf(path, sizeof(path), "a/%s/x/y", khex);
	CHECK(resolve(cfg, path, NULL, &o, &err) == -EACCES);
	/* a symlink in place of an artifact is not an artifact */
	snprintf(path, sizeof(path), "%s/img/a/%064d", dir, 0);
	CHECK(symlink("/etc/passwd", path) == 0);
	snprintf(path, sizeof(path), "a/%064d", 0);
	CHECK(resolve(cfg, path, NULL, &o, &err) == -ENOENT);
	CHECK(resolve(cfg, "a/1111111111111111111111111111111111111111111111111111111111111111", NULL, &o, &err) ==
	      -ENOENT);
	CHECK(resolve(cfg, "img/nope/ramhost.efi", NULL, &o, &err) == -ENOENT);
	CHECK(resolve(cfg, "ipxe/ipxe.efi", NULL, &o, &err) == -ENOENT);
	pxe_config_free(cfg);
}

static void test_files(void)
{
	struct rh_err err;
	struct pxe_config *cfg = load_conf("", &err);
	struct pxe_obj o;
	char path[128];

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	snprintf(path, sizeof(path), "a/%s", khex);
	CHECK(resolve(cfg, path, NULL, &o, &err) == 0);
	CHECK(o.kind == PXE_OBJ_FILE && o.size == 13 && o.immutable && !strcmp(o.step, "artifact"));
	CHECK(strstr(o.path, "/img/a/") != NULL);
	snprintf(path, sizeof(path), "a/%s/vmlinuz", khex);
	CHECK(resolve(cfg, path, NULL, &o, &err) == 0 && o.size == 13);
	CHECK(resolve(cfg, "img/demo/ramhost.efi", NULL, &o, &err) == 0);
	CHECK(o.kind == PXE_OBJ_FILE && !o.immutable && !strcmp(o.step, "loader"));
	CHECK(resolve(cfg, "ipxe/undionly.kpxe", NULL, &o, &err) == 0 && o.size == 5);
	CHECK(resolve(cfg, "boot.ipxe", NULL, &o, &err) == 0);
	CHECK(o.kind == PXE_OBJ_BYTES && !strcmp(o.step, "script"));
	CHECK(o.bytes && strstr((char *)o.bytes, "chain http://10.0.0.1:8080/host/${mac:hexhyp}/boot.ipxe?uuid=${uuid}"
				"&serial=${serial:uristring}&asset=") != NULL);
	pxe_obj_free(&o);
	pxe_config_free(cfg);
}

static char *text_of(struct pxe_obj *o)
{
	char *t = malloc(o->size + 1);

	memcpy(t, o->bytes, o->size);
	t[o->size] = '\0';
	pxe_obj_free(o);
	return t;
}

static void test_scripts(void)
{
	struct rh_err err;
	struct pxe_config *cfg = load_conf("", &err);
	struct pxe_obj o;
	char want[512], *t;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	CHECK(resolve(cfg, "host/52-54-00-12-34-56/boot.ipxe", NULL, &o, &err) == 0);
	CHECK(!strcmp(o.mac, "52:54:00:12:34:56") && !strcmp(o.step, "script"));
	t = text_of(&o);
	snprintf(want, sizeof(want), "kernel http://10.0.0.1:8080/a/%s/vmlinuz console=ttyS0 quiet "
		 "ramhost.hostname=web-525400123456 ramhost.net=1 ramhost.ready.url=http://10.0.0.1:8080/host/"
		 "52-54-00-12-34-56/ready ramhost.state.url=http://10.0.0.1:8080/host/"
		 "52-54-00-12-34-56/state ramhost.state.token=", khex);
	CHECK(strstr(t, want) != NULL);
	snprintf(want, sizeof(want), "\ninitrd --name m0 http://10.0.0.1:8080/a/%s/init.cpio || goto failed\n"
		 "initrd --name m1 http://10.0.0.1:8080/host/52-54-00-12-34-56/bootcfg.cpio || goto failed\nboot",
		 mhex);
	CHECK(strstr(t, want) != NULL);
	CHECK(!strncmp(t, "#!ipxe\n", 7));
	CHECK(strstr(t, "initrd=m0") == NULL);   /* BIOS: iPXE hands every initrd to the kernel itself */
	free(t);

	/* UEFI (iPXE's ${platform} efi): the kernel's EFI stub loads the initrds by name, in order */
	CHECK(resolve(cfg, "host/52-54-00-12-34-56/boot.ipxe", "platform=efi&arch=x86_64", &o, &err) == 0);
	t = text_of(&o);
	CHECK(strstr(t, " initrd=m0 initrd=m1 || goto failed\n") != NULL);
	free(t);

	CHECK(resolve(cfg, "host/00-11-22-33-44-55/boot.ipxe", "uuid=4C4C4544-0042-3510-8052-B4C04F4B4E31", &o,
		      &err) == 0);
	t = text_of(&o);
	CHECK(strstr(t, "echo ramhost: no rule matches this host (MAC 00:11:22:33:44:55; uuid "
			"4c4c4544-0042-3510-8052-b4c04f4b4e31)\n") != NULL);
	CHECK(strstr(t, "prompt --timeout") && strstr(t, "exit") && !strstr(t, "shell"));
	free(t);

	/* query facts pick the serial rule; the host's own URLs carry them on */
	CHECK(resolve(cfg, "host/00-11-22-33-44-55/boot.ipxe", "serial=SN%2D001&arch=x86_64&platform=efi&x=1", &o,
		      &err) == 0);
	t = text_of(&o);
	CHECK(strstr(t, "rule sn") != NULL && !strstr(t, "ramhost.state.url"));
	CHECK(strstr(t, "/host/00-11-22-33-44-55/bootcfg.cpio?serial=SN-001 ") != NULL);
	free(t);
	CHECK(resolve(cfg, "host/00-11-22-33-44-55/boot.ipxe", "serial=%zz", &o, &err) == -EINVAL);
	CHECK(strstr(err.msg, "query serial: bad %-escape") != NULL);
	CHECK(resolve(cfg, "host/00-11-22-33-44-55/boot.ipxe", "serial=%0a", &o, &err) == -EINVAL);
	CHECK(resolve(cfg, "host/00-11-22-33-44-55/boot.ipxe", "uuid=nope", &o, &err) == -EINVAL);
	CHECK(resolve(cfg, "host/00-11-22-33-44-55/boot.ipxe", "asset=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &o, &err) == -EINVAL);
	CHECK(strstr(err.msg, "too long") != NULL);
	/* a host without a rule has no boot.cfg */
	CHECK(resolve(cfg, "host/00-11-22-33-44-55/boot.cfg", NULL, &o, &err) == -ENOENT);
	pxe_config_free(cfg);
}

static void test_bootcfg_signed(void)
{
	char cmd[PATH_MAX * 2 + 256], head[PATH_MAX * 2], path[PATH_MAX + 16], want[256];
	struct bootcfg b;
	struct rh_err err;
	struct pxe_config *cfg;
	struct pxe_obj o, s;
	EVP_MD_CTX *ctx;
	X509 *x;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/k.pem -out %s/c.pem "
		 "-subj /CN=pxe-test -days 2 2>/dev/null", dir, dir);
	CHECK(system(cmd) == 0);
	snprintf(head, sizeof(head), "sign-key = %s/k.pem\nsign-cert = %s/c.pem\n", dir, dir);
	cfg = load_conf(head, &err);
	CHECK(cfg != NULL && cfg->sign_key != NULL && cfg->has_sign_cert);
	if (!cfg) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK(resolve(cfg, "host/52-54-00-12-34-56/boot.cfg", NULL, &o, &err) == 0);
	CHECK(resolve(cfg, "host/52-54-00-12-34-56/boot.cfg.sig", NULL, &s, &err) == 0);
	CHECK(s.size == 256);
	CHECK(bootcfg_parse((char *)o.bytes, o.size, &b, NULL) == 0);
	snprintf(want, sizeof(want), "a/%s/vmlinuz", khex);
	CHECK_STR(b.kernel.name, want);
	snprintf(want, sizeof(want), "a/%s/init.cpio", mhex);
	CHECK(b.nmodules == 1 && !strcmp(b.modules[0].name, want) && b.modules[0].has_sha256);
	CHECK(!strncmp(b.kernelopt, "console=ttyS0 quiet ramhost.hostname=web-525400123456 ramhost.net=1 "
		       "ramhost.ready.url=http://10.0.0.1:8080/host/52-54-00-12-34-56/ready "
		       "ramhost.state.url=http://10.0.0.1:8080/host/52-54-00-12-34-56/state ramhost.state.token=", 224));
	CHECK_STR(b.prefix, "");
	snprintf(path, sizeof(path), "%s/c.pem", dir);
	f = fopen(path, "r");
	x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	CHECK(x != NULL);
	ctx = EVP_MD_CTX_new();
	CHECK(x && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(x)) == 1);
	CHECK(EVP_DigestVerify(ctx, s.bytes, s.size, o.bytes, o.size) == 1);
	EVP_MD_CTX_free(ctx);
	X509_free(x);
	pxe_obj_free(&s);
	pxe_obj_free(&o);
	CHECK(resolve(cfg, "host/52-54-00-12-34-56/bootcfg.cpio", NULL, &o, &err) == 0);
	CHECK(o.size > 6 && !memcmp(o.bytes, "070701", 6) && memmem(o.bytes, o.size, "boot.cfg", 9) &&
	      memmem(o.bytes, o.size, "TRAILER!!!", 10));
	pxe_obj_free(&o);
	pxe_config_free(cfg);
	cfg = load_conf("", &err);
	CHECK(cfg && resolve(cfg, "host/52-54-00-12-34-56/boot.cfg.sig", NULL, &o, &err) == -ENOENT);
	pxe_config_free(cfg);
}

static void test_state_and_artifact_url(void)
{
	char path[PATH_MAX + 64], *t;
	uint8_t want[32], got[32];
	struct rh_err err;
	struct pxe_config *cfg = load_conf("artifact-url = http://cdn.example/r\n", &err);
	struct pxe_obj o;
	int fd;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	snprintf(path, sizeof(path), "%s/state/hosts/52-54-00-12-34-56", dir);
	CHECK(rh_mkdir_p(path, 0755, NULL) == 0);
	write_file("state/hosts/52-54-00-12-34-56/state-00000003.rhs", "a generation\n");
	CHECK(resolve(cfg, "host/52-54-00-12-34-56/state/3.cpio", NULL, &o, &err) == 0);
	CHECK(!strcmp(o.step, "state-load") && o.kind == PXE_OBJ_BYTES);
	snprintf(path, sizeof(path), "%s/state/hosts/52-54-00-12-34-56/state-00000003.rhs", dir);
	fd = open(path, O_RDONLY);
	CHECK(cpio_wrap_sha256("state", "state-00000003.rhs", fd, 13, want, NULL) == 0);
	close(fd);
	sha256_buf(o.bytes, o.size, got);
	CHECK(!memcmp(want, got, 32));
	pxe_obj_free(&o);
	CHECK(resolve(cfg, "host/52-54-00-12-34-56/state/4.cpio", NULL, &o, &err) == -ENOENT);

	CHECK(resolve(cfg, "host/52-54-00-12-34-56/boot.ipxe", NULL, &o, &err) == 0);
	t = text_of(&o);
	CHECK(strstr(t, "kernel http://cdn.example/r/a/") != NULL);
	CHECK(strstr(t, "http://10.0.0.1:8080/host/52-54-00-12-34-56/bootcfg.cpio") != NULL && strstr(t, "initrd --name m") != NULL);
	free(t);
	CHECK(resolve(cfg, "host/52-54-00-12-34-56/boot.cfg", NULL, &o, &err) == 0);
	t = text_of(&o);
	CHECK(strstr(t, "prefix=http://cdn.example/r/\n") != NULL);
	free(t);
	pxe_config_free(cfg);
}

static void test_image_checks(void)
{
	char hex[65], path[PATH_MAX + 128];
	struct pxe_image im;
	struct rh_err err;
	struct pxe_config *cfg;

	/* an image whose loader trusts a server certificate, and a server without a key: a warning */
	memset(hex, 'a', 64);
	hex[64] = '\0';
	make_image(hex);
	cfg = load_conf("", &err);
	CHECK(cfg != NULL && strstr(cfg->warnings, "image demo: its ramhost.efi requires a boot.cfg signed"));
	pxe_config_free(cfg);
	/* ... and a server whose certificate differs: refused, naming both */
	snprintf(path, sizeof(path), "sign-key = %s/k.pem\nsign-cert = %s/c.pem\n", dir, dir);
	CHECK(load_conf(path, &err) == NULL);
	CHECK(strstr(err.msg, "trusts the server certificate sha256 aaaa") && strstr(err.msg, "c.pem is sha256"));
	make_image("none");
	snprintf(path, sizeof(path), "%s/img/a/%s", dir, mhex);
	unlink(path);
	snprintf(path, sizeof(path), "%s/img", dir);
	rh_err_clear(&err);
	CHECK(pxe_image_load(path, &im, &err) == -ENOENT);
	CHECK(strstr(err.msg, "(of init.cpio in boot.cfg)") != NULL);
	write_file("img/boot.cfg", "kernel=vmlinuz\n");
	rh_err_clear(&err);
	CHECK(pxe_image_load(path, &im, &err) == -EINVAL);
	CHECK(strstr(err.msg, "vmlinuz has no hash.vmlinuz line") != NULL);
	write_file("img/image.conf", "server-cert-sha256=xyz\n");
	rh_err_clear(&err);
	CHECK(pxe_image_load(path, &im, &err) == -EINVAL);
	CHECK(strstr(err.msg, "image.conf:1: server-cert-sha256 'xyz'") != NULL);
	make_image("none");
}

static void test_quick(void)
{
	char img[256];
	struct pxe_quick q = { "br0", img, 0x0a000064, 0x0a0000c7, 0, 8081, "/tmp/st" };
	struct rh_err err = { 0, "" };
	struct pxe_config *cfg = NULL;
	struct pxe_choice c;
	struct pxe_facts f;

	snprintf(img, sizeof(img), "%s/img", dir);
	CHECK(pxe_config_quick(&q, &cfg, &err) == 0);
	if (!cfg)
		return;
	CHECK(cfg->set.mode == PXE_DHCP_FULL && cfg->set.http_port == 8081 && cfg->nimages == 1 && cfg->nrules == 1);
	CHECK_STR(cfg->set.lease_file, "/tmp/st/leases");
	CHECK_STR(cfg->images[0].name, "demo");
	memset(&f, 0, sizeof(f));
	f.arch = -1;
	pxe_choose(cfg, &f, &c);       /* every host, even one without a known MAC */
	CHECK(c.rule && !strcmp(c.rule_name, "default") && c.image == &cfg->images[0]);
	pxe_config_free(cfg);
	q.range_first = 0;
	CHECK(pxe_config_quick(&q, &cfg, &err) == -EINVAL && strstr(err.msg, "--range FIRST-LAST"));
	q.proxy = 1;
	CHECK(pxe_config_quick(&q, &cfg, &err) == 0 && cfg->set.mode == PXE_DHCP_PROXY);
	pxe_config_free(cfg);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ramhost-pxe-resolve.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	make_image("none");
	RUN(test_refusals);
	RUN(test_files);
	RUN(test_scripts);
	RUN(test_bootcfg_signed);
	RUN(test_state_and_artifact_url);
	RUN(test_image_checks);
	RUN(test_quick);
	fs_rm_rf(dir, NULL);
	UNIT_EXIT();
}
