/* rescue_print.h: `ramhost rescue scan`'s report of one disk (recovery/scan.h), as text or as JSON. */
#ifndef RAMHOST_CLI_RESCUE_PRINT_H
#define RAMHOST_CLI_RESCUE_PRINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "recovery/scan.h"

/* Prints r on stdout: text (a summary line per layer, then "Problems:" with each problem, its severity and the
 * command that fixes it), or with json one JSON object (keys: rescue_print.c) followed by a newline. Every
 * string from the disk or the firmware goes through cli_printf / json_string. Returns 0, or -1 when stdout
 * failed. */
int rescue_print_report(const struct scan_report *r, int json);

/* One line for r on stdout (the rescue console's banner, `rescue scan --summary`): "DISK: ramhost disk, no
 * problems" or "DISK: ramhost disk, 2 problems (1 broken): CODE, CODE; details: ...". Returns 0 or -1. */
int rescue_print_summary(const struct scan_report *r);

/* `rescue verify-bank`: bank (1, 2; 0 both) of r, every module with its size, state and hash, then whether it
 * verifies (scan_bank_verified), on stdout. Returns 0, or -1 when stdout failed. */
int rescue_print_verify(const struct scan_report *r, int bank);

/* The same as one JSON object {"disk", "banks": [the scan's bank objects]} and a newline, on f. */
void rescue_print_verify_json(FILE *f, const struct scan_report *r, int bank);

/* The JSON object of r (keys: rescue_json.c) and a newline, on f. */
void rescue_print_json(FILE *f, const struct scan_report *r);

/* The command that runs p's repair on disk ("ramhost rescue repair --only OP DISK": the repair takes its argument
 * from the scan) into buf; "" when it has none. */
void rescue_fix_command(const char *disk, const struct scan_problem *p, char *buf, size_t cap);

/* "ok", "missing", "bad-hash", "unreadable". */
const char *rescue_mod_state_name(enum scan_mod_state s);

/* bytes as "64.0M" (ramdisk/usage.h's form). */
void rescue_size_text(uint64_t bytes, char *out, size_t cap);

/* "BROKEN", "WARN", "INFO". */
const char *rescue_sev_name(enum scan_sev s);

#endif
