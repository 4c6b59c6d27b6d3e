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
 * generations as they were. 0 with *ret_gen, or -EBADMSG (damaged), -EFBIG (over max_bytes), -ESTALE (the
 * upload's generation number is not above every number in the store), -errno.
 * The number: a generation's number is inside its hashed payload (footer and MANIFEST) and `state boot` refuses
 * a file whose name and footer disagree, so the file is stored under its own number, which must be greater than
 * every generation present (damaged ones included: numbers are never reused, as on a disk host). A host saves
 * newest + 1 of what it booted with, which is the server's newest. */
int pxe_host_state_accept(const char *state_dir, const uint8_t mac[6], const char *upload_path,
			  uint64_t max_bytes, unsigned keep, uint64_t *ret_gen, struct rh_err *err);

/* ---- uploads ---- */

/* Creates STATE_DIR/hosts/MAC (0700) and an empty registered temporary in it for an upload to be streamed into
 * (fs_tmp_beside: "upload.tmp-XXXXXX", 0600), open on *ret_fd, its name in path. Thread-safe: the temporaries'
 * registry (tmpreg) is reached under one lock here. The caller hands path to pxe_host_state_accept, or removes
 * it with pxe_host_state_upload_drop. */
int pxe_host_state_upload_open(const char *state_dir, const uint8_t mac[6], char path[PATH_MAX], int *ret_fd,
			       struct rh_err *err);
void pxe_host_state_upload_drop(const char *path);

/* Removes what uploads cut off by a crash (kill -9) left in STATE_DIR/hosts/ * /: upload and copy temporaries,
 * never a generation. Call once at start, before any upload can be in progress. *ret_removed (may be NULL) gets
 * how many. A missing STATE_DIR/hosts is fine. */
int pxe_host_state_sweep(const char *state_dir, unsigned *ret_removed, struct rh_err *err);

#endif
