/* output.h: the frame `ramhost image iso` and `ramhost image disk` share around their own format: refuse an
 * existing output (unless force), a private work directory, the bootbank staged into it (built from a profile, or
 * an existing one read, checked and copied; its kernel signed when signing is on), then the image written to a
 * temporary file beside the output (out.tmp-XXXXXX), fsynced and renamed over it, and one timed progress line. */
#ifndef RAMHOST_IMGB_OUTPUT_H
#define RAMHOST_IMGB_OUTPUT_H

#include "bank_build.h"
#include "bootcfg.h"
#include "efiboot.h"
#include "err.h"
#include "profile.h"

/* What the staged bootbank and its work directory are, for the format's own hooks. */
struct output_stage {
	const char *work;       /* the work directory (removed at the end) */
	const char *bank;       /* the staged bootbank in it */
	struct bootcfg *cfg;    /* its boot.cfg */
	int sign;               /* Secure Boot signing is on */
};

/* One image format: its name and its hooks, each given the format's ctx. */
struct output_format {
	const char *what;       /* "iso", "disk": the prefix of the either-or refusal */
	const char *work_name;  /* the work directory's name (fs_work_dir) */
	const char *bank_rel;   /* where the bootbank is staged, relative to the work directory */
	/* Optional, before the bootbank is staged (checks that should fail before the long work). */
	int (*prepare)(void *ctx, const struct output_stage *s, struct rh_err *err);
	/* After the bootbank is staged: everything else the image needs in the work directory. */
	int (*stage)(void *ctx, const struct output_stage *s, struct rh_err *err);
	/* Writes the image to tmp (a new empty file, open on fd; the frame closes fd and commits tmp). */
	int (*write)(void *ctx, const struct output_stage *s, const char *tmp, int fd, struct rh_err *err);
	/* After the commit: the progress line (when there is a progress callback), secs the time since the write
	 * began. */
	int (*report)(void *ctx, const char *out, double secs, struct rh_err *err);
};

/* Where the output comes from and goes. Exactly one of p and bootbank_dir is non-NULL. */
struct output_job {
	const struct profile *p;             /* build this profile's bootbank */
	const char *bootbank_dir;            /* or use this bootbank (its hashes checked first) */
	const char *out;
	int force;                           /* replace an existing out */
	const struct bank_build_opts *bank;  /* bank building, work directory parent, progress */
	const struct efiboot_opts *efi;      /* signing */
	const char *extra_input;             /* one more file the format reads (image iso: the answer file), or NULL */
};

/* Runs the frame around fmt for job. */
int output_build(const struct output_format *fmt, void *ctx, const struct output_job *job, struct rh_err *err);

#endif
