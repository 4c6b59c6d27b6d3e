/* tftp_request.c: the checks of a TFTP request packet before its name is resolved (pxe_tftp_check_request in
 * tftp_server.h), pure: no sockets, no state; fuzzed by fuzz_tftp_request. */
#include "tftp_server.h"

#include <errno.h>
#include <string.h>

#include "textesc.h"
#include "tftp.h"

#define TFTP_OPT_VALUE_MAX 255       /* an unknown option's name or value longer than this is refused */

/* The escaped file name of a request packet for the log: the bytes after the opcode up to their NUL or the end
 * of the packet (a name without its NUL is still named), at most TFTP_PATH_MAX of them. */
static void request_name(const uint8_t *buf, size_t len, char *out, size_t cap)
{
	const uint8_t *nul;
	size_t n = 0;

	if (len > 2) {
		nul = memchr(buf + 2, 0, len - 2);
		n = nul ? (size_t)(nul - (buf + 2)) : len - 2;
	}
	if (n > TFTP_PATH_MAX)
		n = TFTP_PATH_MAX;
	textesc(out, cap, (const char *)buf + 2, n);
}

/* RFC 2347 says a server ignores options it does not know; one whose name or value no client would send (longer
 * than TFTP_OPT_VALUE_MAX, or with control bytes) is refused instead, as a hostile or broken request. */
static const char *absurd_option(const struct tftp_request *rq)
{
	unsigned i;
	const char *p;

	for (i = 0; i < rq->n_options; i++) {
		if (strlen(rq->options[i].name) > TFTP_OPT_VALUE_MAX || strlen(rq->options[i].value) > TFTP_OPT_VALUE_MAX)
			return "an option name or value is longer than 255 bytes";
		for (p = rq->options[i].value; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return "an option value has a control character";
	}
	return NULL;
}

int pxe_tftp_check_request(const uint8_t *buf, size_t len, struct tftp_request *ret_rq, const char **ret_rel,
			   char *name, size_t name_cap, int *ret_code, const char **ret_why)
{
	struct tftp_request rq;
	const char *why = NULL, *rel;
	int rc;

	if (tftp_opcode(buf, len) == TFTP_ERROR)
		return 1;   /* never answered: two confused peers would loop */
	request_name(buf, len, name, name_cap);
	rc = tftp_parse_request(buf, len, &rq, &why);
	if (rc < 0)
		goto refuse;
	rc = -EACCES;
	why = "write requests are refused: the served tree is read-only";
	if (rq.opcode == TFTP_WRQ)
		goto refuse;
	rc = -ERANGE;
	why = absurd_option(&rq);
	if (why)
		goto refuse;
	rc = tftp_path_check(rq.filename, &rel, &why);
	if (rc < 0)
		goto refuse;
	*ret_rq = rq;
	*ret_rel = rel;
	return 0;
refuse:
	*ret_code = tftp_error_code(rc);
	*ret_why = why;
	return rc;
}
