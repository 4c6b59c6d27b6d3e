/* test_dhcp.c: lib/dhcp.c, the DHCP/BOOTP codec: real-shaped requests (a BIOS PXE ROM, UEFI, iPXE in both
 * user-class forms, HTTP Boot), option overload, a table of malformed messages with the phrase each must give,
 * the architecture names, and replies built by the writer and parsed back. Packets are assembled by hand here
 * (not by the writer) so that the parser and the writer check each other. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "unit.h"

#define MAC 0x52, 0x54, 0x00, 0x12, 0x34, 0x56
#define UUID16 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00
#define PXE_VC 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', ':', 'A', 'r', 'c', 'h', ':', '0', '0', '0', '0', '7', \
	       ':', 'U', 'N', 'D', 'I', ':', '0', '0', '3', '0', '1', '6'

/* Writes a request header (op 1, Ethernet, xid 0xdeadbeef, broadcast flag, chaddr MAC) and the cookie into
 * buf, then opts[0..n); returns the length. */
static size_t mkpkt(uint8_t *buf, const uint8_t *opts, size_t n)
{
	static const uint8_t mac[] = { MAC };

	memset(buf, 0, 240);
	buf[0] = 1;
	buf[1] = 1;
	buf[2] = 6;
	buf[4] = 0xde, buf[5] = 0xad, buf[6] = 0xbe, buf[7] = 0xef;
	buf[10] = 0x80;
	memcpy(buf + 28, mac, 6);
	buf[236] = 99, buf[237] = 130, buf[238] = 83, buf[239] = 99;
	memcpy(buf + 240, opts, n);
	return 240 + n;
}

static void test_dhcp_pxe_rom_discover(void)
{
	static const uint8_t opts[] = {
		53, 1, 1,  57, 2, 0x04, 0xec,  93, 2, 0, 7,  94, 3, 1, 3, 16,  97, 17, 0, UUID16,
		55, 7, 1, 3, 43, 60, 66, 67, 128,  60, 32, PXE_VC,  255,
	};
	static const uint8_t uuid[] = { UUID16 }, mac[] = { MAC };
	uint8_t buf[600];
	size_t len = mkpkt(buf, opts, sizeof(opts));
	struct dhcp_msg m;
	struct rh_err err = { 0, "" };

	CHECK(dhcp_parse(buf, len, &m, &err) == 0);
	CHECK(m.op == 1 && m.htype == 1 && m.hlen == 6 && m.xid == 0xdeadbeef && m.flags == 0x8000);
	CHECK(!memcmp(m.chaddr, mac, 6));
	CHECK(m.msg_type == DHCP_DISCOVER);
	CHECK(m.max_size == 1260);
	CHECK(m.n_arch == 1 && dhcp_arch(&m) == 7);
	CHECK_STR(dhcp_arch_name((unsigned)dhcp_arch(&m)), "x64 UEFI");
	CHECK(m.has_ndi && m.ndi_type == 1 && m.ndi_major == 3 && m.ndi_minor == 16);
	CHECK(m.has_uuid && !memcmp(m.uuid, uuid, 16));
	CHECK(m.opt[DHCP_OPT_PARAM_LIST].present && m.opt[DHCP_OPT_PARAM_LIST].len == 7);
	CHECK(m.opt[DHCP_OPT_PARAM_LIST].data[6] == 128);
	CHECK(dhcp_is_pxe_client(&m) && !dhcp_is_http_client(&m) && !dhcp_is_ipxe(&m));
	CHECK(!m.opt[DHCP_OPT_CLIENT_ID].present && !m.opt[DHCP_OPT_RELAY_AGENT].present);
	CHECK_STR(m.file, "");
}

/* A BIOS ROM without 93/97 (older ROMs omit them), padded with zeros and no end option: tolerated. */
static void test_dhcp_old_rom_no_end(void)
{
	static const uint8_t opts[] = { 53, 1, 1, 0, 0, 60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', 0, 0 };
	uint8_t buf[600];
	size_t len = mkpkt(buf, opts, sizeof(opts));
	struct dhcp_msg m;

	CHECK(dhcp_parse(buf, len, &m, NULL) == 0);
	CHECK(dhcp_arch(&m) == -1 && !m.has_uuid && !m.has_ndi && m.max_size == 0);
	CHECK(dhcp_is_pxe_client(&m));
}

static void test_dhcp_ipxe_forms(void)
{
	static const struct {
		uint8_t opts[40];
		size_t n;
		int ipxe;
	} t[] = {
		{ { 53, 1, 3, 77, 4, 'i', 'P', 'X', 'E', 255 }, 10, 1 },                        /* plain */
		{ { 53, 1, 3, 77, 5, 4, 'i', 'P', 'X', 'E', 255 }, 11, 1 },                     /* RFC 3004 */
		{ { 53, 1, 3, 77, 9, 3, 'f', 'o', 'o', 4, 'i', 'P', 'X', 'E', 255 }, 15, 1 },   /* second class */
		{ { 53, 1, 3, 175, 3, 0xeb, 1, 1, 255 }, 9, 1 },                                 /* option 175 */
		{ { 53, 1, 3, 77, 4, 'i', 'p', 'x', 'e', 255 }, 10, 0 },                        /* case matters */
		{ { 53, 1, 3, 77, 5, 5, 'i', 'P', 'X', 'E', 255 }, 11, 0 },                     /* bad tuple */
		{ { 53, 1, 3, 77, 3, 'f', 'o', 'o', 255 }, 9, 0 },
		{ { 53, 1, 3, 255 }, 4, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t buf[600];
		size_t len = mkpkt(buf, t[i].opts, t[i].n);
		struct dhcp_msg m;
		struct rh_err err = { 0, "" };

		CHECK(dhcp_parse(buf, len, &m, &err) == 0);
		if (dhcp_is_ipxe(&m) != t[i].ipxe)
			fprintf(stderr, "  row %zu: ipxe %d (%s)\n", i, dhcp_is_ipxe(&m), err.msg);
		CHECK(dhcp_is_ipxe(&m) == t[i].ipxe);
		CHECK(m.msg_type == DHCP_REQUEST);
	}
}

/* Option 52: options continue in file (1), sname (2) or both (3); the fields are then no strings. */
static void test_dhcp_overload(void)
{
	static const uint8_t opts[] = { 53, 1, 1, 52, 1, 3, 255 };
	uint8_t buf[600];
	size_t len = mkpkt(buf, opts, sizeof(opts));
	struct dhcp_msg m;
	struct rh_err err = { 0, "" };

	buf[108] = 60, buf[109] = 10, memcpy(buf + 110, "HTTPClient", 10), buf[120] = 255;
	buf[44] = 0, buf[45] = 93, buf[46] = 4, buf[47] = 0, buf[48] = 16, buf[49] = 0, buf[50] = 7; /* no end */
	CHECK(dhcp_parse(buf, len, &m, &err) == 0);
	CHECK(m.overload == 3);
	CHECK(dhcp_is_http_client(&m) && !dhcp_is_pxe_client(&m));
	CHECK(m.n_arch == 2 && m.arch[0] == 16 && m.arch[1] == 7);
	CHECK_STR(m.file, "");
	CHECK_STR(m.sname, "");
	/* without overload, the same bytes are names */
	buf[243] = 255;
	memcpy(buf + 108, "pxelinux.0", 11);
	memcpy(buf + 44, "boot", 5);
	CHECK(dhcp_parse(buf, len, &m, &err) == 0);
	CHECK(m.overload == 0 && !m.opt[DHCP_OPT_VENDOR_CLASS].present);
	CHECK_STR(m.file, "pxelinux.0");
	CHECK_STR(m.sname, "boot");
}

static void test_dhcp_malformed(void)
{
	static const struct {
		uint8_t opts[24];
		size_t n;
		int hdr;     /* which header damage: 0 none, 1 cookie, 2 hlen 17, 3 op 3, 4 cut to 239 bytes */
		const char *msg;
	} t[] = {
		{ { 53, 1, 1, 255 }, 4, 1, "bad magic cookie 99.130.83.98" },
		{ { 53, 1, 1, 255 }, 4, 2, "hardware address length 17 is over 16" },
		{ { 53, 1, 1, 255 }, 4, 3, "op 3" },
		{ { 0 }, 0, 4, "239 bytes is shorter" },
		{ { 53, 1, 1, 61, 7, 1, MAC }, 11, 0, "truncated option 61 in options" },
		{ { 53, 1, 1, 61 }, 4, 0, "truncated option 61 in options" },
		{ { 93, 3, 0, 0, 7, 255 }, 6, 0, "option 93 length 3 is odd" },
		{ { 93, 0, 255 }, 3, 0, "option 93 length 0 is outside 2-254" },
		{ { 53, 2, 1, 1, 255 }, 5, 0, "option 53 length 2 is not 1" },
		{ { 53, 1, 0, 255 }, 4, 0, "message type 0" },
		{ { 53, 1, 1, 53, 1, 3, 255 }, 7, 0, "option 53 given twice" },
		{ { 97, 17, 1, UUID16, 255 }, 20, 0, "option 97 type 1 is not 0" },
		{ { 97, 16, UUID16, 255 }, 19, 0, "option 97 length 16 is not 17" },
		{ { 94, 2, 1, 2, 255 }, 5, 0, "option 94 length 2 is not 3" },
		{ { 52, 1, 4, 255 }, 4, 0, "option 52 (overload) is not 1, 2 or 3" },
		{ { 52, 1, 1, 255 }, 4, 5, "truncated option 60 in file" },
		{ { 54, 3, 1, 2, 3, 255 }, 6, 0, "option 54 length 3 is not 4" },
		{ { 61, 1, 1, 255 }, 4, 0, "option 61 length 1 is outside 2-255" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t buf[600];
		size_t len = mkpkt(buf, t[i].opts, t[i].n);
		struct dhcp_msg m = { .op = 42 };
		struct rh_err err = { 0, "" };
		int rc;

		if (t[i].hdr == 1)
			buf[239] = 98;
		if (t[i].hdr == 2)
			buf[2] = 17;
		if (t[i].hdr == 3)
			buf[0] = 3;
		if (t[i].hdr == 4)
			len = 239;
		if (t[i].hdr == 5)
			buf[108] = 60, buf[109] = 200;
		rc = dhcp_parse(buf, len, &m, &err);
		if (rc != -EBADMSG || !strstr(err.msg, t[i].msg))
			fprintf(stderr, "  row %zu: rc %d '%s'\n", i, rc, err.msg);
		CHECK(rc == -EBADMSG);
		CHECK(strstr(err.msg, t[i].msg) != NULL);
		CHECK(m.op == 42);   /* untouched on failure */
	}
}

/* Every prefix of a good message either parses or fails cleanly (ASan catches a read past the end). */
static void test_dhcp_every_prefix(void)
{
	static const uint8_t opts[] = { 53, 1, 1, 93, 2, 0, 0, 97, 17, 0, UUID16, 60, 9, 'P', 'X', 'E', 'C', 'l',
					'i', 'e', 'n', 't', 255 };
	uint8_t full[600];
	size_t len = mkpkt(full, opts, sizeof(opts)), n;

	for (n = 0; n <= len; n++) {
		uint8_t *cut = (uint8_t *)malloc(n + 1);   /* exact size, so ASan sees any overread */
		struct dhcp_msg m;
		int rc;

		memcpy(cut, full, n);
		rc = dhcp_parse(cut, n, &m, NULL);
		CHECK(rc == 0 || rc == -EBADMSG);
		if (n < 240 || n == len)
			CHECK((rc < 0) == (n < 240));
		free(cut);
	}
}

static void test_dhcp_arch_names(void)
{
	CHECK_STR(dhcp_arch_name(0), "x86 BIOS");
	CHECK_STR(dhcp_arch_name(6), "x86 UEFI");
	CHECK_STR(dhcp_arch_name(7), "x64 UEFI");
	CHECK(strstr(dhcp_arch_name(9), "x86-64") != NULL);
	CHECK_STR(dhcp_arch_name(10), "ARM 32-bit UEFI");
	CHECK_STR(dhcp_arch_name(11), "ARM 64-bit UEFI");
	CHECK_STR(dhcp_arch_name(16), "x64 UEFI HTTP");
	CHECK_STR(dhcp_arch_name(41), "ARM rpiboot");
	CHECK_STR(dhcp_arch_name(42), "unknown");
	CHECK_STR(dhcp_arch_name(65535), "unknown");
}

/* A relayed PXE DISCOVER, its OFFER built by the writer, and the OFFER parsed back. */
static void test_dhcp_round_trip(void)
{
	static const uint8_t opts[] = { 53, 1, 1, 93, 2, 0, 0, 97, 17, 0, UUID16, 60, 9, 'P', 'X', 'E', 'C', 'l',
					'i', 'e', 'n', 't', 82, 6, 1, 4, 'e', 't', 'h', '0', 255 };
	static const uint32_t dns[] = { 0x0a000001, 0x0a000002 };
	static const uint8_t dc = 8;
	uint8_t req_buf[600], out[600];
	size_t len = mkpkt(req_buf, opts, sizeof(opts));
	struct dhcp_msg req, rep;
	struct dhcp_writer w;
	int n;

	req_buf[24] = 10, req_buf[25] = 9, req_buf[26] = 0, req_buf[27] = 1;
	CHECK(dhcp_parse(req_buf, len, &req, NULL) == 0);
	CHECK(req.giaddr == 0x0a090001);
	dhcp_writer_init(&w, out, sizeof(out));
	dhcp_write_reply_header(&w, &req, 0x0a090064, 0x0a000005, NULL, "undionly.kpxe");
	dhcp_write_u8(&w, DHCP_OPT_MSG_TYPE, DHCP_OFFER);
	dhcp_write_ip(&w, DHCP_OPT_SERVER_ID, 0x0a000005);
	dhcp_write_u32(&w, DHCP_OPT_LEASE_TIME, 3600);
	dhcp_write_ip(&w, DHCP_OPT_SUBNET_MASK, 0xffffff00);
	dhcp_write_ip(&w, DHCP_OPT_ROUTER, 0x0a090001);
	dhcp_write_ips(&w, DHCP_OPT_DNS, dns, 2);
	dhcp_write_str(&w, DHCP_OPT_HOSTNAME, "node-1");
	dhcp_write_str(&w, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	dhcp_write_str(&w, DHCP_OPT_TFTP_SERVER, "10.0.0.5");
	dhcp_write_str(&w, DHCP_OPT_BOOTFILE, "undionly.kpxe");
	dhcp_write_begin(&w, DHCP_OPT_VENDOR);
	dhcp_write_sub(&w, DHCP_PXE_DISCOVERY_CONTROL, &dc, 1);
	dhcp_write_end(&w);
	dhcp_write_echo(&w, &req, DHCP_OPT_RELAY_AGENT);
	dhcp_write_echo(&w, &req, DHCP_OPT_CLIENT_UUID);
	dhcp_write_echo(&w, &req, DHCP_OPT_CLIENT_ID);   /* absent: nothing */
	n = dhcp_writer_finish(&w);
	CHECK(n == 354);
	CHECK(dhcp_parse(out, (size_t)n, &rep, NULL) == 0);
	CHECK(rep.op == 2 && rep.xid == req.xid && rep.flags == 0x8000 && rep.giaddr == 0x0a090001);
	CHECK(rep.yiaddr == 0x0a090064 && rep.siaddr == 0x0a000005 && !memcmp(rep.chaddr, req.chaddr, 16));
	CHECK(rep.msg_type == DHCP_OFFER && rep.server_id == 0x0a000005);
	CHECK_STR(rep.file, "undionly.kpxe");
	CHECK(dhcp_is_pxe_client(&rep) && rep.has_uuid && !memcmp(rep.uuid, req.uuid, 16));
	CHECK(rep.opt[DHCP_OPT_RELAY_AGENT].len == 6 && !memcmp(rep.opt[DHCP_OPT_RELAY_AGENT].data, "\1\4eth0", 6));
	CHECK(rep.opt[DHCP_OPT_VENDOR].len == 3 && !memcmp(rep.opt[DHCP_OPT_VENDOR].data, "\6\1\10", 3));
	CHECK(rep.opt[DHCP_OPT_DNS].len == 8 && rep.opt[DHCP_OPT_LEASE_TIME].data[3] == 0x10);
	CHECK(!rep.opt[DHCP_OPT_CLIENT_ID].present);
}

static void test_dhcp_writer_errors(void)
{
	static const uint8_t big[256];
	struct dhcp_msg req;
	struct dhcp_writer w;
	uint8_t small[260], out[600];
	int i;

	memset(&req, 0, sizeof(req));
	/* too small for the BOOTP minimum: the sticky error comes out of finish */
	dhcp_writer_init(&w, small, sizeof(small));
	dhcp_write_reply_header(&w, &req, 0, 0, NULL, NULL);
	dhcp_write_u8(&w, DHCP_OPT_MSG_TYPE, DHCP_OFFER);
	CHECK(dhcp_writer_finish(&w) == -ENOBUFS);
	/* a short reply is padded to the BOOTP minimum with zeros */
	dhcp_writer_init(&w, out, sizeof(out));
	memset(out, 0xaa, sizeof(out));
	dhcp_write_reply_header(&w, &req, 0, 0, NULL, NULL);
	dhcp_write_u8(&w, DHCP_OPT_MSG_TYPE, DHCP_NAK);
	CHECK(dhcp_writer_finish(&w) == DHCP_BOOTP_MIN);
	CHECK(out[243] == DHCP_OPT_END && out[244] == 0 && out[299] == 0 && out[300] == 0xaa);
	/* an option over 255 bytes is refused, and the error sticks past later good options */
	dhcp_writer_init(&w, out, sizeof(out));
	dhcp_write_reply_header(&w, &req, 0, 0, NULL, NULL);
	dhcp_write_opt(&w, DHCP_OPT_BOOTFILE, big, 256);
	dhcp_write_u8(&w, DHCP_OPT_MSG_TYPE, DHCP_OFFER);
	CHECK(dhcp_writer_finish(&w) == -EMSGSIZE);
	/* an option before the header; code 255 as an option; an unclosed 43; an overlong 43 */
	dhcp_writer_init(&w, out, sizeof(out));
	dhcp_write_u8(&w, DHCP_OPT_MSG_TYPE, DHCP_OFFER);
	CHECK(dhcp_writer_finish(&w) == -EINVAL);
	dhcp_writer_init(&w, out, sizeof(out));
	dhcp_write_reply_header(&w, &req, 0, 0, NULL, NULL);
	dhcp_write_opt(&w, DHCP_OPT_END, NULL, 0);
	CHECK(dhcp_writer_finish(&w) == -EINVAL);
	dhcp_writer_init(&w, out, sizeof(out));
	dhcp_write_reply_header(&w, &req, 0, 0, NULL, NULL);
	dhcp_write_begin(&w, DHCP_OPT_VENDOR);
	CHECK(dhcp_writer_finish(&w) == -EINVAL);
	dhcp_writer_init(&w, out, sizeof(out));
	dhcp_write_reply_header(&w, &req, 0, 0, NULL, NULL);
	dhcp_write_begin(&w, DHCP_OPT_VENDOR);
	for (i = 0; i < 3; i++)
		dhcp_write_sub(&w, (uint8_t)(10 + i), big, 100);
	dhcp_write_end(&w);
	CHECK(dhcp_writer_finish(&w) == -EMSGSIZE);
	/* a file name that does not fit the 128-byte field */
	dhcp_writer_init(&w, out, sizeof(out));
	dhcp_write_reply_header(&w, &req, 0, 0, NULL,
				"0123456789012345678901234567890123456789012345678901234567890123"
				"0123456789012345678901234567890123456789012345678901234567890123");
	CHECK(dhcp_writer_finish(&w) == -ENAMETOOLONG);
}

int main(void)
{
	RUN(test_dhcp_pxe_rom_discover);
	RUN(test_dhcp_old_rom_no_end);
	RUN(test_dhcp_ipxe_forms);
	RUN(test_dhcp_overload);
	RUN(test_dhcp_malformed);
	RUN(test_dhcp_every_prefix);
	RUN(test_dhcp_arch_names);
	RUN(test_dhcp_round_trip);
	RUN(test_dhcp_writer_errors);
	UNIT_EXIT();
}
