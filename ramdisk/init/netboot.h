/* netboot.h: what init does for a host booted over the network (docs/state.md "Diskless hosts"), without any
 * network code: the server's kernel options and the state module it added to the boot.
 *
 *   ramhost.net=1              booted over the network by `ramhost pxe serve`
 *   ramhost.hostname=NAME      the host name the server's rule gave (RFC 1123: dot-separated labels of 1-63
 *                              letters, digits and '-', neither first nor last, at most 253 characters)
 *   ramhost.state.url=URL      where `ramhost state save` uploads (only when the rule keeps state)
 *
 * The state module is a cpio that unpacks the host's newest generation as /state/state-NNNNNNNN.rhs in the
 * initramfs; init moves it to /run/ramhost/state-net of the new root, where `ramhost state boot` restores it as
 * from a state partition. The host name is set after that restore, so the rule wins over a restored
 * /etc/hostname. */
#ifndef RAMHOST_INIT_NETBOOT_H
#define RAMHOST_INIT_NETBOOT_H

#include <stddef.h>

#include "err.h"

#define NETBOOT_STATE_SRC "/state"                   /* where the state module unpacks, in the initramfs */
#define NETBOOT_STATE_DIR "/run/ramhost/state-net"   /* where `ramhost state` finds it, in the new root */
#define NETBOOT_HOSTNAME_MAX 253

struct netboot_opts {
	int net;                                 /* ramhost.net=1 */
	int has_state_url;                       /* ramhost.state.url= is there (its value is state_net.h's) */
	int has_hostname;                        /* a valid ramhost.hostname= */
	char hostname[NETBOOT_HOSTNAME_MAX + 1];
	char bad_hostname[160];                  /* why a ramhost.hostname= was ignored ("" when none was) */
};

/* 1 when s[0..len) is a host name by RFC 1123 (see above). Pure. */
int netboot_hostname_valid(const char *s, size_t len);

/* Reads the words above from the kernel command line buf[0..len) (lib/cmdline.h's word iterator) into *ret.
 * Never fails: a bad host name is ignored, with why in ret->bad_hostname; the last of repeated words wins. Pure:
 * unit-tested and fuzzed. */
void netboot_parse(const char *buf, size_t len, struct netboot_opts *ret);

/* Moves the generation files (state-*.rhs, regular files) of src into dst (created 0700; files 0600), removing
 * each from src once copied (the initramfs is RAM: no second copy stays). *ret_n gets the number moved. A file
 * that cannot be copied fails naming it; what was moved stays moved. */
int netboot_take_state(const char *src, const char *dst, unsigned *ret_n, struct rh_err *err);

/* Writes name as root/etc/hostname (temp file beside it and a rename; the old file's mode and owner kept, so a
 * sticky /etc/hostname stays sticky), then, when set_kernel, sets it as the kernel's host name. */
int netboot_set_hostname(const char *root, const char *name, int set_kernel, struct rh_err *err);

#endif
