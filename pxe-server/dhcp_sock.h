/* dhcp_sock.h: the DHCP server of `ramhost pxe serve` on its sockets: UDP on settings.dhcp_port (67) and, in
 * proxy mode, settings.proxy_port (4011), answered from the shared poll loop (loop.h) by the pure core
 * (dhcp_server.h). Full mode keeps its lease file (leases.h) and writes it before every DHCPACK that changed a
 * binding. Use from the loop's thread only. */
#ifndef RAMHOST_PXE_DHCP_SOCK_H
#define RAMHOST_PXE_DHCP_SOCK_H

#include <stdint.h>

#include "config.h"
#include "dhcp_server.h"
#include "err.h"
#include "loop.h"

#define PXE_DHCP_BATCH 32        /* packets read per wakeup; their lease changes share one lease-file write */
#define PXE_DHCP_TICK_MS 10000   /* how often run-out offers and decline holds are cleared */

struct pxe_dhcp;

/* Opens the sockets (SO_BINDTODEVICE to set->interface when set, SO_REUSEADDR, SO_BROADCAST, IP_PKTINFO,
 * non-blocking), reads the lease file (full mode; damaged lines are "dhcp-leases" events), and registers the
 * sockets and a tick on loop. mode off: nothing to do, *ret = NULL and 0. A startup failure (bad range, port in
 * use, unreadable lease file) is a negative errno with err. ops is copied; ops->ctx must outlive the server. */
int pxe_dhcp_start(const struct pxe_settings *set, uint32_t server_ip, uint32_t netmask, unsigned http_port,
		   const struct pxe_dhcp_ops *ops, struct pxe_loop *loop, struct pxe_dhcp **ret, struct rh_err *err);
/* SIGHUP reload: pxe_dhcp_core_update (range, reservations, options, lease time, lease file). -EBUSY when the
 * mode, interface, ports or server address changed (a restart is needed; the old settings stay). */
int pxe_dhcp_update(struct pxe_dhcp *d, const struct pxe_settings *set, struct rh_err *err);
/* Closes the sockets and frees d (NULL is fine). Call after pxe_loop_run returned: the tick stays registered on
 * the loop (loop.h has no way to remove one), so the loop must be freed, not run again. */
void pxe_dhcp_stop(struct pxe_dhcp *d);

/* The core, for tests and the status page. */
struct pxe_dhcp_core *pxe_dhcp_get_core(struct pxe_dhcp *d);

#endif
