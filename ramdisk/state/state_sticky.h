/* state_sticky.h: which files are sticky, and the live sticky set of a root (what `state save` would save).
 *
 * A path is sticky when it is a regular file with the sticky bit (S_ISVTX), or when it or one of its parent
 * directories matches a pattern of ROOT/run/ramhost/sticky.list, ROOT/run/ramhost/vibs/sticky.list (the
 * installed VIBs' sticky files) or ROOT/usr/lib/ramhost/sticky.d/ *.list (one
 * absolute fnmatch glob per line with FNM_PATHNAME, '#' comments). Symlinks are sticky only through a pattern and
 * are saved as symlinks; other file types are never saved.
 *
 * Trees walked (state_trees): with ROOT/run/ramhost/boot.env, the mount point of every ramdisk it lists except
 * /tmp and /run (and anything below /run), without crossing into another file system or another listed ramdisk;
 * without boot.env, all of ROOT. In both cases the top-level proc, sys, dev, run, tmp, usr and opt are never
 * walked (usr and opt are the read-only tardisk overlays).
 *
 * Deletions: a sticky default is a file or symlink below ROOT/run/ramhost/tardisks/NAME/ (the mounted tardisks,
 * whose etc/ and var/ init copied into the ramdisks) inside a walked tree that is sticky by the rules above; when
 * the live root has no such path any more, the set holds a 'd' entry for it, and restoring deletes it again. */
#ifndef RAMHOST_STATE_STICKY_H
#define RAMHOST_STATE_STICKY_H

#include <stddef.h>

#include "err.h"
#include "state_format.h"

#define STATE_STICKY_LIST "/run/ramhost/sticky.list"
#define STATE_STICKY_DIR "/usr/lib/ramhost/sticky.d"
#define STATE_VIB_STICKY_LIST "/run/ramhost/vibs/sticky.list"   /* the installed VIBs' sticky files (vibdb.h) */
#define STATE_TARDISKS_DIR "/run/ramhost/tardisks"
#define STATE_BOOTENV "/run/ramhost/boot.env"
#define STATE_PATTERN_FILE_MAX (1u << 20)

struct state_patterns {
	size_t n, cap;
	char **p;   /* owned */
};

/* Appends the patterns of one list file's text buf[0..len) to pats; name is the file in errors ("NAME: line N:
 * pattern must be absolute"). Blank lines and '#' comments are skipped, surrounding blanks trimmed, a trailing
 * '/' dropped. */
int state_patterns_parse(const char *buf, size_t len, const char *name, struct state_patterns *pats,
			 struct rh_err *err);

/* 1 when path (absolute) matches one of the patterns. */
int state_patterns_match(const struct state_patterns *pats, const char *path);

void state_patterns_free(struct state_patterns *pats);

/* Reads ROOT's pattern lists (sticky.list and sticky.d/ *.list, sorted; missing ones are fine). */
int state_patterns_load(const char *root, struct state_patterns *ret, struct rh_err *err);

#define STATE_MAX_TREES 16

/* The trees to walk, as absolute paths inside the root ("/" or ramdisk mount points). */
struct state_trees {
	unsigned n;
	char path[STATE_MAX_TREES][256];
	int cross_devices;   /* 0 with boot.env: a tree is one file system */
};

/* Fills *ret from ROOT/run/ramhost/boot.env (see above); a missing boot.env means "/" with cross_devices. */
int state_trees_load(const char *root, struct state_trees *ret, struct rh_err *err);

/* Collects the live sticky set of root into *ret (entries sorted, with content and xattr hashes and the xattrs
 * themselves; deletions included). ret->generation, created and hostname are left zero. Errors name the path
 * that could not be read. */
int state_collect(const char *root, struct state_manifest *ret, struct rh_err *err);

#endif
