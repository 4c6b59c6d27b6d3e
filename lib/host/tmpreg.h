/* tmpreg.h: the one registry of a command's temporary files and work directories, and of the tools it runs.
 *
 * fs_work_dir, fs_host_work_dir and fs_tmp_beside register what they create; fs_install_file (the commit) and
 * fs_rm_rf (the removal) unregister it. Whatever is still registered when the command ends (exit, an error path
 * that forgot it, SIGINT/SIGTERM/SIGHUP) is removed by tmpreg_cleanup(), which is async-signal-safe: a fixed
 * table, no malloc, no stdio, a removal walk with openat/getdents64/unlinkat on stack buffers that never crosses
 * into another file system (a work dir that is a mount point, or holds one, keeps what is mounted).
 *
 * Only the process that called tmpreg_install() cleans up: a forked child that exits never removes its
 * parent's temporaries. Library code only registers; cli/main.c installs the handlers once. */
#ifndef RAMHOST_TMPREG_H
#define RAMHOST_TMPREG_H

#include <signal.h>
#include <sys/types.h>

#include "err.h"

/* How many temporaries and running tools one command may have at once. */
#define TMPREG_MAX_PATHS 64
#define TMPREG_MAX_CHILDREN 16

/* Registers path (a file or a directory just created by the caller; made absolute so a chdir does not change
 * what is removed). -ENFILE when TMPREG_MAX_PATHS are registered already (stale entries, whose path is gone,
 * are dropped first). */
int tmpreg_add(const char *path, struct rh_err *err);

/* Unregisters path (the same string or the same absolute path): committed, removed, or to be kept. Unknown
 * paths are ignored. */
void tmpreg_forget(const char *path);

/* 1 when path is registered. */
int tmpreg_has(const char *path);

/* After the process moved into a mount namespace of its own (mount_ns_private): every mount has a new id
 * there, so the ids the entries were registered with are read again (else no work dir would be removed, each
 * looking like a mount point). */
void tmpreg_new_mount_ns(void);

/* Marks registered directory path as a mount point of this process's own private mount namespace: the clean-up
 * detaches what is mounted there (umount2 MNT_DETACH, which only this process sees) and then removes the empty
 * directory. Only for mounts no other process can see. Unknown paths are ignored. */
void tmpreg_own_mount(const char *path);

/* Records a running tool (a child process) that writes into the temporaries: on a signal it is stopped
 * (SIGTERM, then SIGKILL after 2 s) and reaped before anything is removed. Forget it once waited for. */
void tmpreg_child_add(pid_t pid);
void tmpreg_child_forget(pid_t pid);
/* tmpreg_child_add for a child that leads its own process group (setpgid(0, 0) in the child): a tool that starts
 * tools of its own (debootstrap runs dpkg): on a signal the whole group is stopped, the grandchildren too. */
void tmpreg_group_add(pid_t pid);

/* Blocks SIGINT/SIGTERM/SIGHUP into *old, so that creating a temporary and registering it is one step. */
void tmpreg_hold(sigset_t *old);
void tmpreg_release(const sigset_t *old);

/* Removes every registered path (async-signal-safe) and empties the table. Does nothing in a process other
 * than the one that called tmpreg_install() (when it was called). */
void tmpreg_cleanup(void);

/* Installs the clean-up: at exit, and on SIGINT, SIGTERM and SIGHUP (stop the tools, remove the temporaries,
 * then die of the same signal so the exit status says so). Call once, from main(). */
int tmpreg_install(void);

#endif
