/* hello-init.c: the baseline for the boot benchmark: an init that only prints one line (with the guest's uptime,
 * the RAM in use, MemTotal - MemAvailable, and the free pages parked on the per-CPU lists, which MemFree does not
 * count) and powers the guest off. Built statically by bench/boot.py. Built with -DHASH_PAD_BYTES=N (and
 * lib/sha256.c, compiled as for ramhost's init) it first hashes the first N bytes of /pad with SHA-256, the
 * check ramhost's init makes of the tardisks: the floor of a boot that verifies what it loaded. */
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef HASH_PAD_BYTES
#include <fcntl.h>
#include "sha256.h"

/* SHA-256 of the first HASH_PAD_BYTES of /pad; its first byte, or -1 when /pad is shorter or unreadable. */
static int hash_pad(void)
{
	static unsigned char buf[65536];
	unsigned long long left = HASH_PAD_BYTES;
	struct sha256_ctx ctx;
	uint8_t out[SHA256_DIGEST_LEN];
	int fd = open("/pad", O_RDONLY);

	if (fd < 0)
		return -1;
	sha256_init(&ctx);
	while (left) {
		ssize_t n = read(fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));

		if (n <= 0) {
			close(fd);
			return -1;
		}
		sha256_update(&ctx, buf, (size_t)n);
		left -= (unsigned long long)n;
	}
	close(fd);
	sha256_final(&ctx, out);
	return out[0];
}
#endif

/* MemTotal - MemAvailable in KiB from /proc/meminfo, -1 when it cannot be read. */
static long long used_kb(void)
{
	long long total = -1, avail = -1, v;
	char line[256], key[64];
	FILE *f;

	mkdir("/proc", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) < 0)
		return -1;
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %lld kB", key, &v) == 2) {
			if (!strcmp(key, "MemTotal"))
				total = v;
			else if (!strcmp(key, "MemAvailable"))
				avail = v;
		}
	fclose(f);
	return total < 0 || avail < 0 ? -1 : total - avail;
}

/* The pages on the page allocator's per-CPU free lists (/proc/zoneinfo "count:"), in KiB; -1 when unknown. */
static long long pcp_kb(void)
{
	long long sum = 0, v;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &v) == 1)
			sum += v;
	fclose(f);
	return sum * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(void)
{
	struct timespec ts;
	long long ms, used;
	int hashed = 0;

#ifdef HASH_PAD_BYTES
	hashed = hash_pad();
#endif
	clock_gettime(CLOCK_BOOTTIME, &ts);
	ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	used = used_kb(); /* mounts /proc, which pcp_kb reads */

	printf("hello-init: up boot_ms=%lld used_kb=%lld pcp_kb=%lld hashed=%d\n", ms, used, pcp_kb(), hashed);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
