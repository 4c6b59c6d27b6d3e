/* answer.h: the unattended install's answer file (`ramhost.ks=PATH`, docs/install.md) and the installer's
 * kernel options.
 *
 * The answer file is key = value lines; '#' starts a comment line; blank lines are skipped; an unknown key or a
 * bad value is an error naming the line:
 *   disk = auto | /dev/NAME          the target (the kernel's ramhost.install=/dev/X wins over it)
 *   hostname = NAME                  written to /etc/hostname (RFC 1123: letters, digits, '-', '.')
 *   rootpw = $6$SALT$HASH            a crypt(3) hash for root's line in /etc/shadow ("!" or "*": locked)
 *   sticky = /path/in/host < /path/on/medium     a file copied from the install medium
 *   sticky = /path/in/host << TEXT               a file with this one-line text (\n \t \\ escapes) + newline
 *   after = poweroff | reboot        what the host does once the install is done (default poweroff)
 * Every seeded file (hostname, rootpw, sticky) becomes a sticky file of the new disk's first state generation.
 * Paths in the host are absolute, without "." or ".." components, and outside the read-only and volatile trees
 * (/usr /opt /tmp /run /proc /sys /dev). Pure: no I/O, unit-tested and fuzzed. */
#ifndef RAMHOST_IMGB_ANSWER_H
#define RAMHOST_IMGB_ANSWER_H

#include <stddef.h>

#include "err.h"

#define ANSWER_MAX_STICKY 32
#define ANSWER_MAX_PATH 256
#define ANSWER_MAX_TEXT 2048   /* an inline file's content, after unescaping */
#define ANSWER_MAX_FILE (256u * 1024)  /* the answer file itself */

enum answer_after { ANSWER_POWEROFF = 0, ANSWER_REBOOT = 1 };

struct answer_sticky {
	char path[ANSWER_MAX_PATH];    /* where in the host */
	char source[ANSWER_MAX_PATH];  /* on the medium; "" for inline text */
	char text[ANSWER_MAX_TEXT];    /* inline content (newline added), when source is "" */
	size_t len;
};

struct answer {
	int has_disk;
	char disk[ANSWER_MAX_PATH];    /* "auto" or "/dev/NAME" */
	char hostname[64];             /* "" when not given */
	char rootpw[256];              /* "" when not given */
	int after;                     /* enum answer_after */
	unsigned nsticky;
	struct answer_sticky sticky[ANSWER_MAX_STICKY];
};

/* Parses an answer file buf[0..len) (no NUL needed). what names it in messages ("ks.cfg:3: ..."). *ret (large:
 * ~70 KiB, the caller's) is filled on success and all zero after a failure. */
int answer_parse(const char *buf, size_t len, const char *what, struct answer *ret, struct rh_err *err);

/* What the kernel command line asks of the installer. */
struct install_cmdline {
	int install;                   /* ramhost.install= given */
	char disk[ANSWER_MAX_PATH];    /* its value: "auto" or "/dev/NAME" */
	char ks[ANSWER_MAX_PATH];      /* ramhost.ks= path on the boot medium; "" when absent */
};

/* Parses a kernel command line buf[0..len) (its words as lib/cmdline.h splits them, quotes removed) for
 * ramhost.install= and ramhost.ks=. A bad value is an error naming the word. Sets *ret only on success. */
int install_cmdline_parse(const char *buf, size_t len, struct install_cmdline *ret, struct rh_err *err);

/* 0 when path is a usable seeded path (see above), else -EINVAL with the reason in err. */
int answer_check_path(const char *path, const char *what, struct rh_err *err);

#endif
