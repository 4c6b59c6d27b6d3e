/* live_install.h: a VIB installed into or removed from the running host (`ramhost vib install|remove`).
 *
 * Install: memory check (MemAvailable minus what the VIB needs must stay above a margin), download into the
 * live tmpfs (/run/ramhost/live), signature and payload hashes checked against the host's trust store and
 * acceptance level, relationships checked against the installed set, each payload tardisk loop-mounted and
 * layered on top of /usr, /opt, ... (live.h), its /etc defaults merged, the database updated, and on a disk
 * host the booted bootbank given the payload modules and a new vibs.cpio. Any failure undoes the steps done,
 * in reverse order. Remove is the reverse. The caller (cmd_vib_live.c) parses options and prints. */
#ifndef RAMHOST_VIB_LIVE_INSTALL_H
#define RAMHOST_VIB_LIVE_INSTALL_H

#include <stdint.h>
#include <stdio.h>

#include "vib/descriptor.h"
#include "err.h"

#define LIVE_MAX_PAYLOADS 8   /* payloads of one VIB that a live install or remove takes */

struct live_opts {
	int dry_run;
	int no_sig_check;       /* refused unless the host level is community */
	int reboot_required;    /* stage in the bootbank only (for VIBs that cannot be installed live) */
	uint64_t min_free;      /* MemAvailable must stay above this; 0: RAMHOST_MIN_FREE or 64 MiB */
	FILE *progress;         /* one line per step, or NULL */
	const struct vib_desc *const *assume; /* dry runs of several VIBs: count these as installed (not owned) */
	size_t nassume;
};

struct live_result {
	char name[VIB_NAME_MAX];
	char version[VIB_VERSION_MAX];
	enum vib_level level;
	unsigned npayloads;
	char payloads[LIVE_MAX_PAYLOADS][VIB_NAME_MAX];
	uint64_t bytes;          /* the .vib file */
	int live;                /* 1: the running view changed; 0: staged in the bank only (or dry run) */
	int bank;                /* 1: the booted bank was updated; 0: not a disk host (lasts until reboot) */
	unsigned etc_kept;       /* /etc files the user changed: kept, the default written as FILE.vib-new */
	double ms_download, ms_verify, ms_mount, ms_refresh, ms_bank, ms_total;
};

/* The installed-VIB database directory: RAMHOST_VIBDB or /run/ramhost/vibs. */
const char *live_vibdb_dir(void);

/* Installs the .vib at src (a path or an http(s)/file URL). */
int live_install(const char *src, const struct live_opts *o, struct live_result *ret, struct rh_err *err);

/* Removes the installed VIB name. */
int live_remove(const char *name, const struct live_opts *o, struct live_result *ret, struct rh_err *err);

/* A change staged in the bootbank for the next boot, kept as NAME.pending ("install" or "remove") in the
 * database dir until the reboot: 1 with the word in ret, 0 when none. */
int live_pending(const char *name, char *ret, size_t cap);

/* MemAvailable from /proc/meminfo (RAMHOST_MEMINFO overrides the path), in bytes. */
int live_mem_available(uint64_t *ret, struct rh_err *err);

#endif
