/* fuzz_dhcp.c: the DHCP codec (lib/dhcp.c) never reads outside the message and keeps its promises: a parsed
 * message's decoded fields agree with its raw options, and a reply built from it the way the server will (header,
 * PXE options, 43 with discovery control, 82 and 97 echoed) always builds and parses back with the same xid,
 * chaddr and echoed bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_msg(const struct dhcp_msg *m)
{
	if (m->hlen > 16 || m->opt[DHCP_OPT_PAD].present || m->opt[DHCP_OPT_END].present)
		abort();
	if (m->n_arch != m->opt[DHCP_OPT_CLIENT_ARCH].len / 2 || (m->n_arch && dhcp_arch(m) != m->arch[0]))
		abort();
	if (m->has_uuid != m->opt[DHCP_OPT_CLIENT_UUID].present)
		abort();
	if (m->max_size && m->max_size < DHCP_MIN_MAX_SIZE)
		abort();
	if (strlen(m->file) > 128 || strlen(m->sname) > 64 || !dhcp_arch_name((unsigned)m->arch[0]))
		abort();
}

static int build_reply(const struct dhcp_msg *req, uint8_t *out, size_t cap)
{
	static const uint32_t dns[] = { 0x0a000001, 0x0a000002 };
	static const uint8_t dc = 8;
	struct dhcp_writer w;

	dhcp_writer_init(&w, out, cap);
	dhcp_write_reply_header(&w, req, 0x0a000064, 0x0a000005, NULL, "undionly.kpxe");
	dhcp_write_u8(&w, DHCP_OPT_MSG_TYPE, req->msg_type == DHCP_REQUEST ? DHCP_ACK : DHCP_OFFER);
	dhcp_write_ip(&w, DHCP_OPT_SERVER_ID, 0x0a000005);
	dhcp_write_u32(&w, DHCP_OPT_LEASE_TIME, 3600);
	dhcp_write_ip(&w, DHCP_OPT_SUBNET_MASK, 0xffffff00);
	dhcp_write_ip(&w, DHCP_OPT_ROUTER, 0x0a000001);
	dhcp_write_ips(&w, DHCP_OPT_DNS, dns, 2);
	dhcp_write_str(&w, DHCP_OPT_HOSTNAME, "node");
	dhcp_write_ip(&w, DHCP_OPT_BROADCAST, 0x0a0000ff);
	if (dhcp_is_pxe_client(req))
		dhcp_write_str(&w, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	dhcp_write_str(&w, DHCP_OPT_TFTP_SERVER, "10.0.0.5");
	dhcp_write_str(&w, DHCP_OPT_BOOTFILE, "undionly.kpxe");
	dhcp_write_begin(&w, DHCP_OPT_VENDOR);
	dhcp_write_sub(&w, DHCP_PXE_DISCOVERY_CONTROL, &dc, 1);
	dhcp_write_end(&w);
	dhcp_write_echo(&w, req, DHCP_OPT_RELAY_AGENT);
	dhcp_write_echo(&w, req, DHCP_OPT_CLIENT_UUID);
	return dhcp_writer_finish(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_msg req, rep;
	struct rh_err err = { 0 };
	uint8_t out[1500];
	int n;

	if (dhcp_parse(data, size, &req, &err) < 0) {
		if (strncmp(err.msg, "dhcp: ", 6) || err.rc != -EBADMSG)
			abort();
		return 0;
	}
	check_msg(&req);
	(void)dhcp_is_ipxe(&req);
	(void)dhcp_is_http_client(&req);
	n = build_reply(&req, out, sizeof(out));
	if (n < DHCP_BOOTP_MIN || dhcp_parse(out, (size_t)n, &rep, NULL) < 0)
		abort();
	check_msg(&rep);
	if (rep.op != 2 || rep.xid != req.xid || memcmp(rep.chaddr, req.chaddr, 16) || rep.giaddr != req.giaddr)
		abort();
	if (rep.opt[DHCP_OPT_RELAY_AGENT].len != req.opt[DHCP_OPT_RELAY_AGENT].len ||
	    rep.opt[DHCP_OPT_RELAY_AGENT].present != req.opt[DHCP_OPT_RELAY_AGENT].present)
		abort();
	if (rep.opt[DHCP_OPT_RELAY_AGENT].present &&
	    memcmp(rep.opt[DHCP_OPT_RELAY_AGENT].data, req.opt[DHCP_OPT_RELAY_AGENT].data,
		   rep.opt[DHCP_OPT_RELAY_AGENT].len))
		abort();
	if (rep.has_uuid != req.has_uuid || memcmp(rep.uuid, req.uuid, 16))
		abort();
	return 0;
}
