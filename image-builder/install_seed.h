/* install_seed.h: the answer file's seeded files as the new disk's first state generation (install.h). */
#ifndef RAMHOST_IMGB_INSTALL_SEED_H
#define RAMHOST_IMGB_INSTALL_SEED_H

#include "answer.h"
#include "err.h"
#include "install_medium.h"

/* 1 when a seeds anything (hostname, rootpw or sticky files). */
int install_seed_wanted(const struct answer *a);

/* Builds a temporary root (under TMPDIR, default /run/ramhost) holding the seeded files with the sticky bit:
 * /etc/hostname, /etc/shadow (this host's with root's hash replaced), every sticky file (from the medium m or
 * inline), then runs `RAMHOST state save --root ROOT --store store` (RAMHOST: ramhost, NULL for /proc/self/exe)
 * and removes the root. The tool's own message is in err when it fails. */
int install_seed(const struct answer *a, struct install_medium *m, const char *store, const char *ramhost,
		 struct rh_err *err);

/* /etc/shadow text old[0..len) with root's password field set to hash (a root line added when missing), into a
 * malloc'd NUL-terminated buffer. Pure. */
int install_shadow_set_root(const char *old, size_t len, const char *hash, char **ret, size_t *ret_len);

#endif
