/* boot_alias.h: init.cpio's /etc/ramhost/boot.alias (lib/modalias.h), which lets init load a PCI driver of its
 * boot list only on a machine that has a device for it.
 *
 * A boot module (ahci, ata_piix, xhci_pci, virtio_pci, ...) whose aliases in the kernel's modules.alias are all
 * PCI ones gets its aliases written there, the module named by its plain path as init.conf names it. A module
 * with any other alias (usb:, scsi:, virtio:, cpu:, a file system's fs-NAME) or none is not listed: init always
 * loads it, since its devices show up only once a bus driver runs (USB, SCSI), or it drives no device. */
#ifndef RAMHOST_IMGB_BOOT_ALIAS_H
#define RAMHOST_IMGB_BOOT_ALIAS_H

#include <stddef.h>

#include "err.h"
#include "modules_dep.h"

/* The boot.alias text for init's boot modules order[0..n) (indices into db->mods) from the kernel's
 * modules.alias text alias[0..alen); *ret is malloc'd (empty when no module is gated). */
int boot_alias_format(const struct modules_dep *db, const unsigned *order, unsigned n, const char *alias,
		      size_t alen, char **ret, size_t *ret_len, struct rh_err *err);

#endif
