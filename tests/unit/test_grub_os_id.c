/* test_grub_os_id.c: grub_os_id, the os-release ID that names a Linux installation's ESP folder for
 * `rescue grub` (recovery/grub_mount.c): quotes, other keys, what a folder name may not hold. */
#include <errno.h>
#include <string.h>

#include "recovery/grub_int.h"
#include "unit.h"

static void test_ids(void)
{
	/* the os-release text, then the ID it gives ("" when it gives none: -ENOENT) */
	static const char *const cases[][2] = {
		{ "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n", "debian" },
		{ "ID=\"ubuntu\"\nID_LIKE=debian\n", "ubuntu" },
		{ "ID='opensuse-leap'", "opensuse-leap" },
		{ "VERSION_ID=12\nID=fedora", "fedora" },
		{ "ID_LIKE=debian\n", "" },
		{ "ID=\n", "" },
		{ "ID=\"\"\n", "" },
		{ "ID=../../x\n", "" },
		{ "ID=Debian\n", "" },
		{ "ID=a/b\n", "" },
		{ "ID=abcdefghijklmnopqrstuvwxyz0123456789\n", "" },   /* longer than a folder name may be */
		{ "", "" },
		{ " ID=debian\n", "" },
	};
	char out[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = grub_os_id(cases[i][0], strlen(cases[i][0]), out, sizeof(out));

		CHECK(rc == (cases[i][1][0] ? 0 : -ENOENT));
		if (!rc)
			CHECK_STR(out, cases[i][1]);
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
