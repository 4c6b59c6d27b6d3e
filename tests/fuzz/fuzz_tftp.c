/* fuzz_tftp.c: the TFTP protocol core (lib/tftp.c) never crashes and keeps its promises. The input is parsed
 * as a request (the parse, the path rule and the OACK of its negotiation must agree with each other) and, read
 * again as a session script, drives a transfer: 8 bytes of file size, blksize and windowsize, then events of 3
 * bytes (ACK of a wire block, or time passing). The acknowledged position only grows, never passes the last
 * block sent nor the end of the file, and every DATA block lies inside the file with the right length. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const uint8_t *data, size_t size)
{
	struct tftp_request rq;
	struct tftp_limits lim;
	struct tftp_session s;
	const char *why = NULL, *rel, *p;
	uint8_t buf[512];
	int rc;

	rc = tftp_parse_request(data, size, &rq, &why);
	if (rc < 0) {
		if ((rc != -EINVAL && rc != -ERANGE) || !why)
			abort();
		return;
	}
	if (rq.n_options > TFTP_MAX_OPTIONS || (const uint8_t *)rq.filename < data ||
	    (const uint8_t *)rq.filename + strlen(rq.filename) >= data + size)
		abort();
	if (tftp_path_check(rq.filename, &rel, &why) == 0) {
		if (!*rel || *rel == '/' || strlen(rel) > TFTP_PATH_MAX || strchr(rel, '\\'))
			abort();
		for (p = rel; p; p = strchr(p, '/'), p = p ? p + 1 : NULL)
			if (!strncmp(p, "../", 3) || !strcmp(p, "..") || *p == '/' || !*p)
				abort();
	}
	tftp_limits_default(&lim);
	rc = tftp_negotiate(&rq, &lim, 123456789, &s, &why);
	if (rq.opcode == TFTP_WRQ) {
		if (rc != -EPERM)
			abort();
		return;
	}
	if (rc != 0 || s.blksize < 8 || s.blksize > lim.max_blksize || s.windowsize < 1 ||
	    s.windowsize > lim.max_window || s.oack != rq.asked)
		abort();
	rc = tftp_build_oack(&s, buf, sizeof(buf));
	if (rc < 2 || buf[0] != 0 || buf[1] != TFTP_OACK || buf[rc - 1] != (rc > 2 ? 0 : TFTP_OACK))
		abort();
}

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static void check_send(const struct tftp_session *s, const struct tftp_send *p)
{
	if (p->block > s->nblocks || p->wire != (uint16_t)p->block)
		abort();
	if (p->block == 0) {
		if (!s->oack)
			abort();
		return;
	}
	if (p->offset != (p->block - 1) * s->blksize || p->len > s->blksize || p->offset + p->len > s->tsize)
		abort();
	if ((p->block == s->nblocks) != (p->len < s->blksize))
		abort();
}

static void run_session(const uint8_t *data, size_t size)
{
	struct tftp_request rq;
	struct tftp_limits lim;
	struct tftp_session s;
	struct tftp_send p;
	uint64_t now = 0, una, high = 0;
	size_t i;
	int rc;

	if (size < 12)
		return;
	memset(&rq, 0, sizeof(rq));
	rq.opcode = TFTP_RRQ;
	rq.asked = data[8] & 0xf;
	rq.blksize = 8 + (unsigned)(get(data + 9, 2) % (TFTP_BLKSIZE_MAX - 7));
	rq.windowsize = 1 + data[11] % 16;
	rq.timeout = 1 + data[8] % 255;
	tftp_limits_default(&lim);
	lim.max_blksize = TFTP_BLKSIZE_MAX;
	if (tftp_negotiate(&rq, &lim, get(data, 8) >> (data[0] % 64), &s, NULL) != 0)
		abort();
	tftp_session_start(&s, now);
	for (i = 12; i + 3 <= size; i += 3) {
		una = s.una;
		if (data[i] & 1) {
			rc = tftp_session_ack(&s, (uint16_t)get(data + i + 1, 2), now);
			if ((rc == 1) != (s.una > una) || (rc == 1 && s.una - 1 > high))
				abort();
		} else {
			now += get(data + i + 1, 2);
			while ((rc = tftp_session_next(&s, now, &p)) == 1) {
				check_send(&s, &p);
				if (p.block > high)
					high = p.block;
			}
			if (rc == -ETIMEDOUT)
				return;
			if (rc != 0)
				abort();
		}
		if (s.una < una || s.una > s.nblocks + 1 || s.nxt < s.una || s.nxt > s.una + s.windowsize)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	run_session(data, size);
	return 0;
}
