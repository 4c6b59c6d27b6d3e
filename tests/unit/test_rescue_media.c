/* test_rescue_media.c: where the rescue media comes from (recovery/media.c): --media first, then
 * $RAMHOST_RESCUE_MEDIA, else the booted ISO (none on a build machine: no media, not an error). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recovery/media.h"
#include "unit.h"

static void test_order(void)
{
	struct rh_err err;
	char buf[256];

	rh_err_clear(&err);
	setenv(RESCUE_MEDIA_ENV, "/env/bank", 1);
	CHECK(rescue_media_find("/given/bank", "/nonexistent-work", buf, sizeof(buf), &err) == 1);
	CHECK_STR(buf, "/given/bank");
	CHECK(rescue_media_find(NULL, "/nonexistent-work", buf, sizeof(buf), &err) == 1);
	CHECK_STR(buf, "/env/bank");
	CHECK(rescue_media_find("", "/nonexistent-work", buf, sizeof(buf), &err) == 1);
	CHECK_STR(buf, "/env/bank");
	unsetenv(RESCUE_MEDIA_ENV);
}

static void test_none_and_long(void)
{
	struct rh_err err;
	char buf[16], big[64];

	rh_err_clear(&err);
	unsetenv(RESCUE_MEDIA_ENV);
	/* no CD drive holds a ramhost ISO here: no media, buf empty, nothing written under work */
	CHECK(rescue_media_find(NULL, "/nonexistent-work", buf, sizeof(buf), &err) == 0);
	CHECK_STR(buf, "");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(rescue_media_find(big, "/nonexistent-work", buf, sizeof(buf), &err) == -ENAMETOOLONG);
	CHECK(strstr(err.msg, "rescue media aaaa") != NULL);
}

int main(void)
{
	RUN(test_order);
	RUN(test_none_and_long);
	UNIT_EXIT();
}
