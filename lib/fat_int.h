/* fat_int.h: what fat.c (boot sector, FAT, file data) shares with fat_dir.c (directories). Not a public API. */
#ifndef RAMHOST_FAT_INT_H
#define RAMHOST_FAT_INT_H

#include <stdint.h>

#include "fat.h"

#define FAT_WIN 512u /* bytes of the FAT held at a time */

/* A window on the FAT, on the caller's stack; zero-initialized means empty. */
struct fat_cache {
	uint64_t off;
	int valid;
	uint8_t buf[FAT_WIN];
};

/* Reads len bytes at off of the volume: -EINVAL past its size, -EIO when the callback fails (v->why says). */
int fat_vread(struct fat_volume *v, uint64_t off, void *buf, uint32_t len);

/* FAT 1's entry n (masked to 28 bits on FAT32). n must be at most clusters + 1. */
int fat_entry(struct fat_volume *v, struct fat_cache *c, uint32_t n, uint32_t *ret);

/* 1 when n is a data cluster number (2..clusters+1). */
int fat_cluster_ok(const struct fat_volume *v, uint32_t n);

/* The cluster after n: 0 and *ret, 1 at the end of the chain, -EINVAL when n's entry is free, bad or out of
 * range (v->why says), -EIO. */
int fat_next(struct fat_volume *v, struct fat_cache *c, uint32_t n, uint32_t *ret);

/* Checks the chain from first for its first need clusters: valid and distinct. Returns 0 with *ret_good = need,
 * or = the chain's length when it ends sooner; -EINVAL (a bad start or entry) or -ELOOP (it loops) with
 * *ret_good = the clusters before the damage, which are readable. */
int fat_chain_check(struct fat_volume *v, struct fat_cache *c, uint32_t first, uint32_t need, uint32_t *ret_good);

#endif
