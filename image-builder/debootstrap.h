/* debootstrap.h: a Debian base built with debootstrap, cached between builds (`base = debootstrap:SUITE`).
 *
 * The tree is `debootstrap --variant=minbase --include=PACKAGES SUITE DIR MIRROR`, with MIRROR taken from the
 * build machine's apt sources (apt_sources.h), then pruned of what a RAM image does not want (see
 * debootstrap_prune). It lives in $RAMHOST_CACHE/debootstrap/SUITE-KEY/root, where KEY is a hash of the suite,
 * the sorted package list, the mirror and the recipe version, so the next build with the same inputs reuses it.
 * It is built in a temporary directory beside it and renamed into place only when complete: a failed or
 * interrupted debootstrap never becomes the cache. Needs root (debootstrap chroots and sets owners). */
#ifndef RAMHOST_IMGB_DEBOOTSTRAP_H
#define RAMHOST_IMGB_DEBOOTSTRAP_H

#include <stddef.h>

#include "err.h"

struct debootstrap_opts {
	const char *suite;     /* e.g. "bookworm" */
	const char *packages;  /* blank-separated package names beyond minbase, may be NULL or "" */
	const char *mirror;    /* NULL: the machine's apt source for the suite */
	const char *cachedir;  /* NULL: $RAMHOST_CACHE/debootstrap */
	const char *apt_root;  /* where apt's sources are read (NULL: "/"), for tests */
	const char *program;   /* NULL: "debootstrap" from PATH (/usr/sbin added) */
};

struct debootstrap_result {
	char root[4096];    /* the cached tree: give it to tardisk_create, do not modify it */
	char mirror[512];   /* the mirror used */
	char key[17];       /* the cache key (16 hex digits) */
	int cached;         /* 1: taken from the cache, 0: built now */
	char log[4096];     /* built now: debootstrap's output, kept beside the tree */
};

/* Returns the tree for o in *ret: from the cache, or built now (minutes) and put into the cache. */
int debootstrap_base(const struct debootstrap_opts *o, struct debootstrap_result *ret, struct rh_err *err);

/* The cache key of (suite, packages, mirror): 16 hex digits + NUL into ret. Package order and duplicates do
 * not change it. */
int debootstrap_cache_key(const char *suite, const char *packages, const char *mirror, char ret[17],
			  struct rh_err *err);

/* Prunes the finished tree at root for a RAM image: apt's package lists and caches, the .deb files, logs,
 * manuals and docs (copyright files kept), the SSH host keys made at install time (each host makes its own
 * at first boot), /etc/machine-id emptied (systemd makes one), the build machine's resolv.conf, and root's
 * password emptied like the built-in base (console login; sshd refuses empty passwords). */
int debootstrap_prune(const char *root, struct rh_err *err);

#endif
