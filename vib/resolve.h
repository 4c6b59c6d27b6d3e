/* resolve.h: dependency resolution over VIB descriptors — for image profiles (which VIBs from the depots make
 * the image) and for live installs (does this VIB fit the installed set).
 *
 * A set is consistent when every depends of every member is met by a member's name+version or by a
 * provides, no member conflicts with another, every member is at or above the policy level, and no two
 * members have the same name. A member that replaces another takes its place (the replaced one leaves the
 * set; replaces also satisfies depends on the replaced name). Failures explain the chain, e.g.
 *   "hello 1.0-1 depends on libgreet >= 2.0, needed by image profile 'web': the depot has libgreet 1.5-1 only" */
#ifndef RAMHOST_VIB_RESOLVE_H
#define RAMHOST_VIB_RESOLVE_H

#include <stddef.h>

#include "descriptor.h"
#include "err.h"

/* A candidate: a descriptor with its proven level and where it comes from (a depot URL or file, for
 * messages and for fetching). */
struct vib_cand {
	const struct vib_desc *desc;
	enum vib_level level;
	const char *origin;
};

/* A request: NAME, or NAME op VERSION (e.g. from "hello>=1.0" or "hello=1.0-1"). */
struct vib_req {
	char name[VIB_NAME_MAX];
	enum vib_op op;
	char version[VIB_VERSION_MAX];
};

/* Parses "NAME", "NAME=VER", "NAME>=VER" (any of the five relations) into *ret. */
int vib_req_parse(const char *s, struct vib_req *ret, struct rh_err *err);

/* Picks, for every request, the newest candidate that satisfies it, then adds what they depend on (newest
 * satisfying candidate first, backtracking over older versions when a choice leads to a conflict), and checks
 * the result as above. `installed` (may be empty) are already there and stay unless replaced or upgraded by
 * a request of the same name. On success *ret_pick (malloc'd array of indexes into cands, *ret_n of them) is
 * the final set in dependency order (a VIB after what it depends on); -ENOENT (nothing satisfies), -EDEADLK
 * (conflict), -EPERM (level below policy) otherwise, with the chain in err. */
int vib_resolve(const struct vib_cand *cands, size_t ncands, const struct vib_cand *installed, size_t ninstalled,
		const struct vib_req *reqs, size_t nreqs, enum vib_level policy, size_t **ret_pick, size_t *ret_n,
		struct rh_err *err);

/* Checks that `set` (n members) is consistent as a whole; 0 or the first failure explained. */
int vib_set_check(const struct vib_cand *set, size_t n, enum vib_level policy, struct rh_err *err);

#endif
