/* backup_int.h: what backup.c (the commit) and backup_undo.c (`rescue undo`) share. */
#ifndef RAMHOST_RECOVERY_BACKUP_INT_H
#define RAMHOST_RECOVERY_BACKUP_INT_H

#include <stddef.h>

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

#endif
