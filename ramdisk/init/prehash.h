/* prehash.h: the tardisks' SHA-256 computed on a second thread while init loads the boot modules. Loading them
 * is mostly waiting (ata_piix's port resets alone are about a third of a second under QEMU, and each module's
 * load waits for its probes), so the hashing fills that time instead of following it; on a machine with more
 * than one CPU it runs beside the loads outright. Nothing is trusted early: verify_tardisks (init's main.c)
 * checks each tardisk's name and its boot.cfg hash as before, and only takes the digest from here; a file the
 * thread could not hash is hashed again there, which reports the error. */
#ifndef RAMHOST_INIT_PREHASH_H
#define RAMHOST_INIT_PREHASH_H

#include <pthread.h>
#include <stdint.h>

#include "bootcfg.h"
#include "sha256.h"

struct prehash {
	const struct bootcfg *cfg;
	char dir[64];                                   /* the tardisks' folder below /, and their cpio folder */
	pthread_t thread;
	int started, joined;
	int rc[BOOTCFG_MAX_MODULES];                    /* per boot.cfg module: 0 when got[] holds its digest */
	uint8_t got[BOOTCFG_MAX_MODULES][SHA256_DIGEST_LEN];
};

/* The file name of a boot.cfg module when it is a tardisk (its last path component ends in ".tdk", with at
 * least one character before it), with its length in *ret_len; NULL for any other module. The one rule for both
 * verify_tardisks and the thread. */
const char *prehash_tardisk_base(const char *name, size_t *ret_len);

/* Starts hashing every *.tdk module of cfg (/dir/NAME, as cpio_wrap_sha256(dir, NAME) hashes the module). When the thread
 * cannot start, nothing is precomputed and prehash_get always says so. */
void prehash_start(struct prehash *ph, const struct bootcfg *cfg, const char *dir);

/* Waits for the thread (once); then 0 with the digest of module i in got, or -1 when it has none. */
int prehash_get(struct prehash *ph, unsigned i, uint8_t got[SHA256_DIGEST_LEN]);

#endif
