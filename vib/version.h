/* version.h: VIB version strings and the relations between them.
 *
 * Versions compare like Debian's (epoch:upstream-release; digits compare as numbers, letters before
 * non-letters, '~' before everything, even the end), which also orders ESXi-style versions such as
 * 7.0.3-0.20.19193900. Relations are the five of Debian and ESXi descriptors: << <= = >= >>. Freestanding of any
 * I/O; unit-tested in tests/unit/test_vib_version.c. */
#ifndef RAMHOST_VIB_VERSION_H
#define RAMHOST_VIB_VERSION_H

#include <stdbool.h>
#include <stddef.h>

#define VIB_VERSION_MAX 64 /* including the NUL */
#define VIB_NAME_MAX 64    /* name of a VIB or a payload, including the NUL: [A-Za-z0-9._+-], not starting with . or - */

/* Acceptance levels, lowest first: a host or image at level L accepts VIBs at L or above. The one owner of the
 * level names and their order (profiles, depots, descriptors, the VIB database and the commands all use it). */
enum vib_level {
	VIB_LEVEL_COMMUNITY = 0, /* unsigned */
	VIB_LEVEL_PARTNER = 1,
	VIB_LEVEL_ACCEPTED = 2,
	VIB_LEVEL_CERTIFIED = 3,
};

/* The acceptance policy when a profile, a depot profile or an image names none (ESXi's default). */
#define VIB_LEVEL_DEFAULT_POLICY VIB_LEVEL_PARTNER

/* The level names in order, for messages: "community, partner, accepted or certified". */
#define VIB_LEVEL_NAMES "community, partner, accepted or certified"

/* "community", "partner", "accepted", "certified" ("?" for a value out of range). */
const char *vib_level_str(enum vib_level level);

/* Parses a level name (exact, lower case) into *ret_level; 0 or -EINVAL (also for NULL). */
int vib_level_parse(const char *s, enum vib_level *ret_level);

/* Whether a VIB at level `level` is accepted by a policy of `policy` (level is policy or above). */
bool vib_level_accepts(enum vib_level policy, enum vib_level level);

/* Whether s is a valid VIB or payload name (see VIB_NAME_MAX). The one name check. */
bool vib_name_valid(const char *s);

enum vib_op {
	VIB_OP_ANY = 0, /* no version given: any version satisfies */
	VIB_OP_LT,      /* << */
	VIB_OP_LE,      /* <= */
	VIB_OP_EQ,      /* =  */
	VIB_OP_GE,      /* >= */
	VIB_OP_GT,      /* >> */
};

/* A version is 1..63 characters of [0-9A-Za-z.+~:-], starting with a digit (after an optional "N:" epoch).
 * Returns true when s is one. */
bool vib_version_valid(const char *s);

/* <0, 0 or >0 as a sorts before, equal to or after b. Both must be valid. */
int vib_version_cmp(const char *a, const char *b);

/* Parses "<<", "<=", "=", ">=", ">>" into *ret_op; 0 or -EINVAL. */
int vib_op_parse(const char *s, enum vib_op *ret_op);

/* "<<" ... ">>", or "" for VIB_OP_ANY. */
const char *vib_op_str(enum vib_op op);

/* Whether version `have` satisfies `op want` (true for VIB_OP_ANY). */
bool vib_version_satisfies(const char *have, enum vib_op op, const char *want);

#endif
