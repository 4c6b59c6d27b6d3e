/* netboot.h: network mode's boot.cfg: fetched from host/MAC/boot.cfg on the server the loader came from, its
 * signature (host/MAC/boot.cfg.sig) checked with the server key embedded in the loader (lib/netkey.h), parsed
 * into a bank whose files come from the network (media.c reads them through net.c). */
#ifndef RAMHOST_EFI_NETBOOT_H
#define RAMHOST_EFI_NETBOOT_H

#include "media.h"
#include "net.h"

/* Fetches, verifies and parses the host's boot.cfg into bank 1 of *m (bank 2 absent, read-only, medium
 * "network"). Says on the console what it fetched and, on failure, why (a bad or missing signature: "boot.cfg
 * from SERVER: bad signature (key PREFIX): not booting it"). EFI_SECURITY_VIOLATION for a signature refusal. */
EFI_STATUS netboot_load_bootcfg(struct net_source *n, struct boot_media *m);

#endif
