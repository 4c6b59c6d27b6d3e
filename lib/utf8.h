/* utf8.h: the one UTF-8 decoder — used by the text escaping of output (textesc), the depot name rule (urlpath)
 * and the descriptor check (vib/descriptor.c). Pure: no I/O. */
#ifndef RAMHOST_UTF8_H
#define RAMHOST_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length (1-4) of the valid UTF-8 sequence at s[0..len), with its code point in *ret_cp; 0 when s does not
 * start with one (len 0, a continuation byte, 0xc0/0xc1/0xf5-0xff, an overlong form, a UTF-16 surrogate, a code
 * point past U+10FFFF, or cut short). An ASCII byte, NUL included, is a sequence of length 1. */
size_t utf8_len(const unsigned char *s, size_t len, uint32_t *ret_cp);

#endif
