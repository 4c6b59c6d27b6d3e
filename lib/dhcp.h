/* dhcp.h: the DHCP/BOOTP packet codec for the network boot server (pxe-server/, issue 11): a parser of requests
 * and a builder of replies, pure (buf, len), no I/O, no allocation, never prints.
 *
 * Parsing (RFC 2131, 2132): the 236-byte BOOTP header, the magic cookie 99.130.83.99, then the options, also in
 * `file` and `sname` when option 52 (overload) says so. The options the boot server acts on are decoded and
 * checked (53, 50, 54, 55, 57, 60, 61, 77, 82, 93, 94, 97, 175); every option, decoded or not, can be found by
 * code in msg->opt[]. Limits, chosen for a server that must never be fooled:
 *   - every option lies wholly inside its field; a truncated one is an error, and nothing past len is read;
 *   - an option given twice is refused (RFC 3396 split options are not joined; no PXE client sends them);
 *   - a field without the end option (255) is tolerated: it ends at the end of the field;
 *   - a message without option 53 is plain BOOTP (msg_type 0), accepted.
 * Pointers in struct dhcp_msg point into the caller's buffer, which must outlive the msg.
 *
 * Building: struct dhcp_writer over a caller buffer. The first failure (buffer full, option over 255 bytes:
 * refused rather than split per RFC 3396) sticks; dhcp_writer_finish reports it. Addresses are uint32_t in
 * host order (192.168.0.1 is 0xc0a80001); the codec writes them in network order. */
#ifndef RAMHOST_DHCP_H
#define RAMHOST_DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DHCP_HDR_LEN      236  /* op .. file, before the magic cookie */
#define DHCP_OPTS_OFF     240  /* first option, after the cookie */
#define DHCP_BOOTP_MIN    300  /* RFC 951/1542: shortest BOOTP message; replies are padded to it */
#define DHCP_MIN_MAX_SIZE 576  /* RFC 2132 9.10: the smallest legal option 57 */

enum dhcp_msg_type {
	DHCP_DISCOVER = 1, DHCP_OFFER = 2, DHCP_REQUEST = 3, DHCP_DECLINE = 4,
	DHCP_ACK = 5, DHCP_NAK = 6, DHCP_RELEASE = 7, DHCP_INFORM = 8,
};

enum dhcp_opt_code {
	DHCP_OPT_PAD = 0, DHCP_OPT_SUBNET_MASK = 1, DHCP_OPT_ROUTER = 3, DHCP_OPT_DNS = 6, DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_DOMAIN = 15, DHCP_OPT_BROADCAST = 28, DHCP_OPT_VENDOR = 43, DHCP_OPT_REQUESTED_IP = 50,
	DHCP_OPT_LEASE_TIME = 51, DHCP_OPT_OVERLOAD = 52, DHCP_OPT_MSG_TYPE = 53, DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAM_LIST = 55, DHCP_OPT_MAX_SIZE = 57, DHCP_OPT_VENDOR_CLASS = 60, DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_TFTP_SERVER = 66, DHCP_OPT_BOOTFILE = 67, DHCP_OPT_USER_CLASS = 77, DHCP_OPT_RELAY_AGENT = 82,
	DHCP_OPT_CLIENT_ARCH = 93, DHCP_OPT_CLIENT_NDI = 94, DHCP_OPT_CLIENT_UUID = 97, DHCP_OPT_IPXE = 175,
	DHCP_OPT_END = 255,
};

/* PXE sub-options inside option 43 (PXE spec 2.1) */
#define DHCP_PXE_DISCOVERY_CONTROL 6   /* bit 3 (value 8): boot from the file name, no boot server discovery */

/* One option as found: data points into the parsed buffer. present is 0 for an option the message lacks. */
struct dhcp_opt {
	const uint8_t *data;
	uint8_t len;
	uint8_t present;
};

struct dhcp_msg {
	/* fixed header; addresses in host order */
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];     /* hlen bytes are the hardware address */
	char sname[65];         /* up to the first NUL; "" when the field holds options (overload) */
	char file[129];         /* likewise */
	uint8_t overload;       /* option 52: 1 file, 2 sname, 3 both; 0 none */

	/* decoded options; the raw bytes of each are in opt[code] too */
	uint8_t msg_type;       /* 53; 0 for plain BOOTP */
	uint32_t requested_ip;  /* 50, 0 when absent */
	uint32_t server_id;     /* 54, 0 when absent */
	uint16_t max_size;      /* 57, raised to 576 when smaller; 0 when absent */
	uint16_t arch[127];     /* 93: the client's architectures in the order given (RFC 4578) */
	uint8_t n_arch;
	uint8_t has_ndi;        /* 94: network interface type (1 = UNDI) and version */
	uint8_t ndi_type, ndi_major, ndi_minor;
	uint8_t has_uuid;       /* 97 with type 0: the machine's UUID/GUID as sent (byte order untouched) */
	uint8_t uuid[16];
	uint8_t user_class_ipxe;  /* 77 is "iPXE" or holds an RFC 3004 class "iPXE" */
	struct dhcp_opt opt[256]; /* every option by code (0 and 255 never present) */
};

/* Parses buf[0..len) into *ret (set only on success). A malformed message is -EBADMSG with err saying what
 * ("dhcp: option 93 length 3 is odd", "dhcp: truncated option 61"); nothing outside buf is read. */
int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *ret, struct rh_err *err);

/* Option 60 begins with "PXEClient" (a PXE ROM or UEFI PXE) / "HTTPClient" (UEFI HTTP Boot: wants a URL). */
int dhcp_is_pxe_client(const struct dhcp_msg *m);
int dhcp_is_http_client(const struct dhcp_msg *m);
/* The client is iPXE: option 77 says "iPXE" (plain or RFC 3004 form) or option 175 is present. */
int dhcp_is_ipxe(const struct dhcp_msg *m);
/* The first architecture of option 93, or -1 when the client sent none (a BIOS PXE ROM before RFC 4578). */
int dhcp_arch(const struct dhcp_msg *m);
/* The IANA name of a processor architecture type ("x64 UEFI"); "unknown" for one not in the table. 9 is named
 * as RFC 4578 printed it (EFI x86-64; errata 4624 and IANA swapped 7 and 9): clients send both for x64. */
const char *dhcp_arch_name(unsigned arch);

struct dhcp_writer {
	uint8_t *buf;
	size_t cap, len;
	size_t sub_start;  /* offset of the open option's length byte (dhcp_write_begin), 0 when none */
	int rc;            /* first error, sticky */
};

/* Starts a message in buf[0..cap); cap should be at least DHCP_BOOTP_MIN. */
void dhcp_writer_init(struct dhcp_writer *w, uint8_t *buf, size_t cap);
/* The fixed header of a reply to req and the cookie: op 2, htype/hlen/xid/flags/giaddr/chaddr and ciaddr from
 * req, yiaddr and siaddr as given, sname/file (NULL for none; too long is -ENAMETOOLONG). Must come first. */
void dhcp_write_reply_header(struct dhcp_writer *w, const struct dhcp_msg *req, uint32_t yiaddr, uint32_t siaddr,
			     const char *sname, const char *file);
/* One option; len over 255 is refused (-EMSGSIZE), as are codes 0 and 255 (-EINVAL). */
void dhcp_write_opt(struct dhcp_writer *w, uint8_t code, const void *data, size_t len);
void dhcp_write_u8(struct dhcp_writer *w, uint8_t code, uint8_t v);          /* 53 */
void dhcp_write_u32(struct dhcp_writer *w, uint8_t code, uint32_t v);        /* 51 */
void dhcp_write_ip(struct dhcp_writer *w, uint8_t code, uint32_t addr);      /* 1, 3, 28, 54 */
void dhcp_write_ips(struct dhcp_writer *w, uint8_t code, const uint32_t *a, size_t n);  /* 6 */
void dhcp_write_str(struct dhcp_writer *w, uint8_t code, const char *s);     /* 12, 15, 60, 66, 67 */
/* Copies option code from req unchanged when req has it (82 must be echoed by a relay-aware server; 97). */
void dhcp_write_echo(struct dhcp_writer *w, const struct dhcp_msg *req, uint8_t code);
/* An encapsulated option (43): begin, sub-options, end; the whole must fit in 255 bytes. */
void dhcp_write_begin(struct dhcp_writer *w, uint8_t code);
void dhcp_write_sub(struct dhcp_writer *w, uint8_t sub, const void *data, size_t len);
void dhcp_write_end(struct dhcp_writer *w);
/* Writes the end option and pads with zeros to DHCP_BOOTP_MIN. Returns the length or the first error. */
int dhcp_writer_finish(struct dhcp_writer *w);

#endif
