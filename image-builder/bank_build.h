/* bank_build.h: `ramhost image build`: a profile becomes a bootbank directory (boot.cfg, vmlinuz, init.cpio,
 * NAME.tdk..., bootcfg.cpio), exactly the layout of the shared boot contract (docs/image-builder.md). */
#ifndef RAMHOST_IMGB_BANK_BUILD_H
#define RAMHOST_IMGB_BANK_BUILD_H

#include "bootcfg.h"
#include "bootloader/bank_dir.h"
#include "err.h"
#include "profile.h"

/* Called once per finished stage with a one-line message (no newline). */
typedef void (*bank_build_progress_fn)(void *ctx, const char *msg);

/* The binary images ship as /usr/bin/ramhost, beside the running one: `make` builds build/host/ramhost, the host
 * build (cli/main.c: without `pxe`, fewer libraries, stripped). */
#define BANK_HOST_RAMHOST "host/ramhost"

struct bank_build_opts {
	const char *init;        /* the static init; NULL: $RAMHOST_INIT, else `init` next to the running binary */
	const char *ramhost;     /* binary shipped in the base; NULL: $RAMHOST_SELF, BANK_HOST_RAMHOST, /proc/self/exe */
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

/* Puts the finished directory tmp (a sibling of out) at out: renamed into a missing or empty out, or, when
 * replace, swapped with the old out (RENAME_EXCHANGE) which is then removed, so out is never missing or half
 * written. Also `image pxe`'s commit. */
int bank_build_install_dir(const char *tmp, const char *out, int replace, struct rh_err *err);

/* out's directory into parent (PATH_MAX bytes) and its last component into *ret_name (a pointer into out). */
void bank_build_split_out(const char *out, char *parent, const char **ret_name);

#endif
