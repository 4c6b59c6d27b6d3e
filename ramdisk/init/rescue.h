/* rescue.h: the rescue boot, init's part (ramhost.rescue=1|auto; docs/runtime.md, "The rescue boot").
 *
 * The ISO's Rescue entries (isolinux.cfg's `rescue` label, ramhost.efi's Rescue line) boot the same image with
 * ramhost.rescue=1. Init then restores no state (`ramhost state boot` is not run, so no disk is mounted), writes
 * the rescue mark (SYSROOT_RESCUE_PATH, lib/host/sysroot.h) that keeps the base's mark-good, state saves and
 * ready report from running, and before the base's init starts runs `ramhost rescue scan --summary` on the
 * console under a "ramhost rescue: ..." banner; the base's shell follows. With ramhost.rescue=auto it then runs
 * `ramhost rescue repair --yes` (every disk), prints "ramhost rescue: auto repair done rc=N" and powers off.
 *
 * This file is part of the PID 1 program: it prints its console lines itself, as main.c does. */
#ifndef RAMHOST_INIT_RESCUE_H
#define RAMHOST_INIT_RESCUE_H

#include <stddef.h>

#include "err.h"

#define RESCUE_TOOL "/usr/bin/ramhost"     /* in the new root */
#define RESCUE_SCAN_TIMEOUT_MS 300000u      /* the scan reads only what it must; five minutes is a hung disk */
#define RESCUE_REPAIR_TIMEOUT_MS 3600000u   /* a repair may copy a bank or check a large state partition */

/* The rescue mode asked for on the kernel command line buf[0..len) (CMDLINE_RESCUE_*). A malformed
 * ramhost.rescue= word counts as ramhost.rescue=1, the mode that writes nothing (err says which word, for init
 * to show); the other words never change it. */
int rescue_mode(const char *buf, size_t len, struct rh_err *err);

/* Writes the rescue mark ("rescue=1\n" or "rescue=auto\n") at path, in the new root's /run. */
int rescue_write_mark(const char *path, int mode, struct rh_err *err);

/* In the new root (chrooted, /dev /proc /sys there): the banner and the scan of every disk; for
 * CMDLINE_RESCUE_AUTO the repair of every disk, its rc line, sync and power off. Returns (console mode, or when
 * the power-off itself failed: -errno with err) so that init goes on to the base's init. */
int rescue_console(int mode, struct rh_err *err);

#endif
