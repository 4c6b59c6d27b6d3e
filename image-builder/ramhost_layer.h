/* ramhost_layer.h: the ramhost layer (ramhost.tdk) put over a base that is not the built-in one.
 *
 * A Debian base from debootstrap has systemd but no ramhost: this layer adds /usr/bin/ramhost, the shared
 * libraries it needs that the base lacks (ldd's list checked against the base's files), ramhost's systemd
 * units (the ready line on the console, state save at shutdown and hourly, SSH host keys made at first boot
 * after the getty started) enabled by symlinks under /usr/lib/systemd/system, the network (systemd-networkd:
 * DHCP on every wired interface, or the profile's static address; the DHCP server's host name when /etc/hostname
 * names none; systemd-resolved's stub as /etc/resolv.conf when the base has it), the sticky patterns of a Debian host
 * (/usr/lib/ramhost/sticky.d/debian.list: hostname, machine-id, SSH host keys) and the profile's name as
 * os-release's DEFAULT_HOSTNAME (used when neither /etc/hostname nor the DHCP server names the host). It is a
 * tardisk of its own, layered right over base.tdk, so the cached base tree is used as it is. */
#ifndef RAMHOST_IMGB_RAMHOST_LAYER_H
#define RAMHOST_IMGB_RAMHOST_LAYER_H

#include "err.h"
#include "profile.h"

struct ramhost_layer_opts {
	const char *base_root;  /* the base tree the layer goes over (read only) */
	const char *shown;      /* what messages call the base; NULL: base_root (oci: the image, not its tree) */
	const char *ramhost;    /* the ramhost binary to ship (normally /proc/self/exe) */
	const char *hostname;   /* os-release's DEFAULT_HOSTNAME; NULL or "" keeps the base's os-release */
	const struct profile_network *network;  /* the profile's network key (required) */
};

struct ramhost_layer_info {
	unsigned nlibs;  /* shared libraries copied because the base lacks them */
	unsigned nunits; /* systemd unit files written */
};

/* Fills the empty directory dir with the layer. ret_info may be NULL. */
int ramhost_layer_stage(const char *dir, const struct ramhost_layer_opts *o, struct ramhost_layer_info *ret_info,
			struct rh_err *err);

#endif
