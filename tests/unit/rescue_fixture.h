/* rescue_fixture.h: what the rescue tests share (test_rescue_engine.c, test_rescue_ops.c): paths in the test's
 * temporary directory and whole files in and out. Header-only, like unit.h. */
#ifndef RAMHOST_TEST_RESCUE_FIXTURE_H
#define RAMHOST_TEST_RESCUE_FIXTURE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

static char top[256];

/* top/rel, in one of 16 rotating buffers: enough for the paths of one call and a few kept in options. */
static inline const char *at(const char *rel)
{
	static char p[16][512];
	static int k;

	k = (k + 1) % 16;
	snprintf(p[k], sizeof(p[k]), "%s/%s", top, rel);
	return p[k];
}

static inline void put_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

/* The whole file at path (malloc'd; NULL when it cannot be read), its length in *ret_len. */
static inline uint8_t *slurp(const char *path, size_t *ret_len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf && pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*ret_len = (size_t)st.st_size;
	return buf;
}

#endif
