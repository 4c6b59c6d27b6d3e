/* test_dhcp_server.c: the DHCP server's decisions (pxe-server/dhcp_server.c), driven with packets built here:
 * full-mode DORA, renew, init-reboot, reservations, pool full, decline, release, the lease file across a
 * restart, proxy mode on 67 and 4011, boot files per class and architecture, relays, option 57. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "pxe-server/dhcp_reply.h"
#include "pxe-server/dhcp_server.h"
#include "pxe-server/leases.h"
#include "unit.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define SERVER IP(10, 0, 0, 1)
#define T0 1700000000

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
static const uint8_t MAC_C[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x58 };
static const uint8_t MAC_D[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x59 };
static const uint8_t MAC_RES[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t MAC_NORULE[6] = { 0x52, 0x54, 0x00, 0x99, 0x00, 0x01 };

/* ---- a small request builder ---- */

struct pkt {
	uint8_t b[1600];
	size_t n;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void opt(struct pkt *p, uint8_t code, const void *d, size_t len)
{
	p->b[p->n++] = code;
	p->b[p->n++] = (uint8_t)len;
	memcpy(p->b + p->n, d, len);
	p->n += len;
}

static void opt_ip(struct pkt *p, uint8_t code, uint32_t ip)
{
	uint8_t v[4];

	put32(v, ip);
	opt(p, code, v, 4);
}

static void opt_str(struct pkt *p, uint8_t code, const char *s)
{
	opt(p, code, s, strlen(s));
}

static void opt_arch(struct pkt *p, unsigned arch)
{
	uint8_t v[2] = { (uint8_t)(arch >> 8), (uint8_t)arch };

	opt(p, DHCP_OPT_CLIENT_ARCH, v, 2);
}

static void start(struct pkt *p, uint8_t type, const uint8_t mac[6])
{
	static const uint8_t cookie[4] = { 99, 130, 83, 99 };

	memset(p, 0, sizeof(*p));
	p->b[0] = 1;
	p->b[1] = 1;
	p->b[2] = 6;
	put32(p->b + 4, 0x11223344);
	memcpy(p->b + 28, mac, 6);
	memcpy(p->b + 236, cookie, 4);
	p->n = 240;
	opt(p, DHCP_OPT_MSG_TYPE, &type, 1);
}

static void set_ciaddr(struct pkt *p, uint32_t ip)
{
	put32(p->b + 12, ip);
}

static void set_giaddr(struct pkt *p, uint32_t ip)
{
	put32(p->b + 24, ip);
}

static void end(struct pkt *p)
{
	p->b[p->n++] = 255;
	while (p->n < 300)
		p->b[p->n++] = 0;
}

/* A PXE ROM's DISCOVER or REQUEST for arch (-1: no option 93, 60 says Arch:00000). */
static void pxe_pkt(struct pkt *p, uint8_t type, const uint8_t mac[6], int arch)
{
	char vc[64];

	start(p, type, mac);
	snprintf(vc, sizeof(vc), "PXEClient:Arch:%05d:UNDI:002001", arch < 0 ? 0 : arch);
	opt_str(p, DHCP_OPT_VENDOR_CLASS, vc);
	if (arch >= 0)
		opt_arch(p, (unsigned)arch);
}

/* ---- the server under test ---- */

struct rig {
	struct pxe_settings set;
	struct pxe_reservation res;
	struct pxe_dhcp_core *c;
	struct pxe_facts last;
	int chosen;
	enum pxe_loader loader;
	struct pxe_dhcp_out out;
	struct dhcp_msg rep;
};

static int choose(void *ctx, const struct pxe_facts *f, struct pxe_choice *out)
{
	struct rig *r = ctx;

	r->last = *f;
	r->chosen++;
	memset(out, 0, sizeof(*out));
	if (!memcmp(f->mac, MAC_NORULE, 6))
		return 0;
	out->rule = (const struct pxe_rule *)r;      /* any non-NULL pointer: the core only tests it */
	out->image = (const struct pxe_image *)r;
	snprintf(out->rule_name, sizeof(out->rule_name), "web");
	snprintf(out->image_name, sizeof(out->image_name), "demo");
	snprintf(out->hostname, sizeof(out->hostname), "web-1");
	out->loader = r->loader;
	return 0;
}

static void rig_init(struct rig *r, enum pxe_dhcp_mode mode, uint32_t first, uint32_t last)
{
	struct pxe_dhcp_ops ops = { .ctx = r, .choose = choose };
	struct rh_err err = { 0 };

	memset(r, 0, sizeof(*r));
	r->set.mode = mode;
	r->set.range_first = first;
	r->set.range_last = last;
	r->set.router = SERVER;
	r->set.dns[0] = SERVER;
	r->set.ndns = 1;
	snprintf(r->set.domain, sizeof(r->set.domain), "lab.example");
	r->set.lease_seconds = 3600;
	r->set.dhcp_port = 67;
	r->set.proxy_port = 4011;
	memcpy(r->res.mac, MAC_RES, 6);
	r->res.ip = IP(10, 0, 0, 50);
	snprintf(r->res.hostname, sizeof(r->res.hostname), "node1");
	r->set.reservations = &r->res;
	r->set.nreservations = 1;
	CHECK(pxe_dhcp_core_new(&r->set, SERVER, 0xffffff00u, 8080, &ops, &r->c, &err) == 0);
}

/* Sends p to port from src; returns 1 when there is a reply (parsed into r->rep). */
static int ask(struct rig *r, struct pkt *p, unsigned port, uint32_t src, unsigned sport, int64_t now)
{
	struct pxe_dhcp_peer peer = { .ip = src, .port = sport, .local_port = port };
	int k;

	end(p);
	k = pxe_dhcp_handle(r->c, p->b, p->n, &peer, now, &r->out);
	CHECK(k == (r->out.len > 0));
	if (!k)
		return 0;
	CHECK(dhcp_parse(r->out.buf, r->out.len, &r->rep, NULL) == 0);
	return 1;
}

static const char *opt_s(const struct dhcp_msg *m, uint8_t code, char *buf)
{
	const struct dhcp_opt *o = &m->opt[code];

	if (!o->present)
		return "(absent)";
	memcpy(buf, o->data, o->len);
	buf[o->len] = '\0';
	return buf;
}

static uint32_t opt_u32(const struct dhcp_msg *m, uint8_t code)
{
	const uint8_t *d = m->opt[code].data;

	return m->opt[code].len == 4 ? (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3] : 0;
}

static int has_event(const struct pxe_dhcp_out *o, const char *step, const char *text_part)
{
	unsigned i;

	for (i = 0; i < o->nev; i++)
		if (!strcmp(o->ev[i].step, step) && (!text_part || strstr(o->ev[i].text, text_part)))
			return 1;
	return 0;
}

/* DISCOVER + REQUEST (selecting) for mac; returns the address acknowledged, 0 when none. */
static uint32_t dora(struct rig *r, const uint8_t mac[6], int arch, int64_t now)
{
	struct pkt p;
	uint32_t ip;

	pxe_pkt(&p, DHCP_DISCOVER, mac, arch);
	if (!ask(r, &p, 67, 0, 68, now) || r->rep.msg_type != DHCP_OFFER)
		return 0;
	ip = r->rep.yiaddr;
	pxe_pkt(&p, DHCP_REQUEST, mac, arch);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	opt_ip(&p, DHCP_OPT_REQUESTED_IP, ip);
	if (!ask(r, &p, 67, 0, 68, now) || r->rep.msg_type != DHCP_ACK)
		return 0;
	return r->rep.yiaddr == ip ? ip : 0;
}

static void test_full_dora_bios(void)
{
	struct rig r;
	struct pkt p;
	char s[256];

	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	pxe_pkt(&p, DHCP_DISCOVER, MAC_A, -1);
	CHECK(ask(&r, &p, 67, 0, 68, T0));
	CHECK(r.rep.msg_type == DHCP_OFFER && r.rep.yiaddr == IP(10, 0, 0, 100) && r.rep.siaddr == SERVER);
	CHECK_STR(r.rep.file, "ipxe/undionly.kpxe");
	CHECK_STR(opt_s(&r.rep, DHCP_OPT_BOOTFILE, s), "ipxe/undionly.kpxe");
	CHECK_STR(opt_s(&r.rep, DHCP_OPT_TFTP_SERVER, s), "10.0.0.1");
	CHECK_STR(opt_s(&r.rep, DHCP_OPT_VENDOR_CLASS, s), "PXEClient");
	CHECK(r.rep.server_id == SERVER && opt_u32(&r.rep, DHCP_OPT_LEASE_TIME) == 3600);
	CHECK(opt_u32(&r.rep, DHCP_OPT_SUBNET_MASK) == 0xffffff00u && opt_u32(&r.rep, DHCP_OPT_ROUTER) == SERVER);
	CHECK(opt_u32(&r.rep, DHCP_OPT_BROADCAST) == IP(10, 0, 0, 255));
	CHECK(r.rep.opt[DHCP_OPT_VENDOR].len == 3 && !memcmp(r.rep.opt[DHCP_OPT_VENDOR].data, "\x06\x01\x08", 3));
	CHECK(r.out.dst_ip == 0xffffffffu && r.out.dst_port == 68 && !r.out.save);
	CHECK(has_event(&r.out, "dhcp-offer", "10.0.0.100 image=demo rule=web file=ipxe/undionly.kpxe"));
	CHECK(r.last.arch == 0 && r.last.has_mac && !memcmp(r.last.mac, MAC_A, 6) && r.last.uuid[0] == '\0');

	pxe_pkt(&p, DHCP_REQUEST, MAC_A, -1);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	opt_ip(&p, DHCP_OPT_REQUESTED_IP, IP(10, 0, 0, 100));
	CHECK(ask(&r, &p, 67, 0, 68, T0 + 1));
	CHECK(r.rep.msg_type == DHCP_ACK && r.rep.yiaddr == IP(10, 0, 0, 100));
	CHECK(r.out.save && r.out.leased_ip == IP(10, 0, 0, 100) && has_event(&r.out, "dhcp-ack", "10.0.0.100"));
	CHECK(pxe_leases_state(pxe_dhcp_core_leases(r.c), IP(10, 0, 0, 100), T0 + 2) == PXE_LEASE_BOUND);
	pxe_dhcp_core_free(r.c);
}

static void test_boot_files(void)
{
	static const struct {
		int arch;
		enum pxe_loader loader;
		const uint8_t *mac;
		const char *file;
	} rows[] = {
		{ 0, PXE_LOADER_DEFAULT, MAC_A, "ipxe/undionly.kpxe" },
		{ 7, PXE_LOADER_DEFAULT, MAC_A, "img/demo/ramhost.efi" },
		{ 9, PXE_LOADER_RAMHOST_EFI, MAC_A, "img/demo/ramhost.efi" },
		{ 7, PXE_LOADER_IPXE_EFI, MAC_A, "ipxe/ipxe.efi" },
		{ 0, PXE_LOADER_DEFAULT, MAC_NORULE, "ipxe/undionly.kpxe" },
		{ 7, PXE_LOADER_DEFAULT, MAC_NORULE, "ipxe/ipxe.efi" },
	};
	struct rig r;
	struct pkt p;
	size_t i;

	rig_init(&r, PXE_DHCP_PROXY, 0, 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r.loader = rows[i].loader;
		pxe_pkt(&p, DHCP_DISCOVER, rows[i].mac, rows[i].arch);
		CHECK(ask(&r, &p, 67, 0, 68, T0));
		CHECK_STR(r.rep.file, rows[i].file);
		if (rows[i].mac == MAC_NORULE)
			CHECK(has_event(&r.out, "proxy-offer", "rule=none"));
	}
	pxe_dhcp_core_free(r.c);
}

static void test_ipxe_and_http(void)
{
	struct rig r;
	struct pkt p;
	char s[256];
	int form;

	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	for (form = 0; form < 3; form++) {
		pxe_pkt(&p, DHCP_DISCOVER, MAC_A, 0);
		if (form == 0)
			opt_str(&p, DHCP_OPT_USER_CLASS, "iPXE");
		else if (form == 1)
			opt(&p, DHCP_OPT_USER_CLASS, "\x04iPXE", 5);
		else
			opt(&p, DHCP_OPT_IPXE, "\x13\x01\x01", 3);
		CHECK(ask(&r, &p, 67, 0, 68, T0));
		CHECK_STR(r.rep.file, "http://10.0.0.1:8080/boot.ipxe");
	}
	start(&p, DHCP_DISCOVER, MAC_B);
	opt_str(&p, DHCP_OPT_VENDOR_CLASS, "HTTPClient:Arch:00016:UNDI:003001");
	opt_arch(&p, 16);
	CHECK(ask(&r, &p, 67, 0, 68, T0));
	CHECK_STR(r.rep.file, "http://10.0.0.1:8080/img/demo/ramhost.efi");
	CHECK_STR(opt_s(&r.rep, DHCP_OPT_VENDOR_CLASS, s), "HTTPClient");
	CHECK(!r.rep.opt[DHCP_OPT_VENDOR].present);
	r.loader = PXE_LOADER_IPXE_EFI;
	CHECK(ask(&r, &p, 67, 0, 68, T0));
	CHECK_STR(r.rep.file, "http://10.0.0.1:8080/ipxe/ipxe.efi");
	/* an ordinary client: an address, no boot information */
	start(&p, DHCP_DISCOVER, MAC_C);
	CHECK(ask(&r, &p, 67, 0, 68, T0));
	CHECK(r.rep.yiaddr && r.rep.file[0] == '\0' && !r.rep.opt[DHCP_OPT_BOOTFILE].present && r.rep.siaddr == 0);
	pxe_dhcp_core_free(r.c);
}

static void test_renew_and_init_reboot(void)
{
	struct rig r;
	struct pkt p;
	uint32_t ip;

	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	ip = dora(&r, MAC_A, 7, T0);
	CHECK(ip == IP(10, 0, 0, 100));
	CHECK(dora(&r, MAC_B, 7, T0) == IP(10, 0, 0, 101));
	/* renewing: ciaddr, no 50/54: unicast ACK */
	pxe_pkt(&p, DHCP_REQUEST, MAC_A, 7);
	set_ciaddr(&p, ip);
	CHECK(ask(&r, &p, 67, ip, 68, T0 + 1800));
	CHECK(r.rep.msg_type == DHCP_ACK && r.rep.yiaddr == ip && r.out.dst_ip == ip && r.out.dst_port == 68);
	/* init-reboot with its own address: ACK; with B's: NAK; off the network: NAK */
	pxe_pkt(&p, DHCP_REQUEST, MAC_A, 7);
	opt_ip(&p, DHCP_OPT_REQUESTED_IP, ip);
	CHECK(ask(&r, &p, 67, 0, 68, T0 + 1801) && r.rep.msg_type == DHCP_ACK);
	pxe_pkt(&p, DHCP_REQUEST, MAC_A, 7);
	opt_ip(&p, DHCP_OPT_REQUESTED_IP, IP(10, 0, 0, 101));
	CHECK(ask(&r, &p, 67, 0, 68, T0 + 1802) && r.rep.msg_type == DHCP_NAK && r.rep.yiaddr == 0);
	CHECK(r.out.dst_ip == 0xffffffffu && has_event(&r.out, "dhcp-nak", "leased to another host"));
	pxe_pkt(&p, DHCP_REQUEST, MAC_A, 7);
	opt_ip(&p, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 5));
	CHECK(ask(&r, &p, 67, 0, 68, T0 + 1803) && r.rep.msg_type == DHCP_NAK);
	CHECK(has_event(&r.out, "dhcp-nak", "192.168.1.5: not in the pool"));
	/* a REQUEST for another server: silence */
	pxe_pkt(&p, DHCP_REQUEST, MAC_C, 7);
	opt_ip(&p, DHCP_OPT_SERVER_ID, IP(10, 0, 0, 2));
	opt_ip(&p, DHCP_OPT_REQUESTED_IP, IP(10, 0, 0, 102));
	CHECK(!ask(&r, &p, 67, 0, 68, T0) && r.out.nev == 0);
	pxe_dhcp_core_free(r.c);
}

static void test_reservation(void)
{
	struct rig r;
	char s[64];

	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	CHECK(dora(&r, MAC_RES, 0, T0) == IP(10, 0, 0, 50));
	CHECK_STR(opt_s(&r.rep, DHCP_OPT_HOSTNAME, s), "node1");
	CHECK(r.last.ip == IP(10, 0, 0, 50));
	CHECK(dora(&r, MAC_A, 0, T0) == IP(10, 0, 0, 100));
	CHECK_STR(opt_s(&r.rep, DHCP_OPT_HOSTNAME, s), "web-1");
	pxe_dhcp_core_free(r.c);
}

static void test_lease_file_restart(void)
{
	struct rig r;
	char *text = NULL;
	size_t len = 0;

	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	CHECK(dora(&r, MAC_A, 0, T0) == IP(10, 0, 0, 100));
	CHECK(dora(&r, MAC_B, 0, T0) == IP(10, 0, 0, 101));
	CHECK(pxe_leases_format(pxe_dhcp_core_leases(r.c), T0, &text, &len) == 0);
	pxe_dhcp_core_free(r.c);
	/* a new server (kill -9 and restart) reads the file: B asks first and still gets its own address */
	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	CHECK(pxe_leases_parse(pxe_dhcp_core_leases(r.c), "leases", text, len, NULL, NULL, NULL) == 2);
	CHECK(dora(&r, MAC_B, 0, T0 + 10) == IP(10, 0, 0, 101));
	CHECK(dora(&r, MAC_C, 0, T0 + 10) == IP(10, 0, 0, 102));
	CHECK(dora(&r, MAC_A, 0, T0 + 10) == IP(10, 0, 0, 100));
	/* even long after expiry, as long as nobody needed the address */
	CHECK(dora(&r, MAC_A, 0, T0 + 100000) == IP(10, 0, 0, 100));
	free(text);
	pxe_dhcp_core_free(r.c);
}

static void test_pool_full_decline_release(void)
{
	struct rig r;
	struct pkt p;

	/* .100-.102: three addresses */
	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 102));
	CHECK(dora(&r, MAC_A, 0, T0) == IP(10, 0, 0, 100));
	CHECK(dora(&r, MAC_B, 0, T0) == IP(10, 0, 0, 101));
	CHECK(dora(&r, MAC_C, 0, T0) == IP(10, 0, 0, 102));
	pxe_pkt(&p, DHCP_DISCOVER, MAC_D, 0);
	CHECK(!ask(&r, &p, 67, 0, 68, T0));
	CHECK(has_event(&r.out, "dhcp-pool-full", "no free address in 10.0.0.100-10.0.0.102 (3 leased)"));
	/* C declines its address: set aside; D still gets nothing */
	start(&p, DHCP_DECLINE, MAC_C);
	opt_ip(&p, DHCP_OPT_REQUESTED_IP, IP(10, 0, 0, 102));
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	CHECK(!ask(&r, &p, 67, 0, 68, T0 + 5));
	CHECK(r.out.save && has_event(&r.out, "dhcp-decline", "10.0.0.102 in use on the network"));
	CHECK(pxe_leases_state(pxe_dhcp_core_leases(r.c), IP(10, 0, 0, 102), T0 + 6) == PXE_LEASE_DECLINED);
	pxe_pkt(&p, DHCP_DISCOVER, MAC_D, 0);
	CHECK(!ask(&r, &p, 67, 0, 68, T0 + 6));
	/* A releases: D gets A's address (the only one not held), A's binding is gone */
	start(&p, DHCP_RELEASE, MAC_A);
	set_ciaddr(&p, IP(10, 0, 0, 100));
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	CHECK(!ask(&r, &p, 67, IP(10, 0, 0, 100), 68, T0 + 7));
	CHECK(r.out.save && has_event(&r.out, "dhcp-release", "10.0.0.100"));
	CHECK(dora(&r, MAC_D, 0, T0 + 8) == IP(10, 0, 0, 100));
	/* after the decline hold, the declined address is free again */
	CHECK(dora(&r, MAC_A, 0, T0 + 5 + PXE_LEASE_DECLINE_HOLD + 1) == IP(10, 0, 0, 102));
	pxe_dhcp_core_free(r.c);
}

static void test_proxy(void)
{
	struct rig r;
	struct pkt p;

	rig_init(&r, PXE_DHCP_PROXY, 0, 0);
	pxe_pkt(&p, DHCP_DISCOVER, MAC_A, 7);
	CHECK(ask(&r, &p, 67, 0, 68, T0));
	CHECK(r.rep.msg_type == DHCP_OFFER && r.rep.yiaddr == 0 && !r.rep.opt[DHCP_OPT_LEASE_TIME].present);
	CHECK(!r.rep.opt[DHCP_OPT_SUBNET_MASK].present && r.rep.siaddr == SERVER);
	CHECK_STR(r.rep.file, "img/demo/ramhost.efi");
	CHECK(has_event(&r.out, "proxy-offer", "image=demo rule=web"));
	/* REQUEST on 67 (to the other server, with its 54): an ACK with boot information only */
	pxe_pkt(&p, DHCP_REQUEST, MAC_A, 7);
	opt_ip(&p, DHCP_OPT_SERVER_ID, IP(10, 0, 0, 2));
	opt_ip(&p, DHCP_OPT_REQUESTED_IP, IP(10, 0, 0, 33));
	CHECK(ask(&r, &p, 67, 0, 68, T0));
	CHECK(r.rep.msg_type == DHCP_ACK && r.rep.yiaddr == 0 && r.out.dst_ip == 0xffffffffu);
	CHECK(has_event(&r.out, "proxy-ack", NULL));
	/* REQUEST on 4011: unicast back to the source address and port */
	pxe_pkt(&p, DHCP_REQUEST, MAC_A, 7);
	set_ciaddr(&p, IP(10, 0, 0, 33));
	CHECK(ask(&r, &p, 4011, IP(10, 0, 0, 33), 4011, T0));
	CHECK(r.rep.msg_type == DHCP_ACK && r.rep.yiaddr == 0);
	CHECK(r.out.dst_ip == IP(10, 0, 0, 33) && r.out.dst_port == 4011);
	CHECK_STR(r.rep.file, "img/demo/ramhost.efi");
	/* DISCOVER on 4011, ordinary clients, RELEASE: silence; never a NAK */
	pxe_pkt(&p, DHCP_DISCOVER, MAC_A, 7);
	CHECK(!ask(&r, &p, 4011, IP(10, 0, 0, 33), 4011, T0));
	start(&p, DHCP_DISCOVER, MAC_B);
	CHECK(!ask(&r, &p, 67, 0, 68, T0));
	start(&p, DHCP_REQUEST, MAC_B);
	opt_ip(&p, DHCP_OPT_REQUESTED_IP, IP(10, 0, 0, 34));
	CHECK(!ask(&r, &p, 67, 0, 68, T0));
	pxe_dhcp_core_free(r.c);
}

static void test_relay_and_uuid(void)
{
	static const uint8_t uuid[17] = { 0, 0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
					  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	static const uint8_t o82[] = { 1, 4, 'p', 'o', 'r', 't', 2, 3, 's', 'w', '1' };
	struct rig r;
	struct pkt p;

	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	pxe_pkt(&p, DHCP_DISCOVER, MAC_A, 7);
	set_giaddr(&p, IP(10, 0, 0, 254));
	opt(&p, DHCP_OPT_RELAY_AGENT, o82, sizeof(o82));
	opt(&p, DHCP_OPT_CLIENT_UUID, uuid, sizeof(uuid));
	CHECK(ask(&r, &p, 67, IP(10, 0, 0, 254), 67, T0));
	CHECK(r.out.dst_ip == IP(10, 0, 0, 254) && r.out.dst_port == 67 && r.rep.giaddr == IP(10, 0, 0, 254));
	CHECK(r.rep.opt[DHCP_OPT_RELAY_AGENT].len == sizeof(o82) &&
	      !memcmp(r.rep.opt[DHCP_OPT_RELAY_AGENT].data, o82, sizeof(o82)));
	CHECK(r.rep.has_uuid && !memcmp(r.rep.uuid, uuid + 1, 16));
	CHECK_STR(r.last.uuid, "00112233-4455-6677-8899-aabbccddeeff"); /* wire 33 22 11 00 55 44 77 66 ... */
	CHECK(r.last.giaddr == IP(10, 0, 0, 254) && r.last.opt82_len == sizeof(o82));
	/* a relay on another subnet: the pool's addresses would be wrong there */
	pxe_pkt(&p, DHCP_DISCOVER, MAC_B, 7);
	set_giaddr(&p, IP(10, 9, 0, 1));
	CHECK(!ask(&r, &p, 67, IP(10, 9, 0, 1), 67, T0));
	CHECK(has_event(&r.out, "dhcp-refused", "relayed from 10.9.0.1, outside the pool's subnet"));
	pxe_dhcp_core_free(r.c);
}

static void test_no_loader(void)
{
	static const int arches[] = { 6, 10, 11 };
	struct rig r;
	struct pkt p;
	char want[64];
	size_t i;

	rig_init(&r, PXE_DHCP_PROXY, 0, 0);
	for (i = 0; i < 3; i++) {
		pxe_pkt(&p, DHCP_DISCOVER, MAC_A, arches[i]);
		CHECK(!ask(&r, &p, 67, 0, 68, T0 + 100 * (int)i));
		snprintf(want, sizeof(want), "no loader for architecture %d (%s)", arches[i],
			 dhcp_arch_name((unsigned)arches[i]));
		CHECK(has_event(&r.out, "dhcp-no-loader", want));
		/* the client's retries within a minute are not logged again */
		CHECK(!ask(&r, &p, 67, 0, 68, T0 + 100 * (int)i + 30) && r.out.nev == 0);
	}
	pxe_dhcp_core_free(r.c);
	/* full mode: the host still gets an address, without boot information */
	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	pxe_pkt(&p, DHCP_DISCOVER, MAC_A, 6);
	CHECK(ask(&r, &p, 67, 0, 68, T0) && r.rep.yiaddr == IP(10, 0, 0, 100) && r.rep.file[0] == '\0');
	CHECK(has_event(&r.out, "dhcp-no-loader", "architecture 6 (x86 UEFI)") && has_event(&r.out, "dhcp-offer", NULL));
	pxe_dhcp_core_free(r.c);
}

static void test_max_size(void)
{
	static const uint8_t big82[250] = { 1, 248 };
	static const uint8_t ask_all[] = { 1, 3, 6, 12, 15, 28, 51, 54, 58, 59, 66, 67 };
	uint16_t sizes[] = { 0, 576, 1500 };
	struct rig r;
	struct pkt p;
	size_t i;

	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	memset(r.set.domain, 'd', 120);
	r.set.domain[120] = '\0';
	CHECK(pxe_dhcp_core_update(r.c, &r.set, NULL) == 0);
	for (i = 0; i < 3; i++) {
		uint8_t v[2] = { (uint8_t)(sizes[i] >> 8), (uint8_t)sizes[i] };

		pxe_pkt(&p, DHCP_DISCOVER, MAC_A, 7);
		set_giaddr(&p, IP(10, 0, 0, 254));
		opt(&p, DHCP_OPT_RELAY_AGENT, big82, sizeof(big82));
		opt(&p, DHCP_OPT_PARAM_LIST, ask_all, sizeof(ask_all));
		if (sizes[i])
			opt(&p, DHCP_OPT_MAX_SIZE, v, 2);
		CHECK(ask(&r, &p, 67, IP(10, 0, 0, 254), 67, T0));
		if (sizes[i] == 1500) {
			CHECK(r.rep.opt[DHCP_OPT_DOMAIN].present && r.out.len > 548);
		} else {
			CHECK(r.out.len <= 548 && !r.rep.opt[DHCP_OPT_DOMAIN].present);
		}
		CHECK_STR(r.rep.file, "img/demo/ramhost.efi");
		CHECK(r.rep.opt[DHCP_OPT_RELAY_AGENT].len == sizeof(big82));
	}
	pxe_dhcp_core_free(r.c);
}

static void test_inform_and_ports(void)
{
	struct rig r;
	struct pkt p;

	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	pxe_pkt(&p, DHCP_INFORM, MAC_A, 0);
	set_ciaddr(&p, IP(10, 0, 0, 77));
	CHECK(ask(&r, &p, 67, IP(10, 0, 0, 77), 68, T0));
	CHECK(r.rep.msg_type == DHCP_ACK && r.rep.yiaddr == 0 && !r.rep.opt[DHCP_OPT_LEASE_TIME].present);
	CHECK(r.out.dst_ip == IP(10, 0, 0, 77) && r.out.dst_port == 68 && !r.out.save && !r.out.leased_ip);
	pxe_dhcp_core_free(r.c);
	/* moved ports (tests): replies go to dhcp_port + 1 */
	memset(&r, 0, sizeof(r));
	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	pxe_dhcp_core_free(r.c);
	r.set.dhcp_port = 10067;
	r.set.proxy_port = 14011;
	CHECK(pxe_dhcp_core_new(&r.set, SERVER, 0xffffff00u, 8080, NULL, &r.c, NULL) == 0);
	pxe_pkt(&p, DHCP_DISCOVER, MAC_A, 0);
	CHECK(ask(&r, &p, 10067, 0, 10068, T0) && r.out.dst_port == 10068);
	CHECK_STR(r.rep.file, "ipxe/undionly.kpxe");
	pxe_dhcp_core_free(r.c);
}

static void test_refused(void)
{
	struct rig r;
	struct pkt p;
	struct pxe_dhcp_peer peer = { .ip = IP(10, 0, 0, 9), .port = 68, .local_port = 67 };
	uint8_t big[1600] = { 0 };
	unsigned i, events = 0;

	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	pxe_pkt(&p, DHCP_DISCOVER, MAC_A, 0);
	p.b[p.n++] = DHCP_OPT_CLIENT_ID;
	p.b[p.n++] = 40; /* runs past the end */
	CHECK(pxe_dhcp_handle(r.c, p.b, p.n, &peer, T0, &r.out) == 0);
	CHECK(has_event(&r.out, "dhcp-refused", "from 10.0.0.9:68: dhcp: truncated option 61"));
	CHECK(pxe_dhcp_handle(r.c, big, sizeof(big), &peer, T0 + 1, &r.out) == 0);
	CHECK(has_event(&r.out, "dhcp-refused", "packet of 1600 bytes is over 1500"));
	/* a flood: at most PXE_DHCP_REFUSED_PER_SEC lines a second, then a count */
	for (i = 0; i < 50; i++) {
		pxe_dhcp_handle(r.c, big, 100, &peer, T0 + 2, &r.out);
		events += r.out.nev;
	}
	CHECK(events == PXE_DHCP_REFUSED_PER_SEC);
	pxe_dhcp_handle(r.c, big, 100, &peer, T0 + 3, &r.out);
	CHECK(has_event(&r.out, "dhcp-refused", "(30 more refused before, not logged)"));
	/* not Ethernet; plain BOOTP */
	pxe_pkt(&p, DHCP_DISCOVER, MAC_A, 0);
	p.b[1] = 6;
	CHECK(!ask(&r, &p, 67, 0, 68, T0 + 4) && has_event(&r.out, "dhcp-refused", "not Ethernet"));
	pxe_dhcp_core_free(r.c);
}

static void test_update(void)
{
	struct rig r;
	struct rh_err err = { 0 };

	rig_init(&r, PXE_DHCP_FULL, IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	CHECK(dora(&r, MAC_A, 0, T0) == IP(10, 0, 0, 100));
	r.set.range_first = IP(10, 0, 0, 90);
	CHECK(pxe_dhcp_core_update(r.c, &r.set, &err) == 0);
	CHECK(dora(&r, MAC_A, 0, T0) == IP(10, 0, 0, 100));
	CHECK(dora(&r, MAC_B, 0, T0) == IP(10, 0, 0, 90));
	r.set.mode = PXE_DHCP_PROXY;
	CHECK(pxe_dhcp_core_update(r.c, &r.set, &err) == -EBUSY && strstr(err.msg, "restart"));
	r.set.mode = PXE_DHCP_FULL;
	r.set.range_first = IP(10, 0, 1, 1);
	r.set.range_last = IP(10, 0, 1, 9);
	rh_err_clear(&err);
	CHECK(pxe_dhcp_core_update(r.c, &r.set, &err) == -EINVAL && strstr(err.msg, "subnet"));
	CHECK(dora(&r, MAC_A, 0, T0) == IP(10, 0, 0, 100));
	pxe_dhcp_core_free(r.c);
}

int main(void)
{
	RUN(test_full_dora_bios);
	RUN(test_boot_files);
	RUN(test_ipxe_and_http);
	RUN(test_renew_and_init_reboot);
	RUN(test_reservation);
	RUN(test_lease_file_restart);
	RUN(test_pool_full_decline_release);
	RUN(test_proxy);
	RUN(test_relay_and_uuid);
	RUN(test_no_loader);
	RUN(test_max_size);
	RUN(test_inform_and_ports);
	RUN(test_refused);
	RUN(test_update);
	UNIT_EXIT();
}
