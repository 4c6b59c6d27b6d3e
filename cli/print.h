/* print.h: how cli/ prints text that holds untrusted strings — through lib/textesc.h, the one escaping rule.
 *
 * Every text (non --json) line that shows a name, path, descriptor field, depot URL or an rh_err message goes
 * through cli_printf: a name from an archive or a descriptor can then neither add a line nor send escape
 * sequences to the terminal. (--json output goes through lib/host/json.h instead.) */
#ifndef RAMHOST_CLI_PRINT_H
#define RAMHOST_CLI_PRINT_H

#include <stdio.h>

#include "err.h"

/* Like fprintf(f, fmt, ...), but every %s argument is written escaped (textesc()): the format's own text,
 * newlines included, is written as it is. A %s width pads the escaped text; a %s precision bounds the bytes
 * read from the argument, as in printf (for a buffer without a NUL), and their escaped form is written whole.
 * %n is not supported: the format is written as text from there. When no %s argument needs an escape, this is
 * one vfprintf. Returns the number of bytes written, or -1 on an output error. */
int cli_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes text, which may span lines, one line at a time: each prefixed with indent and escaped, so that a line
 * of it can never pass for a line of the command's own output (which starts at column 0). */
void cli_print_lines(FILE *f, const char *indent, const char *text);

/* The message to show for err: its text, or strerror(-rc) when it has none. */
const char *cli_err_text(const struct rh_err *err);

/* Prints "ramhost WHO: MESSAGE\n" on stderr, the message escaped (cli_err_text); returns 1, the exit status of
 * a failed command. A command that words it otherwise prints cli_err_text(err) through cli_printf: an rh_err
 * message may quote an entry name or a descriptor field, so it is never printed raw. */
int cli_fail(const char *who, const struct rh_err *err);

#endif
