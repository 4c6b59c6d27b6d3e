/* cmd_ready.c: `ramhost ready` — the one machine-readable line a booted host prints on its console. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "print.h"
#include "fileio.h"
#include "ramdisk/state/state_net.h"
#include "ramdisk/usage.h"
#include "vib/fetch.h"
#include "ramdisk/state/state_format.h"
#include "sysroot.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: ramhost ready\n"
		   "       ramhost ready --timing [--json]\n\n"
		   "Prints one line for this boot, read from /run/ramhost/boot.env (RAMHOST_BOOTENV overrides):\n"
		   "  ramhost: ready bank=N tardisks=N state=none boot_ms=MS build=BUILD addr=A,B|none\n"
		   "boot_ms is the time since the kernel started (CLOCK_BOOTTIME); state is the generation that\n"
		   "`ramhost state boot` restored, from /run/ramhost/state.env (RAMHOST_STATEENV overrides), or none;\n"
		   "N@net or none@net on a diskless host whose state the PXE server keeps. addr lists the host's\n"
		   "addresses (IFACE:ADDR/PREFIX, IPv4 then IPv6; not loopback nor link-local), or none.\n"
		   "On a rescue boot (ramhost.rescue=, /run/ramhost/rescue; RAMHOST_RESCUE overrides) the line ends\n"
		   "with mode=rescue and no server is told.\n"
		   "On a host booted by `ramhost pxe serve` (ramhost.ready.url= on the kernel command line) it also\n"
		   "tells the server, in the background, so `ramhost pxe status` shows the host as ready.\n"
		   "--timing prints instead where init's time went, from boot.env's stage= lines: each stage of init\n"
		   "(kernel: from the kernel's start to init; config, modules, hashes, ramdisks, tardisks,\n"
		   "late-modules, view) with its milliseconds, then the milliseconds since init handed over (the\n"
		   "base's own init and after: run it right after the ready line to see the base's share); with\n"
		   "--json one object {\"stages\":[{\"name\":...,\"ms\":...,\"end_ms\":...}],\"init_ms\":...,\"now_ms\":...}.\n"
		   "Exits 1 without boot.env.\n");
}

/* The restored state generation as text: "N", or "none" when state.env is missing, unreadable or says none;
 * "@net" follows on a diskless host whose state is kept by the PXE server. */
static void state_word(char *out, size_t cap)
{
	const char *path = sysroot_stateenv();
	struct state_env env;
	char *buf = NULL;
	size_t len;

	snprintf(out, cap, "none");
	if (rh_read_file(path, 64 << 10, &buf, &len, NULL) < 0)
		return;
	if (state_env_parse(buf, len, &env, NULL) == 0) {
		if (env.has_generation)
			snprintf(out, cap, "%" PRIu64 "%s", env.generation, env.net ? "@net" : "");
		else if (env.net)
			snprintf(out, cap, "none@net");
	}
	free(buf);
}

/* A host booted by `ramhost pxe serve` tells the server it is ready (ramhost.ready.url=, state_net.h), so the
 * server's log and `pxe status` show the last step. From a child that nobody waits for, with a 10 s deadline:
 * the ready line never waits for the network, and a server that does not answer changes nothing here. */
static void tell_server(void)
{
	struct state_net n;
	void *buf = NULL;
	size_t len = 0;
	pid_t pid;

	if (state_net_read(&n, NULL) < 0 || !n.ready_url[0])
		return;
	pid = fork();
	if (pid != 0)
		return;
	setenv("RAMHOST_FETCH_TIMEOUT", "10", 1);
	if (fetch_to_buf(n.ready_url, 64, &buf, &len, NULL) == 0)
		free(buf);
	_exit(0);
}

/* 1 for an address worth showing: not loopback, not link-local (169.254/16, fe80::/10). */
static int shown_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		return (a >> 24) != 127 && (a >> 16) != 0xa9fe;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return !IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_LINKLOCAL(a);
	}
	return 0;
}

/* The prefix length of a netmask. */
static unsigned prefix_len(const struct sockaddr *mask)
{
	const unsigned char *b;
	size_t n, i;
	unsigned bits = 0;

	if (!mask)
		return 0;
	b = mask->sa_family == AF_INET ? (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr :
					 (const unsigned char *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
	n = mask->sa_family == AF_INET ? 4 : 16;
	for (i = 0; i < n; i++)
		bits += (unsigned)__builtin_popcount(b[i]);
	return bits;
}

/* The host's addresses as "IFACE:ADDR/PREFIX,..." (IPv4 first), or "none". */
static void addr_word(char *out, size_t cap)
{
	struct ifaddrs *all = NULL, *i;
	size_t n = 0;
	int pass;

	snprintf(out, cap, "none");
	if (getifaddrs(&all) < 0)
		return;
	for (pass = 0; pass < 2; pass++)
		for (i = all; i; i = i->ifa_next) {
			char text[INET6_ADDRSTRLEN];
			const void *a;
			int fam = pass ? AF_INET6 : AF_INET;

			if (!i->ifa_addr || i->ifa_addr->sa_family != fam || !(i->ifa_flags & IFF_UP) ||
			    !shown_addr(i->ifa_addr))
				continue;
			a = fam == AF_INET ? (const void *)&((const struct sockaddr_in *)i->ifa_addr)->sin_addr :
					     (const void *)&((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			if (!inet_ntop(fam, a, text, sizeof(text)) || n >= cap)
				continue;
			n += (size_t)snprintf(out + n, cap - n, "%s%s:%s/%u", n ? "," : "", i->ifa_name, text,
					      prefix_len(i->ifa_netmask));
		}
	if (n >= cap && cap > 4)
		strcpy(out + cap - 4, "...");
	freeifaddrs(all);
}

static uint64_t boottime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ramhost ready --timing [--json]: init's stages from boot.env, then the time since init ended. */
static int print_timing(const struct bootenv *env, int json)
{
	uint64_t now = boottime_ms(), prev = 0;
	unsigned i;

	if (json)
		fputs("{\"stages\":[", stdout);
	for (i = 0; i < env->nstages; i++) {
		const struct bootenv_stage *st = &env->stages[i];

		if (json)
			printf("%s{\"name\":\"%s\",\"ms\":%" PRIu64 ",\"end_ms\":%" PRIu64 "}", i ? "," : "", st->name,
			       st->ms - prev, st->ms);
		else
			printf("%-14s %8" PRIu64 " ms  (at %" PRIu64 " ms)\n", st->name, st->ms - prev, st->ms);
		prev = st->ms;
	}
	if (json)
		printf("],\"init_ms\":%" PRIu64 ",\"now_ms\":%" PRIu64 "}\n", env->has_init_ms ? env->init_ms : 0, now);
	else if (env->has_init_ms)
		printf("%-14s %8" PRIu64 " ms  (now %" PRIu64 " ms)\n", "after-init", now - env->init_ms, now);
	return fflush(stdout) != 0;
}

int cmd_ready(int argc, char **argv)
{
	static struct bootenv env;
	struct rh_err err = { 0 };
	const char *path = sysroot_bootenv();
	char state[24], addrs[512];
	uint64_t ms;
	int rescue;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--timing") &&
	    (argc == 2 || (argc == 3 && !strcmp(argv[2], "--json")))) {
		if (usage_bootenv_load(path, &env, &err) < 0) {
			cli_printf(stderr, "ramhost ready: %s\n", cli_err_text(&err));
			return 1;
		}
		return print_timing(&env, argc == 3);
	}
	if (argc != 1) {
		usage(stderr);
		return 2;
	}
	if (usage_bootenv_load(path, &env, &err) < 0) {
		cli_printf(stderr, "ramhost ready: %s%s\n", cli_err_text(&err),
			err.rc == -ENOENT ? " (was this host booted by ramhost's init?)" : "");
		return 1;
	}
	ms = boottime_ms();
	state_word(state, sizeof(state));
	addr_word(addrs, sizeof(addrs));
	rescue = sysroot_is_rescue();
	cli_printf(stdout, "ramhost: ready bank=%u tardisks=%u state=%s boot_ms=%" PRIu64 " build=%s addr=%s%s\n",
		   env.bank, env.ntardisks, state, ms, env.build[0] ? env.build : "-", addrs,
		   rescue ? " mode=rescue" : "");
	if (fflush(stdout) != 0)
		return 1;
	/* On a terminal, wait until the line has left: a getty that opens the console next flushes whatever is
	 * still queued */
	if (isatty(STDOUT_FILENO))
		(void)tcdrain(STDOUT_FILENO);
	if (!rescue)   /* a host in rescue is not a host ready for its work */
		tell_server();
	return 0;
}
