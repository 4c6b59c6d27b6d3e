/* fs.h: the small file-system chores of every host command (copy, rm -rf, scratch directories, outputs written
 * beside their target and renamed, running a tool).
 *
 * Every function reports failure through rh_err with the path that failed and returns a negative errno; none
 * prints. Paths are plain C strings owned by the caller. */
#ifndef RAMHOST_FS_H
#define RAMHOST_FS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fileio.h"
#include "sha256.h"


/* Writes len bytes of buf to path (created or truncated, mode), then fsyncs it. */
int fs_write_file(const char *path, const void *buf, size_t len, unsigned mode, struct rh_err *err);


/* Copies the regular file src to dst (mode), fsyncs dst. */
int fs_copy_file(const char *src, const char *dst, unsigned mode, struct rh_err *err);

/* SHA-256 and size of the file at path. */
int fs_sha256_file(const char *path, uint8_t ret[SHA256_DIGEST_LEN], uint64_t *ret_size, struct rh_err *err);

/* The bytes free to an unprivileged writer (f_bavail) in the file system of path, or of the open fd: the one
 * free-space figure the checks before writing compare with (spool, image, download). */
int fs_free_bytes(const char *path, uint64_t *ret, struct rh_err *err);
int fs_free_bytes_fd(int fd, uint64_t *ret);

/* Removes path and, when it is a directory, everything below it (never follows symlinks). Missing is fine.
 * Once removed, path is no longer a registered temporary (tmpreg_forget). */
int fs_rm_rf(const char *path, struct rh_err *err);
/* fs_rm_rf of name in the open directory dirfd; shown names it in messages. */
int fs_rm_rf_at(int dirfd, const char *name, const char *shown, struct rh_err *err);
/* Removes everything below the directory name in dirfd, keeping the directory (a mount point stays usable). */
int fs_rm_children_at(int dirfd, const char *name, const char *shown, struct rh_err *err);
/* fs_rm_rf_at that stays on dirfd's file system: a mount point below name, and the directories holding it, are
 * left. freed (may be NULL) adds up the bytes of the regular files removed (not counting other hard links). */
int fs_rm_one_fs_at(int dirfd, const char *name, const char *shown, uint64_t *freed, struct rh_err *err);

/* fsyncs the directory at path (so that renames into it are durable). */
int fs_sync_dir(const char *path, struct rh_err *err);

/* 1 when path is a directory with no entries, 0 when it is not empty, negative errno when it cannot be read
 * (-ENOENT when it does not exist). */
int fs_dir_is_empty(const char *path);

/* Runs argv (argv[0] looked up in PATH) with stdin from /dev/null; stdout to /dev/null unless keep_stdout;
 * stderr of the tool is captured (last ~800 bytes) into err when it fails. Returns 0 when it exits 0. While it
 * runs it is a registered child (tmpreg_child_add): a signal stops it before the temporaries are removed. */
int fs_run(char *const argv[], int keep_stdout, struct rh_err *err);

/* Runs argv and returns its standard output in a malloc'd NUL-terminated buffer (at most max bytes). */
int fs_run_capture(char *const argv[], size_t max, char **ret_out, struct rh_err *err);

/* The ramhost cache directory: $RAMHOST_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/ramhost. */
int fs_cache_dir(char *buf, size_t cap, struct rh_err *err);

/* The path of the file name in the directory of the running binary (/proc/self/exe), into buf (cap bytes):
 * where `make` puts init and ramhost.efi beside ramhost. */
int fs_beside_self(const char *name, char *buf, size_t cap, struct rh_err *err);

/* Joins a and b with one '/' into buf; -ENAMETOOLONG when it does not fit. */
int fs_join(char *buf, size_t cap, const char *a, const char *b, struct rh_err *err);

/* Creates the temporary named by the mkstemp template tmpl (ending in XXXXXX): a file (dir 0, mode 0600,
 * O_CLOEXEC; returns its open descriptor) or a directory (dir 1, mode 0700; returns 0), and registers it in
 * tmpreg (tmpreg.h), so that it is removed if the command ends or is interrupted before fs_install_file or
 * fs_rm_rf unregisters it. Every temporary of every command is made here. */
int fs_make_temp(char *tmpl, int dir, struct rh_err *err);

/* Creates a private scratch directory NAME.XXXXXX under dir (NULL or "": $TMPDIR, else /tmp) into buf (cap
 * bytes), registered in tmpreg until fs_rm_rf removes it. On failure buf is set to "" so a cleanup path can remove
 * it blindly. */
int fs_work_dir(const char *dir, const char *name, char *buf, size_t cap, struct rh_err *err);

/* fs_work_dir for the booted host's private directories (mount points, staging): NAME.XXXXXX under $TMPDIR,
 * else under /run/ramhost, which is created when missing. */
int fs_host_work_dir(const char *name, char *buf, size_t cap, struct rh_err *err);

/* Commits a finished output: fsyncs tmp, makes it 0644, renames it over out and fsyncs out's directory. The
 * rename is the commit point; before it out is untouched. tmp is no longer a registered temporary once renamed. */
int fs_install_file(const char *tmp, const char *out, struct rh_err *err);

/* Creates a new empty file next to out (out.tmp-XXXXXX), for writing an output atomically: *ret_fd is open on it
 * and tmp (cap bytes) holds its name, registered in tmpreg until fs_install_file or fs_rm_rf. On failure tmp is
 * set to "" so a cleanup path can unlink it blindly. */
int fs_tmp_beside(const char *out, char *tmp, size_t cap, int *ret_fd, struct rh_err *err);

#endif
