/* dhcp_server.c: the DHCP decisions (dhcp_server.h): which messages are answered, with which address, to where.
 * RFC 2131 4.3 for full mode; the PXE spec 2.1 and what real firmware does for proxy mode (answer REQUEST too,
 * where Tinkerbell and pixiecore answer only DISCOVER). */
#include "dhcp_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_reply.h"

#define BROADCAST 0xffffffffu

struct pxe_dhcp_core {
	struct pxe_settings set;      /* reservations: the pool holds the copy; set.reservations is not used */
	uint32_t server_ip, netmask;
	unsigned http_port;
	struct pxe_dhcp_ops ops;
	struct pxe_leases *leases;    /* full mode */
	int64_t refused_sec;          /* rate limit of "dhcp-refused" lines */
	unsigned refused_n, refused_dropped;
	struct {                      /* warnings said lately, so a client's retries do not repeat them */
		uint8_t mac[6];
		uint8_t step;
		int64_t until;
	} quiet[PXE_DHCP_QUIET_SLOTS];
	unsigned quiet_next;
};

/* What one request is about, while it is being answered. */
struct req_ctx {
	struct pxe_dhcp_core *c;
	const struct dhcp_msg *m;
	const struct pxe_dhcp_peer *peer;
	int64_t now;
	struct pxe_dhcp_out *out;
};

static void ip_text(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

static void add_event(struct pxe_dhcp_out *out, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_event(struct pxe_dhcp_out *out, const char *step, const char *fmt, ...)
{
	va_list ap;

	if (out->nev == 2)
		return;
	snprintf(out->ev[out->nev].step, sizeof(out->ev[0].step), "%s", step);
	va_start(ap, fmt);
	vsnprintf(out->ev[out->nev].text, sizeof(out->ev[0].text), fmt, ap);
	va_end(ap);
	out->nev++;
}

/* "dhcp-refused" at most PXE_DHCP_REFUSED_PER_SEC times a second: a flood of junk must not flood the log. */
static void refused(struct pxe_dhcp_core *c, const struct pxe_dhcp_peer *peer, int64_t now, struct pxe_dhcp_out *out,
		    const char *why)
{
	char ip[16];

	if (now != c->refused_sec) {
		c->refused_sec = now;
		c->refused_n = 0;
	}
	if (++c->refused_n > PXE_DHCP_REFUSED_PER_SEC) {
		c->refused_dropped++;
		return;
	}
	ip_text(peer->ip, ip);
	if (c->refused_dropped)
		add_event(out, "dhcp-refused", "from %s:%u: %s (%u more refused before, not logged)", ip, peer->port,
			  why, c->refused_dropped);
	else
		add_event(out, "dhcp-refused", "from %s:%u: %s", ip, peer->port, why);
	c->refused_dropped = 0;
}

/* 1 when warning step (1 no loader, 2 pool full) was given for mac in the last PXE_DHCP_QUIET_SECONDS; else
 * remembers it and returns 0. A fixed ring: a host forgotten early is only warned about once more. */
static int quiet(struct pxe_dhcp_core *c, const uint8_t mac[6], uint8_t step, int64_t now)
{
	unsigned i;

	for (i = 0; i < PXE_DHCP_QUIET_SLOTS; i++)
		if (c->quiet[i].step == step && c->quiet[i].until > now && !memcmp(c->quiet[i].mac, mac, 6))
			return 1;
	i = c->quiet_next++ % PXE_DHCP_QUIET_SLOTS;
	memcpy(c->quiet[i].mac, mac, 6);
	c->quiet[i].step = step;
	c->quiet[i].until = now + PXE_DHCP_QUIET_SECONDS;
	return 0;
}

void pxe_dhcp_facts(const struct dhcp_msg *m, struct pxe_facts *f)
{
	const uint8_t *u = m->uuid;

	memset(f, 0, sizeof(*f));
	if (m->htype == 1 && m->hlen == 6) {
		memcpy(f->mac, m->chaddr, 6);
		f->has_mac = 1;
	}
	f->arch = pxe_dhcp_client_arch(m);
	if (m->has_uuid) /* SMBIOS byte order: the first three groups are little-endian */
		snprintf(f->uuid, sizeof(f->uuid),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[3], u[2], u[1],
			 u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	f->ip = m->ciaddr;
	f->giaddr = m->giaddr;
	if (m->opt[DHCP_OPT_RELAY_AGENT].present) {
		f->opt82 = m->opt[DHCP_OPT_RELAY_AGENT].data;
		f->opt82_len = m->opt[DHCP_OPT_RELAY_AGENT].len;
	}
}

/* The client's boot information, through the rules: 1 boot (b->file set, ch filled), 0 none (not a boot client
 * or no loader, with the event). */
static int boot_info(struct req_ctx *r, uint32_t ip, struct pxe_boot *b, struct pxe_choice *ch)
{
	struct pxe_facts f;
	int k = pxe_dhcp_boot_class(r->m, b);

	memset(ch, 0, sizeof(*ch));
	if (k == 0)
		return 0;
	if (k < 0) {
		if (!quiet(r->c, r->m->chaddr, 1, r->now))
			add_event(r->out, "dhcp-no-loader", "no loader for architecture %d (%s)", b->arch,
				  b->arch < 0 ? "unknown" : dhcp_arch_name((unsigned)b->arch));
		return 0;
	}
	pxe_dhcp_facts(r->m, &f);
	if (ip)
		f.ip = ip;
	if (!r->c->ops.choose || r->c->ops.choose(r->c->ops.ctx, &f, ch) < 0)
		memset(ch, 0, sizeof(*ch));
	pxe_dhcp_boot_file(b, ch, r->c->server_ip, r->c->http_port);
	return 1;
}

/* The destination of a reply on the DHCP port (RFC 2131 4.1): the relay, the client's address, or broadcast. */
static void destination(struct req_ctx *r)
{
	const struct dhcp_msg *m = r->m;
	unsigned client_port = r->c->set.dhcp_port == 67 ? 68 : r->c->set.dhcp_port + 1;

	if (r->peer->local_port != r->c->set.dhcp_port) { /* proxy port: back where it came from */
		r->out->dst_ip = r->peer->ip ? r->peer->ip : BROADCAST;
		r->out->dst_port = r->peer->port;
	} else if (m->giaddr) {
		r->out->dst_ip = m->giaddr;
		r->out->dst_port = r->c->set.dhcp_port;
	} else if (m->ciaddr) {
		r->out->dst_ip = m->ciaddr;
		r->out->dst_port = client_port;
	} else {
		r->out->dst_ip = BROADCAST;
		r->out->dst_port = client_port;
	}
}

static int send_reply(struct req_ctx *r, const struct pxe_reply *rep)
{
	int n = pxe_dhcp_build(&r->c->set, r->c->server_ip, r->c->netmask, r->m, rep, r->out->buf,
			       sizeof(r->out->buf));

	if (n < 0) {
		r->out->nev = 0;
		add_event(r->out, "dhcp-refused", "reply does not fit the client's maximum of %zu bytes",
			  pxe_dhcp_reply_limit(r->m, sizeof(r->out->buf)));
		return 0;
	}
	r->out->len = (size_t)n;
	destination(r);
	return 1;
}

static const char *boot_text(const struct pxe_boot *b, const struct pxe_choice *ch, char *buf, size_t cap)
{
	if (!b->file[0])
		return "";
	snprintf(buf, cap, " image=%s rule=%s file=%s", ch->image_name[0] ? ch->image_name : "none",
		 ch->rule ? ch->rule_name : "none", b->file);
	return buf;
}

/* ---- proxy: boot information only ---- */

static int proxy(struct req_ctx *r)
{
	const struct dhcp_msg *m = r->m;
	int on_proxy_port = r->peer->local_port != r->c->set.dhcp_port;
	struct pxe_boot b;
	struct pxe_choice ch;
	struct pxe_reply rep = { 0 };
	char bt[420], ip[16];

	if (!dhcp_is_pxe_client(m) && !dhcp_is_http_client(m))
		return 0; /* an ordinary client: the other DHCP server's business */
	if (m->msg_type == DHCP_DISCOVER && !on_proxy_port)
		rep.type = DHCP_OFFER;
	else if (m->msg_type == DHCP_REQUEST || (m->msg_type == DHCP_INFORM && on_proxy_port))
		rep.type = DHCP_ACK;
	else
		return 0;
	if (!boot_info(r, 0, &b, &ch))
		return 0;
	rep.boot = &b;
	if (!send_reply(r, &rep))
		return 0;
	ip_text(r->out->dst_ip, ip);
	add_event(r->out, rep.type == DHCP_OFFER ? "proxy-offer" : "proxy-ack", "to %s:%u%s", ip, r->out->dst_port,
		  boot_text(&b, &ch, bt, sizeof(bt)));
	return 1;
}

/* ---- full mode ---- */

static const char *hostname_of(const struct pxe_leases *l, const struct dhcp_msg *m, const struct pxe_choice *ch)
{
	const struct pxe_reservation *res = pxe_leases_reservation(l, m->chaddr);

	if (res && res->hostname[0])
		return res->hostname;
	return ch->hostname[0] ? ch->hostname : NULL;
}

/* OFFER or ACK of ip (ACK with ip 0: INFORM), with the event. */
static int offer_or_ack(struct req_ctx *r, uint8_t type, uint32_t ip, const char *step)
{
	struct pxe_boot b;
	struct pxe_choice ch;
	struct pxe_reply rep = { .type = type, .yiaddr = ip, .net = 1 };
	char bt[420], ipt[16];

	if (ip)
		rep.lease = r->c->set.lease_seconds;
	boot_info(r, ip ? ip : r->m->ciaddr, &b, &ch);
	rep.boot = &b;
	rep.hostname = hostname_of(r->c->leases, r->m, &ch);
	if (!send_reply(r, &rep))
		return 0;
	ip_text(ip ? ip : r->m->ciaddr, ipt);
	add_event(r->out, step, "%s%s", ipt, boot_text(&b, &ch, bt, sizeof(bt)));
	return 1;
}

static int nak(struct req_ctx *r, uint32_t ip, const char *why)
{
	struct pxe_reply rep = { .type = DHCP_NAK, .message = why };
	char ipt[16];

	if (!send_reply(r, &rep))
		return 0;
	if (!r->m->giaddr) /* 4.3.2: a NAK is broadcast (the client may have no usable address) */
		r->out->dst_ip = BROADCAST;
	ip_text(ip, ipt);
	add_event(r->out, "dhcp-nak", "%s: %s", ipt, why);
	return 1;
}

static int discover(struct req_ctx *r)
{
	struct pxe_leases *l = r->c->leases;
	uint32_t ip;
	char a[16], b[16];

	if (pxe_leases_pick(l, r->m->chaddr, r->m->requested_ip, r->now, &ip) < 0) {
		ip_text(l->first, a);
		ip_text(l->last, b);
		if (!quiet(r->c, r->m->chaddr, 2, r->now))
			add_event(r->out, "dhcp-pool-full", "no free address in %s-%s (%u leased)", a, b,
				  pxe_leases_count_bound(l, r->now));
		return 0;
	}
	pxe_leases_offer(l, r->m->chaddr, ip, r->now);
	return offer_or_ack(r, DHCP_OFFER, ip, "dhcp-offer");
}

/* RFC 2131 4.3.2: SELECTING (54 and 50), INIT-REBOOT (50 only), RENEWING/REBINDING (ciaddr only). */
static int request(struct req_ctx *r)
{
	const struct dhcp_msg *m = r->m;
	struct pxe_leases *l = r->c->leases;
	uint32_t ip = m->requested_ip ? m->requested_ip : m->ciaddr;
	const char *why;

	if (m->server_id && m->server_id != r->c->server_ip) {
		pxe_leases_unoffer(l, m->chaddr, r->now); /* it chose another server */
		return 0;
	}
	if (!ip) {
		refused(r->c, r->peer, r->now, r->out, "DHCPREQUEST without a requested address or ciaddr");
		return 0;
	}
	if (pxe_leases_check(l, m->chaddr, ip, r->now, &why) < 0)
		return nak(r, ip, why);
	pxe_leases_bind(l, m->chaddr, ip, r->now, r->c->set.lease_seconds);
	r->out->save = l->dirty;
	if (!offer_or_ack(r, DHCP_ACK, ip, "dhcp-ack"))
		return 0;
	r->out->leased_ip = ip;
	return 1;
}

static void release_or_decline(struct req_ctx *r)
{
	const struct dhcp_msg *m = r->m;
	struct pxe_leases *l = r->c->leases;
	char ipt[16];
	int rc;

	if (m->server_id && m->server_id != r->c->server_ip)
		return;
	if (m->msg_type == DHCP_RELEASE) {
		ip_text(m->ciaddr, ipt);
		rc = pxe_leases_release(l, m->chaddr, m->ciaddr, r->now);
		add_event(r->out, "dhcp-release", "%s%s", ipt, rc < 0 ? " (not this host's lease: ignored)" : "");
	} else {
		ip_text(m->requested_ip, ipt);
		rc = pxe_leases_decline(l, m->chaddr, m->requested_ip, r->now);
		add_event(r->out, "dhcp-decline", "%s %s", ipt,
			  rc == 0 ? "in use on the network: set aside" :
			  rc == -EPERM ? "is this host's reservation and in use by another: check the network" :
			  "not this host's address: ignored");
	}
	r->out->save = l->dirty;
}

static int full(struct req_ctx *r)
{
	char why[96], g[16];

	if (r->peer->local_port != r->c->set.dhcp_port)
		return proxy(r); /* the proxy port speaks boot information in every mode */
	if (r->m->giaddr && r->c->netmask && ((r->m->giaddr ^ r->c->server_ip) & r->c->netmask)) {
		/* the pool is one subnet, the server's: an address from it would be wrong behind that relay */
		ip_text(r->m->giaddr, g);
		snprintf(why, sizeof(why), "relayed from %s, outside the pool's subnet", g);
		refused(r->c, r->peer, r->now, r->out, why);
		return 0;
	}
	switch (r->m->msg_type) {
	case DHCP_DISCOVER:
		return discover(r);
	case DHCP_REQUEST:
		return request(r);
	case DHCP_RELEASE:
	case DHCP_DECLINE:
		release_or_decline(r);
		return 0;
	case DHCP_INFORM:
		return offer_or_ack(r, DHCP_ACK, 0, "dhcp-ack");
	default:
		return 0;
	}
}

int pxe_dhcp_handle(struct pxe_dhcp_core *c, const uint8_t *pkt, size_t len, const struct pxe_dhcp_peer *peer,
		    int64_t now, struct pxe_dhcp_out *out)
{
	struct rh_err err = { 0 };
	struct dhcp_msg m;
	struct req_ctx r = { .c = c, .m = &m, .peer = peer, .now = now, .out = out };
	char why[64];

	out->len = 0;
	out->save = 0;
	out->has_mac = 0;
	out->leased_ip = 0;
	out->nev = 0;
	if (len > PXE_DHCP_PKT_MAX) {
		snprintf(why, sizeof(why), "packet of %zu bytes is over %d", len, PXE_DHCP_PKT_MAX);
		refused(c, peer, now, out, why);
		return 0;
	}
	if (dhcp_parse(pkt, len, &m, &err) < 0) {
		refused(c, peer, now, out, err.msg);
		return 0;
	}
	if (m.op != 1)
		return 0; /* a reply of some DHCP server: not for us */
	if (m.htype != 1 || m.hlen != 6) {
		snprintf(why, sizeof(why), "hardware type %u length %u is not Ethernet", m.htype, m.hlen);
		refused(c, peer, now, out, why);
		return 0;
	}
	memcpy(out->mac, m.chaddr, 6);
	out->has_mac = 1;
	if (!m.msg_type) {
		refused(c, peer, now, out, "plain BOOTP (no option 53) is not served");
		return 0;
	}
	return c->set.mode == PXE_DHCP_FULL ? full(&r) : proxy(&r);
}

/* ---- life cycle ---- */

static int make_pool(const struct pxe_settings *set, uint32_t server_ip, uint32_t netmask, struct pxe_leases **ret,
		     struct rh_err *err)
{
	*ret = NULL;
	if (set->mode != PXE_DHCP_FULL)
		return 0;
	if (!set->range_first || !set->range_last)
		return rh_errf(err, -EINVAL, "dhcp: full mode needs a range (range = FIRST-LAST)");
	if (netmask && ((set->range_first ^ server_ip) & netmask || (set->range_last ^ server_ip) & netmask))
		return rh_errf(err, -EINVAL, "dhcp: the range is not in the server's subnet");
	return pxe_leases_new(set->range_first, set->range_last, server_ip, netmask, set->reservations,
			      set->nreservations, ret, err);
}

static void take_settings(struct pxe_dhcp_core *c, const struct pxe_settings *set)
{
	c->set = *set;
	c->set.reservations = NULL;
	c->set.nreservations = 0;
	if (!c->set.lease_seconds)
		c->set.lease_seconds = 3600;
	if (!c->set.dhcp_port)
		c->set.dhcp_port = 67;
	if (!c->set.proxy_port)
		c->set.proxy_port = 4011;
}

int pxe_dhcp_core_new(const struct pxe_settings *set, uint32_t server_ip, uint32_t netmask, unsigned http_port,
		      const struct pxe_dhcp_ops *ops, struct pxe_dhcp_core **ret, struct rh_err *err)
{
	struct pxe_dhcp_core *c;
	int rc;

	if (!server_ip)
		return rh_errf(err, -EINVAL, "dhcp: no server address");
	c = calloc(1, sizeof(*c));
	if (!c)
		return rh_errf(err, -ENOMEM, "dhcp: out of memory");
	take_settings(c, set);
	if (!set->netmask && !netmask)
		netmask = 0xffffff00u;
	c->server_ip = server_ip;
	c->netmask = netmask ? netmask : set->netmask;
	c->http_port = http_port ? http_port : 80;
	if (ops)
		c->ops = *ops;
	rc = make_pool(set, server_ip, c->netmask, &c->leases, err);
	if (rc < 0) {
		free(c);
		return rc;
	}
	*ret = c;
	return 0;
}

int pxe_dhcp_core_update(struct pxe_dhcp_core *c, const struct pxe_settings *set, struct rh_err *err)
{
	struct pxe_leases *l = NULL;
	int rc;

	if (set->mode != c->set.mode || strcmp(set->interface, c->set.interface) ||
	    (set->dhcp_port && set->dhcp_port != c->set.dhcp_port) ||
	    (set->proxy_port && set->proxy_port != c->set.proxy_port) ||
	    (set->server_ip && set->server_ip != c->server_ip))
		return rh_errf(err, -EBUSY, "dhcp: mode, interface, ports and server address change only on a "
			       "restart; the DHCP settings stay as they were");
	rc = make_pool(set, c->server_ip, c->netmask, &l, err);
	if (rc < 0)
		return rc;
	if (l && c->leases)
		pxe_leases_copy(l, c->leases);
	pxe_leases_free(c->leases);
	c->leases = l;
	take_settings(c, set);
	return 0;
}

void pxe_dhcp_core_free(struct pxe_dhcp_core *c)
{
	if (!c)
		return;
	pxe_leases_free(c->leases);
	free(c);
}

struct pxe_leases *pxe_dhcp_core_leases(struct pxe_dhcp_core *c)
{
	return c->leases;
}

const struct pxe_settings *pxe_dhcp_core_settings(const struct pxe_dhcp_core *c)
{
	return &c->set;
}
