/* net.c: network mode's transport (net.h): detecting a network boot and reading files over TFTP (the firmware's
 * PXE base code) or HTTP (the firmware's HTTP boot LoadFile, given a device path ending in a URI node). */
#include "net.h"

#include "text.h"

#define URI_SUBTYPE 24    /* MSG_URI_DP */

struct net_cached {
	struct net_cached *next;
	char path[NET_URL_MAX];
	UINTN size;
	UINT8 *data;              /* pool memory */
};
#define TFTP_BLKSIZE 1468 /* asked for; the server may clamp it (1500-byte MTU less IP, UDP and TFTP headers) */

static UINTN node_len(const EFI_DEVICE_PATH *n)
{
	return (UINTN)n->Length[0] | ((UINTN)n->Length[1] << 8);
}

static const EFI_DEVICE_PATH *node_next(const EFI_DEVICE_PATH *n)
{
	return (const EFI_DEVICE_PATH *)((const UINT8 *)n + node_len(n));
}

static int node_is_end(const EFI_DEVICE_PATH *n)
{
	return n->Type == END_DEVICE_PATH_TYPE && n->SubType == END_ENTIRE_DEVICE_PATH_SUBTYPE;
}

/* The first node of dp with this type and subtype, or NULL; a node shorter than its header ends the walk. */
static const EFI_DEVICE_PATH *find_node(const EFI_DEVICE_PATH *dp, UINT8 type, UINT8 subtype)
{
	const EFI_DEVICE_PATH *n;

	for (n = dp; !node_is_end(n) && node_len(n) >= 4; n = node_next(n))
		if (n->Type == type && n->SubType == subtype)
			return n;
	return NULL;
}

/* root = the part of path before "img/" (at its start or after a '/'), else path's directory (up to the last '/'),
 * else "". */
static void root_of(const char *path, char *root, UINTN cap)
{
	UINTN i, cut = 0;

	for (i = 0; path[i]; i++) {
		if ((i == 0 || path[i - 1] == '/') && path[i] == 'i' && path[i + 1] == 'm' && path[i + 2] == 'g' &&
		    path[i + 3] == '/') {
			cut = i;
			goto done;
		}
	}
	for (i = 0; path[i]; i++)
		if (path[i] == '/')
			cut = i + 1;
done:
	root[0] = '\0';
	if (cut + 1 <= cap) {
		CopyMem(root, (void *)path, cut);
		root[cut] = '\0';
	}
}

/* Our MAC: the Simple Network Protocol nearest to the device on its path, else the device path's MAC node. */
static EFI_STATUS find_mac(EFI_DEVICE_PATH *dp, uint8_t mac[6])
{
	EFI_DEVICE_PATH *walk = dp;
	EFI_HANDLE h = NULL;
	EFI_SIMPLE_NETWORK *snp = NULL;
	const EFI_DEVICE_PATH *n;

	if (!EFI_ERROR(uefi_call_wrapper(BS->LocateDevicePath, 3, &gEfiSimpleNetworkProtocolGuid, &walk, &h)) &&
	    !EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, h, &gEfiSimpleNetworkProtocolGuid, (void **)&snp)) &&
	    snp && snp->Mode && snp->Mode->HwAddressSize == 6) {
		CopyMem(mac, snp->Mode->CurrentAddress.Addr, 6);
		return EFI_SUCCESS;
	}
	n = find_node(dp, MESSAGING_DEVICE_PATH, MSG_MAC_ADDR_DP);
	if (!n || node_len(n) < 4 + 6)
		return EFI_NOT_FOUND;
	CopyMem(mac, ((const MAC_ADDR_DEVICE_PATH *)n)->MacAddress.Addr, 6);
	return EFI_SUCCESS;
}

static void ip_text(const UINT8 ip[4], char *out, UINTN cap)
{
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < 4; i++) {
		if (i)
			ascii_append(out, cap, ".");
		ascii_append_u64(out, cap, ip[i]);
	}
}

/* The packet that named the boot server and file: a PXE reply, else a proxy offer that has a server, else the
 * DHCP ACK. */
static const EFI_PXE_BASE_CODE_DHCPV4_PACKET *boot_packet(const EFI_PXE_BASE_CODE_MODE *m)
{
	if (m->PxeReplyReceived)
		return &m->PxeReply.Dhcpv4;
	if (m->ProxyOfferReceived && (m->ProxyOffer.Dhcpv4.BootpSiAddr[0] || m->ProxyOffer.Dhcpv4.BootpBootFile[0]))
		return &m->ProxyOffer.Dhcpv4;
	return &m->DhcpAck.Dhcpv4;
}

static EFI_STATUS detect_pxe(EFI_HANDLE dev, struct net_source *n)
{
	EFI_PXE_BASE_CODE *pxe = NULL;
	const EFI_PXE_BASE_CODE_DHCPV4_PACKET *p;
	char file[130];
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->HandleProtocol, 3, dev, &gEfiPxeBaseCodeProtocolGuid, (void **)&pxe);
	if (EFI_ERROR(st) || !pxe || !pxe->Mode || !pxe->Mode->Started || !pxe->Mode->DhcpAckReceived ||
	    pxe->Mode->UsingIpv6)
		return EFI_NOT_FOUND;
	p = boot_packet(pxe->Mode);
	if (!p->BootpSiAddr[0] && p != &pxe->Mode->DhcpAck.Dhcpv4)
		p = &pxe->Mode->DhcpAck.Dhcpv4;
	n->kind = NET_TFTP;
	n->pxe = pxe;
	SetMem(&n->server, sizeof(n->server), 0);
	CopyMem(n->server.v4.Addr, (void *)p->BootpSiAddr, 4);
	CopyMem(file, (void *)p->BootpBootFile, 128);
	file[128] = '\0';
	root_of(file[0] == '/' ? file + 1 : file, n->root, sizeof(n->root));
	ip_text(p->BootpSiAddr, n->server_text, sizeof(n->server_text));
	return n->server.v4.Addr[0] ? EFI_SUCCESS : EFI_NOT_FOUND;
}

/* UEFI HTTP Boot: the device path of our device ends in URI(url of ramhost.efi); LoadFile on the handle that
 * carries it (found with LocateDevicePath) fetches other URLs given as that path with another URI node. */
static EFI_STATUS detect_http(EFI_DEVICE_PATH *dp, struct net_source *n)
{
	const EFI_DEVICE_PATH *uri = find_node(dp, MESSAGING_DEVICE_PATH, URI_SUBTYPE);
	EFI_DEVICE_PATH *walk = dp;
	char url[NET_URL_MAX];
	UINTN ulen, plen, i, host_end;

	if (!uri || node_len(uri) <= 4 || node_len(uri) - 4 >= sizeof(url))
		return EFI_NOT_FOUND;
	ulen = node_len(uri) - 4;
	CopyMem(url, (UINT8 *)uri + 4, ulen);
	url[ulen] = '\0';
	if (EFI_ERROR(uefi_call_wrapper(BS->LocateDevicePath, 3, &gEfiLoadFileProtocolGuid, &walk, &n->nic)) ||
	    EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, n->nic, &gEfiLoadFileProtocolGuid, (void **)&n->load)))
		return EFI_NOT_FOUND;
	plen = (UINTN)((const UINT8 *)uri - (const UINT8 *)dp);
	n->nic_path = AllocatePool(plen + 4);
	if (!n->nic_path)
		return EFI_OUT_OF_RESOURCES;
	CopyMem(n->nic_path, dp, plen);
	SetDevicePathEndNode((EFI_DEVICE_PATH *)((UINT8 *)n->nic_path + plen));
	/* root: scheme://host[:port]/ then root_of() of the path */
	for (i = 0, host_end = 0; url[i] && !host_end; i++)
		if (url[i] == '/' && i > 0 && url[i - 1] != '/' && url[i - 1] != ':')
			host_end = i + 1;
	if (!host_end)
		return EFI_NOT_FOUND;
	n->kind = NET_HTTP;
	CopyMem(n->root, url, host_end);
	root_of(url + host_end, n->root + host_end, sizeof(n->root) - host_end);
	ascii_copy(n->server_text, sizeof(n->server_text), n->root);
	return EFI_SUCCESS;
}

EFI_STATUS net_detect(EFI_HANDLE image, struct net_source *n)
{
	EFI_LOADED_IMAGE *li = NULL;
	EFI_DEVICE_PATH *dp;
	EFI_STATUS st;

	SetMem(n, sizeof(*n), 0);
	st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &gEfiLoadedImageProtocolGuid, (void **)&li);
	if (EFI_ERROR(st) || !li || !li->DeviceHandle)
		return EFI_NOT_FOUND;
	dp = DevicePathFromHandle(li->DeviceHandle);
	if (!dp)
		return EFI_NOT_FOUND;
	st = detect_pxe(li->DeviceHandle, n);
	if (EFI_ERROR(st))
		st = detect_http(dp, n);
	if (EFI_ERROR(st))
		return st;
	if (EFI_ERROR(find_mac(dp, n->mac)))
		return EFI_NOT_FOUND;
	mac_format(n->mac, '-', n->mac_text);
	return EFI_SUCCESS;
}

/* TFTP: root + path as the file name, blksize 1468 (the default 512 when the firmware refuses the option). */
static EFI_STATUS tftp(struct net_source *n, EFI_PXE_BASE_CODE_TFTP_OPCODE op, const char *path, void *buf,
		       UINT64 *size)
{
	char name[NET_URL_MAX];
	UINTN blk = TFTP_BLKSIZE;
	EFI_STATUS st;

	name[0] = '\0';
	ascii_append(name, sizeof(name), n->root);
	if (ascii_append(name, sizeof(name), path) + 1 >= sizeof(name))
		return EFI_BAD_BUFFER_SIZE;
	st = uefi_call_wrapper(n->pxe->Mtftp, 10, n->pxe, op, buf, FALSE, size, &blk, &n->server, (UINT8 *)name,
			       NULL, FALSE);
	if (st == EFI_INVALID_PARAMETER || st == EFI_UNSUPPORTED)
		st = uefi_call_wrapper(n->pxe->Mtftp, 10, n->pxe, op, buf, FALSE, size, NULL, &n->server,
				       (UINT8 *)name, NULL, FALSE);
	return st;
}

/* HTTP: LoadFile(nic path + URI(root + path)); buf NULL asks for the size (EFI_BUFFER_TOO_SMALL with *size). */
static EFI_STATUS http_load(struct net_source *n, const char *path, void *buf, UINTN *size)
{
	char url[NET_URL_MAX];
	UINTN plen = DevicePathSize(n->nic_path) - 4, ulen;
	UINT8 *fp;
	EFI_STATUS st;

	url[0] = '\0';
	ascii_append(url, sizeof(url), n->root);
	ulen = ascii_append(url, sizeof(url), path);
	if (ulen + 1 >= sizeof(url))
		return EFI_BAD_BUFFER_SIZE;
	fp = AllocatePool(plen + 4 + ulen + 4);
	if (!fp)
		return EFI_OUT_OF_RESOURCES;
	CopyMem(fp, n->nic_path, plen);
	fp[plen] = MESSAGING_DEVICE_PATH;
	fp[plen + 1] = URI_SUBTYPE;
	fp[plen + 2] = (UINT8)((4 + ulen) & 0xff);
	fp[plen + 3] = (UINT8)((4 + ulen) >> 8);
	CopyMem(fp + plen + 4, url, ulen);
	SetDevicePathEndNode((EFI_DEVICE_PATH *)(fp + plen + 4 + ulen));
	st = uefi_call_wrapper(n->load->LoadFile, 5, n->load, (EFI_DEVICE_PATH *)fp, TRUE, size, buf);
	FreePool(fp);
	return st;
}

static struct net_cached *cache_take(struct net_source *n, const char *path)
{
	struct net_cached **p, *c;

	for (p = &n->cache; *p; p = &(*p)->next) {
		if (ascii_eq((*p)->path, path)) {
			c = *p;
			*p = c->next;
			return c;
		}
	}
	return NULL;
}

static void cache_free(struct net_cached *c)
{
	if (c->data)
		FreePool(c->data);
	FreePool(c);
}

void net_forget(struct net_source *n)
{
	while (n->cache) {
		struct net_cached *c = n->cache;

		n->cache = c->next;
		cache_free(c);
	}
}

/* HTTP: the size query, then the whole file into a cache entry (the same URL: no restart of the driver). */
static EFI_STATUS http_size(struct net_source *n, const char *path, UINT64 *ret_size)
{
	struct net_cached *c = cache_take(n, path);
	UINTN size = 0, got;
	EFI_STATUS st;

	if (c) {
		c->next = n->cache;
		n->cache = c;
		*ret_size = c->size;
		return EFI_SUCCESS;
	}
	st = http_load(n, path, NULL, &size);
	if (EFI_ERROR(st) && st != EFI_BUFFER_TOO_SMALL)
		return st;
	*ret_size = size;
	c = AllocateZeroPool(sizeof(*c));
	if (!c)
		return EFI_SUCCESS;                  /* no room to keep it: net_file_read fetches it again */
	c->data = size ? AllocatePool(size) : NULL;
	got = size;
	if (size && (!c->data || EFI_ERROR(http_load(n, path, c->data, &got)) || got != size)) {
		cache_free(c);
		return EFI_SUCCESS;
	}
	ascii_copy(c->path, sizeof(c->path), path);
	c->size = size;
	c->next = n->cache;
	n->cache = c;
	return EFI_SUCCESS;
}

EFI_STATUS net_file_size(struct net_source *n, const char *path, UINT64 *ret_size)
{
	if (n->kind == NET_TFTP) {
		*ret_size = 0;
		return tftp(n, EFI_PXE_BASE_CODE_TFTP_GET_FILE_SIZE, path, NULL, ret_size);
	}
	return http_size(n, path, ret_size);
}

EFI_STATUS net_file_read(struct net_source *n, const char *path, void *buf, UINT64 size)
{
	struct net_cached *c;
	UINT64 got = size;
	UINTN hsize = (UINTN)size;
	EFI_STATUS st;

	if (size == 0)
		return EFI_SUCCESS;                  /* its existence was checked by the size query */
	if (n->kind == NET_TFTP) {
		st = tftp(n, EFI_PXE_BASE_CODE_TFTP_READ_FILE, path, buf, &got);
	} else if ((c = cache_take(n, path)) != NULL) {
		got = c->size;
		if (got == size)   /* the firmware's CopyMem: GNU-EFI's is a byte loop */
			uefi_call_wrapper(BS->CopyMem, 3, buf, c->data, (UINTN)size);
		cache_free(c);
		st = EFI_SUCCESS;
	} else {
		st = http_load(n, path, buf, &hsize);
		got = hsize;
	}
	if (!EFI_ERROR(st) && got != size)
		st = EFI_END_OF_FILE;   /* the file changed size between the two requests */
	return st;
}
