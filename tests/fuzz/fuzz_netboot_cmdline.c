/* fuzz_netboot_cmdline.c: a network boot's kernel options never crash their parsers and keep their promises:
 * init's (ramdisk/init/netboot.c) host name is valid by RFC 1123 when taken, a refusal is one printable line;
 * `ramhost state`'s (ramdisk/state/state_net.c) URL is http(s) with a host, its token has no byte that could
 * end or add a request header, and an error names the kernel command line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ramdisk/init/netboot.h"
#include "ramdisk/state/state_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netboot_opts o;
	struct state_net n;
	struct rh_err err = { 0, "" };
	const char *p;

	netboot_parse((const char *)data, size, &o);
	if (o.has_hostname && (o.bad_hostname[0] || !netboot_hostname_valid(o.hostname, strlen(o.hostname))))
		abort();
	for (p = o.bad_hostname; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			abort();
	if (state_net_parse((const char *)data, size, &n, &err) < 0) {
		if (strncmp(err.msg, "kernel command line: ", 21))
			abort();
		return 0;
	}
	if (n.on && ((strncmp(n.url, "http://", 7) && strncmp(n.url, "https://", 8)) || !n.server[0] || !n.token[0]))
		abort();
	for (p = n.token; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == ':' || (unsigned char)*p >= 0x7f)
			abort();
	for (p = n.url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			abort();
	return 0;
}
