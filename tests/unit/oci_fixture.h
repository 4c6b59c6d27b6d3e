/* oci_fixture.h: the OCI image layouts of the unit tests, written by tests/fixtures/oci/mkimage.py. */
#ifndef RAMHOST_TEST_OCI_FIXTURE_H
#define RAMHOST_TEST_OCI_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

/* Writes layout NAME in dir from PLAN (mkimage.py's JSON); returns its oci: source (static: valid until the next
 * call). */
static const char *oci_fixture(const char *dir, const char *name, const char *plan)
{
	static char src[600];
	char cmd[4096];
	const char *top = getenv("TOP");

	snprintf(cmd, sizeof(cmd), "python3 %s/tests/fixtures/oci/mkimage.py %s/%s '%s'", top ? top : ".", dir, name,
		 plan);
	CHECK(system(cmd) == 0);
	snprintf(src, sizeof(src), "oci:%s/%s", dir, name);
	return src;
}

#endif
