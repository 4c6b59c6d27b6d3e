/* backup_int.h: what backup.c (the commit) and backup_undo.c (`rescue undo`) share. */
#ifndef RAMHOST_RECOVERY_BACKUP_INT_H
#define RAMHOST_RECOVERY_BACKUP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sha256.h"

/* The lowercase hex SHA-256 of buf[0..len). */
void backup_hex_sha(const void *buf, size_t len, char out[SHA256_HEX_LEN + 1]);

/* Replaces dir/status by "STATUS\n" (temporary file, fsync, rename). */
int backup_set_status(const char *dir, const char *status, struct rh_err *err);

/* Puts variable NAME-GUID in efivars back as buf[0..len) holds it (4 attribute bytes + data, len >= 4), or
 * deletes it when buf is NULL. */
int backup_restore_var(const char *efivars, const char *name, const char *guid, const char *buf, size_t len,
		       struct rh_err *err);

#define BACKUP_MANIFEST_MAX_EXT 65536u
#define BACKUP_MANIFEST_MAX_VARS 256u

/* A backup's manifest as `rescue undo` reads it (the records are described atop backup.c). */
struct backup_manifest_ext {
	uint64_t off, len, at;        /* at: where its old bytes start in old.bin */
	char old[SHA256_HEX_LEN + 1], new[SHA256_HEX_LEN + 1];
	const char *why;              /* points into the text */
	int restore;                  /* holds its new bytes (or force): gets its old ones back */
};

struct backup_manifest_var {
	char name[64], guid[40];
	int present;
};

struct backup_manifest {
	uint64_t size, total;         /* the disk's bytes; the extents' (old.bin's) bytes */
	uint32_t sector;
	struct backup_manifest_ext *ext;
	size_t next, ext_cap;
	struct backup_manifest_var *var;
	size_t nvar;
};

/* Parses the manifest text[0..len) (NUL-terminated; split into lines in place, so text must outlive m). Returns 0,
 * -EINVAL for a record that is not one (*ret_line: its line number), -E2BIG for too many, -ENOMEM. Fuzzed
 * (tests/fuzz/fuzz_backup_manifest.c). Free m with backup_manifest_free, also after a failure. */
int backup_manifest_parse(char *text, size_t len, struct backup_manifest *m, size_t *ret_line);
void backup_manifest_free(struct backup_manifest *m);

#endif
