/* test_rescue_grub.c: the refusals of `rescue grub` (recovery/op_grub.c) that come before anything is staged:
 * no GPT, an argument that is not N, N:bios or N:uefi, no Linux installation, one on a partition the GPT does
 * not hold. The repair itself (a debootstrapped Debian disk, grub-install in a chroot) is
 * tests/integration/rescue_grub.sh. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recovery/repair.h"
#include "unit.h"

/* Runs grub with arg on report r; the return code, the message in msg. */
static int grub(struct scan_report *r, const char *arg, char *msg, size_t cap)
{
	struct rdisk d;
	struct repair_ctx c;
	struct rh_err err = { 0 };
	struct wset w;
	int rc;

	memset(&d, 0, sizeof(d));
	memset(&c, 0, sizeof(c));
	strcpy(d.path, "disk.img");
	d.fd = -1;
	d.sector = 512;
	c.d = &d;
	c.scan = r;
	wset_init(&w);
	rc = repair_op(&c, RESCUE_OP_GRUB, arg, NULL, &w, &err);
	CHECK(wset_empty(&w));
	wset_free(&w);
	snprintf(msg, cap, "%s", err.msg);
	return rc;
}

static void linux_on(struct scan_report *r, const char *where)
{
	struct scan_other *o = &r->others[r->nothers++];

	strcpy(o->kind, "linux");
	strcpy(o->where, where);
	strcpy(o->detail, "Debian GNU/Linux 12 (bookworm)");
}

static void test_refusals(void)
{
	struct scan_report *r = calloc(1, sizeof(*r));
	static const char *const bad[] = { "abc", "0", "3:efi", "3x", "3:", "-1", "99999" };
	char msg[1024];
	size_t i;

	CHECK(grub(r, "", msg, sizeof(msg)) == -ENOENT);
	CHECK(strstr(msg, "disk.img: no GPT copy verifies") != NULL);
	r->gpt.have = 1;
	CHECK(grub(r, "", msg, sizeof(msg)) == -ENOENT);
	CHECK(strstr(msg, "disk.img: no Linux installation found") != NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(grub(r, bad[i], msg, sizeof(msg)) == -EINVAL);
		CHECK(strstr(msg, "is not a partition number (N, N:bios or N:uefi)") != NULL);
	}
	r->others[r->nothers++] = (struct scan_other){ "windows", "MBR", "Windows MBR boot code" };
	linux_on(r, "p3");
	CHECK(grub(r, "4", msg, sizeof(msg)) == -ENOENT);
	CHECK(strstr(msg, "disk.img: p4 holds no Linux installation") != NULL);
	CHECK(grub(r, "3:bios", msg, sizeof(msg)) == -ENOENT);   /* the scan's GPT has no p3 */
	CHECK(strstr(msg, "disk.img: no partition p3 in the GPT") != NULL);
	CHECK(grub(r, "", msg, sizeof(msg)) == -ENOENT);
	CHECK(strstr(msg, "no partition p3") != NULL);
	free(r);
}

int main(void)
{
	RUN(test_refusals);
	UNIT_EXIT();
}
