/* vibdb.h: the image's database of installed VIBs.
 *
 * On a booted host it is the directory /run/ramhost/vibs (RAMHOST_VIBDB overrides it): for each VIB
 * NAME.xml (its descriptor.xml, byte for byte), NAME.sig (its sig.pkcs7, possibly empty) and NAME.level (the
 * level proven at install time, one word); plus `acceptance` (the image's level, one word) when the image set
 * one. In a bootbank it is the module `vibs.cpio`: a newc cpio of the same files under `vibs/`, listed in
 * boot.cfg's modules= (after the tardisks) with its hash; init copies /vibs/ from the initramfs to
 * /run/ramhost/vibs. */
#ifndef RAMHOST_VIB_VIBDB_H
#define RAMHOST_VIB_VIBDB_H

#include <stddef.h>

#include "descriptor.h"
#include "err.h"

#define VIBDB_DEFAULT "/run/ramhost/vibs"
#define VIBDB_MODULE "vibs.cpio"

struct vibdb_entry {
	struct vib_desc desc;
	char *xml; size_t xml_len; /* descriptor.xml bytes (malloc'd) */
	void *sig; size_t sig_len; /* sig.pkcs7 bytes (malloc'd, may be NULL/0) */
	enum vib_level level;
};

struct vibdb {
	struct vibdb_entry *v; size_t n;
};

/* Reads every NAME.xml of dir (and its .sig and .level) into *ret, sorted by name. A missing dir is an
 * empty database. */
int vibdb_load(const char *dir, struct vibdb *ret, struct rh_err *err);
void vibdb_free(struct vibdb *db);

/* Writes one entry into dir (NAME.xml, NAME.sig, NAME.level; each by temporary file and rename). */
int vibdb_put(const char *dir, const struct vibdb_entry *e, struct rh_err *err);
/* Removes NAME's files from dir. */
int vibdb_del(const char *dir, const char *name, struct rh_err *err);

/* Writes db as the vibs.cpio module to out_fd (path names it in errors). */
int vibdb_write_cpio(const struct vibdb *db, int out_fd, const char *path, struct rh_err *err);

/* The sticky.list file of the vibdb dir (and of vibs.cpio): the union of the entries' sticky files, sorted, one
 * absolute path per line after a comment line; paths `ramhost state` would refuse (below /usr, /run, ...) are
 * left out. *ret is malloc'd (the caller frees it). */
#define VIBDB_STICKY_LIST "sticky.list"
int vibdb_sticky_text(const struct vibdb *db, char **ret, size_t *ret_len, struct rh_err *err);

/* What an image adds to vibs.cpio besides the entries: vibs/acceptance (the profile's policy, one word),
 * vibs/image-level, and vibs/trust/LEVEL/ *.pem copied from a trust store directory (certified/ accepted/ partner/ subdirs). */
struct vibdb_cpio_extra {
	const char *acceptance; /* NULL: no vibs/acceptance */
	const char *trust_dir;  /* NULL: no vibs/trust */
};
int vibdb_write_cpio_ex(const struct vibdb *db, const struct vibdb_cpio_extra *x, int out_fd, const char *path,
			struct rh_err *err);
/* The same for an image build: also vibs/image-level (image_level: the lowest level of the image's VIBs, one
 * word; NULL for none). */
int vibdb_write_cpio_image(const struct vibdb *db, const struct vibdb_cpio_extra *x, const char *image_level,
			   int out_fd, const char *path, struct rh_err *err);

#endif
