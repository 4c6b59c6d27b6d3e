/* sig.h: sig.pkcs7, a detached CMS signature (OpenSSL) over a VIB's descriptor.xml, and the acceptance
 * levels it proves.
 *
 * A trust store is a directory with one subdirectory per signed level — certified/, accepted/, partner/ —
 * each holding CA certificates (*.pem). A signature proves level L when its signer certificate chains to a CA
 * of L's subdirectory and the signature verifies over the descriptor's exact bytes. Community VIBs carry no
 * signature (an empty or absent sig.pkcs7). The host's store is /run/ramhost/vibs/trust (the image profile's),
 * /usr/share/ramhost/trust (built into the base) and /etc/ramhost/trust (the administrator's); RAMHOST_TRUST
 * overrides them (tests). See vib_host_trust() and docs/vib-signing.md. */
#ifndef RAMHOST_VIB_SIG_H
#define RAMHOST_VIB_SIG_H

#include <stddef.h>
#include <time.h>

#include "descriptor.h"
#include "err.h"

#define VIB_TRUST_RUN "/run/ramhost/vibs/trust"       /* from the image's vibs.cpio (the profile's trust = DIR) */
#define VIB_TRUST_SYSTEM "/usr/share/ramhost/trust"
#define VIB_TRUST_ADMIN "/etc/ramhost/trust"
#define VIB_ACCEPTANCE_ADMIN "/etc/ramhost/acceptance"
#define VIB_ACCEPTANCE_RUN "/run/ramhost/vibs/acceptance" /* the image's policy, from vibs.cpio */
#define VIB_TRUST_DIRS_MAX 16

/* Signs (desc, dlen) with the PEM private key and certificate at key_path and cert_path (a chain file: the
 * signer first, intermediates after). The result is DER, malloc'd into *ret_sig / *ret_len. */
int vib_sig_sign(const void *desc, size_t dlen, const char *key_path, const char *cert_path, void **ret_sig,
		 size_t *ret_len, struct rh_err *err);

/* Verifies a signature over (desc, dlen) for a VIB that claims `claimed`.
 *   trust_dirs: NULL-terminated list of trust store directories (see above); extra_ca: a PEM file of CAs
 *   (`vib verify --trust`) that counts for the claimed level, or NULL; now: the time certificates must be
 *   valid at.
 * On success *ret_level is the level proven (claimed, or VIB_LEVEL_COMMUNITY for a community VIB without a
 * signature). Each refusal has its own code and message:
 *   -ENOKEY       signed level claimed but sig.pkcs7 is empty
 *   -EBADMSG      the signature does not verify over the descriptor (tampered descriptor or signature), or
 *                 is not CMS
 *   -EKEYREJECTED the signer does not chain to the claimed level's trust store (wrong or unknown CA)
 *   -EKEYEXPIRED  a certificate in the chain is expired or not yet valid at `now`
 *   -EPROTO       a community VIB that carries a signature, or any other inconsistency */
int vib_sig_verify(const void *desc, size_t dlen, const void *sig, size_t slen, enum vib_level claimed,
		   const char *const *trust_dirs, const char *extra_ca, time_t now, enum vib_level *ret_level,
		   struct rh_err *err);

/* Policy: a host or image at `policy` accepts a VIB at `level` when level >= policy; otherwise -EPERM with a
 * message naming both levels and the VIB. */
int vib_level_check(const char *vib_name, enum vib_level level, enum vib_level policy, struct rh_err *err);

/* The host's acceptance level: the file named by RAMHOST_ACCEPTANCE when set (it must exist), else
 * /etc/ramhost/acceptance, else /run/ramhost/vibs/acceptance, else partner. The file holds one level word. */
int vib_host_level(enum vib_level *ret_level, struct rh_err *err);

/* The host's trust store directories, as the NULL-terminated list vib_sig_verify() takes: RAMHOST_TRUST
 * (colon-separated) when set, else VIB_TRUST_RUN, VIB_TRUST_SYSTEM, VIB_TRUST_ADMIN. Missing directories are
 * fine (they hold no CA). t->dirs points into t; fill it with vib_host_trust(&t) and pass t.dirs. */
struct vib_trust {
	char buf[4096];
	const char *dirs[VIB_TRUST_DIRS_MAX + 1];
};
int vib_host_trust(struct vib_trust *t, struct rh_err *err);

#endif
