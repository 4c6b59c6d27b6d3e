/* test_sticky_rule.c: lib/sticky_rule.c, the one rule of which paths may be sticky, used by profiles, VIB
 * descriptors, the state walker and (for every path a generation names) state restore. Table-driven. */
#include <string.h>

#include "sticky_rule.h"
#include "unit.h"

static void test_path_never_saved(void)
{
	static const struct {
		const char *path;
		size_t len;   /* 0: strlen */
		int never;
	} t[] = {
		{ "/run/ramhost/boot.env", 0, 1 }, { "/usr/bin/evil", 0, 1 }, { "/proc/x", 0, 1 },
		{ "/dev/sda", 0, 1 },              { "/dev", 0, 1 },          { "/tmp", 0, 1 },
		{ "/opt/a/b", 0, 1 },              { "/sys/kernel", 0, 1 },
		{ "/etc/motd", 0, 0 },             { "/usrx/bin", 0, 0 },     { "/us", 0, 0 },
		{ "/devices", 0, 0 },              { "/root/run", 0, 0 },     { "/", 0, 0 },
		{ "", 0, 0 },                      { "usr/bin", 0, 0 },       /* not absolute: another rule's */
		{ "/usr/bin", 4, 1 },              { "/usrbin", 4, 1 },       /* only len bytes count */
		{ "/etc/usr", 4, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = t[i].len;

		if (!len)
			len = strlen(t[i].path);
		if (sticky_path_never_saved(t[i].path, len) != t[i].never) {
			fprintf(stderr, "  case %zu: %s (%zu)\n", i, t[i].path, len);
			CHECK(0);
		}
	}
}

static void test_pattern_invalid(void)
{
	CHECK(sticky_pattern_invalid("/etc/ssh/*") == NULL);
	CHECK(sticky_pattern_invalid("/var/lib/x") == NULL);
	CHECK(strstr(sticky_pattern_invalid("/usr"), "never saved") != NULL);
	CHECK(strstr(sticky_pattern_invalid("/run/ramhost/*"), "never saved") != NULL);
	CHECK(sticky_pattern_invalid("/usrlocal") == NULL);
	CHECK(strstr(sticky_pattern_invalid("etc"), "absolute") != NULL);
	CHECK(strstr(sticky_pattern_invalid("/etc/../usr"), "'..'") != NULL);
	CHECK(strstr(sticky_pattern_invalid("/etc/a\nb"), "control") != NULL);
	CHECK(sticky_top_never_saved("dev") == 1 && sticky_top_never_saved("etc") == 0);
}

int main(void)
{
	RUN(test_path_never_saved);
	RUN(test_pattern_invalid);
	UNIT_EXIT();
}
