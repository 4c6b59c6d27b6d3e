/* test_init_rescue.c: init's part of the rescue boot (ramdisk/init/rescue.h): the mode read from the kernel
 * command line (a malformed word is the console mode, named in the message), the mark it writes, and
 * sysroot_is_rescue() (lib/host/sysroot.h) seeing that mark. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "fileio.h"
#include "fs.h"
#include "ramdisk/init/rescue.h"
#include "sysroot.h"
#include "unit.h"

static char top[256];

static void test_mode(void)
{
	static const struct {
		const char *line;
		int mode;
		const char *msg;   /* substring of the message, NULL: none */
	} rows[] = {
		{ "console=ttyS0,115200 loglevel=4 ramhost.bank=1\n", CMDLINE_RESCUE_NONE, NULL },
		{ "console=ttyS0,115200 loglevel=4 ramhost.bank=1 ramhost.rescue=1\n", CMDLINE_RESCUE_CONSOLE, NULL },
		{ "ramhost.bank=1 ramhost.rescue=1 ramhost.rescue=auto\n", CMDLINE_RESCUE_AUTO, NULL },
		{ "ramhost.rescue=auto ramhost.rescue=0", CMDLINE_RESCUE_NONE, NULL },
		{ "ramhost.rescue", CMDLINE_RESCUE_CONSOLE, NULL },
		/* a bad word of another key does not matter here; a bad rescue word is the mode that writes nothing */
		{ "ramhost.bank=x ramhost.break=yes ramhost.rescue=auto", CMDLINE_RESCUE_AUTO, NULL },
		{ "ramhost.rescue=yes", CMDLINE_RESCUE_CONSOLE, "'ramhost.rescue=yes' is not ramhost.rescue[=0|1|auto]" },
		{ "ramhost.rescue=auto ramhost.rescue=al", CMDLINE_RESCUE_CONSOLE, "'ramhost.rescue=al'" },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err = { 0 };
		int mode = rescue_mode(rows[i].line, strlen(rows[i].line), &err);

		if (mode != rows[i].mode || (rows[i].msg ? !strstr(err.msg, rows[i].msg) : err.rc != 0)) {
			fprintf(stderr, "  row %u: mode %d message '%s'\n", i, mode, err.msg);
			unit_failed_now = 1;
		}
	}
}

static void test_mark(void)
{
	char path[300], *buf = NULL;
	struct rh_err err = { 0 };
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/rescue", top);
	setenv("RAMHOST_RESCUE", path, 1);
	CHECK(!strcmp(sysroot_rescue(), path));
	CHECK(sysroot_is_rescue() == 0);
	CHECK(rescue_write_mark(path, CMDLINE_RESCUE_AUTO, &err) == 0);
	CHECK(sysroot_is_rescue() == 1);
	CHECK(rh_read_file(path, 64, &buf, &len, &err) == 0);
	CHECK(buf && len == 12 && !memcmp(buf, "rescue=auto\n", 12));
	free(buf);
	buf = NULL;
	CHECK(rescue_write_mark(path, CMDLINE_RESCUE_CONSOLE, &err) == 0);
	CHECK(rh_read_file(path, 64, &buf, &len, &err) == 0);
	CHECK(buf && len == 9 && !memcmp(buf, "rescue=1\n", 9));
	free(buf);
	/* a mark init cannot write is an error naming the path */
	snprintf(path, sizeof(path), "%s/no/such/dir/rescue", top);
	CHECK(rescue_write_mark(path, CMDLINE_RESCUE_CONSOLE, &err) < 0);
	CHECK(strstr(err.msg, "no/such/dir") != NULL);
	setenv("RAMHOST_RESCUE", "", 1);   /* empty is unset: the default path */
	CHECK(!strcmp(sysroot_rescue(), SYSROOT_RESCUE_PATH));
	unsetenv("RAMHOST_RESCUE");
}

int main(void)
{
	if (fs_work_dir(NULL, "ramhost-init-rescue", top, sizeof(top), NULL) < 0)
		return 1;
	RUN(test_mode);
	RUN(test_mark);
	if (fs_rm_rf(top, NULL) < 0)
		fprintf(stderr, "  could not remove %s\n", top);
	UNIT_EXIT();
}
