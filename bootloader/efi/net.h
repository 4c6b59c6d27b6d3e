/* net.h: ramhost.efi's network mode (docs/loader.md "Network mode"): how the loader knows it was booted over the
 * network, and reading files from where it came from, through the firmware's PXE base code (TFTP) or, for UEFI
 * HTTP Boot, the firmware's HTTP boot LoadFile.
 *
 * Paths are relative to the server root (no leading '/'): host/MAC/boot.cfg, a/HEX/NAME. The root is the TFTP
 * server's root (or the directory before "img/" in the boot file name), or for HTTP the part of the loader's own
 * URL before "img/" (else its directory). */
#ifndef RAMHOST_EFI_NET_H
#define RAMHOST_EFI_NET_H

#include <efi.h>
#include <efilib.h>

#include "mac.h"

#define NET_URL_MAX 512

enum net_kind { NET_TFTP = 1, NET_HTTP = 2 };

struct net_source {
	enum net_kind kind;
	EFI_PXE_BASE_CODE *pxe;          /* TFTP: the PXE base code the firmware booted us with */
	EFI_IP_ADDRESS server;           /* TFTP: the boot server */
	EFI_HANDLE nic;                  /* HTTP: the handle whose LoadFile fetched us */
	EFI_LOAD_FILE_INTERFACE *load;   /* HTTP: its LoadFile */
	EFI_DEVICE_PATH *nic_path;       /* HTTP: its device path up to (without) the URI node */
	char root[NET_URL_MAX];          /* TFTP: path prefix ("" or "dir/"); HTTP: "http://host:port/dir/" */
	char server_text[NET_URL_MAX];   /* for messages: "10.0.0.1" or the HTTP root */
	uint8_t mac[6];
	char mac_text[MAC_TEXT];         /* 52-54-00-12-34-56 */
	struct net_cached *cache;        /* HTTP: files fetched by a size query, not read yet */
};

/* Fills *ret when the loader (image) was started over the network: its device handle has a started PXE base code
 * with a DHCP ACK (TFTP), or its device path ends in a URI node (UEFI HTTP Boot). EFI_NOT_FOUND otherwise (a disk
 * or CD boot: look for banks). */
EFI_STATUS net_detect(EFI_HANDLE image, struct net_source *ret);

/* Size of the file at path (relative to the server root). Over HTTP the file is fetched whole here and kept until
 * net_file_read takes it: each new URL restarts the firmware's HTTP boot driver (DHCP included), so asking for a
 * size and reading later would cost two restarts per file (measured under TCG: 42 s -> 26 s for the demo). */
EFI_STATUS net_file_size(struct net_source *n, const char *path, UINT64 *ret_size);
/* Reads exactly size bytes of the file at path into buf (the caller's). */
EFI_STATUS net_file_read(struct net_source *n, const char *path, void *buf, UINT64 size);
/* Drops what net_file_size kept (before boot.cfg is fetched again: the server may have changed the files). */
void net_forget(struct net_source *n);

#endif
