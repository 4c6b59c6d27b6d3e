/* sysroot.c: the redirectable kernel interfaces (see sysroot.h). */
#include "sysroot.h"

#include <stdlib.h>
#include <unistd.h>

const char *sysroot_path(const char *var, const char *def)
{
	const char *v = getenv(var);

	return v && v[0] ? v : def;
}

const char *sysroot_proc_cmdline(void)
{
	return sysroot_path("RAMHOST_PROC_CMDLINE", "/proc/cmdline");
}

const char *sysroot_proc_mounts(void)
{
	return sysroot_path("RAMHOST_PROC_MOUNTS", "/proc/mounts");
}

const char *sysroot_sys_block(void)
{
	return sysroot_path("RAMHOST_SYS_BLOCK", "/sys/block");
}

const char *sysroot_meminfo(void)
{
	return sysroot_path("RAMHOST_MEMINFO", "/proc/meminfo");
}

const char *sysroot_bootenv(void)
{
	return sysroot_path("RAMHOST_BOOTENV", "/run/ramhost/boot.env");
}

const char *sysroot_stateenv(void)
{
	return sysroot_path("RAMHOST_STATEENV", "/run/ramhost/state.env");
}

const char *sysroot_ondemand_plan(void)
{
	return sysroot_path("RAMHOST_ONDEMAND_PLAN", SYSROOT_ONDEMAND_PLAN);
}

const char *sysroot_rescue(void)
{
	return sysroot_path("RAMHOST_RESCUE", SYSROOT_RESCUE_PATH);
}

int sysroot_is_rescue(void)
{
	return access(sysroot_rescue(), F_OK) == 0;
}
