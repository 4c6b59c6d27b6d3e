/* test_profile_net.c: the profile keys drivers and network (image-builder/profile.c), table-driven. */
#include <errno.h>
#include <stdlib.h>

#include "image-builder/profile.h"
#include "unit.h"

#define NAME "name = demo\nversion = 1.0\nkernel = debian\n"
#define BUILTIN NAME "base = builtin:minimal\n"
#define DEBIAN NAME "base = debootstrap:bookworm\n"

static struct profile *parse(const char *text, struct rh_err *err, int *rc)
{
	struct profile *p = calloc(1, sizeof(*p));

	rh_err_clear(err);
	*rc = profile_parse(text, strlen(text), "t.profile", "/prof", p, err);
	return p;
}

static void test_drivers(void)
{
	static const struct {
		const char *text;
		unsigned mask;
		const char *str;
	} rows[] = {
		{ BUILTIN, 0, "none" },                      /* the built-in base: none unless asked */
		{ DEBIAN, PROFILE_DRIVERS_ALL, "all" },      /* a debootstrap base: all */
		{ NAME "base = /some/dir\n", 0, "none" },
		{ DEBIAN "drivers = none\n", 0, "none" },
		{ BUILTIN "drivers = all\n", PROFILE_DRIVERS_ALL, "all" },
		{ BUILTIN "drivers = net\n", PROFILE_DRIVERS_NET, "net" },
		{ BUILTIN "drivers = storage, net\n", PROFILE_DRIVERS_NET | PROFILE_DRIVERS_STORAGE, "net,storage" },
		{ BUILTIN "drivers = other net storage\n", PROFILE_DRIVERS_ALL, "all" },
		{ BUILTIN "drivers = net,net\n", PROFILE_DRIVERS_NET, "net" },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err;
		char buf[32];
		int rc;
		struct profile *p = parse(rows[i].text, &err, &rc);

		if (rc)
			fprintf(stderr, "  row %u: %s\n", i, err.msg);
		CHECK(rc == 0);
		CHECK(p->drivers == rows[i].mask);
		CHECK_STR(profile_drivers_str(p->drivers, buf, sizeof(buf)), rows[i].str);
		free(p);
	}
}

static void test_network(void)
{
	struct rh_err err;
	int rc;
	struct profile *p = parse(DEBIAN "network = static 192.0.2.10/24 gateway=192.0.2.1 dns=192.0.2.53,2001:db8::53 "
					 "interface=eno1\n", &err, &rc);

	CHECK(rc == 0);
	CHECK(p->network.mode == PROFILE_NET_STATIC);
	CHECK_STR(p->network.address, "192.0.2.10/24");
	CHECK_STR(p->network.gateway, "192.0.2.1");
	CHECK_STR(p->network.dns, "192.0.2.53,2001:db8::53");
	CHECK_STR(p->network.iface, "eno1");
	free(p);
	p = parse(BUILTIN "network = static 2001:db8::10/64\n", &err, &rc);
	CHECK(rc == 0 && p->network.mode == PROFILE_NET_STATIC && !p->network.gateway[0] && !p->network.iface[0]);
	free(p);
	p = parse(BUILTIN, &err, &rc);
	CHECK(rc == 0 && p->network.mode == PROFILE_NET_DHCP);
	free(p);
	p = parse(DEBIAN "network = none\n", &err, &rc);
	CHECK(rc == 0 && p->network.mode == PROFILE_NET_NONE);
	free(p);
}

static void test_errors(void)
{
	static const struct {
		const char *text;
		const char *want; /* substring of the message */
	} rows[] = {
		{ BUILTIN "drivers = gpu\n", "t.profile:5: drivers 'gpu': unknown class" },
		{ BUILTIN "drivers = net,,\n", NULL },
		{ BUILTIN "drivers = all\ndrivers = none\n", "drivers is given twice" },
		{ BUILTIN "drivers = net\ntardisk = drivers /x\n", "tardisk name 'drivers' is reserved" },
		{ BUILTIN "network = dhcp eth0\n", "network = dhcp takes no more words" },
		{ BUILTIN "network = bridge\n", "network 'bridge': expected dhcp, none or static" },
		{ BUILTIN "network = static\n", "network = static: '': expected ADDR/PREFIX" },
		{ BUILTIN "network = static 192.0.2.10\n", "expected ADDR/PREFIX" },
		{ BUILTIN "network = static 192.0.2.10/33\n", "expected ADDR/PREFIX" },
		{ BUILTIN "network = static 192.0.2.300/24\n", "expected ADDR/PREFIX" },
		{ BUILTIN "network = static 2001:db8::1/129\n", "expected ADDR/PREFIX" },
		{ BUILTIN "network = static 192.0.2.10/24 gateway=192.0.2.1/24\n", "gateway '192.0.2.1/24': not an IP" },
		{ BUILTIN "network = static 192.0.2.10/24 dns=x\n", "dns 'x': not an IP address" },
		{ BUILTIN "network = static 192.0.2.10/24 interface=eth0;reboot\n", "interface 'eth0;reboot'" },
		{ BUILTIN "network = static 192.0.2.10/24 interface=averyveryverylongname\n", "not an interface name" },
		{ BUILTIN "network = static 192.0.2.10/24 mtu=9000\n", "unknown word 'mtu'" },
		{ BUILTIN "network = static 192.0.2.10/24 gateway\n", "expected gateway=IP" },
		{ NAME "base = /some/dir\nnetwork = none\n", "network is only for the built-in, debootstrap and container image bases" },
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err;
		int rc;
		struct profile *p = parse(rows[i].text, &err, &rc);

		if (!rows[i].want) {
			CHECK(rc == 0 && p->drivers == PROFILE_DRIVERS_NET);
		} else {
			if (rc >= 0 || !strstr(err.msg, rows[i].want))
				fprintf(stderr, "  row %u: rc %d: %s\n", i, rc, err.msg);
			CHECK(rc < 0 && strstr(err.msg, rows[i].want) != NULL);
		}
		free(p);
	}
}

int main(void)
{
	RUN(test_drivers);
	RUN(test_network);
	RUN(test_errors);
	UNIT_EXIT();
}
