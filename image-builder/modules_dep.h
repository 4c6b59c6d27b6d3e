/* modules_dep.h: kernel module resolution from a kernel's modules.dep and modules.builtin.
 *
 * modules.dep lines are `kernel/fs/overlayfs/overlay.ko: dep.ko dep2.ko` (paths relative to lib/modules/<kver>,
 * direct and indirect dependencies); modules.builtin lists modules compiled into the kernel. A module is named by
 * its file name without directory and .ko[.xz|.zst|.gz] suffix, with '-' and '_' equivalent. The parsers take
 * (buf, len) and are fuzzed. */
#ifndef RAMHOST_IMGB_MODULES_DEP_H
#define RAMHOST_IMGB_MODULES_DEP_H

#include <stddef.h>

#include "err.h"

struct modules_dep_mod {
	const char *path;   /* relative path as in modules.dep, NUL-terminated inside the db's text */
	char name[64];      /* normalized name ('-' -> '_'), empty when too long to be looked up */
	const char *deps;   /* the dependency list text after ':' (not NUL-terminated) */
	size_t deps_len;
	unsigned line;      /* line in modules.dep, for messages */
};

struct modules_dep {
	char *text;             /* owned copy of modules.dep */
	struct modules_dep_mod *mods;  /* owned */
	unsigned nmods;
	unsigned *by_path;      /* owned: indices into mods sorted by path, for lookups */
	char (*builtin)[64];    /* owned: normalized names of built-in modules */
	unsigned nbuiltin;
	const char *what;       /* name of modules.dep for messages (not owned) */
};

/* Parses modules.dep from buf[0..len) (copied) into *db. what names the file in messages. On failure *db is
 * left empty (modules_dep_free is still safe). */
int modules_dep_parse(struct modules_dep *db, const char *buf, size_t len, const char *what, struct rh_err *err);

/* Adds the modules.builtin list from buf[0..len) to db. */
int modules_dep_add_builtin(struct modules_dep *db, const char *buf, size_t len, struct rh_err *err);

void modules_dep_free(struct modules_dep *db);

/* Normalizes a module name or path into out: basename, no .ko* suffix, '-' -> '_'. Returns 0 or -EINVAL. */
int modules_dep_normalize(const char *s, size_t len, char out[64]);

/* Index of the module named name in db->mods, or -ENOENT. */
int modules_dep_find(const struct modules_dep *db, const char *name);

/* The next path of m's dependency list from *pos (advanced past it) into *ret_word / *ret_len (not
 * NUL-terminated). Returns 1 for a path, 0 at the end of the list. */
int modules_dep_next_dep(const struct modules_dep_mod *m, size_t *pos, const char **ret_word, size_t *ret_len);

/* Index of the module whose modules.dep path is p[0..len) (not NUL-terminated), or -ENOENT (binary search). */
int modules_dep_find_path(const struct modules_dep *db, const char *p, size_t len);

/* 1 when name is built into the kernel (in modules.builtin). */
int modules_dep_is_builtin(const struct modules_dep *db, const char *name);

/* Resolves the modules names[0..n) and all their dependencies into load order (dependencies first, each module
 * once), skipping built-in ones. *ret_order is a malloc'd array of indices into db->mods (the caller frees it),
 * *ret_n its length. Fails on an unknown module, a dependency that has no line of its own, or a cycle. */
int modules_dep_resolve(const struct modules_dep *db, const char *const *names, unsigned n, unsigned **ret_order,
		 unsigned *ret_n, struct rh_err *err);

/* The modules init always loads: squashfs for the tardisks, loop to mount them from RAM, overlay for /usr. A
 * kernel without one of them (neither a module nor built in) cannot boot ramhost: resolving fails. */
#define MODULES_DEP_NREQUIRED 3
extern const char *const modules_dep_required[MODULES_DEP_NREQUIRED];

/* Block and file system drivers init also loads, so that the booted host sees its boot disk (virtio, SCSI,
 * SATA/IDE, USB mass storage and its host controllers, CD) and can mount a FAT bank partition (vfat and its
 * code pages) for `ramhost bootbank mark-good`, ext4 and crc32c_generic for the state partition (ext4 asks the
 * crypto API for crc32c, a soft dependency modules.dep does not list) and efivarfs for `ramhost install`'s boot
 * entry (init loads it on EFI boots only). A kernel that lacks one of them just goes without. Network drivers
 * are not here: udev or the built-in base's coldplug pass loads them from the drivers tardisk (bank_build adds
 * virtio_net for an image without network drivers). */
#define MODULES_DEP_NDISK 21
extern const char *const modules_dep_disk[MODULES_DEP_NDISK];

/* The list of names init's modules are resolved from: modules_dep_required, the modules_dep_disk modules that db has as a
 * file (built-in and absent ones are skipped), then extra[0..nextra) (the profile's kmod lines). ret_names has
 * room for MODULES_DEP_NREQUIRED + MODULES_DEP_NDISK + nextra pointers; it points into the static lists and extra. */
void modules_dep_boot_names(const struct modules_dep *db, const char *const *extra, unsigned nextra, const char **ret_names,
		     unsigned *ret_n);

/* Reads the module file at path, decompressing .ko.xz / .ko.zst / .ko.gz so that init can finit_module() it
 * as is. *ret_buf is malloc'd (the caller frees it). */
int modules_dep_read_file(const char *path, void **ret_buf, size_t *ret_len, struct rh_err *err);

/* The path with its compression suffix removed (".ko.xz" -> ".ko") into out. */
int modules_dep_plain_path(const char *path, char *out, size_t cap);

#endif
