/* bootenv.h: /run/ramhost/boot.env, what init built for this boot (read by `ramhost ready` and `ramhost df`).
 *
 *   bank=1
 *   build=demo-1.0                                           boot.cfg's build= (may be empty)
 *   kver=6.1.0-56-amd64
 *   tardisk=NAME /tardisks/NAME.tdk /run/ramhost/tardisks/NAME SIZEBYTES     repeated, layer order
 *   ramdisk=NAME MOUNTPOINT SIZE INODES                                      repeated
 *   init_ms=1234                                             CLOCK_BOOTTIME in ms at switch_root
 *   stage=NAME MS                                            repeated, in order: init's stages (`ramhost ready
 *                                                            --timing`), each with CLOCK_BOOTTIME in ms at its end
 *
 * '#' comments and blank lines are skipped. Unknown keys are ignored, so that a newer init's file still reads
 * (a later version adds state=); a malformed known key, a repeated scalar key, a repeated tardisk or ramdisk
 * name and a missing bank= are errors with the line number. Pure (buf, len): fuzzed and unit-tested. */
#ifndef RAMHOST_BOOTENV_H
#define RAMHOST_BOOTENV_H

#include "err.h"
#include "ramdisk_spec.h"

#define BOOTENV_MAX_TEXT 256
#define BOOTENV_MAX_STAGES 16
#define BOOTENV_STAGE_NAME 24  /* with the NUL: 1-23 characters of [a-z0-9-] */

struct tardisk_entry {
	char name[RD_MAX_NAME];
	char file[RD_MAX_PATH];        /* the RAM-resident image */
	char mountpoint[RD_MAX_PATH];
	uint64_t size;                 /* bytes */
};

struct bootenv {
	unsigned bank;
	char build[BOOTENV_MAX_TEXT];
	char kver[RD_MAX_NAME];
	unsigned ntardisks;
	struct tardisk_entry tardisks[RD_MAX_TARDISKS];
	unsigned nramdisks;
	struct ramdisk_spec ramdisks[RD_MAX_RAMDISKS];
	int has_init_ms;
	uint64_t init_ms;
	unsigned nstages;
	struct bootenv_stage {
		char name[BOOTENV_STAGE_NAME];
		uint64_t ms;            /* CLOCK_BOOTTIME at the stage's end; never less than the stage before */
	} stages[BOOTENV_MAX_STAGES];
};

/* Parses buf[0..len) into *ret (set only on success); path names the file in errors
 * ("<path>: line N: <problem>"). Returns 0, -EINVAL or -E2BIG. */
int bootenv_parse(const char *buf, size_t len, const char *path, struct bootenv *ret, struct rh_err *err);

/* Writes env as text into buf (cap bytes, NUL-terminated), in the order shown above. Returns the length
 * without the NUL, or -E2BIG. The result parses back to the same struct. */
long bootenv_format(const struct bootenv *env, char *buf, size_t cap);

#endif
