/* clock.h: milliseconds since the loader started, from the CPU's time-stamp counter calibrated against the
 * firmware's Stall (the EFI clock, GetTime, counts whole seconds on most firmware). For the figures the loader
 * prints; nothing depends on them. */
#ifndef RAMHOST_EFI_CLOCK_H
#define RAMHOST_EFI_CLOCK_H

#include <stdint.h>

/* Calibrates (a 10 ms Stall) and marks time zero. Call once, first thing. */
void clock_start(void);
/* Milliseconds since clock_start(). */
uint64_t clock_ms(void);

#endif
