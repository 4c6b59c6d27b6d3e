/* serve.c: `ramhost pxe serve` (serve.h): the server object, the sockets of DHCP and TFTP on one poll loop, HTTP
 * in libmicrohttpd's thread, SIGHUP reloads, SIGTERM/SIGINT stop. The protocol modules know nothing of rules or
 * files: each gets an ops table, and this file answers their questions from the current configuration
 * snapshot (pxe_choose, pxe_resolve, tokens) and turns their events into log lines and the status table. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dhcp_sock.h"
#include "fileio.h"
#include "fs.h"
#include "http_server.h"
#include "loop.h"
#include "pxe_int.h"
#include "status.h"
#include "tftp_server.h"

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_flag = 1;
}

struct serve {
	struct pxe_server srv;
	struct pxe_loop *loop;
	struct pxe_dhcp *dhcp;
	struct pxe_tftp *tftp;
	struct pxe_http *http;
	const char *config_path;
};

/* ---- answers to the protocol modules ---- */

static int dhcp_choose(void *ctx, const struct pxe_facts *f, struct pxe_choice *out)
{
	struct serve *s = ctx;
	struct pxe_config *cfg = pxe_config_get(&s->srv);
	int rc = pxe_choose(cfg, f, out);
	char m[MAC_TEXT];

	if (f->has_mac) {
		mac_format(f->mac, ':', m);
		pxe_status_facts(s->srv.status, m, f->arch, f->uuid);
	}

	/* DHCP runs on the loop thread, which is the only one that swaps snapshots: out's pointers stay valid
	 * until the callback returns. */
	pxe_config_put(cfg);
	return rc;
}

static void dhcp_event(void *ctx, const uint8_t mac[6], const char *step, const char *text)
{
	struct serve *s = ctx;

	pxe_event(&s->srv, mac, step, "%s", text);
}

static void dhcp_leased(void *ctx, const uint8_t mac[6], uint32_t ip)
{
	struct serve *s = ctx;
	char m[MAC_TEXT];

	mac_format(mac, ':', m);
	pxe_status_ip(s->srv.status, m, ip);
}

/* The facts a host's later requests (TFTP or HTTP of host/MAC/..., an upload) are matched with: its MAC and what
 * its DHCP request said (architecture, UUID), so a rule on the architecture matches them as it matched its offer. */
static void host_facts(struct serve *s, const uint8_t mac[6], struct pxe_facts *f)
{
	char m[MAC_TEXT];

	memset(f, 0, sizeof *f);
	f->arch = -1;
	memcpy(f->mac, mac, 6);
	f->has_mac = 1;
	mac_format(mac, ':', m);
	pxe_status_facts_of(s->srv.status, m, &f->arch, f->uuid);
}

/* What a request tells about its host: the address it came from, and for a path host/MAC/... the host's facts. */
static void facts_for(struct serve *s, struct pxe_facts *f, const char *path, const struct sockaddr *peer)
{
	char m[MAC_TEXT];
	uint8_t mac[6];

	memset(f, 0, sizeof *f);
	f->arch = -1;
	if (strncmp(path, "host/", 5) == 0 && strlen(path) > 5 + 17 && path[5 + 17] == '/') {
		memcpy(m, path + 5, 17);
		m[17] = '\0';
		if (mac_parse(m, mac) == 0)
			host_facts(s, mac, f);
	}
	if (peer && peer->sa_family == AF_INET)
		f->ip = ntohl(((const struct sockaddr_in *)peer)->sin_addr.s_addr);
}

static int resolve_for(struct serve *s, const char *path, const char *query, const struct sockaddr *peer,
		       struct pxe_obj *out, struct rh_err *err)
{
	struct pxe_config *cfg = pxe_config_get(&s->srv);
	struct pxe_facts f;
	int rc;

	facts_for(s, &f, path, peer);
	rc = pxe_resolve(&s->srv, cfg, path, query, &f, out, err);
	pxe_config_put(cfg);
	/* a request that names its host tells where the host is; one that does not (an artifact) is the step
	 * of the host last seen at that address */
	if (rc == 0 && out->mac[0])
		pxe_status_ip(s->srv.status, out->mac, f.ip);
	else if (rc == 0)
		pxe_status_mac_of(s->srv.status, f.ip, out->mac);
	return rc;
}

static int tftp_open(void *ctx, const char *path, const struct sockaddr_in *peer, struct pxe_obj *out,
		     struct rh_err *err)
{
	return resolve_for(ctx, path, NULL, (const struct sockaddr *)peer, out, err);
}

static void tftp_event(void *ctx, const struct sockaddr_in *peer, const char *mac, const char *step,
		       const char *text)
{
	struct serve *s = ctx;
	uint8_t m[6];
	char ip[INET_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET, &peer->sin_addr, ip, sizeof ip);
	if (mac && *mac && mac_parse(mac, m) == 0)
		pxe_event(&s->srv, m, step, "%s from %s", text, ip);
	else
		pxe_event(&s->srv, NULL, step, "%s from %s", text, ip);
}

static int http_resolve(void *ctx, const char *path, const char *query, const struct sockaddr *peer,
			struct pxe_obj *out, struct rh_err *err)
{
	return resolve_for(ctx, path, query, peer, out, err);
}

static void http_event(void *ctx, const uint8_t *mac, const char *step, const char *text)
{
	struct serve *s = ctx;

	pxe_event(&s->srv, mac, step, "%s", text);
}

static int http_token_check(void *ctx, const uint8_t mac[6], const char *token)
{
	struct serve *s = ctx;

	return pxe_token_check(&s->srv, mac, token);
}

/* Uploads are accepted only for a host whose rule keeps state. */
static int http_state_allowed(void *ctx, const uint8_t mac[6])
{
	struct serve *s = ctx;
	struct pxe_config *cfg = pxe_config_get(&s->srv);
	struct pxe_choice c;
	struct pxe_facts f;
	int rc;

	host_facts(s, mac, &f);
	rc = pxe_choose(cfg, &f, &c);
	if (rc == 0 && (!c.rule || c.state != PXE_STATE_KEEP))
		rc = -EPERM;
	pxe_config_put(cfg);
	return rc;
}

/* ---- start-up ---- */

/* The IPv4 address and netmask of interface name (host order); when *ip is set, those of that address. */
static int interface_addr(const char *name, uint32_t *ip, uint32_t *mask, struct rh_err *err)
{
	struct ifaddrs *ifs, *i;
	int rc = -EADDRNOTAVAIL;

	if (getifaddrs(&ifs) < 0)
		return rh_errf(err, -errno, "interface %s: %s", name, strerror(errno));
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, name) != 0)
			continue;
		if (*ip && ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr) != *ip)
			continue;
		*ip = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		*mask = i->ifa_netmask ? ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr) : 0;
		rc = 0;
		break;
	}
	freeifaddrs(ifs);
	if (rc < 0)
		rh_errf(err, rc, "interface %s: no IPv4 address (is it up and configured?)", name);
	return rc;
}

/* The state-token key: STATE_DIR/token.key, 32 random bytes made once (0600, written atomically), so tokens
 * survive a restart of the server. */
static int load_secret(struct pxe_server *srv, struct rh_err *err)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	int rc;

	if (fs_join(path, sizeof path, srv->state_dir, "token.key", err) < 0)
		return -ENAMETOOLONG;
	if (access(path, F_OK) != 0) {
		uint8_t key[32];

		if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key)
			return rh_errf(err, -EIO, "%s: no random bytes for the token key", path);
		umask(077);
		rc = rh_replace_file(srv->state_dir, "token.key", key, sizeof key, srv->state_dir, err);
		if (rc < 0)
			return rc;
	}
	rc = rh_read_file(path, 64, &buf, &len, err);
	if (rc < 0)
		return rc;
	if (len != sizeof srv->secret) {
		free(buf);
		return rh_errf(err, -EBADMSG, "%s: %zu bytes, expected %zu (delete it to make a new one; hosts booted "
				"before then must reboot to save state)", path, len, sizeof srv->secret);
	}
	memcpy(srv->secret, buf, len);
	free(buf);
	return 0;
}

static int load_config(const struct pxe_serve_opts *o, struct pxe_config **cfg, struct rh_err *err)
{
	if (o->config_path)
		return pxe_config_load(o->config_path, cfg, err);
	return pxe_config_quick(&o->quick, cfg, err);
}

static int server_init(struct serve *s, const struct pxe_serve_opts *o, struct pxe_config *cfg,
		       struct rh_err *err)
{
	const struct pxe_settings *set = &cfg->set;
	uint32_t mask = set->netmask;
	int rc;

	pthread_mutex_init(&s->srv.lock, NULL);
	cfg->refs = 1;
	s->srv.cfg = cfg;
	s->srv.log = o->log;
	s->srv.log_ctx = o->log_ctx;
	s->srv.http_port = set->http_port;
	s->srv.server_ip = set->server_ip;
	if (set->interface[0] && (!s->srv.server_ip || !mask)) {
		uint32_t ifmask = 0;

		/* server-ip given: only the netmask of that address (none there: the DHCP core's default /24) */
		rc = interface_addr(set->interface, &s->srv.server_ip, &ifmask, s->srv.server_ip ? NULL : err);
		if (rc < 0 && !s->srv.server_ip)
			return rc;
		if (!mask)
			mask = ifmask;
	}
	if (!s->srv.server_ip && set->mode != PXE_DHCP_OFF)
		return rh_errf(err, -EINVAL, "%s: set interface or server-ip: the hosts need an address to reach us",
			       cfg->path[0] ? cfg->path : "quick start");
	snprintf(s->srv.state_dir, sizeof s->srv.state_dir, "%s", set->state_dir);
	rc = rh_mkdir_p(s->srv.state_dir, 0700, err);
	if (rc < 0)
		return rc;
	if (fs_join(s->srv.status_path, sizeof s->srv.status_path, s->srv.state_dir, "status", err) < 0)
		return -ENAMETOOLONG;
	rc = pxe_status_new(&s->srv.status);
	if (rc < 0)
		return rh_errf(err, rc, "out of memory");
	rc = load_secret(&s->srv, err);
	if (rc < 0)
		return rc;
	s->srv.cfg->set.netmask = mask;
	return 0;
}

static int start_protocols(struct serve *s, struct rh_err *err)
{
	static struct pxe_dhcp_ops dops = { .choose = dhcp_choose, .event = dhcp_event, .leased = dhcp_leased };
	static struct pxe_tftp_ops tops = { .open = tftp_open, .event = tftp_event };
	static struct pxe_http_ops hops = { .resolve = http_resolve, .event = http_event,
					    .token_check = http_token_check, .state_allowed = http_state_allowed };
	const struct pxe_settings *set = &s->srv.cfg->set;
	struct pxe_tftp_conf tc = { .bind_ip = 0, .port = set->tftp_port, .ifname = set->interface,
				   .max_blksize = set->tftp_max_blksize, .max_window = set->tftp_max_window,
				   .max_clients = set->tftp_max_clients };
	struct pxe_http_conf hc = { .bind_ip = 0, .port = set->http_port, .state_dir = s->srv.state_dir,
				   .state_max_bytes = set->state_max_bytes, .state_keep = set->state_keep };
	int rc;

	dops.ctx = tops.ctx = hops.ctx = s;
	if (set->http_tls_cert[0]) {
		hc.tls_cert = set->http_tls_cert;
		hc.tls_key = set->http_tls_key;
	}
	if (set->mode != PXE_DHCP_OFF) {
		rc = pxe_dhcp_start(set, s->srv.server_ip, set->netmask, set->http_port, &dops, s->loop, &s->dhcp,
				    err);
		if (rc < 0)
			return rc;
	}
	rc = pxe_tftp_start(&tc, &tops, s->loop, &s->tftp, err);
	if (rc < 0)
		return rc;
	rc = pxe_http_start(&hc, &hops, &s->http, err);
	if (rc < 0)
		return rc;
	return 0;
}

/* ---- while running ---- */

/* SIGHUP: the whole file is parsed into a new snapshot; only a good one replaces the rules. */
static void reload(struct serve *s)
{
	struct pxe_config *cfg = NULL, *old;
	struct rh_err err = { 0 };
	int rc;

	if (!s->config_path) {
		pxe_event(&s->srv, NULL, "reload", "nothing to reload: started without a configuration file");
		return;
	}
	rc = pxe_config_load(s->config_path, &cfg, &err);
	if (rc == 0 && s->dhcp)
		rc = pxe_dhcp_update(s->dhcp, &cfg->set, &err);
	if (rc < 0) {
		pxe_event(&s->srv, NULL, "reload", "refused, keeping the rules in use: %s", err.msg);
		if (cfg)
			pxe_config_free(cfg);
		return;
	}
	cfg->refs = 1;
	cfg->set.netmask = s->srv.cfg->set.netmask;
	pthread_mutex_lock(&s->srv.lock);
	old = s->srv.cfg;
	s->srv.cfg = cfg;
	pthread_mutex_unlock(&s->srv.lock);
	pxe_config_put(old);
	if (cfg->warnings[0])
		pxe_event(&s->srv, NULL, "warning", "%s", cfg->warnings);
	pxe_event(&s->srv, NULL, "reload", "%s: %zu images, %zu rules", s->config_path, cfg->nimages, cfg->nrules);
}

static int64_t housekeeping(void *ctx, uint64_t now)
{
	struct serve *s = ctx;
	struct rh_err err = { 0 };

	if (reload_flag) {
		reload_flag = 0;
		reload(s);
	}
	if (pxe_status_flush(s->srv.status, s->srv.status_path, 0, &err) < 0)
		pxe_event(&s->srv, NULL, "status", "%s", err.msg);
	return (int64_t)(now + 250);
}

static void stop_all(struct serve *s)
{
	struct rh_err err = { 0 };

	if (s->http)
		pxe_http_stop(s->http);
	if (s->tftp)
		pxe_tftp_stop(s->tftp);
	if (s->dhcp)
		pxe_dhcp_stop(s->dhcp);
	if (s->srv.status) {
		pxe_status_flush(s->srv.status, s->srv.status_path, 1, &err);
		pxe_status_free(s->srv.status);
	}
	if (s->loop)
		pxe_loop_free(s->loop);
	pxe_config_put(s->srv.cfg);
	pxe_bootgen_cache_free();
	pthread_mutex_destroy(&s->srv.lock);
}

int pxe_serve(const struct pxe_serve_opts *o, struct rh_err *err)
{
	struct sigaction sa = { 0 }, old_term, old_int, old_hup;
	struct pxe_config *cfg = NULL;
	struct serve *s;
	int rc;

	rc = load_config(o, &cfg, err);
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof *s);
	if (!s) {
		pxe_config_free(cfg);
		return rh_errf(err, -ENOMEM, "out of memory");
	}
	s->config_path = o->config_path;
	rc = server_init(s, o, cfg, err);
	if (rc == 0)
		rc = pxe_loop_new(&s->loop);
	if (rc == 0)
		rc = pxe_loop_add_tick(s->loop, housekeeping, s);
	if (rc == 0)
		rc = start_protocols(s, err);
	if (rc < 0)
		goto out;
	stop_flag = reload_flag = 0;
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGINT, &sa, &old_int);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, &old_hup);
	if (cfg->warnings[0])
		pxe_event(&s->srv, NULL, "warning", "%s", cfg->warnings);
	pxe_event(&s->srv, NULL, "start", "serving %zu images, %zu rules; DHCP %s, TFTP port %u, HTTP port %u",
		  cfg->nimages, cfg->nrules, cfg->set.mode == PXE_DHCP_FULL ? "full" :
		  cfg->set.mode == PXE_DHCP_PROXY ? "proxy" : "off", pxe_tftp_port(s->tftp), pxe_http_port(s->http));
	rc = pxe_loop_run(s->loop, &stop_flag);
	if (rc < 0)
		rh_errf(err, rc, "the event loop failed: %s", strerror(-rc));
	pxe_event(&s->srv, NULL, "stop", "stopping");
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
out:
	if (rc < 0 && !err->msg[0])
		rh_errf(err, rc, "%s", strerror(-rc));
	stop_all(s);
	free(s);
	return rc;
}
