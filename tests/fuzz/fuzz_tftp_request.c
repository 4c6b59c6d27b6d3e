/* fuzz_tftp_request.c: the checks the TFTP server makes on a request packet before it resolves the name
 * (pxe_tftp_check_request): never crash, refuse with an ERROR code of 0..8 and a phrase, accept only a read
 * request whose name passes the path rule and whose options are sane, and always give an escaped name that
 * prints as one line. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxe-server/tftp_server.h"
#include "tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[TFTP_PATH_MAX * 4 + 1];
	struct tftp_request rq;
	const char *rel = NULL, *why = NULL, *p;
	int code = -1, rc;
	unsigned i;
	size_t n;

	memset(name, 0x55, sizeof name);
	rc = pxe_tftp_check_request(data, size, &rq, &rel, name, sizeof name, &code, &why);
	if (rc == 1)
		return 0;
	if (!memchr(name, 0, sizeof name))
		abort();
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	if (rc < 0) {
		if (code < 0 || code > 8 || !why || !*why)
			abort();
		return 0;
	}
	if (rc != 0 || rq.opcode != TFTP_RRQ || !rel || !*rel || *rel == '/' || !strcmp(rel, "..") ||
	    !strncmp(rel, "../", 3) || strstr(rel, "/../") || strstr(rel, "//"))
		abort();
	n = strlen(rel);
	if (n >= 3 && !strcmp(rel + n - 3, "/.."))
		abort();
	for (i = 0; i < rq.n_options; i++)
		if (strlen(rq.options[i].name) > 255 || strlen(rq.options[i].value) > 255)
			abort();
	return 0;
}
