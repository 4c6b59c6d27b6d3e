/* apt_sources.h: which Debian mirror this machine uses, read from its own apt sources.
 *
 * debootstrap needs a mirror URL; ramhost never carries one in the repository but takes the one the build
 * machine's apt already uses for the suite: the deb822 `.sources` files of /etc/apt/sources.list.d (a stanza
 * whose Types has `deb`, whose Suites has the suite and which is not `Enabled: no`; its first URIs entry) and,
 * when none matches, the one-line format of /etc/apt/sources.list and sources.list.d/ *.list
 * (`deb [options] URI SUITE COMPONENTS...`). The parsers take (buf, len), allocate nothing and are fuzzed. */
#ifndef RAMHOST_IMGB_APT_SOURCES_H
#define RAMHOST_IMGB_APT_SOURCES_H

#include <stddef.h>

#include "err.h"

#define APT_URI_MAX 512  /* a mirror URI, with NUL */

/* Finds the first deb822 stanza in buf[0..len) for suite (exact word match in Suites:) and copies its first URI
 * into ret (cap bytes). Returns 0, -ENOENT when no stanza matches (err untouched), or -EINVAL / -E2BIG with err
 * set ("FILE:LINE: ...") for a line that cannot be read. */
int apt_sources_deb822_find(const char *buf, size_t len, const char *file, const char *suite, char *ret,
			    size_t cap, struct rh_err *err);

/* The same for the one-line format (sources.list). Lines that are not `deb` lines are skipped. */
int apt_sources_list_find(const char *buf, size_t len, const char *file, const char *suite, char *ret, size_t cap,
			  struct rh_err *err);

/* Looks through root's apt sources (root NULL or "" = "/"; the deb822 files first, sorted by name, then
 * etc/apt/sources.list, then sources.list.d/ *.list) for suite's mirror. Only http, https and file URIs are
 * taken. -ENOENT with a message naming the files looked at when there is none. */
int apt_sources_mirror(const char *root, const char *suite, char *ret, size_t cap, struct rh_err *err);

#endif
