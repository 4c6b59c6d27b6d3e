/* textesc.h: untrusted text made safe to print as one line of a terminal or a log — the one owner of the rule
 * for every text (non --json) output of a name, path, descriptor field or error message that came from a file,
 * an archive, a depot or the network. (--json output has its own escaper, lib/host/json.h.)
 *
 * The rule: valid UTF-8 that prints is copied as it is ("café", "日本"); everything else is written as an escape,
 * so that a name can neither add a line, overwrite one (\r), move the cursor, change colours or the window title
 * (ESC, C1 controls), nor reorder the text (bidi controls):
 *   \\  for a backslash (so an escape in the output is always ours: the output is unambiguous)
 *   \n \r \t  for newline, carriage return and tab
 *   \xHH  (lowercase) for every other byte of a C0 control (0x00-0x1f), DEL (0x7f), a C1 control encoded in
 *         UTF-8 (U+0080-U+009F), a line or paragraph separator (U+2028, U+2029), a bidi control (U+200E,
 *         U+200F, U+202A-U+202E, U+2066-U+2069), and for each byte that is not part of valid UTF-8 (a stray
 *         0x80-0xbf, an overlong form, a surrogate, past U+10FFFF, a sequence cut short).
 * A byte becomes at most 4 (TEXTESC_MAX_GROWTH). Pure: no I/O, no allocation; also for the freestanding side. */
#ifndef RAMHOST_TEXTESC_H
#define RAMHOST_TEXTESC_H

#include <stddef.h>
#include <stdint.h>

#define TEXTESC_MAX_GROWTH 4  /* the escaped form of len bytes is at most 4 * len bytes */

/* Writes the escaped form of s[0..len) (which may hold NUL bytes) into out, NUL-terminated, and returns its full
 * length without the NUL, like snprintf: the caller sizes out as the result + 1. When cap is too small, out holds
 * the escapes that fit whole (never half an escape or half a UTF-8 character); out may be NULL when cap is 0. */
size_t textesc(char *out, size_t cap, const char *s, size_t len);


#endif
