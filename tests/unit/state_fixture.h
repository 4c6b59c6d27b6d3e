/* state_fixture.h: what the PXE server's state tests share: a small valid generation file and the listing of
 * a host's store directory. Header-only, like unit.h. */
#ifndef RAMHOST_TEST_STATE_FIXTURE_H
#define RAMHOST_TEST_STATE_FIXTURE_H

#include <stdint.h>
#include <stdio.h>

#include "ramdisk/state/state_format.h"

/* A whole generation gen in buf (at least 200 + STATE_FOOTER_SIZE bytes): a short text payload and its
 * footer. Returns the file's length. */
static size_t fixture_gen(uint8_t *buf, uint64_t gen)
{
	const int n = snprintf((char *)buf, 200, "payload of generation %llu", (unsigned long long)gen);
	struct state_footer f = { .generation = gen, .payload_len = (uint64_t)n, .created = 1700000000 };

	sha256_buf(buf, (size_t)n, f.sha256);
	state_footer_format(&f, buf + n);
	return (size_t)n + STATE_FOOTER_SIZE;
}

/* The names in directory d, sorted, each followed by one space ("" when d is missing). */
static void fixture_listing(const char *d, char *out, size_t cap)
{
	char cmd[4200];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' 2>/dev/null | tr '\\n' ' '", d);
	p = popen(cmd, "r");
	n = p ? fread(out, 1, cap - 1, p) : 0;
	out[n] = '\0';
	if (p)
		pclose(p);
}

#endif
