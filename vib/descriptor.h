/* descriptor.h: a VIB's descriptor.xml, parsed into plain C and written back.
 *
 * The XML is read with expat through vib/xml_tree.h, parameter entities off; a document with a DOCTYPE (the only
 * way to declare entities) is refused outright, so external entities and expansion bombs never reach the
 * parser's entity code. Sizes are bounded (the whole document, every text, every list). The
 * format is in docs/vib.md. Parsers take (buf, len) and are fuzzed (tests/fuzz/fuzz_vib_descriptor.c). */
#ifndef RAMHOST_VIB_DESCRIPTOR_H
#define RAMHOST_VIB_DESCRIPTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "version.h"

#define VIB_DESC_MAX (1u << 20)  /* descriptor.xml at most 1 MiB */
#define VIB_LIST_MAX 256         /* at most this many entries in any list (relations, payloads, sticky files) */

/* One relationship: NAME, or NAME OP VERSION. For provides, op is VIB_OP_ANY or VIB_OP_EQ. */
struct vib_rel {
	char name[VIB_NAME_MAX];
	enum vib_op op;
	char version[VIB_VERSION_MAX]; /* "" when op == VIB_OP_ANY */
};

/* A payload checksum's verify-process for the SHA-256 of the payload as a bootbank module: NAME.tdk wrapped by
 * cpio_wrap_file() under VIB_MODULE_DIR (lib/host/cpio.h), the hash boot.cfg records for it. */
#define VIB_VERIFY_BOOT_MODULE "boot-module"
#define VIB_MODULE_DIR "tardisks"

/* One payload: an ar member of the .vib named NAME.tdk (a tardisk), of type "tdk". */
struct vib_payload {
	char name[VIB_NAME_MAX]; /* without the .tdk suffix */
	char type[16];           /* "tdk" */
	uint64_t size;
	uint8_t sha256[32];        /* of the payload file */
	bool has_module_sha256;    /* the descriptor has a boot-module checksum (vib create always writes one) */
	uint8_t module_sha256[32]; /* of the payload as the bootbank module NAME.tdk */
};

struct vib_desc {
	char name[VIB_NAME_MAX];
	char version[VIB_VERSION_MAX];
	char vendor[128];
	char summary[256];
	char *description;       /* malloc'd, may be "" */
	char release_date[32];   /* ISO 8601, e.g. 2026-11-01T00:00:00Z */
	enum vib_level level;    /* the acceptance level the VIB claims (its signature must prove it) */

	struct vib_rel *depends;   size_t ndepends;
	struct vib_rel *conflicts; size_t nconflicts;
	struct vib_rel *replaces;  size_t nreplaces;
	struct vib_rel *provides;  size_t nprovides;

	struct vib_payload *payloads; size_t npayloads;
	char **sticky; size_t nsticky; /* absolute paths of files the VIB declares sticky (state saves them) */

	bool live_install_allowed;
	bool live_remove_allowed;
	bool stateless_ready;
};

/* The checksum a payload is checked against (vib_check): the boot-module one when the descriptor has it, else
 * the plain one. What is keyed by a payload's content (the image builder's module cache) uses this one. */
const uint8_t *vib_payload_checked_sha256(const struct vib_payload *p);

/* "NAME.tdk": the payload's member name in the .vib and its module name in a bootbank (cap >= VIB_NAME_MAX + 8). */
void vib_payload_module_name(const struct vib_payload *p, char *buf, size_t cap);

/* Parses descriptor.xml from (buf, len) into *ret (set only on success; free it with vib_desc_free). Every
 * error names the element or attribute and the value that was wrong; -EBADMSG for malformed or hostile XML,
 * -EINVAL for a well-formed document that is not a valid descriptor, -E2BIG past the size bounds. */
int vib_desc_parse(const void *buf, size_t len, struct vib_desc *ret, struct rh_err *err);

/* Writes d as descriptor.xml into a malloc'd buffer (*ret_buf, *ret_len; the caller frees it). What it writes
 * parses back to the same struct. */
int vib_desc_write(const struct vib_desc *d, char **ret_buf, size_t *ret_len, struct rh_err *err);

/* Frees what d owns and zeroes it; safe on a zeroed or already freed struct. */
void vib_desc_free(struct vib_desc *d);

#endif
