/* install_gpt.h: fitting the disk skeleton's GPT to the target disk (`ramhost install`).
 *
 * The skeleton (install.h) is a small disk image whose backup GPT sits at its own end. Written onto a larger
 * disk, its primary header must name the disk's last LBA as the backup's place and the usable range must grow,
 * the backup entries and header move to the disk's end, the protective MBR covers the disk, and every install
 * gets fresh disk and partition GUIDs (two disks installed from one ISO must not share a bankuuid). Pure: works
 * on buffers, unit-tested against lib/gpt's reader. */
#ifndef RAMHOST_IMGB_INSTALL_GPT_H
#define RAMHOST_IMGB_INSTALL_GPT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define INSTALL_GPT_HEAD (34u * 512u)    /* protective MBR, header, 32 sectors of entries */
#define INSTALL_GPT_TAIL (33u * 512u)    /* backup entries and header */
#define INSTALL_GPT_PARTS 4              /* ESP, bootbank, altbootbank, state */

/* Checks the primary GPT in head (the skeleton's first INSTALL_GPT_HEAD bytes, at least): signature, header and
 * entry CRCs, 512-byte sectors, entries at LBA 2 within 32 sectors, and the first INSTALL_GPT_PARTS entries used.
 * *ret_sectors gets the skeleton's size in sectors (its backup header's LBA + 1). */
int install_gpt_check(const uint8_t *head, size_t len, uint64_t *ret_sectors, struct rh_err *err);

/* Rewrites head (checked by install_gpt_check) for a disk of dev_sectors 512-byte sectors: guids[0] becomes
 * the disk GUID, guids[1..4] the partitions' unique GUIDs (on-disk byte order); CRCs recomputed. Fills
 * tail[INSTALL_GPT_TAIL] with the backup entries and header, to be written at sector dev_sectors - 33. */
int install_gpt_relocate(uint8_t *head, uint64_t dev_sectors, const uint8_t guids[1 + INSTALL_GPT_PARTS][16],
			 uint8_t *tail, struct rh_err *err);

#endif
