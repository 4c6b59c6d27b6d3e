/* vibfile.h: a .vib file — an ar archive holding descriptor.xml, sig.pkcs7 and one NAME.tdk per payload, in
 * that order — opened, checked and created.
 *
 * vib_open() maps the file read-only and parses the descriptor; vib_check() verifies the signature (sig.h)
 * and every payload's size and SHA-256 against the descriptor. Nothing is extracted or mounted here. */
#ifndef RAMHOST_VIB_VIBFILE_H
#define RAMHOST_VIB_VIBFILE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ar.h"
#include "descriptor.h"
#include "err.h"

struct vib_file {
	char path[4096];
	const uint8_t *map; size_t len; /* the whole file, mmapped read-only */
	struct vib_desc desc;
	struct ar_member desc_member, sig_member;
	struct ar_member payload_member[VIB_LIST_MAX]; /* [i] is desc.payloads[i] */
};

/* Opens and maps path, reads the archive and the descriptor, and checks that the members are exactly
 * descriptor.xml, sig.pkcs7 and the descriptor's payloads. *ret is set only on success; close it with
 * vib_close(). */
int vib_open(const char *path, struct vib_file *ret, struct rh_err *err);
void vib_close(struct vib_file *v);

/* Verifies the signature (trust_dirs, extra_ca as vib_sig_verify; skip_sig to skip it, level is then the
 * claimed one) and every payload's size and SHA-256: the checksum vib_payload_checked_sha256 names, one pass
 * over each payload. *ret_level: the proven level. */
int vib_check(const struct vib_file *v, const char *const *trust_dirs, const char *extra_ca, int skip_sig,
	      enum vib_level *ret_level, struct rh_err *err);

/* Checks every payload against its plain checksum as well (`vib verify`: a signed descriptor whose two
 * checksums disagree is refused, although vib_check's one covers the bytes already). */
int vib_check_plain(const struct vib_file *v, struct rh_err *err);

/* Writes a .vib at out: descriptor d (its payloads' sizes and hashes are filled from payload_paths, one
 * tardisk file per payload of d, in order), signed when key_path and cert_path are set (d->level must then be
 * a signed level) or community when they are NULL. Written to a temporary file, fsynced, renamed. */
int vib_create(const char *out, struct vib_desc *d, const char *const *payload_paths, const char *key_path,
	       const char *cert_path, struct rh_err *err);

#endif
