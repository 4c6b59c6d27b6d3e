/* cmdline.h: what init reads from the kernel command line (/proc/cmdline).
 *
 *   ramhost.bank=N     the boot bank the loader booted from (1 or 2; the ISO passes 1); 0 when absent
 *   ramhost.break      drop to the emergency shell before switch_root (also ramhost.break=1; =0 turns it off)
 *
 * Words are separated by spaces, tabs or newlines; a double-quoted part may hold spaces (as the kernel allows:
 * foo="a b"). Other words are ignored. Pure (buf, len): fuzzed and unit-tested. */
#ifndef RAMHOST_CMDLINE_H
#define RAMHOST_CMDLINE_H

#include <stddef.h>

#include "err.h"

struct cmdline {
	unsigned bank;  /* 0 when the loader gave none */
	int brk;        /* ramhost.break */
};

/* Parses buf[0..len) into *ret (set only on success). A malformed ramhost.* word (ramhost.bank=x, a bank above
 * 9) is an error naming the word; init reports it and goes on with the defaults. */
int cmdline_parse(const char *buf, size_t len, struct cmdline *ret, struct rh_err *err);

#endif
