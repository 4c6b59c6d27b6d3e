/* bank_build.h: `ramhost image build`: a profile becomes a bootbank directory (boot.cfg, vmlinuz, init.cpio,
 * NAME.tdk..., bootcfg.cpio), exactly the layout of the shared boot contract (docs/image-builder.md). */
#ifndef RAMHOST_IMGB_BANK_BUILD_H
#define RAMHOST_IMGB_BANK_BUILD_H

#include "bootcfg.h"
#include "err.h"
#include "profile.h"

#define BOOTBANK_BOOTCFG_MODULE "bootcfg.cpio"

/* Called once per finished stage with a one-line message (no newline). */
typedef void (*bank_build_progress_fn)(void *ctx, const char *msg);

struct bank_build_opts {
	const char *init;        /* the static init; NULL: $RAMHOST_INIT, else `init` next to the running binary */
	const char *ramhost;     /* binary shipped in the built-in base; NULL: /proc/self/exe */
	const char *workdir;     /* scratch space for staging and squashfs images; NULL: $TMPDIR or /tmp */
	bank_build_progress_fn progress;
	void *progress_ctx;
};

/* Writes the bootbank of profile p into dir, which must exist and be empty. On success *ret_cfg (may be NULL)
 * holds the boot.cfg that was written. On failure dir may hold partial files: callers write into a temporary
 * directory and rename (bank_build does). */
int bank_build_write(const struct profile *p, const char *dir, const struct bank_build_opts *o,
		     struct bootcfg *ret_cfg, struct rh_err *err);

/* Builds the bootbank into out atomically: a sibling out.tmp.XXXXXX first, renamed over out at the end. out
 * must not exist or be empty, unless force (then the old directory is replaced, after the new one is done). */
int bank_build(const struct profile *p, const char *out, int force, const struct bank_build_opts *o,
	       struct rh_err *err);

/* Writes dir/bootcfg.cpio (a newc cpio holding /boot.cfg = text[0..len)) atomically. It is derived from boot.cfg,
 * never edited: whoever writes a boot.cfg that will be booted by a BIOS loader calls this right after. */
int bootbank_write_bootcfg_module(const char *dir, const char *text, size_t len, struct rh_err *err);

/* Rewrites dir/boot.cfg from cfg (temp file, fsync, rename) and then dir/bootcfg.cpio from the same text. */
int bootbank_write_cfg(const char *dir, const struct bootcfg *cfg, struct rh_err *err);

/* Copies the bootbank in src (the kernel, every module and boot.cfg that cfg names, plain file names only) into
 * the existing directory dst and derives dst/bootcfg.cpio from the copied boot.cfg. */
int bootbank_copy(const char *src, const char *dst, const struct bootcfg *cfg, struct rh_err *err);

/* Checks that every file cfg names in dir exists and matches its hash.NAME; a mismatch names the file and both
 * hashes. */
int bootbank_check(const char *dir, const struct bootcfg *cfg, struct rh_err *err);

/* Reads and checks an existing bootbank's boot.cfg (parse errors name the line) into *ret. */
int bootbank_read_cfg(const char *dir, struct bootcfg *ret, struct rh_err *err);

#endif
