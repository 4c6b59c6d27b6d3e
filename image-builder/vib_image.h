/* vib_image.h: the VIBs of an image profile (its depot, vib, image-profile, acceptance and trust keys) turned
 * into bootbank modules: one PAYLOAD.tdk per payload, layered after the profile's tardisks, and vibs.cpio last
 * (the installed-VIB database, its sticky.list, the profile's acceptance and trust store; vibdb.h).
 *
 * The VIBs are resolved against the depots (resolve.h; unmet dependencies, conflicts and levels below the
 * policy are refused with the chain that failed), fetched (depot_fetch_vib: the index's SHA-256), and checked
 * (signature against the profile's trust store and the build host's, payload hashes). Wrapped payload modules
 * are cached by payload SHA-256 under $RAMHOST_CACHE/vib-modules (each with the module's SHA-256 beside it,
 * checked on use; entries unused for 30 days are pruned), so a rebuild re-wraps only what changed. */
#ifndef RAMHOST_IMGB_VIB_IMAGE_H
#define RAMHOST_IMGB_VIB_IMAGE_H

#include "bootcfg.h"
#include "err.h"
#include "profile.h"

#define VIB_IMAGE_LEVEL_FILE "image-level" /* vibs/image-level in vibs.cpio: the lowest level of the image's VIBs */

typedef void (*vib_image_progress_fn)(void *ctx, const char *msg);

struct vib_image_opts {
	const char *work;                /* scratch directory (downloads of remote VIBs) */
	vib_image_progress_fn progress;  /* one line per VIB and module; may be NULL */
	void *progress_ctx;
};

/* The resolved VIBs of a profile, from vib_image_resolve to vib_image_add (opaque). */
struct vib_image_plan;

/* Everything but the writing (depots loaded, requests resolved, payload names checked, each VIB fetched into
 * o->work and checked: signature, level, payload hashes): the build calls it first, so that an unmet dependency,
 * a conflict, a level below the policy or a bad VIB fails at once, before anything is built. On success *ret is
 * the plan (the profile and o->work must outlive it; free it with vib_image_plan_free). */
int vib_image_resolve(const struct profile *p, const struct vib_image_opts *o, struct vib_image_plan **ret,
		      struct rh_err *err);

/* Adds the planned VIB modules to the bootbank dir and to cfg->modules (after what is there), from the VIBs the
 * plan fetched and checked. Only called for a profile with VIB keys (profile_has_vibs). */
int vib_image_add(struct vib_image_plan *plan, const char *dir, struct bootcfg *cfg, const struct vib_image_opts *o,
		  struct rh_err *err);

/* Frees a plan (NULL is fine). */
void vib_image_plan_free(struct vib_image_plan *plan);

#endif
