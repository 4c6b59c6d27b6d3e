/* live.h: the pieces of a live VIB install and remove on a booted host (`ramhost vib install|remove`).
 *
 * live_install.c — install and remove as tables of steps with undo (live_install.h), run by steps_run().
 * live_mounts.c — the mounts of a live install: a payload tardisk loop-mounted read-only (autoclear) at
 *                /run/ramhost/tardisks/NAME, and the read-only overlays of /usr, /opt, ... pushed and popped:
 *                a new overlay with the layer added on top (or taken out) is mounted on a private directory
 *                and moved (MS_MOVE) onto the old one, so new lookups see the new view at once while
 *                processes that hold the old one keep it.
 * live_refresh.c — the overlays of each top-level directory a payload has, refreshed with it in or out.
 * live_etc.c   — a payload's /etc defaults merged into the writable /etc without touching what the user
 *                changed (FILE.vib-new next to it instead), with an undo list.
 * live_bank.c  — the booted bootbank's module list changed in place: a payload module added or removed and the
 *                vibs.cpio module rewritten, then boot.cfg and the bank's syslinux.cfg replaced atomically.
 *
 * Paths are the booted host's; RAMHOST_LIVE_ROOT prefixes them for tests run outside a host (no mounts then).
 * Every function either succeeds or leaves what it touched as it was; the caller undoes earlier steps. */
#ifndef RAMHOST_VIB_LIVE_H
#define RAMHOST_VIB_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "live_install.h"
#include "steps.h"

#define LIVE_TARDISKS "/run/ramhost/tardisks"   /* mount points of the tardisks, NAME below it */
#define LIVE_DIR "/run/ramhost/live"            /* tmpfs: the live-installed tardisk files and downloads */
#define LIVE_EMPTY "/run/ramhost/empty"         /* init's empty directory, the second lower of a 1-layer overlay */
#define LIVE_MAX_TOPS 32

/* ---- live_install.c ---- */


/* ---- live_mounts.c ---- */

/* Loop-attaches file read-only and mounts its squashfs at mnt (created), with the loop device set to clear
 * itself when the mount goes. *ret_dev (32 bytes) names the device. */
int live_tardisk_mount(const char *file, const char *mnt, char *ret_dev, struct rh_err *err);

/* Lazily unmounts mnt (MNT_DETACH) and removes the directory; the loop device clears itself. */
int live_tardisk_umount(const char *mnt, struct rh_err *err);

/* The lowerdir= list (top layer first, colon-separated) of the overlay mounted on the top of the stack at
 * /top (e.g. "/usr"), from /proc/self/mountinfo; -ENOENT when /top is not an overlay. */
int live_overlay_lowers(const char *top, char *ret, size_t cap, struct rh_err *err);

/* Pure: the lowerdir list of `cur` with `layer` (a directory such as /run/ramhost/tardisks/hello/usr) added on
 * top (add=1) or every entry below /run/ramhost/tardisks/PAYLOAD/ taken out (add=0, layer = that tardisk's
 * mount point). Returns the number of layers, or -ENOENT (remove: not there), -E2BIG. */
int live_lowers_edit(const char *cur, const char *layer, int add, char *ret, size_t cap);

/* Mounts a read-only overlay of `lowers` (colon list, top first; one layer gets LIVE_EMPTY below it) on a
 * private directory and moves it onto /top (created when missing). */
int live_overlay_push(const char *top, const char *lowers, struct rh_err *err);

/* Unmounts (MNT_DETACH) the topmost mount of /top: the one below becomes visible again. */
int live_overlay_pop(const char *top, struct rh_err *err);

/* The top-level directories of a mounted tardisk that become overlays (not etc, var and the other copied
 * names of the system view, not dev proc sys run tmp). names: LIVE_MAX_TOPS entries of 64 bytes. */
int live_overlay_tops(const char *mnt, char names[][64], unsigned *ret_n, struct rh_err *err);

/* ---- live_refresh.c ---- */

/* Adds the layer mnt/TOP on top of (add=1), or takes every layer of the tardisk mounted at mnt out of (add=0),
 * the overlay of each top-level directory TOP the tardisk has (live_overlay_tops). Add pushes a new overlay
 * (*ret_pushed counts them; a failed install pops them again with add=0). Remove pops the overlays that hold
 * the layer (those stacked since it came) and pushes one overlay of what the pops took with them, so no mount
 * refers to the tardisk any more and its lazy unmount frees it. A directory at /TOP that is not an overlay
 * and has files is refused rather than hidden. */
int live_refresh(const char *mnt, int add, unsigned *ret_pushed, struct rh_err *err);

/* The mount points under /run/ramhost/tardisks except skip (NULL-terminated, malloc'd strings, sorted by
 * readdir order); free with live_list_free. */
char **live_tardisk_mounts(const char *skip);
void live_list_free(char **v);

/* ---- live_etc.c ---- */

enum live_etc_kind { LIVE_ETC_NEW, LIVE_ETC_REPLACED, LIVE_ETC_KEPT };

struct live_etc_change {
	char path[512];        /* e.g. /etc/hello.conf */
	int kind;              /* enum live_etc_kind; KEPT: the user's file stays, the default is PATH.vib-new */
	char restore[512];     /* REPLACED: the lower layer's default copied back on undo */
};

struct live_etc_log {
	struct live_etc_change *c; size_t n, cap;
};

/* Merges mnt/etc (a mounted payload) into root/etc: a file missing there is copied; a file equal to the
 * default of the other tardisks (lower_mnts, NULL-terminated mount points, any order; the topmost one that
 * has the file decides) is replaced; any other is kept and the default written next to it as FILE.vib-new.
 * Every change goes to *log. */
int live_etc_merge(const char *root, const char *mnt, const char *const *lower_mnts, struct live_etc_log *log,
		   struct rh_err *err);

/* Undoes log in reverse order (best effort; the first failure is reported). */
int live_etc_undo(const char *root, struct live_etc_log *log, struct rh_err *err);

/* Remove: for every file of mnt/etc, a root/etc file still equal to it is deleted (or the lower default put
 * back); a changed one is kept. *ret_kept counts the kept ones. */
int live_etc_unmerge(const char *root, const char *mnt, const char *const *lower_mnts, unsigned *ret_kept,
		     struct rh_err *err);

void live_etc_log_free(struct live_etc_log *log);

/* ---- live_bank.c ---- */

struct live_bank_edit {
	const char *add_tdk[LIVE_MAX_PAYLOADS + 1]; /* tardisk files to add as modules NAME.tdk (cpio-wrapped), NULL-terminated */
	const uint8_t *add_sha256[LIVE_MAX_PAYLOADS + 1]; /* each one's module SHA-256 from its verified descriptor, or
							    * NULL: hashed while written */
	const char *remove[LIVE_MAX_PAYLOADS + 1];  /* module names (NAME.tdk) to drop, NULL-terminated */
	const void *vibs_cpio;     /* the new vibs.cpio bytes (always rewritten) */
	size_t vibs_len;
};

/* In the mounted bank directory dir (label names it): writes the added modules and the vibs.cpio under a
 * fresh name (each fsync'd), then bootcfg.cpio, syslinux/syslinux.cfg (when the bank has SYSLINUX) and last
 * boot.cfg (temp + rename: the commit point), then deletes the modules no longer listed. bank and bankuuid
 * are the bank's number and GUID (for syslinux.cfg). Before the commit a failure removes what it wrote. */
int live_bank_apply_dir(const char *dir, const char *label, unsigned bank, const char *bankuuid,
			const struct live_bank_edit *e, struct rh_err *err);

/* The same on the booted bank of this host: finds and mounts it read-write, applies, syncs, unmounts. Returns
 * 1 (done), 0 (not a disk host: nothing to do), or a negative errno. */
int live_bank_apply(const struct live_bank_edit *e, struct rh_err *err);

#endif
