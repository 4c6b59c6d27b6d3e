/* config_image.c: the image directories a configuration serves (written by `ramhost image pxe`), the server's
 * signing key and certificate, and the quick-start snapshot (one image, one rule for every host).
 *
 * Loading an image checks image.conf, that boot.cfg parses, and that every file boot.cfg names is there as
 * DIR/a/HEX, a regular file (not a link). The artifacts are not hashed at load time (a big image would take
 * seconds per reload): ramhost.efi and init check every SHA-256 as they boot, so a damaged artifact cannot
 * boot, and `ramhost image pxe` wrote them by their hash. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "fileio.h"
#include "pxe_int.h"
#include "pxe_parse.h"
#include "sha256.h"

#define IMAGE_CONF_MAX 65536

/* image.conf: name=, build=, server-cert-sha256=HEX|none; other keys are ignored (newer writers). */
static int parse_image_conf(const char *path, const char *buf, struct pxe_image *im, struct rh_err *err)
{
	unsigned line = 0;

	while (*buf) {
		size_t n = strcspn(buf, "\n");
		const char *eq = memchr(buf, '=', n);
		char val[256];
		size_t k = eq ? n - (size_t)(eq + 1 - buf) : 0;

		line++;
		if (eq && k < sizeof(val)) {
			memcpy(val, eq + 1, k);
			val[k] = '\0';
			if (eq - buf == 4 && !memcmp(buf, "name", 4))
				pxe_copy(im->conf_name, sizeof(im->conf_name), val);
			else if (eq - buf == 5 && !memcmp(buf, "build", 5))
				pxe_copy(im->build, sizeof(im->build), val);
			else if (eq - buf == 18 && !memcmp(buf, "server-cert-sha256", 18) && strcmp(val, "none")) {
				if (k != SHA256_HEX_LEN || sha256_from_hex(val, k, im->cert_sha256) < 0)
					return rh_errf(err, -EINVAL, "%s:%u: server-cert-sha256 '%s': want 64 hex "
						       "digits or none", path, line, val);
				im->has_cert = 1;
			}
		}
		buf += n + (buf[n] == '\n');
	}
	return 0;
}

static int check_artifact(const char *dir, const struct bootcfg_file *f, const char *cfgpath, struct rh_err *err)
{
	char hex[SHA256_HEX_LEN + 1], path[PATH_MAX];
	struct stat st;

	if (!f->has_sha256)
		return rh_errf(err, -EINVAL, "%s: %s has no hash.%s line: an image directory names every file "
			       "by its SHA-256", cfgpath, f->name, f->name);
	sha256_to_hex(f->sha256, hex);
	if ((size_t)snprintf(path, sizeof(path), "%s/a/%s", dir, hex) >= sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	if (lstat(path, &st) < 0)
		return rh_errf(err, -errno, "%s: %s (of %s in boot.cfg): %s", dir, path + strlen(dir) + 1, f->name,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rh_errf(err, -EINVAL, "%s: a/%s (of %s in boot.cfg) is not a regular file", dir, hex, f->name);
	return 0;
}

static int check_bootcfg(const char *dir, struct pxe_image *im, struct rh_err *err)
{
	char path[PATH_MAX];
	struct bootcfg *cfg = malloc(sizeof(*cfg));
	struct bootcfg_error be = { 0, NULL };
	unsigned i;
	int rc;

	if (!cfg)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/boot.cfg", dir);
	rc = bootcfg_parse(im->bootcfg_text, im->bootcfg_len, cfg, &be);
	if (rc < 0)
		rh_errf(err, rc, "%s:%u: %s", path, be.line, be.what ? be.what : "cannot parse");
	if (!rc && !cfg->kernel.name[0])
		rc = rh_errf(err, -EINVAL, "%s: no kernel= line", path);
	if (!rc)
		rc = check_artifact(dir, &cfg->kernel, path, err);
	for (i = 0; !rc && i < cfg->nmodules; i++)
		rc = check_artifact(dir, &cfg->modules[i], path, err);
	if (!rc && !im->build[0])
		pxe_copy(im->build, sizeof(im->build), cfg->build);
	free(cfg);
	return rc;
}

int pxe_image_load(const char *dir, struct pxe_image *ret, struct rh_err *err)
{
	struct pxe_image *im = calloc(1, sizeof(*im));
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	int rc;

	if (!im)
		return rh_errf(err, -ENOMEM, "%s: out of memory", dir);
	pxe_copy(im->dir, sizeof(im->dir), dir);
	snprintf(path, sizeof(path), "%s/image.conf", dir);
	rc = rh_read_file(path, IMAGE_CONF_MAX, &buf, &len, err);
	if (!rc)
		rc = parse_image_conf(path, buf, im, err);
	free(buf);
	buf = NULL;
	snprintf(path, sizeof(path), "%s/boot.cfg", dir);
	if (!rc)
		rc = rh_read_file(path, sizeof(im->bootcfg_text) - 1, &buf, &len, err);
	if (!rc) {
		memcpy(im->bootcfg_text, buf, len);
		im->bootcfg_len = len;
		rc = check_bootcfg(dir, im, err);
	}
	free(buf);
	if (!rc) {
		pxe_copy(im->name, sizeof(im->name), im->conf_name[0] ? im->conf_name : "default");
		*ret = *im;
	}
	free(im);
	return rc;
}

int pxe_artifact_path(const struct pxe_config *cfg, const char *hex, char path[PATH_MAX])
{
	struct stat st;
	size_t i;

	if (strlen(hex) != SHA256_HEX_LEN || strspn(hex, "0123456789abcdef") != SHA256_HEX_LEN)
		return -ENOENT;
	for (i = 0; i < cfg->nimages; i++) {
		if ((size_t)snprintf(path, PATH_MAX, "%s/a/%s", cfg->images[i].dir, hex) >= PATH_MAX)
			continue;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	path[0] = '\0';
	return -ENOENT;
}

/* ---- keys ---- */

static int load_cert(struct pxe_config *cfg, X509 **ret, struct rh_err *err)
{
	const char *path = cfg->set.sign_cert;
	unsigned char *der = NULL;
	BIO *b = BIO_new_file(path, "r");
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	int n;

	BIO_free(b);
	if (!x)
		return rh_errf(err, -EINVAL, "%s: cannot read a PEM certificate (sign-cert)", path);
	n = i2d_X509(x, &der);
	if (n <= 0) {
		X509_free(x);
		return rh_errf(err, -EINVAL, "%s: cannot encode the certificate", path);
	}
	sha256_buf(der, (size_t)n, cfg->sign_cert_sha256);
	OPENSSL_free(der);
	cfg->has_sign_cert = 1;
	*ret = x;
	return 0;
}

int pxe_config_load_keys(struct pxe_config *cfg, struct rh_err *err)
{
	const char *kp = cfg->set.sign_key;
	X509 *x = NULL;
	EVP_PKEY *k;
	BIO *b;
	int rc, bits;

	if (!kp[0] && !cfg->set.sign_cert[0])
		return 0;
	if (!kp[0] || !cfg->set.sign_cert[0])
		return rh_errf(err, -EINVAL, "%s: sign-key and sign-cert go together", cfg->path);
	b = BIO_new_file(kp, "r");
	k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!k)
		return rh_errf(err, -EINVAL, "%s: cannot read a PEM private key (sign-key)", kp);
	cfg->sign_key = k;
	bits = EVP_PKEY_get_bits(k);
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA || bits < 2048 || bits > 4096)
		return rh_errf(err, -EINVAL, "%s: sign-key must be an RSA key of 2048 to 4096 bits", kp);
	rc = load_cert(cfg, &x, err);
	if (!rc && X509_check_private_key(x, k) != 1)
		rc = rh_errf(err, -EINVAL, "%s: sign-cert does not belong to sign-key %s", cfg->set.sign_cert, kp);
	X509_free(x);
	return rc;
}

void pxe_config_free_keys(struct pxe_config *cfg)
{
	EVP_PKEY_free(cfg->sign_key);
	cfg->sign_key = NULL;
}

int pxe_config_check_images(struct pxe_config *cfg, struct rh_err *err)
{
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	size_t i, len;

	for (i = 0; i < cfg->nimages; i++) {
		const struct pxe_image *im = &cfg->images[i];

		if (!im->has_cert)
			continue;
		sha256_to_hex(im->cert_sha256, a);
		if (cfg->has_sign_cert && memcmp(im->cert_sha256, cfg->sign_cert_sha256, 32)) {
			sha256_to_hex(cfg->sign_cert_sha256, b);
			return rh_errf(err, -EINVAL, "image %s (%s): its ramhost.efi trusts the server certificate "
				       "sha256 %s, but sign-cert %s is sha256 %s: rebuild the image with "
				       "--sign-cert %s", im->name, im->dir, a, cfg->set.sign_cert, b, cfg->set.sign_cert);
		}
		len = strlen(cfg->warnings);
		if (!cfg->has_sign_cert)
			snprintf(cfg->warnings + len, sizeof(cfg->warnings) - len, "image %s: its ramhost.efi "
				 "requires a boot.cfg signed by the server certificate sha256 %s, but no sign-key is "
				 "set: UEFI hosts will refuse to boot it\n", im->name, a);
	}
	return 0;
}

/* ---- the quick start ---- */

static int quick_fill(const struct pxe_quick *q, struct pxe_config *cfg, struct rh_err *err)
{
	struct pxe_settings *s = &cfg->set;
	int rc;

	pxe_settings_default(s);
	if (!q->proxy && (!q->range_first || q->range_first > q->range_last))
		return rh_errf(err, -EINVAL, "the quick start needs --range FIRST-LAST (full DHCP) or --proxy");
	s->mode = q->proxy ? PXE_DHCP_PROXY : PXE_DHCP_FULL;
	s->range_first = q->range_first;
	s->range_last = q->range_last;
	if (q->interface && strlen(q->interface) >= sizeof(s->interface))
		return rh_errf(err, -EINVAL, "interface name '%s' too long", q->interface);
	pxe_copy(s->interface, sizeof(s->interface), q->interface ? q->interface : "");
	if (q->http_port)
		s->http_port = q->http_port;
	if (q->state_dir)
		pxe_copy(s->state_dir, sizeof(s->state_dir), q->state_dir);
	if (strlen(s->state_dir) + 8 > sizeof(s->lease_file))
		return rh_errf(err, -ENAMETOOLONG, "state directory path too long");
	memcpy(s->lease_file, s->state_dir, strlen(s->state_dir));
	memcpy(s->lease_file + strlen(s->state_dir), "/leases", 8);
	cfg->images = calloc(1, sizeof(*cfg->images));
	cfg->rules = calloc(1, sizeof(*cfg->rules));
	if (!cfg->images || !cfg->rules)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = pxe_image_load(q->image_dir, &cfg->images[0], err);
	if (rc < 0)
		return rc;
	cfg->nimages = 1;
	snprintf(cfg->rules[0].name, sizeof(cfg->rules[0].name), "default");
	cfg->rules[0].image = &cfg->images[0];
	cfg->nrules = 1;
	rc = pxe_index_build(cfg);
	return rc < 0 ? rh_errf(err, rc, "out of memory") : pxe_config_check_images(cfg, err);
}

int pxe_config_quick(const struct pxe_quick *q, struct pxe_config **ret, struct rh_err *err)
{
	struct pxe_config *cfg = calloc(1, sizeof(*cfg));
	int rc;

	if (!cfg)
		return rh_errf(err, -ENOMEM, "out of memory");
	cfg->refs = 1;
	rc = quick_fill(q, cfg, err);
	if (rc < 0) {
		pxe_config_free(cfg);
		return rc;
	}
	*ret = cfg;
	return 0;
}
