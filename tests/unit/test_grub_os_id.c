/* test_grub_os_id.c: grub_os_id, the os-release ID that names a Linux installation's ESP folder for
 * `rescue grub` (recovery/grub_mount.c): quotes, other keys, what a folder name may not hold. */
#include <errno.h>
#include <string.h>

#include "recovery/grub_int.h"
#include "unit.h"

static void test_ids(void)
{
	static const struct {
		const char *text, *want;   /* want NULL: -ENOENT */
	} cases[] = {
		{ "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n", "debian" },
		{ "ID=\"ubuntu\"\nID_LIKE=debian\n", "ubuntu" },
		{ "ID='opensuse-leap'", "opensuse-leap" },
		{ "VERSION_ID=12\nID=fedora", "fedora" },
		{ "ID_LIKE=debian\n", NULL },
		{ "ID=\n", NULL },
		{ "ID=\"\"\n", NULL },
		{ "ID=../../x\n", NULL },
		{ "ID=Debian\n", NULL },
		{ "ID=a/b\n", NULL },
		{ "ID=abcdefghijklmnopqrstuvwxyz0123456789\n", NULL },   /* longer than the folder name may be */
		{ "", NULL },
		{ " ID=debian\n", NULL },
	};
	char out[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = grub_os_id(cases[i].text, strlen(cases[i].text), out, sizeof(out));
		if (cases[i].want) {
			CHECK(rc == 0);
			CHECK_STR(out, cases[i].want);
		} else {
			CHECK(rc == -ENOENT);
		}
	}
}

static void test_bounds(void)
{
	char out[8];
	const char text[] = "ID=debian";

	/* no NUL after the buffer: only len bytes are read */
	CHECK(grub_os_id(text, 5, out, sizeof(out)) == 0);
	CHECK_STR(out, "de");
	CHECK(grub_os_id(text, sizeof(text) - 1, out, 0) == -ENOENT);
	CHECK(grub_os_id(text, sizeof(text) - 1, out, 4) == -ENOENT);   /* does not fit */
	CHECK(grub_os_id(text, sizeof(text) - 1, out, 7) == 0);
	CHECK_STR(out, "debian");
}

int main(void)
{
	RUN(test_ids);
	RUN(test_bounds);
	UNIT_EXIT();
}
