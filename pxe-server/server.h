/* server.h: the shared contract of `ramhost pxe serve` (docs/pxe.md). One process: DHCP and TFTP answered
 * from one poll loop (loop.h), HTTP by libmicrohttpd in its own thread; all of them ask the same questions of
 * the same server object:
 *   - which rule and image a host gets (pxe_choose: the rules, evaluated in memory),
 *   - what a path means (pxe_resolve: a file of an image, a loader, or bytes generated for one host),
 *   - whether a state upload's token is this host's (pxe_token_check),
 * and report what each host did (pxe_event: one log line per host per step, and the status table).
 *
 * Threads: the configuration (rules, images, keys) is an immutable snapshot, swapped whole on SIGHUP;
 * pxe_config_get takes a reference under srv->lock, pxe_config_put drops it. Handlers hold one snapshot for the
 * duration of one request, so a reload never changes the rules under a request. */
#ifndef RAMHOST_PXE_SERVER_H
#define RAMHOST_PXE_SERVER_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "mac.h"

#define PXE_MAC_TEXT MAC_TEXT  /* lib/mac.h: mac_format, mac_parse */
#define PXE_FACT_MAX 64        /* serial, asset tag, manufacturer, product: longer values are refused */
#define PXE_TOKEN_LEN 65       /* characters of a state token (without the NUL): 16 hex, ".", 48 hex */

/* What is known about a host when a rule is chosen. DHCP knows mac, arch, uuid (option 97), giaddr, option 82
 * and the user class; the iPXE script request adds serial, asset, manufacturer and product (iPXE's ${serial}
 * ... sent in the query string). Empty strings are unknown. */
struct pxe_facts {
	uint8_t mac[6];
	int has_mac;
	char uuid[37];                 /* lower-case 8-4-4-4-12, "" when unknown */
	char serial[PXE_FACT_MAX];
	char asset[PXE_FACT_MAX];
	char manufacturer[PXE_FACT_MAX];
	char product[PXE_FACT_MAX];
	int arch;                      /* RFC 4578 type (dhcp_arch), -1 unknown */
	uint32_t ip;                   /* the client's address when known, host order; 0 unknown */
	uint32_t giaddr;               /* relay address, 0 none */
	const uint8_t *opt82;          /* relay agent information as received, NULL none */
	size_t opt82_len;
};

enum pxe_loader {
	PXE_LOADER_DEFAULT = 0,        /* BIOS: iPXE (undionly.kpxe, or HTTP script for iPXE); UEFI: ramhost.efi */
	PXE_LOADER_RAMHOST_EFI,
	PXE_LOADER_IPXE_EFI,
};

enum pxe_state_policy {
	PXE_STATE_KEEP = 0,            /* restore the newest generation, accept uploads */
	PXE_STATE_NONE,                /* boot from the image defaults, refuse uploads */
};

struct pxe_image;                  /* an image directory written by `ramhost image pxe` (config.c) */
struct pxe_rule;

/* What a rule decided for one host. rule == NULL: no rule matched (why says so; the host gets the
 * "no rule matches" script). */
struct pxe_choice {
	const struct pxe_rule *rule;
	const struct pxe_image *image;
	char rule_name[64];
	char image_name[64];
	char hostname[64];             /* expanded ({mac} -> 525400123456 etc.), "" none */
	char kernelopt[1024];          /* the rule's extra kernel options */
	enum pxe_state_policy state;
	enum pxe_loader loader;
	char why[512];                 /* "rule web: mac 52:54:00:12:* matched, arch efi-x64 matched" */
};

/* A resolved path: a file in a served tree (kind FILE: path is absolute, opened with O_NOFOLLOW by the
 * resolver's check, size known) or bytes made for one host (kind BYTES: boot script, boot.cfg, its signature,
 * bootcfg.cpio, the state module). */
enum pxe_obj_kind { PXE_OBJ_FILE = 1, PXE_OBJ_BYTES };

struct pxe_obj {
	enum pxe_obj_kind kind;
	char path[PATH_MAX];           /* FILE */
	uint64_t size;                 /* FILE and BYTES */
	uint8_t *bytes;                /* BYTES, malloc'd, freed by pxe_obj_free */
	int immutable;                 /* content-addressed: Cache-Control: immutable */
	const char *content_type;      /* static string */
	char mac[PXE_MAC_TEXT];        /* the host it was made for, "" when not host-specific (for the log) */
	const char *step;              /* log step: "loader", "artifact", "script", "bootcfg", "state" */
};

struct pxe_config;                 /* parsed configuration: settings, images, rules, keys (config.h) */

/* Log lines and the status table go through the front end's callback: libraries never print. */
typedef void (*pxe_log_fn)(void *ctx, const char *line);

struct pxe_server {
	pthread_mutex_t lock;
	struct pxe_config *cfg;        /* current snapshot (refcounted) */
	pxe_log_fn log;
	void *log_ctx;
	struct pxe_status *status;     /* status.h */
	uint8_t secret[32];            /* state-token key, from STATE_DIR/token.key (made 0600 on first start) */
	char state_dir[PATH_MAX];
	char status_path[PATH_MAX];
	uint32_t server_ip;            /* the address hosts reach us at (host order) */
	unsigned http_port;
};

/* Evaluates the rules of cfg in order for f. Returns 0 (out filled, out->rule may be NULL: no match). */
int pxe_choose(const struct pxe_config *cfg, const struct pxe_facts *f, struct pxe_choice *out);

/* Resolves a request path (TFTP file name or HTTP URL path without the leading '/', query separate, may be
 * NULL) for the peer facts f. Returns 0, -ENOENT (nothing there), -EACCES (refused: traversal, absolute, symlink
 * out of the tree, not a regular file), with err naming the path and the reason. */
int pxe_resolve(struct pxe_server *srv, const struct pxe_config *cfg, const char *path, const char *query,
		const struct pxe_facts *f, struct pxe_obj *out, struct rh_err *err);
void pxe_obj_free(struct pxe_obj *o);

/* The configuration snapshot in use, with a reference; pxe_config_put drops it. */
struct pxe_config *pxe_config_get(struct pxe_server *srv);
void pxe_config_put(struct pxe_config *cfg);

/* State tokens: HMAC-SHA256(srv->secret, mac || boot id) with a random boot id, as hex "BOOTID.MAC-HMAC".
 * A token is made whenever a host's boot script or boot.cfg is made; any token made for that MAC verifies. */
int pxe_token_make(const struct pxe_server *srv, const uint8_t mac[6], char out[PXE_TOKEN_LEN + 1]);
int pxe_token_check(const struct pxe_server *srv, const uint8_t mac[6], const char *token);

/* One log line for host mac (may be NULL) and step ("dhcp-offer", "tftp", "http", "state-load", "state-save",
 * "ready", ...): "pxe: 52:54:00:12:34:56 dhcp-offer 10.0.0.100 image=demo rule=web". Also records the step
 * in the status table. Thread-safe. */
void pxe_event(struct pxe_server *srv, const uint8_t *mac, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
