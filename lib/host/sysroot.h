/* sysroot.h: the kernel interfaces the host commands read, each redirectable by one environment variable so
 * that tests can hand in their own files. The one owner of those names:
 *   RAMHOST_PROC_CMDLINE  kernel command line  (default /proc/cmdline)
 *   RAMHOST_PROC_MOUNTS   mount table          (default /proc/mounts)
 *   RAMHOST_SYS_BLOCK     block devices        (default /sys/block)
 *   RAMHOST_MEMINFO       memory figures       (default /proc/meminfo)
 *   RAMHOST_BOOTENV       this boot's boot.env (default /run/ramhost/boot.env)
 *   RAMHOST_STATEENV      what `state boot` restored (default /run/ramhost/state.env)
 *   RAMHOST_RESCUE        present on a rescue boot (default SYSROOT_RESCUE_PATH)
 * An empty variable counts as unset. */
#ifndef RAMHOST_SYSROOT_H
#define RAMHOST_SYSROOT_H

/* the largest /proc, /sys or boot.env file the commands read */
#define SYSROOT_MAX_FILE (16u << 20)

/* The path named by environment variable var, or def when it is unset or empty. */
const char *sysroot_path(const char *var, const char *def);

const char *sysroot_proc_cmdline(void);
const char *sysroot_proc_mounts(void);
const char *sysroot_sys_block(void);
const char *sysroot_meminfo(void);
const char *sysroot_bootenv(void);
const char *sysroot_stateenv(void);

/* A rescue boot (ramhost.rescue=1|auto, docs/runtime.md "The rescue boot"): init, the one reader of that kernel
 * option, writes this file ("rescue=1" or "rescue=auto") before the base's init starts; what must not run on
 * a rescue boot (mark-good, the state saves, the ready report to a server) checks it, from C through
 * sysroot_is_rescue(), from the base's inittab and systemd units by the path. */
#define SYSROOT_RESCUE_PATH "/run/ramhost/rescue"

const char *sysroot_rescue(void);

/* The drivers tardisk (profile key drivers): its name in boot.cfg (DRIVERS.tdk) and where init finds it mounted,
 * /run/ramhost/tardisks/DRIVERS, which holds usr/lib/modules/<kver> (init's dkmod= modules come from there). */
#define SYSROOT_DRIVERS_TARDISK "drivers"

/* The on-demand kernel modules (drivers.h, lib/host/ondemand.h): the disk and file-system boot modules init
 * loads only when the boot needs a disk. The drivers tardisk holds them under SYSROOT_ONDEMAND_DIR/<kver>
 * (outside /lib/modules, so coldplug and udev leave them alone); on a boot that did not load them, init writes
 * the plan, their paths in load order, to SYSROOT_ONDEMAND_PLAN, which `ramhost install` and `ramhost rescue`
 * run before they look at the disks. */
#define SYSROOT_ONDEMAND_DIR "usr/lib/ramhost/ondemand-modules"
#define SYSROOT_ONDEMAND_PLAN "/run/ramhost/ondemand-modules"

const char *sysroot_ondemand_plan(void);

/* The built-in base's host name when nothing names the host: the profile's name. /etc/hostname, when present,
 * is a name somebody gave this host (restored state, an install answer, ramhost.hostname=) and wins; without it
 * the DHCP server's name is taken, else this one. The Debian base says the same through os-release's
 * DEFAULT_HOSTNAME= (docs/profile.md "Host name"). */
#define SYSROOT_DEFAULT_HOSTNAME "/usr/lib/ramhost/default-hostname"

/* 1 when sysroot_rescue() exists (this is a rescue boot), 0 otherwise. */
int sysroot_is_rescue(void);

#endif
