/* config.h: the configuration of `ramhost pxe serve` (docs/pxe.md "Configuration"), parsed into an immutable
 * snapshot: settings, the images it serves, the ordered rules, the signing key. A reload (SIGHUP) parses the
 * file into a new snapshot and swaps it in only when the whole file is good; a bad file keeps the old one and
 * says why (file:line: what was wrong).
 *
 * The quick start (`pxe serve --interface IF --image DIR [--range A-B | --proxy]`) builds the same snapshot
 * without a file: one image, one rule matching every host. */
#ifndef RAMHOST_PXE_CONFIG_H
#define RAMHOST_PXE_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "server.h"

#define PXE_MAX_RESERVATIONS 65536

enum pxe_dhcp_mode { PXE_DHCP_FULL = 1, PXE_DHCP_PROXY, PXE_DHCP_OFF };

struct pxe_reservation {
	uint8_t mac[6];
	uint32_t ip;                    /* host order */
	char hostname[64];
	char tags[256];                 /* "gpu,rack1" (tags= of the reserve line), "" none */
};

struct pxe_settings {
	enum pxe_dhcp_mode mode;
	char interface[32];             /* "" = every interface (proxy/off only) */
	uint32_t server_ip;             /* host order; 0 = the interface's first IPv4 address */
	uint32_t netmask;               /* 0 = the interface's */
	uint32_t range_first, range_last; /* full mode pool, host order */
	uint32_t router;                /* option 3, 0 none */
	uint32_t dns[4];                /* option 6 */
	unsigned ndns;
	char domain[128];               /* option 15, "" none */
	unsigned lease_seconds;         /* default 3600 */
	char lease_file[PATH_MAX];      /* default STATE_DIR/leases */
	struct pxe_reservation *reservations;
	size_t nreservations;
	unsigned dhcp_port;             /* 67 (tests may move it) */
	unsigned proxy_port;            /* 4011 */
	unsigned tftp_port;             /* 69 */
	unsigned http_port;             /* 8080 */
	unsigned tftp_max_blksize;      /* 0 = interface MTU - 32 */
	unsigned tftp_max_window;       /* 64 */
	unsigned tftp_max_clients;      /* 256 */
	char http_tls_cert[PATH_MAX];   /* "" = plain HTTP */
	char http_tls_key[PATH_MAX];
	char artifact_url[1024];        /* "" = this server; else the base URL of an external artifact server */
	char state_dir[PATH_MAX];       /* leases, tokens, per-host state, status */
	uint64_t state_max_bytes;       /* largest accepted upload, default 256M */
	unsigned state_keep;            /* generations kept per host, default 3 */
	char ipxe_dir[PATH_MAX];        /* undionly.kpxe, ipxe.efi, snponly.efi: default /usr/lib/ipxe */
	char sign_key[PATH_MAX];        /* PEM private key that signs per-host boot.cfg, "" = unsigned */
	char sign_cert[PATH_MAX];       /* its certificate (must match the one embedded in the images' loaders) */
};

/* An image directory written by `ramhost image pxe` (docs/pxe.md "Image directory"):
 *   DIR/image.conf   name=, build=, server-cert-sha256= (embedded in ramhost.efi, or "none")
 *   DIR/boot.cfg     the image's boot.cfg (kernel=, modules=, hash.NAME=sha256:HEX, kernelopt=, title=, build=)
 *   DIR/a/HEX        every file boot.cfg names, stored by its SHA-256
 *   DIR/ramhost.efi  the loader, network mode (server certificate embedded when built with one) */
struct pxe_image {
	char name[64];
	char dir[PATH_MAX];
	char bootcfg_text[8192];        /* DIR/boot.cfg as read */
	size_t bootcfg_len;
	char build[128];
	/* image.conf's name= and server-cert-sha256= (has_cert 0 for "none") */
	char conf_name[64];
	int has_cert;
	uint8_t cert_sha256[32];
};

enum pxe_match_field {
	PXE_M_MAC = 1, PXE_M_UUID, PXE_M_SERIAL, PXE_M_ASSET, PXE_M_MANUFACTURER, PXE_M_PRODUCT, PXE_M_ARCH,
	PXE_M_SUBNET, PXE_M_OPT82, PXE_M_TAG,
};

struct pxe_rule {
	char name[64];
	/* matchers: opaque to callers, evaluated by pxe_choose (rules.c) */
	void *matchers;
	size_t nmatchers;
	const struct pxe_image *image;
	char kernelopt[1024];
	char hostname[64];              /* template: {mac} {mac-} {ip} {serial} {uuid} */
	enum pxe_state_policy state;
	enum pxe_loader loader;
	unsigned line;                  /* where it was defined */
};

struct pxe_config {
	int refs;                       /* under pxe_server.lock */
	char path[PATH_MAX];            /* the file, "" for the quick start */
	struct pxe_settings set;
	struct pxe_image *images;
	size_t nimages;
	struct pxe_rule *rules;
	size_t nrules;
	void *sign_key;                 /* EVP_PKEY*, NULL = unsigned */
	uint8_t sign_cert_sha256[32];
	void *rule_index;               /* rules.c: exact-MAC hash index for O(1) host rules */
	char warnings[1024];            /* what is allowed but likely wrong, one per line, "" none */
	int has_sign_cert;              /* sign_cert_sha256 is set */
};

/* Parses buf[0..len) (the file's text; path names it in errors) into a new snapshot. */
int pxe_config_parse(const char *path, const char *buf, size_t len, struct pxe_config **ret, struct rh_err *err);
/* Reads and parses path (rh_read_file). */
int pxe_config_load(const char *path, struct pxe_config **ret, struct rh_err *err);
/* The quick-start snapshot: one image, one rule for every host. */
struct pxe_quick {
	const char *interface;
	const char *image_dir;
	uint32_t range_first, range_last; /* 0,0 with proxy */
	int proxy;
	unsigned http_port;
	const char *state_dir;
};
int pxe_config_quick(const struct pxe_quick *q, struct pxe_config **ret, struct rh_err *err);
void pxe_config_free(struct pxe_config *cfg);

/* Reads an image directory (checks image.conf, boot.cfg parses, every artifact named exists by its hash). */
int pxe_image_load(const char *dir, struct pxe_image *ret, struct rh_err *err);
/* The artifact file of sha256 hex among the config's images: 0 with path filled, -ENOENT. */
int pxe_artifact_path(const struct pxe_config *cfg, const char *hex, char path[PATH_MAX]);

#endif
