/* hello-init.c: the baseline for the boot benchmark: an init that only prints one line (with the guest's uptime)
 * and powers the guest off. Built statically by bench/run.sh. */
#include <stdio.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	printf("hello-init: up boot_ms=%lld\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
