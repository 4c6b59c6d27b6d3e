/* json.h: writing JSON strings, the one escaper behind every command's --json output. */
#ifndef RAMHOST_JSON_H
#define RAMHOST_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes s[0..len) to f as a JSON string with its quotes: '"' and '\\' escaped, control bytes (< 0x20, 0x7f)
 * as \u00XX. With bytes set, every byte >= 0x80 is written as \u00XX too (for names that may be any bytes, not
 * UTF-8, such as tardisk entries); else such bytes are copied as they are. */
void json_write_string(FILE *f, const char *s, size_t len, int bytes);

/* json_write_string of the NUL-terminated s, UTF-8 passed through. */
void json_put_string(FILE *f, const char *s);

#endif
