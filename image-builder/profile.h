/* profile.h: the image profile, the text file that says what a ramhost image holds (docs/profile.md).
 *
 * `key = value` lines, `#` comment lines, blank lines skipped. Errors name FILE:LINE. The parser takes
 * (buf, len), allocates nothing and is fuzzed; relative paths are resolved against the profile's directory. */
#ifndef RAMHOST_IMGB_PROFILE_H
#define RAMHOST_IMGB_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sticky_rule.h"
#include "sysroot.h"

#define PROFILE_MAX_TARDISKS 32
#define PROFILE_MAX_RAMDISKS 16
#define PROFILE_MAX_KMODS 64
#define PROFILE_MAX_NAME 64      /* names: image, version, tardisk, ramdisk, kmod (with NUL) */
#define PROFILE_MAX_PATH 1024    /* resolved paths, with NUL */
#define PROFILE_MAX_TEXT 512     /* title, kernelopt */
#define PROFILE_MAX_STICKY 64    /* sticky = lines */
#define PROFILE_MAX_PATTERN 256  /* a sticky pattern, with NUL */

#define PROFILE_KERNEL_DEBIAN "debian"
#define PROFILE_BASE_MINIMAL "builtin:minimal"
#define PROFILE_BASE_DEBOOTSTRAP "debootstrap:"  /* base = debootstrap:SUITE (image-builder/debootstrap.h) */
#define PROFILE_BASE_OCI "oci:"                  /* base = oci:PATH[:TAG], a container image (tardisk/oci/) */
#define PROFILE_RESCUE_MODULE "rescue"          /* the tardisk name of the rescue module (key rescue) */
#define PROFILE_RAMHOST_LAYER "ramhost"          /* the tardisk name of the ramhost layer of such a base */
#define PROFILE_MAX_PACKAGES 2048                /* the packages list, with NUL */
#define PROFILE_MAX_DEPOTS 8                     /* depot = lines */
#define PROFILE_MAX_VIBS 128                     /* vib = lines */
#define PROFILE_MAX_VIBREQ 160                   /* one vib request (NAME, NAME=VER, NAME>=VER ...), with NUL */

/* drivers = all | none | CLASS[,CLASS...]: which kernel modules go into the drivers tardisk (image-builder/drivers.h) */
#define PROFILE_DRIVERS_NET 1u      /* wired network: drivers/net (but wireless), 802.1Q, bridge */
#define PROFILE_DRIVERS_STORAGE 2u  /* disk controllers and file systems */
#define PROFILE_DRIVERS_OTHER 4u    /* everything else (wireless, graphics, sound, input, ...) */
#define PROFILE_DRIVERS_ALL 7u
#define PROFILE_DRIVERS_MODULE SYSROOT_DRIVERS_TARDISK  /* the tardisk name of the drivers tardisk */

/* network = dhcp | none | static ADDR/PREFIX [gateway=IP] [dns=IP[,IP...]] [interface=NAME] */
enum profile_net_mode { PROFILE_NET_DHCP, PROFILE_NET_NONE, PROFILE_NET_STATIC };

struct profile_network {
	enum profile_net_mode mode;
	char address[64];    /* static: ADDR/PREFIX (IPv4 or IPv6) */
	char gateway[48];    /* static: "" = none */
	char dns[160];       /* static: addresses separated by ',', "" = none */
	char iface[16];      /* static: the interface; "" = every wired one (Debian) / the first (busybox) */
};

struct profile_tardisk {
	char name[PROFILE_MAX_NAME];    /* file name is NAME.tdk */
	char source[PROFILE_MAX_PATH];  /* directory or tar/tar.gz/tar.zst/cpio archive */
	unsigned line;                  /* the tardisk = line, for messages */
};

struct profile_ramdisk {
	char name[PROFILE_MAX_NAME];
	char mountpoint[PROFILE_MAX_PATH];
	uint64_t size;    /* bytes */
	uint64_t inodes;  /* count */
};

struct profile {
	char name[PROFILE_MAX_NAME];
	char version[PROFILE_MAX_NAME];
	char title[PROFILE_MAX_TEXT];
	char kernel[PROFILE_MAX_PATH];          /* "debian" or the path of a vmlinuz */
	char kernel_modules[PROFILE_MAX_PATH];  /* lib/modules/<ver> of a kernel given by path; "" for debian */
	char kernelopt[PROFILE_MAX_TEXT];
	char base[PROFILE_MAX_PATH];            /* "builtin:minimal", "debootstrap:SUITE", "oci:PATH[:TAG]" (PATH
						 * made absolute), a rootfs directory or an archive */
	char init[PROFILE_MAX_PATH];            /* the base's init, default /sbin/init */
	char packages[PROFILE_MAX_PACKAGES];    /* debootstrap bases: packages beyond minbase, one blank between
						 * names, in the order given, duplicates dropped; "" when none */
	long timeout;                           /* seconds, default 5 */
	unsigned ntardisks;                     /* extra tardisks, layered over base in this order */
	struct profile_tardisk tardisks[PROFILE_MAX_TARDISKS];
	unsigned nramdisks;                     /* root first, then the others in file order */
	struct profile_ramdisk ramdisks[PROFILE_MAX_RAMDISKS];
	unsigned nkmods;                        /* beyond squashfs, loop, overlay */
	char kmods[PROFILE_MAX_KMODS][PROFILE_MAX_NAME];
	unsigned nsticky;                       /* sticky patterns, in file order (/etc/ramhost/sticky.list) */
	char sticky[PROFILE_MAX_STICKY][PROFILE_MAX_PATTERN];
	/* VIBs (docs/profile.md "vib"): none of these set means an image without VIBs, built as before */
	unsigned ndepots;                       /* depots, searched together */
	char depots[PROFILE_MAX_DEPOTS][PROFILE_MAX_PATH]; /* an http(s):// or file:// URL, or a resolved dir */
	unsigned nvibs;                         /* VIB requests, in file order */
	char vibs[PROFILE_MAX_VIBS][PROFILE_MAX_VIBREQ];
	char acceptance[16];                    /* community|partner|accepted|certified; "" = not set (partner) */
	char trust[PROFILE_MAX_PATH];           /* trust store dir (level subdirs) for the build and the image */
	char image_profile[PROFILE_MAX_NAME];   /* a depot image profile whose VIBs are added; "" = none */
	/* where it came from, for messages about its paths (profile_check_inputs) */
	char file[PROFILE_MAX_PATH];            /* the file name given to profile_parse */
	unsigned kernel_line, kmodules_line, base_line, trust_line;  /* 0 when the key is absent */
	unsigned drivers;                       /* PROFILE_DRIVERS_* mask (0 = none); default all for a
						 * debootstrap or container image base, none for the others */
	struct profile_network network;         /* default dhcp (the built-in, debootstrap and image bases) */
	int rescue;                             /* 1: build rescue.tdk (rescue = yes, the default for the built-in
						 * base); 0: rescue = no, or another base */
	int oci_split;                          /* oci-layers = split: a container image base as one tardisk per
						 * layer (profile_base_layer_name); 0: merged, one base.tdk */
};

/* The most paths profile_inputs returns: the profile file, kernel, kernel-modules, base, trust, tardisks. */
#define PROFILE_MAX_INPUTS (5 + PROFILE_MAX_TARDISKS)

/* 1 when the profile's base is debootstrap:SUITE (the one test of that prefix). */
int profile_base_is_debootstrap(const struct profile *p);
/* 1 when the profile's base is a container image, oci:PATH[:TAG] (the one test of that prefix). */
int profile_base_is_oci(const struct profile *p);
/* The tardisk name of layer i (from 0) of a split container image base: "base", then "base-2", "base-3", ...
 * The one place that naming is decided; profile_base_layer_reserved says which names it may take. (No '.': SYSLINUX
 * turns "base.2.tdk" into the 8.3 name BASE.TDK when it looks it up on a FAT bootbank, and loads base.tdk.) */
void profile_base_layer_name(unsigned i, char *buf, size_t cap);
/* 1 when name is one profile_base_layer_name can give: "base" or "base-" and digits. */
int profile_base_layer_reserved(const char *name);

/* 1 when the base gets the ramhost layer (ramhost_layer.h): a debootstrap or container image base, which
 * bring systemd but not ramhost. */
int profile_base_gets_layer(const struct profile *p);

/* 1 when the profile has any VIB key (depot, vib, acceptance, trust, image-profile). */
int profile_has_vibs(const struct profile *p);

/* Parses buf[0..len) into *ret (overwritten only on success). file names the profile in error messages
 * ("FILE:LINE: message"); basedir (may be NULL = ".") is where relative paths resolve. Applies the defaults
 * (title, timeout, init, the root/etc/var/tmp/run ramdisks) and checks that the required keys are there. */
int profile_parse(const char *buf, size_t len, const char *file, const char *basedir, struct profile *ret,
		  struct rh_err *err);

/* Reads and parses the profile at path; relative paths resolve against its directory. */
int profile_load(const char *path, struct profile *ret, struct rh_err *err);

/* Checks, before any long work, that every path p reads exists and has the right type: the kernel (a file),
 * kernel-modules and trust (directories), a base and each tardisk source (a directory or an archive). Errors
 * name the line: "PROFILE:LINE: tardisk = PATH: no such file". */
int profile_check_inputs(const struct profile *p, struct rh_err *err);

/* The paths p reads (the profile file first when known) into ret[0..PROFILE_MAX_INPUTS); returns how many. For
 * the output rule (outpath.h): an output must not be one of them. */
size_t profile_inputs(const struct profile *p, const char **ret);

/* The drivers mask as profile text: "all", "none" or the classes joined by ','. */
const char *profile_drivers_str(unsigned mask, char *buf, size_t cap);

/* Parses a size such as 64M, 1G, 512K or 4096 (binary units; lib/size.h) into bytes; 0 is not a size here.
 * Returns 0 or -EINVAL. */
int profile_parse_size(const char *s, uint64_t *ret);

#endif
