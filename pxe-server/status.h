/* status.h: the hosts the server has seen and the last step of each, kept in memory and written atomically to
 * STATE_DIR/status (at most once a second) for `ramhost pxe status`. The file is text, one host per line:
 * WHEN<TAB>MAC<TAB>IP<TAB>STEP<TAB>DETAIL (Unix seconds; IP "-" when unknown; tabs and control characters in
 * DETAIL replaced by spaces), oldest step first. */
#ifndef RAMHOST_PXE_STATUS_H
#define RAMHOST_PXE_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "server.h"

struct pxe_host_status {
	char mac[PXE_MAC_TEXT];
	char step[32];          /* the last step: dhcp-offer, dhcp-ack, tftp, http, state-load, state-save, ready */
	char detail[256];       /* its log line's text after the step */
	char ip[16];            /* dotted quad, "" unknown */
	int64_t when;           /* Unix seconds */
	int has_facts;          /* arch and uuid below came from the host's DHCP request (memory only) */
	int arch;
	char uuid[37];
};

struct pxe_status;
int pxe_status_new(struct pxe_status **ret);
void pxe_status_free(struct pxe_status *st);
/* Records a step (thread-safe). */
void pxe_status_note(struct pxe_status *st, const char *mac, const char *step, const char *detail);
/* Records the host's address (from the DHCP lease or the request's source). */
void pxe_status_ip(struct pxe_status *st, const char *mac, uint32_t ip);
/* Remembers what the host's DHCP request said (RFC 4578 architecture, SMBIOS UUID), so that its later requests
 * (TFTP or HTTP of host/MAC/...), which say neither, are matched against the same rules. */
void pxe_status_facts(struct pxe_status *st, const char *mac, int arch, const char *uuid);
/* 0 with *arch and uuid (37 bytes) filled, -ENOENT when the host's DHCP request was not seen. */
int pxe_status_facts_of(struct pxe_status *st, const char *mac, int *arch, char *uuid);

/* The MAC of the host last seen at ip (so an artifact request, which names no host, is logged as its host's
 * step). 0 with mac filled, -ENOENT. */
int pxe_status_mac_of(struct pxe_status *st, uint32_t ip, char mac[MAC_TEXT]);
/* Writes path atomically when something changed and at least a second passed (force: now). */
int pxe_status_flush(struct pxe_status *st, const char *path, int force, struct rh_err *err);
/* Reads a status file written by a server: a malloc'd array, oldest step first. */
int pxe_status_read(const char *path, struct pxe_host_status **ret, size_t *ret_n, struct rh_err *err);
/* Parses the status text buf[0..len) (pure; fuzzed). A malformed line is an error naming it. */
int pxe_status_parse(const char *buf, size_t len, const char *name, struct pxe_host_status **ret, size_t *ret_n,
		     struct rh_err *err);

#endif
