/* fuzz_dhcp_server.c: the DHCP server's decisions (pxe-server/dhcp_server.c) on any packet, in full mode (a
 * small in-memory pool with a reservation, no lease file) and in proxy mode on both ports. Each input is played
 * three times against the full-mode server (now, then later), so offers, bindings and their expiry are exercised.
 * Every reply must parse back, answer the same xid and chaddr, fit the client's maximum, echo option 82, and in
 * proxy mode never carry an address or be a NAK. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "pxe-server/dhcp_reply.h"
#include "pxe-server/dhcp_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SERVER 0x0a000001u

static int choose(void *ctx, const struct pxe_facts *f, struct pxe_choice *out)
{
	(void)ctx;
	memset(out, 0, sizeof(*out));
	if (f->mac[5] & 1)
		return f->mac[5] & 2 ? -1 : 0; /* no rule, or a failing rule set */
	out->rule = (const struct pxe_rule *)f;
	out->image = (const struct pxe_image *)f;
	memcpy(out->rule_name, "r", 2);
	memcpy(out->image_name, "demo", 5);
	memcpy(out->hostname, "h", 2);
	out->loader = f->mac[5] & 4 ? PXE_LOADER_IPXE_EFI : PXE_LOADER_DEFAULT;
	return 0;
}

static void check(const uint8_t *pkt, size_t len, const struct pxe_dhcp_out *o, int proxy)
{
	struct dhcp_msg req, rep;

	if (!o->len)
		return;
	if (dhcp_parse(pkt, len, &req, NULL) < 0 || dhcp_parse(o->buf, o->len, &rep, NULL) < 0)
		abort();
	if (rep.op != 2 || rep.xid != req.xid || memcmp(rep.chaddr, req.chaddr, 16))
		abort();
	if (o->len > pxe_dhcp_reply_limit(&req, PXE_DHCP_REPLY_MAX) || !o->dst_port)
		abort();
	if (rep.opt[DHCP_OPT_RELAY_AGENT].present != req.opt[DHCP_OPT_RELAY_AGENT].present)
		abort();
	if (proxy && (rep.yiaddr || rep.msg_type == DHCP_NAK || o->save))
		abort();
	if (o->nev > 2)
		abort();
}

static void play(struct pxe_dhcp_core *c, const uint8_t *pkt, size_t len, unsigned port, int64_t now, int proxy)
{
	static struct pxe_dhcp_out out;
	struct pxe_dhcp_peer peer = { .ip = 0x0a000063u, .port = 68, .local_port = port };

	pxe_dhcp_handle(c, pkt, len, &peer, now, &out);
	check(pkt, len, &out, proxy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pxe_dhcp_ops ops = { .choose = choose };
	struct pxe_reservation res = { .mac = { 0x52, 0x54, 0, 0, 0, 1 }, .ip = 0x0a000032u, .hostname = "node1" };
	struct pxe_settings set;
	struct pxe_dhcp_core *full = NULL, *proxy = NULL;

	memset(&set, 0, sizeof(set));
	set.mode = PXE_DHCP_FULL;
	set.range_first = 0x0a000064u;
	set.range_last = 0x0a000067u; /* four addresses: the pool fills up */
	set.router = SERVER;
	set.dns[0] = SERVER;
	set.ndns = 1;
	memcpy(set.domain, "lab.example", 12);
	set.reservations = &res;
	set.nreservations = 1;
	set.dhcp_port = 67;
	set.proxy_port = 4011;
	if (pxe_dhcp_core_new(&set, SERVER, 0xffffff00u, 8080, &ops, &full, NULL) < 0)
		abort();
	set.mode = PXE_DHCP_PROXY;
	if (pxe_dhcp_core_new(&set, SERVER, 0xffffff00u, 8080, &ops, &proxy, NULL) < 0)
		abort();
	play(full, data, size, 67, 1700000000, 0);
	play(full, data, size, 67, 1700000001, 0);
	play(full, data, size, 4011, 1700000002, 1);
	pxe_leases_expire(pxe_dhcp_core_leases(full), 1700009999);
	play(full, data, size, 67, 1700010000, 0);
	play(proxy, data, size, 67, 1700000000, 1);
	play(proxy, data, size, 4011, 1700000000, 1);
	pxe_dhcp_core_free(full);
	pxe_dhcp_core_free(proxy);
	return 0;
}
