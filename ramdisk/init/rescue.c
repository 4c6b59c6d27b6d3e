/* rescue.c: the rescue boot, init's part (see rescue.h). */
#include "rescue.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "cmdline.h"
#include "fs.h"
#include "hook.h"

static void tell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tell(const char *fmt, ...)
{
	char line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ramhost rescue: %s\n", line);
}

int rescue_mode(const char *buf, size_t len, struct rh_err *err)
{
	struct cmdline c;

	if (cmdline_parse(buf, len, CMDLINE_RESCUE, &c, err) < 0)
		return CMDLINE_RESCUE_CONSOLE;   /* someone asked for a rescue: the mode that writes nothing */
	return c.rescue;
}

int rescue_write_mark(const char *path, int mode, struct rh_err *err)
{
	const char *text = mode == CMDLINE_RESCUE_AUTO ? "rescue=auto\n" : "rescue=1\n";

	return fs_write_file(path, text, strlen(text), 0644, err);
}

/* Runs `ramhost rescue ARGS...` on the console; returns its exit status as a shell gives it. */
static int run_rescue(const char *what, char *const argv[], unsigned timeout_ms)
{
	struct rh_err err = { 0 };
	int status = 127;

	if (hook_run_status(argv, timeout_ms, &status, &err) < 0)
		tell("%s: %s", what, err.msg);
	return status;
}

/* CMDLINE_RESCUE_AUTO after the scan: repair every disk, say how it went, power off. Returns only when the
 * power-off failed. */
static int auto_repair(struct rh_err *err)
{
	char *const repair[] = { RESCUE_TOOL, "rescue", "repair", "--yes", NULL };
	int status;

	tell("ramhost.rescue=auto: repairing every disk (ramhost rescue repair --yes)");
	status = run_rescue("repair", repair, RESCUE_REPAIR_TIMEOUT_MS);
	tell("auto repair done rc=%d", status);
	tell("powering off");
	fflush(NULL);
	sync();
	if (reboot(RB_POWER_OFF) < 0)
		return rh_errf(err, -errno, "power off: %s", strerror(errno));
	return rh_errf(err, -EIO, "power off: the kernel did not stop");
}

int rescue_console(int mode, struct rh_err *err)
{
	char *const scan[] = { RESCUE_TOOL, "rescue", "scan", "--summary", NULL };

	tell("rescue boot (ramhost.rescue=%s): no state restored, no disk mounted, nothing marked good",
	     mode == CMDLINE_RESCUE_AUTO ? "auto" : "1");
	tell("scanning every disk (ramhost rescue scan --summary)");
	run_rescue("scan", scan, RESCUE_SCAN_TIMEOUT_MS);
	if (mode == CMDLINE_RESCUE_AUTO)
		return auto_repair(err);
	tell("on the shell: `ramhost rescue scan` for the details, `ramhost rescue plan` for the repairs, "
	     "`ramhost rescue repair` to make them (every write is backed up first)");
	return 0;
}
