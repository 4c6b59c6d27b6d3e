/* outpath.h: the one rule for where a command may write its output (-o), checked before any long work.
 *
 * A file output (tardisk create, vib create, image iso, image disk, each member vib extract writes) is refused
 * when the path is empty, names an existing directory or anything but a regular file (a symlink to one counts as
 * one), already exists and force is off ("OUT: exists (use --force to replace it)"), is the same file as one of
 * the command's inputs (same st_dev and st_ino, so through a hard link or a symlink too; even with force), or
 * lies inside an input directory (it would be read back as part of that input). Its directory must exist. A
 * directory output (image build, vib extract) is refused when the path is empty, names
 * something that is not a directory, or is, or holds, one of the inputs. Whether a non-empty directory may be
 * replaced is the caller's rule (image build: only a bootbank ramhost wrote). */
#ifndef RAMHOST_OUTPATH_H
#define RAMHOST_OUTPATH_H

#include <stddef.h>

#include "err.h"

/* Checks the file output out against the rule above; inputs[0..n) are the paths the command reads (NULL
 * entries and missing files are skipped). Returns 0, or -EINVAL / -EISDIR / -EEXIST / -ENOENT ... with err
 * naming out and what was wrong. */
int outpath_check(const char *out, int force, const char *const *inputs, size_t n, struct rh_err *err);

/* Checks the directory output out (missing is fine: the caller creates it) against the rule above. */
int outpath_check_dir(const char *out, const char *const *inputs, size_t n, struct rh_err *err);

#endif
