/* pxe_int.h: what config.c, rules.c, resolve.c and bootgen.c share inside pxe-server/ (not a contract for the
 * other components: server.h and config.h are).
 *
 * A rule's matchers (struct pxe_rule.matchers) are an array of struct pxe_matcher, one per `match` line; each
 * holds the values of that line, any of which may hold. The config owns them (pxe_matchers_free). */
#ifndef RAMHOST_PXE_INT_H
#define RAMHOST_PXE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bootcfg.h"
#include "config.h"
#include "err.h"
#include "server.h"

#define PXE_CONFIG_MAX (64u << 20)   /* the largest configuration file read (10,000 rules are ~1 MB) */
#define PXE_MATCH_MAX_VALUES 64      /* values on one match line */

/* One value of a match line, parsed by field. */
struct pxe_mval {
	char *text;                  /* as written (globs, tags); malloc'd */
	uint8_t mac[6];
	unsigned mac_len;            /* MAC: bytes given (6 = exact, fewer = prefix "52:54:00:*") */
	int arch;                    /* ARCH: a type number, or -2 for the efi-x64 pair, -3 efi-http (any HTTP) */
	uint32_t net, mask;          /* SUBNET */
	uint8_t *bytes;              /* OPT82: the prefix; malloc'd */
	size_t nbytes;
};

struct pxe_matcher {
	enum pxe_match_field field;
	struct pxe_mval *vals;
	size_t nvals;
};

/* Parses the values of one `match FIELD VALUES...` line (field and values as written). Returns 0, or -EINVAL
 * with *why (static or in whybuf) saying what is wrong. */
int pxe_matcher_parse(const char *field, const char *values, struct pxe_matcher *ret, char *whybuf, size_t cap);
void pxe_matchers_free(struct pxe_matcher *m, size_t n);

/* Builds cfg->rule_index (exact-MAC rules and reservations by MAC) after the rules are parsed; frees it. */
int pxe_index_build(struct pxe_config *cfg);
void pxe_index_free(struct pxe_config *cfg);
/* The rules a host has to be checked against, each list ascending: those naming its exact MAC (own) and those
 * naming no exact MAC (general). -ENOENT when there is no index (then every rule is a candidate). */
struct pxe_cands {
	const uint32_t *own, *general;
	size_t nown, ngeneral;
};
int pxe_index_candidates(const struct pxe_config *cfg, const struct pxe_facts *f, struct pxe_cands *ret);
/* The reservation of mac, or NULL (through the index when built, else a scan). */
const struct pxe_reservation *pxe_reservation_find(const struct pxe_config *cfg, const uint8_t mac[6]);

/* Arch names of `match arch` and of the `pxe match --arch` option: "bios", "efi-x64", ... or a number 0..65535.
 * Returns the type (0..65535), -2 efi-x64 (7 and 9), -3 efi-http (15..19), or -1 unknown. */
int pxe_arch_parse(const char *s);

/* Copies the string src into dst (cap bytes), cut to fit, always NUL-terminated. */
void pxe_copy(char *dst, size_t cap, const char *src);
/* Whether h is a host name by RFC 1123 (dot-separated labels of letters, digits, '-'). */
int pxe_hostname_ok(const char *h);

/* Parse options of pxe_config_parse_flags: PXE_PARSE_NO_IO skips loading images and keys (the fuzz target). */
#define PXE_PARSE_NO_IO 1
int pxe_config_parse_flags(const char *path, const char *buf, size_t len, unsigned flags, struct pxe_config **ret,
			   struct rh_err *err);
/* Loads the signing key and certificate of cfg->set (sign_key, sign_cert) into cfg; checks they belong together. */
int pxe_config_load_keys(struct pxe_config *cfg, struct rh_err *err);
void pxe_config_free_keys(struct pxe_config *cfg);
/* Checks every image's embedded server certificate against the server's (config_image.c). Warnings go to
 * cfg->warnings. */
int pxe_config_check_images(struct pxe_config *cfg, struct rh_err *err);

/* Merges the boot.ipxe query string (uuid, serial, asset, manufacturer, product, arch, platform) into *f.
 * Returns 0, or -EINVAL with err naming the parameter (bad escape, too long). Unknown parameters are ignored. */
int pxe_query_merge(const char *query, struct pxe_facts *f, struct rh_err *err);

/* What bootgen makes for one host (facts with the MAC set; choice from pxe_choose). */
struct pxe_gen {
	struct pxe_server *srv;
	const struct pxe_config *cfg;
	const struct pxe_facts *f;
	const struct pxe_choice *c;
	char mac_hyp[PXE_MAC_TEXT];     /* 52-54-00-12-34-56 */
	const char *query;              /* "?uuid=...&serial=..." the host's own URLs carry on, or NULL */
};

/* Each returns 0 with *ret_buf (malloc'd, the caller's) and *ret_len, or a negative errno with err. */
int pxe_gen_static_script(const struct pxe_server *srv, const struct pxe_config *cfg, char **ret_buf,
			  size_t *ret_len, struct rh_err *err);
int pxe_gen_nomatch_script(const struct pxe_facts *f, const struct pxe_choice *c, char **ret_buf,
			   size_t *ret_len, struct rh_err *err);
int pxe_gen_script(const struct pxe_gen *g, char **ret_buf, size_t *ret_len, struct rh_err *err);
int pxe_gen_bootcfg(const struct pxe_gen *g, char **ret_buf, size_t *ret_len, struct rh_err *err);
/* The signature of the boot.cfg last made for this host (made now when there is none). -ENOENT when unsigned. */
int pxe_gen_bootcfg_sig(const struct pxe_gen *g, uint8_t **ret_buf, size_t *ret_len, struct rh_err *err);
int pxe_gen_bootcfg_cpio(const struct pxe_gen *g, uint8_t **ret_buf, size_t *ret_len, struct rh_err *err);
/* The state module of generation gen of the host (STATE_DIR/hosts/MAC/state-N.rhs wrapped). -ENOENT none. */
int pxe_gen_state_cpio(const struct pxe_gen *g, uint64_t gen, uint8_t **ret_buf, size_t *ret_len,
		       struct rh_err *err);
/* Adds the host's newest state generation (when there is one) to cfg's modules with its hash. */
int pxe_gen_state_module(const struct pxe_gen *g, struct bootcfg *cfg, struct rh_err *err);
/* RSA PKCS#1 v1.5 SHA-256 over buf[0..len) with key (EVP_PKEY*). */
int pxe_sign(void *key, const void *buf, size_t len, uint8_t **ret_sig, size_t *ret_len, struct rh_err *err);
/* Drops the per-host boot.cfg memory kept for the signatures (bootgen.c). Call once when the server stops. */
void pxe_bootgen_cache_free(void);

/* The base URL hosts reach this server's HTTP at ("http://10.0.0.1:8080/"), and the artifacts' base. */
void pxe_base_url(const struct pxe_server *srv, const struct pxe_config *cfg, char *out, size_t cap);
/* The kernel options a host gets (the one owner of that rule; `pxe match` shows them too): the image's, the
 * rule's, ramhost.hostname=, ramhost.net=1, ramhost.ready.url=BASEhost/MAC/ready, and when the rule keeps
 * state ramhost.state.url=BASEhost/MAC/state ramhost.state.token=TOKEN. base ends with '/'; mac_hyp is
 * 52-54-00-12-34-56. 0, -EINVAL (the image's options hold a control character or '$'), -E2BIG. */
int pxe_kernelopt(const struct pxe_choice *c, const char *image_kopt, const char *base, const char *mac_hyp,
		  const char *token, char *out, size_t cap, struct rh_err *err);
void pxe_artifact_base(const struct pxe_server *srv, const struct pxe_config *cfg, char *out, size_t cap);

#endif
