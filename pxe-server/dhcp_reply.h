/* dhcp_reply.h: what the DHCP server says to a client (dhcp_server.c decides when): the boot file for the
 * client's class and architecture, and the reply bytes within the client's maximum message size. Pure. */
#ifndef RAMHOST_PXE_DHCP_REPLY_H
#define RAMHOST_PXE_DHCP_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dhcp.h"
#include "server.h"

/* The boot information of one reply. */
struct pxe_boot {
	int pxe;            /* option 60 said PXEClient: reply 60 "PXEClient" and 43 (discovery control 8) */
	int http;           /* option 60 said HTTPClient (UEFI HTTP Boot): reply 60 "HTTPClient", a URL */
	int ipxe;           /* the client is iPXE (77 or 175): the script URL, no chainload loop */
	int arch;           /* pxe_dhcp_client_arch */
	char file[256];     /* TFTP path or URL; "" none */
};

/* Classifies the client: 1 a boot client with a loader for its architecture (b filled but for file), 0 not a
 * boot client (no 60 PXEClient/HTTPClient, not iPXE), -1 a boot client of an architecture without a loader. */
int pxe_dhcp_boot_class(const struct dhcp_msg *m, struct pxe_boot *b);
/* Fills b->file for the rule's choice (ch->image NULL or rule NULL: no rule matched, the host gets iPXE and the
 * "no rule matches" script). TFTP paths and http://S:P/ URLs of the path namespace (docs/pxe.md). */
void pxe_dhcp_boot_file(struct pxe_boot *b, const struct pxe_choice *ch, uint32_t server_ip, unsigned http_port);

struct pxe_reply {
	uint8_t type;                 /* DHCP_OFFER, DHCP_ACK, DHCP_NAK */
	uint32_t yiaddr;              /* 0 for proxy replies, INFORM and NAK */
	int net;                      /* full mode: subnet mask, router, DNS, domain, broadcast address */
	unsigned lease;               /* 51, 58 (T1 = 1/2), 59 (T2 = 7/8) when non-zero */
	const char *hostname;         /* option 12, NULL none */
	const char *message;          /* option 56 (NAK), NULL none */
	const struct pxe_boot *boot;  /* NULL or file "" : no boot information */
};

/* The reply to req, at most the client's maximum (option 57, or 576, less 28 bytes of IP and UDP headers;
 * never more than cap). Options the client did not ask for in 55 are dropped first, then the redundant ones
 * (66, 67 beside siaddr and file, 12, 15, 6, 97, 58, 59, 28), until it fits. Returns the length, or -EMSGSIZE
 * when even the smallest form is too large. */
int pxe_dhcp_build(const struct pxe_settings *set, uint32_t server_ip, uint32_t netmask, const struct dhcp_msg *req,
		   const struct pxe_reply *r, uint8_t *buf, size_t cap);
/* The client's maximum reply size as above. */
size_t pxe_dhcp_reply_limit(const struct dhcp_msg *req, size_t cap);

#endif
