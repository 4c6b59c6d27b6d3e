/* rescue_int.h: what cmd_rescue.c (options) hands to rescue_run.c (the work and its output). */
#ifndef RAMHOST_CLI_RESCUE_INT_H
#define RAMHOST_CLI_RESCUE_INT_H

#include <stdint.h>

#include "recovery/repair.h"

struct rescue_cli {
	int json, summary, yes, dry_run, force, generic;
	const char *only, *bank, *module, *generation, *partition, *target;
	const char *backup_dir, *media, *loader, *efivars;
	uint32_t sector;
	char **disks;
	int ndisks;
};

/* Runs `rescue WHAT` (scan, plan, repair, undo, or one op's name). Returns the exit status. */
int rescue_run(const char *what, const struct rescue_cli *o);

/* Prints the plan of one disk (text or JSON object). */
void rescue_print_plan(const char *disk, uint32_t sector, const struct repair_plan *p, int json);

#endif
