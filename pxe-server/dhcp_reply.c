/* dhcp_reply.c: the boot file for a client and the bytes of a reply (dhcp_reply.h).
 *
 * Boot files (docs/pxe.md, the path namespace; S the server address, P the HTTP port):
 *   iPXE (77 "iPXE" or 175)          http://S:P/boot.ipxe         whatever the architecture: no chainload loop
 *   HTTPClient, x64 (16, also 7, 9)  http://S:P/img/IMAGE/ramhost.efi (rule loader ipxe.efi: http://S:P/ipxe/ipxe.efi)
 *   PXEClient, BIOS (0)              ipxe/undionly.kpxe over TFTP
 *   PXEClient, x64 UEFI (7, 9)       img/IMAGE/ramhost.efi (rule loader ipxe.efi: ipxe/ipxe.efi)
 *   no rule matched                  the iPXE loader of the architecture, which then gets the "no rule" script
 * Anything else (ia32 UEFI 6, ARM 10/11, ...) has no loader: no boot information. */
#include "dhcp_reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_IP_UDP 28   /* IPv4 and UDP headers: option 57 counts the whole datagram (RFC 2132 9.10) */

/* ":Arch:NNNNN" in option 60 ("PXEClient:Arch:00007:UNDI:003016"), -1 when absent or malformed. */
static int vendor_class_arch(const struct dhcp_msg *m)
{
	const struct dhcp_opt *o = &m->opt[DHCP_OPT_VENDOR_CLASS];
	size_t i, k;
	int v;

	if (!o->present)
		return -1;
	for (i = 0; i + 11 <= o->len; i++) {
		if (memcmp(o->data + i, ":Arch:", 6))
			continue;
		for (v = 0, k = i + 6; k < i + 11; k++) {
			if (o->data[k] < '0' || o->data[k] > '9')
				return -1;
			v = v * 10 + (o->data[k] - '0');
		}
		return v > 65535 ? -1 : v;
	}
	return -1;
}

int pxe_dhcp_client_arch(const struct dhcp_msg *m)
{
	int a = dhcp_arch(m);

	if (a < 0)
		a = vendor_class_arch(m);
	if (a < 0 && dhcp_is_pxe_client(m))
		a = 0;
	return a;
}

static int is_x64_uefi(int arch)
{
	return arch == 7 || arch == 9;
}

int pxe_dhcp_boot_class(const struct dhcp_msg *m, struct pxe_boot *b)
{
	memset(b, 0, sizeof(*b));
	b->pxe = dhcp_is_pxe_client(m);
	b->http = dhcp_is_http_client(m);
	b->ipxe = dhcp_is_ipxe(m);
	b->arch = pxe_dhcp_client_arch(m);
	if (!b->pxe && !b->http && !b->ipxe)
		return 0;
	if (b->ipxe)
		return 1;
	if (b->http)
		return b->arch == 16 || b->arch < 0 || is_x64_uefi(b->arch) ? 1 : -1;
	return b->arch == 0 || is_x64_uefi(b->arch) ? 1 : -1;
}

void pxe_dhcp_boot_file(struct pxe_boot *b, const struct pxe_choice *ch, uint32_t s, unsigned port)
{
	char base[64], path[160];
	int matched = ch && ch->rule && ch->image && ch->image_name[0];

	snprintf(base, sizeof(base), "http://%u.%u.%u.%u:%u/", s >> 24, s >> 16 & 255, s >> 8 & 255, s & 255, port);
	if (b->ipxe) {
		snprintf(b->file, sizeof(b->file), "%sboot.ipxe", base);
		return;
	}
	if (b->arch == 0 && !b->http)
		snprintf(path, sizeof(path), "ipxe/undionly.kpxe");
	else if (!matched || ch->loader == PXE_LOADER_IPXE_EFI)
		snprintf(path, sizeof(path), "ipxe/ipxe.efi");
	else
		snprintf(path, sizeof(path), "img/%.64s/ramhost.efi", ch->image_name);
	snprintf(b->file, sizeof(b->file), "%s%s", b->http ? base : "", path);
}

static int asked(const struct dhcp_msg *m, uint8_t code)
{
	const struct dhcp_opt *o = &m->opt[DHCP_OPT_PARAM_LIST];

	return o->present && memchr(o->data, code, o->len) != NULL;
}

size_t pxe_dhcp_reply_limit(const struct dhcp_msg *req, size_t cap)
{
	size_t max = req->max_size > DHCP_MIN_MAX_SIZE ? req->max_size : DHCP_MIN_MAX_SIZE;

	max -= HDR_IP_UDP;
	return max < cap ? max : cap;
}

/* level 0: every option we have; 1: optional ones only when asked for (55); 2: no redundant ones either. */
static int want(const struct dhcp_msg *m, int level, uint8_t code)
{
	if (level == 0)
		return 1;
	if (level >= 2 && (code == DHCP_OPT_TFTP_SERVER || code == DHCP_OPT_BOOTFILE || code == DHCP_OPT_HOSTNAME ||
			   code == DHCP_OPT_DOMAIN || code == DHCP_OPT_DNS || code == DHCP_OPT_CLIENT_UUID ||
			   code == 58 || code == 59 || code == DHCP_OPT_BROADCAST))
		return 0;
	return asked(m, code);
}

static void write_net(struct dhcp_writer *w, const struct pxe_settings *set, uint32_t server_ip, uint32_t mask,
		      const struct dhcp_msg *req, const struct pxe_reply *r, int level)
{
	if (r->lease) {
		dhcp_write_u32(w, DHCP_OPT_LEASE_TIME, r->lease);
		if (want(req, level, 58))
			dhcp_write_u32(w, 58, r->lease / 2);
		if (want(req, level, 59))
			dhcp_write_u32(w, 59, (uint32_t)((uint64_t)r->lease * 7 / 8));
	}
	if (!r->net)
		return;
	dhcp_write_ip(w, DHCP_OPT_SUBNET_MASK, mask);
	if (set->router)
		dhcp_write_ip(w, DHCP_OPT_ROUTER, set->router);
	if (set->ndns && want(req, level, DHCP_OPT_DNS))
		dhcp_write_ips(w, DHCP_OPT_DNS, set->dns, set->ndns > 4 ? 4 : set->ndns);
	if (set->domain[0] && want(req, level, DHCP_OPT_DOMAIN))
		dhcp_write_str(w, DHCP_OPT_DOMAIN, set->domain);
	if (mask && want(req, level, DHCP_OPT_BROADCAST))
		dhcp_write_ip(w, DHCP_OPT_BROADCAST, (server_ip & mask) | ~mask);
	if (r->hostname && r->hostname[0] && want(req, level, DHCP_OPT_HOSTNAME))
		dhcp_write_str(w, DHCP_OPT_HOSTNAME, r->hostname);
}

static void write_boot(struct dhcp_writer *w, uint32_t server_ip, const struct dhcp_msg *req,
		       const struct pxe_boot *b, int level)
{
	static const uint8_t discovery_control = 8; /* boot from the file name, no boot server discovery */
	char sip[16];

	if (b->http)
		dhcp_write_str(w, DHCP_OPT_VENDOR_CLASS, "HTTPClient");
	else if (b->pxe)
		dhcp_write_str(w, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	snprintf(sip, sizeof(sip), "%u.%u.%u.%u", server_ip >> 24, server_ip >> 16 & 255, server_ip >> 8 & 255,
		 server_ip & 255);
	if (want(req, level, DHCP_OPT_TFTP_SERVER))
		dhcp_write_str(w, DHCP_OPT_TFTP_SERVER, sip);
	if (want(req, level, DHCP_OPT_BOOTFILE) || strlen(b->file) > 127)
		dhcp_write_str(w, DHCP_OPT_BOOTFILE, b->file);
	if (b->pxe && !b->http) {
		dhcp_write_begin(w, DHCP_OPT_VENDOR);
		dhcp_write_sub(w, DHCP_PXE_DISCOVERY_CONTROL, &discovery_control, 1);
		dhcp_write_end(w);
	}
	if (want(req, level, DHCP_OPT_CLIENT_UUID))
		dhcp_write_echo(w, req, DHCP_OPT_CLIENT_UUID);
}

static int build_level(const struct pxe_settings *set, uint32_t server_ip, uint32_t mask, const struct dhcp_msg *req,
		       const struct pxe_reply *r, uint8_t *buf, size_t cap, int level)
{
	const struct pxe_boot *b = r->boot && r->boot->file[0] ? r->boot : NULL;
	struct dhcp_writer w;

	dhcp_writer_init(&w, buf, cap);
	dhcp_write_reply_header(&w, req, r->yiaddr, b ? server_ip : 0, NULL,
				b && strlen(b->file) <= 127 ? b->file : NULL);
	dhcp_write_u8(&w, DHCP_OPT_MSG_TYPE, r->type);
	dhcp_write_ip(&w, DHCP_OPT_SERVER_ID, server_ip);
	if (r->message)
		dhcp_write_str(&w, 56, r->message);
	if (r->type != DHCP_NAK) {
		write_net(&w, set, server_ip, mask, req, r, level);
		if (b)
			write_boot(&w, server_ip, req, b, level);
	}
	dhcp_write_echo(&w, req, DHCP_OPT_RELAY_AGENT);
	return dhcp_writer_finish(&w);
}

int pxe_dhcp_build(const struct pxe_settings *set, uint32_t server_ip, uint32_t netmask, const struct dhcp_msg *req,
		   const struct pxe_reply *r, uint8_t *buf, size_t cap)
{
	size_t limit = pxe_dhcp_reply_limit(req, cap);
	int level, n = -EMSGSIZE;

	for (level = 0; level <= 2; level++) {
		n = build_level(set, server_ip, netmask, req, r, buf, limit, level);
		if (n >= 0)
			break;
	}
	if (n < 0)
		return -EMSGSIZE;
	if (r->type == DHCP_NAK) {
		memset(buf + 12, 0, 4);        /* RFC 2131 table 3: a NAK carries no ciaddr */
		if (req->giaddr)
			buf[10] |= 0x80;       /* 4.3.2: through a relay, the NAK is broadcast on the client's net */
	}
	return n;
}
