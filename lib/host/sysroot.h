/* sysroot.h: the kernel interfaces the host commands read, each redirectable by one environment variable so
 * that tests can hand in their own files. The one owner of those names:
 *   RAMHOST_PROC_CMDLINE  kernel command line  (default /proc/cmdline)
 *   RAMHOST_PROC_MOUNTS   mount table          (default /proc/mounts)
 *   RAMHOST_SYS_BLOCK     block devices        (default /sys/block)
 *   RAMHOST_MEMINFO       memory figures       (default /proc/meminfo)
 *   RAMHOST_BOOTENV       this boot's boot.env (default /run/ramhost/boot.env)
 *   RAMHOST_STATEENV      what `state boot` restored (default /run/ramhost/state.env)
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

#endif
