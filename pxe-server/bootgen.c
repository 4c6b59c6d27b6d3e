/* bootgen.c: the bytes made for one host (docs/pxe.md "Paths"): the static boot.ipxe, the per-host iPXE script
 * (or the "no rule matches" script), the per-host boot.cfg for ramhost.efi and its signature. The cpio modules
 * (bootcfg.cpio, the state module) are in bootgen_cpio.c.
 *
 * The boot.cfg carries a fresh state token each time it is made, so its signature cannot be made again later:
 * the last boot.cfg made for each MAC is kept (at most CACHE_MAX hosts, then the memory starts over) and
 * boot.cfg.sig signs exactly those bytes. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "host_state.h"
#include "pxe_int.h"
#include "urlpath.h"

#define SCRIPT_MAX 65536
#define CACHE_MAX 65536

struct text {
	char *buf;
	size_t len, cap;
	int rc;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->rc)
		return;
	if (!t->buf) {
		t->cap = SCRIPT_MAX;
		t->buf = malloc(t->cap);
		if (!t->buf) {
			t->rc = -ENOMEM;
			return;
		}
	}
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		t->rc = -E2BIG;
	else
		t->len += (size_t)n;
}

static int text_done(struct text *t, char **ret_buf, size_t *ret_len, struct rh_err *err, const char *what)
{
	if (t->rc) {
		free(t->buf);
		return rh_errf(err, t->rc, "%s: %s", what, t->rc == -E2BIG ? "larger than 64 KiB" : "out of memory");
	}
	*ret_buf = t->buf;
	*ret_len = t->len;
	return 0;
}

void pxe_base_url(const struct pxe_server *srv, const struct pxe_config *cfg, char *out, size_t cap)
{
	uint32_t ip = srv && srv->server_ip ? srv->server_ip : cfg->set.server_ip;
	unsigned port = srv && srv->http_port ? srv->http_port : cfg->set.http_port;

	snprintf(out, cap, "%s://%u.%u.%u.%u:%u/", cfg->set.http_tls_cert[0] ? "https" : "http", ip >> 24,
		 (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, port);
}

void pxe_artifact_base(const struct pxe_server *srv, const struct pxe_config *cfg, char *out, size_t cap)
{
	if (cfg->set.artifact_url[0])
		pxe_copy(out, cap, cfg->set.artifact_url);
	else
		pxe_base_url(srv, cfg, out, cap);
}

int pxe_gen_static_script(const struct pxe_server *srv, const struct pxe_config *cfg, char **ret_buf,
			  size_t *ret_len, struct rh_err *err)
{
	struct text t = { 0 };
	char base[128];

	pxe_base_url(srv, cfg, base, sizeof(base));
	put(&t, "#!ipxe\n# ramhost pxe: hands every host on to its own script\n"
		"chain %shost/${mac:hexhyp}/boot.ipxe?uuid=${uuid}&serial=${serial:uristring}"
		"&asset=${asset:uristring}&manufacturer=${manufacturer:uristring}&product=${product:uristring}"
		"&arch=${buildarch}&platform=${platform} || goto failed\n"
		"exit\n:failed\necho ramhost: cannot fetch this host's boot script from %s\n"
		"prompt --timeout 60000 ramhost: press a key to give up ||\nexit 1\n", base, base);
	return text_done(&t, ret_buf, ret_len, err, "boot.ipxe");
}

int pxe_gen_nomatch_script(const struct pxe_facts *f, const struct pxe_choice *c, char **ret_buf,
			   size_t *ret_len, struct rh_err *err)
{
	struct text t = { 0 };
	char mac[PXE_MAC_TEXT] = "unknown";

	(void)c;
	if (f->has_mac)
		mac_format(f->mac, ':', mac);
	/* the facts came from the network: the uuid is 8-4-4-4-12 hex or "" (pxe_query_merge checks it) */
	put(&t, "#!ipxe\necho ramhost: no rule matches this host (MAC %s; uuid %s)\n"
		"echo ramhost: add a rule for it to the server's configuration (ramhost pxe match tries one)\n"
		"prompt --timeout 60000 ramhost: press a key to stop here ||\nexit 1\n",
	    mac, f->uuid[0] ? f->uuid : "unknown");
	return text_done(&t, ret_buf, ret_len, err, "no-rule script");
}

/* A text that goes into a script line or boot.cfg line: no control characters and no '$'. */
static int line_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '$')
			return 0;
	return 1;
}

int pxe_kernelopt(const struct pxe_choice *c, const char *image_kopt, const char *base, const char *mac_hyp,
		  const char *token, char *out, size_t cap, struct rh_err *err)
{
	char own[BOOTCFG_MAX_TEXT];
	struct text t = { out, 0, cap, 0 };

	if (!line_safe(image_kopt))
		return rh_errf(err, -EINVAL, "image %s: boot.cfg kernelopt has a control character or '$'",
			       c->image_name);
	pxe_copy(own, sizeof(own), image_kopt);   /* out may be image_kopt itself */
	put(&t, "%s", own);
	if (c->kernelopt[0])
		put(&t, "%s%s", t.len ? " " : "", c->kernelopt);
	if (c->hostname[0])
		put(&t, "%sramhost.hostname=%s", t.len ? " " : "", c->hostname);
	put(&t, "%sramhost.net=1 ramhost.ready.url=%shost/%s/ready", t.len ? " " : "", base, mac_hyp);
	if (c->state == PXE_STATE_KEEP)
		put(&t, " ramhost.state.url=%shost/%s/state ramhost.state.token=%s", base, mac_hyp, token);
	if (t.rc)
		return rh_errf(err, -E2BIG, "host %s: kernel options longer than %zu bytes", mac_hyp, cap - 1);
	return 0;
}

/* The kernel options of the host, with a fresh state token when its rule keeps state. */
static int host_kernelopt(const struct pxe_gen *g, const struct bootcfg *img, char *out, size_t cap,
			  struct rh_err *err)
{
	char base[128], token[PXE_TOKEN_LEN + 1] = "";
	int rc;

	if (g->c->state == PXE_STATE_KEEP) {
		rc = pxe_token_make(g->srv, g->f->mac, token);
		if (rc < 0)
			return rh_errf(err, rc, "host %s: cannot make a state token", g->mac_hyp);
	}
	pxe_base_url(g->srv, g->cfg, base, sizeof(base));
	return pxe_kernelopt(g->c, img->kernelopt, base, g->mac_hyp, token, out, cap, err);
}

/* The per-host boot.cfg as a struct: module names a/HEX/NAME, the state module, the kernel options. */
static int host_bootcfg(const struct pxe_gen *g, struct bootcfg *cfg, struct rh_err *err)
{
	struct bootcfg_error be = { 0, NULL };
	char hex[SHA256_HEX_LEN + 1];
	unsigned i;
	int rc;

	if (bootcfg_parse(g->c->image->bootcfg_text, g->c->image->bootcfg_len, cfg, &be) < 0)
		return rh_errf(err, -EINVAL, "%s/boot.cfg:%u: %s", g->c->image->dir, be.line, be.what);
	for (i = 0; i <= cfg->nmodules; i++) {
		struct bootcfg_file *f = i < cfg->nmodules ? &cfg->modules[i] : &cfg->kernel;
		char name[BOOTCFG_MAX_NAME];

		sha256_to_hex(f->sha256, hex);
		if ((size_t)snprintf(name, sizeof(name), "a/%s/%s", hex, f->name) >= sizeof(name))
			snprintf(name, sizeof(name), "a/%s", hex);
		memcpy(f->name, name, sizeof(name));
	}
	rc = host_kernelopt(g, cfg, cfg->kernelopt, sizeof(cfg->kernelopt), err);
	if (!rc && g->c->state == PXE_STATE_KEEP)
		rc = pxe_gen_state_module(g, cfg, err);
	pxe_copy(cfg->prefix, sizeof(cfg->prefix), g->cfg->set.artifact_url);
	return rc;
}

int pxe_gen_script(const struct pxe_gen *g, char **ret_buf, size_t *ret_len, struct rh_err *err)
{
	struct bootcfg *cfg = malloc(sizeof(*cfg));
	char abase[1024], base[128], enc[3 * BOOTCFG_MAX_NAME + 1];
	struct text t = { 0 };
	int efi = g->f->arch > 0;   /* iPXE's ${platform} efi, or the host's DHCP said UEFI */
	unsigned i;
	int rc;

	if (!cfg)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = host_bootcfg(g, cfg, err);
	if (rc < 0)
		goto out;
	pxe_artifact_base(g->srv, g->cfg, abase, sizeof(abase));
	pxe_base_url(g->srv, g->cfg, base, sizeof(base));
	put(&t, "#!ipxe\n# ramhost pxe: host %s, rule %s, image %s\n", g->mac_hyp, g->c->rule_name,
	    g->c->image_name);
	put(&t, "echo ramhost: booting image %s (rule %s)%s%s\n", g->c->image_name, g->c->rule_name,
	    g->c->hostname[0] ? " as " : "", g->c->hostname);
	urlpath_encode(cfg->kernel.name, strlen(cfg->kernel.name), enc, sizeof(enc));
	put(&t, "kernel %s%s %s", abase, enc, cfg->kernelopt);
	if (efi)   /* the kernel's EFI stub loads its initrds by name from iPXE's files, in this order */
		for (i = 0; i <= cfg->nmodules; i++)
			put(&t, " initrd=m%u", i);
	put(&t, " || goto failed\n");
	for (i = 0; i < cfg->nmodules; i++) {
		const char *n = cfg->modules[i].name;
		int own = !strncmp(n, "host/", 5) || !strncmp(n, "http", 4);

		put(&t, "initrd --name m%u ", i);
		urlpath_encode(n, strlen(n), enc, sizeof(enc));
		if (!strncmp(n, "http", 4))
			put(&t, "%s || goto failed\n", n);
		else
			put(&t, "%s%s%s || goto failed\n", own ? base : abase, enc, own && g->query ? g->query : "");
	}
	put(&t, "initrd --name m%u %shost/%s/bootcfg.cpio%s || goto failed\nboot || goto failed\n", cfg->nmodules,
	    base, g->mac_hyp, g->query ? g->query : "");
	put(&t, ":failed\necho ramhost: boot of image %s failed\n"
		"prompt --timeout 60000 ramhost: press a key to stop here ||\nexit 1\n", g->c->image_name);
	rc = text_done(&t, ret_buf, ret_len, err, "boot script");
out:
	free(cfg);
	return rc;
}

/* ---- boot.cfg and its signature ---- */

struct cached {
	uint8_t mac[6];
	char *text;
	size_t len;
	struct cached *next;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached *cache[4096];
static size_t cache_count;

static void cache_clear_locked(void)
{
	size_t i;

	for (i = 0; i < sizeof(cache) / sizeof(cache[0]); i++)
		while (cache[i]) {
			struct cached *c = cache[i];

			cache[i] = c->next;
			free(c->text);
			free(c);
		}
	cache_count = 0;
}

void pxe_bootgen_cache_free(void)
{
	pthread_mutex_lock(&cache_lock);
	cache_clear_locked();
	pthread_mutex_unlock(&cache_lock);
}

static struct cached **cache_slot(const uint8_t mac[6])
{
	struct cached **p = &cache[(mac[3] ^ mac[4] << 4 ^ mac[5] << 8 ^ mac[2] << 2) & 4095];

	while (*p && memcmp((*p)->mac, mac, 6))
		p = &(*p)->next;
	return p;
}

/* Keeps a copy of text as mac's last boot.cfg (a failure to keep it only costs a later signature). */
static void cache_put(const uint8_t mac[6], const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	struct cached **p, *c;

	if (!copy)
		return;
	memcpy(copy, text, len);
	pthread_mutex_lock(&cache_lock);
	if (cache_count >= CACHE_MAX)
		cache_clear_locked();
	p = cache_slot(mac);
	c = *p;
	if (!c && (c = calloc(1, sizeof(*c))) != NULL) {
		memcpy(c->mac, mac, 6);
		*p = c;
		cache_count++;
	}
	if (c) {
		free(c->text);
		c->text = copy;
		c->len = len;
	} else {
		free(copy);
	}
	pthread_mutex_unlock(&cache_lock);
}

static char *cache_get(const uint8_t mac[6], size_t *ret_len)
{
	struct cached *c;
	char *copy = NULL;

	pthread_mutex_lock(&cache_lock);
	c = *cache_slot(mac);
	if (c && (copy = malloc(c->len ? c->len : 1)) != NULL) {
		memcpy(copy, c->text, c->len);
		*ret_len = c->len;
	}
	pthread_mutex_unlock(&cache_lock);
	return copy;
}

int pxe_gen_bootcfg(const struct pxe_gen *g, char **ret_buf, size_t *ret_len, struct rh_err *err)
{
	struct bootcfg *cfg = malloc(sizeof(*cfg));
	char *text = malloc(SCRIPT_MAX);
	long n = 0;
	int rc = cfg && text ? 0 : rh_errf(err, -ENOMEM, "out of memory");

	if (!rc)
		rc = host_bootcfg(g, cfg, err);
	if (!rc) {
		n = bootcfg_format(cfg, text, SCRIPT_MAX);
		if (n < 0)
			rc = rh_errf(err, (int)n, "host %s: boot.cfg larger than 64 KiB", g->mac_hyp);
	}
	free(cfg);
	if (rc) {
		free(text);
		return rc;
	}
	cache_put(g->f->mac, text, (size_t)n);
	*ret_buf = text;
	*ret_len = (size_t)n;
	return 0;
}

int pxe_sign(void *key, const void *buf, size_t len, uint8_t **ret_sig, size_t *ret_len, struct rh_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t n = 0;
	uint8_t *sig = NULL;
	int rc = -EIO;

	if (!ctx || EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_DigestSign(ctx, NULL, &n, buf, len) != 1)
		goto out;
	sig = malloc(n);
	if (sig && EVP_DigestSign(ctx, sig, &n, buf, len) == 1) {
		*ret_sig = sig;
		*ret_len = n;
		sig = NULL;
		rc = 0;
	}
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return rc ? rh_errf(err, rc, "cannot sign boot.cfg (OpenSSL)") : 0;
}

int pxe_gen_bootcfg_sig(const struct pxe_gen *g, uint8_t **ret_buf, size_t *ret_len, struct rh_err *err)
{
	char *text;
	size_t len = 0;
	int rc;

	if (!g->cfg->sign_key)
		return rh_errf(err, -ENOENT, "host/%s/boot.cfg.sig: the server has no sign-key (boot.cfg is "
			       "unsigned)", g->mac_hyp);
	text = cache_get(g->f->mac, &len);
	if (!text) {
		rc = pxe_gen_bootcfg(g, &text, &len, err);
		if (rc < 0)
			return rc;
	}
	rc = pxe_sign(g->cfg->sign_key, text, len, ret_buf, ret_len, err);
	free(text);
	return rc;
}
