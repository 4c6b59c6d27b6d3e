/* clock.c: TSC milliseconds (see clock.h). */
#include <efi.h>
#include <efilib.h>

#include "clock.h"

static uint64_t t0, ticks_per_ms = 1;

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void clock_start(void)
{
	uint64_t a, b;

	t0 = rdtsc();
	a = rdtsc();
	uefi_call_wrapper(BS->Stall, 1, 10000);
	b = rdtsc();
	ticks_per_ms = (b - a) / 10;
	if (!ticks_per_ms)
		ticks_per_ms = 1;
}

uint64_t clock_ms(void)
{
	return (rdtsc() - t0) / ticks_per_ms;
}
