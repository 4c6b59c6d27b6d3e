/* host_state.h: the server's per-host state store (docs/pxe.md "Diskless state"):
 * STATE_DIR/hosts/MAC/state-NNNNNNNN.rhs (MAC as 52-54-00-12-34-56), the same generation files as a disk
 * host's state partition (ramdisk/state/state_format.h), keep N (3). */
#ifndef RAMHOST_PXE_HOST_STATE_H
#define RAMHOST_PXE_HOST_STATE_H

#include <limits.h>
#include <stdint.h>

#include "err.h"

/* The newest generation of mac's store whose footer and payload hash verify (a damaged newer one is skipped
 * and named in *err's text only when none verifies). 0 with *gen and path set; -ENOENT when there is none. */
int pxe_host_state_newest(const char *state_dir, const uint8_t mac[6], uint64_t *gen, char path[PATH_MAX],
			  struct rh_err *err);

/* Takes an uploaded generation (the file at upload_path, which this call removes in every case): checks the
 * footer and the payload's SHA-256 and the size limit, stores it as the next generation atomically (write
 * beside, fsync, rename, fsync the directory), then prunes beyond keep. Any failure leaves the stored
 * generations as they were. 0 with *ret_gen, or -EBADMSG (damaged), -EFBIG (over max_bytes), -errno. */
int pxe_host_state_accept(const char *state_dir, const uint8_t mac[6], const char *upload_path,
			  uint64_t max_bytes, unsigned keep, uint64_t *ret_gen, struct rh_err *err);

#endif
