/* tftp.c: the TFTP protocol core (see tftp.h): request parsing, the path rule, option negotiation, packet
 * builders and the sliding-window transfer state. Pure: no I/O, no clock, no allocation. */
#include <errno.h>
#include <string.h>

#include "tftp.h"

static void set_why(const char **why, const char *s)
{
	if (why)
		*why = s;
}

static int lower(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return c;
}

/* ASCII case-insensitive equality, independent of the locale. */
static int ieq(const char *a, const char *b)
{
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return lower((unsigned char)*a) == lower((unsigned char)*b);   /* both NUL, or a mismatch */
}

/* The NUL-terminated string at buf[*pos], which must end before len; advances *pos past its NUL. */
static const char *take_string(const uint8_t *buf, size_t len, size_t *pos)
{
	const uint8_t *nul;
	const char *s;

	if (*pos >= len)
		return NULL;
	nul = memchr(buf + *pos, 0, len - *pos);
	if (!nul)
		return NULL;
	s = (const char *)buf + *pos;
	*pos = (size_t)(nul - buf) + 1;
	return s;
}

/* A decimal number without sign or blanks, at most max. */
static int parse_number(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -ERANGE;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -ERANGE;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
	uint64_t min, max;
	const char *why;
} known[] = {
	{ "blksize", TFTP_OPT_BLKSIZE, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX, "blksize is not a number 8..65464" },
	{ "tsize", TFTP_OPT_TSIZE, 0, UINT64_MAX, "tsize is not a number" },
	{ "timeout", TFTP_OPT_TIMEOUT, 1, 255, "timeout is not a number 1..255" },
	{ "windowsize", TFTP_OPT_WINDOWSIZE, 1, 65535, "windowsize is not a number 1..65535" },
};

/* Records a known option's value on rq; unknown options are only kept in rq->options. */
static int take_option(struct tftp_request *rq, const char *name, const char *value, const char **why)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!ieq(name, known[i].name))
			continue;
		if (parse_number(value, known[i].max, &v) < 0 || v < known[i].min) {
			set_why(why, known[i].why);
			return -ERANGE;
		}
		rq->asked |= known[i].bit;
		if (known[i].bit == TFTP_OPT_BLKSIZE)
			rq->blksize = (unsigned)v;
		else if (known[i].bit == TFTP_OPT_TSIZE)
			rq->tsize = v;
		else if (known[i].bit == TFTP_OPT_TIMEOUT)
			rq->timeout = (unsigned)v;
		else
			rq->windowsize = (unsigned)v;
	}
	return 0;
}

/* The RFC 2347 options after the mode, from *pos to len. */
static int parse_options(const uint8_t *buf, size_t len, size_t pos, struct tftp_request *rq, const char **why)
{
	const char *name, *value;
	unsigned i;
	int rc;

	while (pos < len) {
		name = take_string(buf, len, &pos);
		if (!name) {
			set_why(why, "an option name has no NUL");
			return -EINVAL;
		}
		if (!*name)
			break;   /* zero padding ends the list */
		value = take_string(buf, len, &pos);
		if (!value) {
			set_why(why, "an option has no value");
			return -EINVAL;
		}
		if (rq->n_options == TFTP_MAX_OPTIONS) {
			set_why(why, "too many options");
			return -EINVAL;
		}
		for (i = 0; i < rq->n_options; i++)
			if (ieq(rq->options[i].name, name)) {
				set_why(why, "an option is given twice");
				return -EINVAL;
			}
		rq->options[rq->n_options].name = name;
		rq->options[rq->n_options].value = value;
		rq->n_options++;
		rc = take_option(rq, name, value, why);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int tftp_opcode(const uint8_t *buf, size_t len)
{
	int op;

	if (len < 2 || buf[0] != 0)
		return -EINVAL;
	op = buf[1];
	if (op < TFTP_RRQ || op > TFTP_OACK)
		return -EINVAL;
	return op;
}

int tftp_parse_request(const uint8_t *buf, size_t len, struct tftp_request *ret, const char **why)
{
	struct tftp_request rq;
	const char *mode;
	size_t pos = 2;
	int op, rc;

	memset(&rq, 0, sizeof(rq));
	op = tftp_opcode(buf, len);
	if (op != TFTP_RRQ && op != TFTP_WRQ) {
		set_why(why, "not a read or write request");
		return -EINVAL;
	}
	rq.opcode = op;
	rq.filename = take_string(buf, len, &pos);
	if (!rq.filename) {
		set_why(why, "the file name has no NUL");
		return -EINVAL;
	}
	mode = take_string(buf, len, &pos);
	if (!mode) {
		set_why(why, "the mode has no NUL");
		return -EINVAL;
	}
	if (ieq(mode, "netascii"))
		rq.netascii = 1;
	else if (!ieq(mode, "octet")) {
		set_why(why, "the mode is not octet or netascii");
		return -EINVAL;
	}
	rc = parse_options(buf, len, pos, &rq, why);
	if (rc < 0)
		return rc;
	*ret = rq;
	return 0;
}

/* One component of a path, [s, s + n): refused when empty, "." or "..". */
static int component_ok(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.')))
		return 0;
	return 1;
}

int tftp_path_check(const char *name, const char **ret_rel, const char **why)
{
	const char *p = name, *start;
	size_t n = strlen(name);

	if (n > TFTP_PATH_MAX) {
		set_why(why, "the file name is too long");
		return -EACCES;
	}
	if (*p == '/')
		p++;
	if (!*p) {
		set_why(why, "the file name is empty");
		return -EACCES;
	}
	for (start = p;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' || c == 0) {
			if (!component_ok(start, (size_t)(p - start))) {
				set_why(why, "the file name has an empty, '.' or '..' component");
				return -EACCES;
			}
			if (c == 0)
				break;
			start = p + 1;
		} else if (c == '\\') {
			set_why(why, "the file name has a backslash");
			return -EACCES;
		} else if (c < 0x20 || c == 0x7f) {
			set_why(why, "the file name has a control character");
			return -EACCES;
		}
	}
	*ret_rel = name + (*name == '/');
	return 0;
}

void tftp_limits_default(struct tftp_limits *lim)
{
	lim->max_blksize = 1468;
	lim->max_window = 64;
	lim->initial_rto_ms = 1000;
	lim->max_rto_ms = 8000;
	lim->max_retries = 5;
}

static int limits_ok(const struct tftp_limits *lim)
{
	return lim->max_blksize >= TFTP_BLKSIZE_MIN && lim->max_blksize <= TFTP_BLKSIZE_MAX &&
	       lim->max_window >= 1 && lim->max_window <= 65535 && lim->initial_rto_ms >= 1 &&
	       lim->max_rto_ms >= lim->initial_rto_ms;
}

int tftp_negotiate(const struct tftp_request *rq, const struct tftp_limits *lim, uint64_t file_size,
		   struct tftp_session *ret, const char **why)
{
	struct tftp_session s;

	if (rq->opcode != TFTP_RRQ) {
		set_why(why, "write requests are refused: the served tree is read-only");
		return -EPERM;
	}
	if (!limits_ok(lim)) {
		set_why(why, "the server's TFTP limits are out of range");
		return -EINVAL;
	}
	memset(&s, 0, sizeof(s));
	s.blksize = TFTP_BLKSIZE_DEFAULT;
	s.windowsize = 1;
	s.initial_rto_ms = lim->initial_rto_ms;
	s.max_rto_ms = lim->max_rto_ms;
	s.max_retries = lim->max_retries;
	s.oack = rq->asked;
	/* a client that did not ask gets 512 even when max_blksize is smaller: with no OACK to say otherwise, a
	 * shorter block would end its transfer */
	if (rq->asked & TFTP_OPT_BLKSIZE) {
		s.blksize = rq->blksize;
		if (s.blksize > lim->max_blksize)
			s.blksize = lim->max_blksize;
	}
	if (rq->asked & TFTP_OPT_WINDOWSIZE) {
		s.windowsize = rq->windowsize;
		if (s.windowsize > lim->max_window)
			s.windowsize = lim->max_window;
	}
	if (rq->asked & TFTP_OPT_TIMEOUT) {
		s.timeout_s = rq->timeout;
		s.fixed_rto = 1;
		s.initial_rto_ms = rq->timeout * 1000u;
	}
	s.tsize = file_size;
	s.nblocks = file_size / s.blksize + 1;
	*ret = s;
	return 0;
}

int tftp_error_code(int rc)
{
	if (rc == -ERANGE)
		return TFTP_ERR_OPTION;
	if (rc == -EACCES || rc == -EPERM)
		return TFTP_ERR_ACCESS;
	if (rc == -ENOENT)
		return TFTP_ERR_NOT_FOUND;
	return TFTP_ERR_ILLEGAL;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Appends "name\0value\0" at buf[*pos]; -ENOSPC when it does not fit. */
static int put_option(uint8_t *buf, size_t cap, size_t *pos, const char *name, uint64_t v)
{
	char digits[21];
	size_t nl = strlen(name), dl = 0, i;

	do {
		digits[dl++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (cap - *pos < nl + 1 + dl + 1)
		return -ENOSPC;
	memcpy(buf + *pos, name, nl + 1);
	*pos += nl + 1;
	for (i = 0; i < dl; i++)
		buf[(*pos)++] = (uint8_t)digits[dl - 1 - i];
	buf[(*pos)++] = 0;
	return 0;
}

int tftp_build_oack(const struct tftp_session *s, uint8_t *buf, size_t cap)
{
	size_t pos = 2;
	int rc = 0;

	if (cap < 2)
		return -ENOSPC;
	put16(buf, TFTP_OACK);
	if (s->oack & TFTP_OPT_BLKSIZE)
		rc = put_option(buf, cap, &pos, "blksize", s->blksize);
	if (rc == 0 && (s->oack & TFTP_OPT_TSIZE))
		rc = put_option(buf, cap, &pos, "tsize", s->tsize);
	if (rc == 0 && (s->oack & TFTP_OPT_TIMEOUT))
		rc = put_option(buf, cap, &pos, "timeout", s->timeout_s);
	if (rc == 0 && (s->oack & TFTP_OPT_WINDOWSIZE))
		rc = put_option(buf, cap, &pos, "windowsize", s->windowsize);
	if (rc < 0)
		return rc;
	return (int)pos;
}

int tftp_build_data(uint8_t *buf, size_t cap, uint16_t wire_block, const uint8_t *data, size_t n)
{
	if (n > TFTP_BLKSIZE_MAX || cap < TFTP_HDR + n)
		return -ENOSPC;
	if (n)
		memmove(buf + TFTP_HDR, data, n);
	put16(buf, TFTP_DATA);
	put16(buf + 2, wire_block);
	return (int)(TFTP_HDR + n);
}

int tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg)
{
	size_t n = strlen(msg);

	if (cap < TFTP_HDR + 1)
		return -ENOSPC;
	if (n > cap - TFTP_HDR - 1)
		n = cap - TFTP_HDR - 1;
	if (n > 511)
		n = 511;
	put16(buf, TFTP_ERROR);
	put16(buf + 2, code);
	memcpy(buf + TFTP_HDR, msg, n);
	buf[TFTP_HDR + n] = 0;
	return (int)(TFTP_HDR + n + 1);
}

int tftp_parse_ack(const uint8_t *buf, size_t len, uint16_t *ret_block)
{
	if (len < 4 || tftp_opcode(buf, len) != TFTP_ACK)
		return -EINVAL;
	*ret_block = (uint16_t)(buf[2] << 8 | buf[3]);
	return 0;
}

int tftp_parse_error(const uint8_t *buf, size_t len, uint16_t *ret_code, const char **ret_msg,
		     size_t *ret_msglen)
{
	const uint8_t *nul;

	if (len < 4 || tftp_opcode(buf, len) != TFTP_ERROR)
		return -EINVAL;
	nul = memchr(buf + 4, 0, len - 4);
	*ret_code = (uint16_t)(buf[2] << 8 | buf[3]);
	*ret_msg = (const char *)buf + 4;
	if (nul)
		*ret_msglen = (size_t)(nul - (buf + 4));
	else
		*ret_msglen = len - 4;
	return 0;
}

void tftp_session_start(struct tftp_session *s, uint64_t now_ms)
{
	s->una = 1;
	if (s->oack)
		s->una = 0;
	s->nxt = s->una;
	s->rto_ms = s->initial_rto_ms;
	s->retries = 0;
	s->deadline_ms = now_ms + s->rto_ms;
}

int tftp_session_done(const struct tftp_session *s)
{
	return s->una > s->nblocks;
}

int tftp_session_ack(struct tftp_session *s, uint16_t b, uint64_t now_ms)
{
	uint64_t last, k;

	if (tftp_session_done(s) || s->nxt == s->una)
		return 0;   /* nothing outstanding: a duplicate */
	if (s->una == 0) {
		if (b != 0)
			return 0;
		k = 0;
	} else {
		/* the window (at most 65535 blocks past the last acknowledged) holds one block per wire number */
		last = s->una - 1;
		k = (last & ~(uint64_t)0xffff) | b;
		if (k < last)
			k += 0x10000;
		if (k == last || k >= s->nxt)
			return 0;
	}
	s->una = k + 1;
	s->nxt = s->una;   /* go back: the client saw nothing after k (RFC 7440); a no-op for a full window */
	s->retries = 0;
	s->rto_ms = s->initial_rto_ms;
	s->deadline_ms = now_ms + s->rto_ms;
	return 1;
}

int tftp_session_next(struct tftp_session *s, uint64_t now_ms, struct tftp_send *ret)
{
	uint64_t limit;

	if (tftp_session_done(s))
		return 0;
	if (s->nxt > s->una && now_ms >= s->deadline_ms) {
		if (s->retries >= s->max_retries)
			return -ETIMEDOUT;
		s->retries++;
		if (!s->fixed_rto) {
			s->rto_ms *= 2;
			if (s->rto_ms > s->max_rto_ms)
				s->rto_ms = s->max_rto_ms;
		}
		s->nxt = s->una;
	}
	limit = s->una + s->windowsize;   /* blocks una..limit-1 may be outstanding */
	if (s->una == 0)
		limit = 1;                  /* the OACK waits alone for ACK 0 */
	if (s->nxt >= limit || s->nxt > s->nblocks)
		return 0;
	memset(ret, 0, sizeof(*ret));
	ret->block = s->nxt;
	ret->wire = (uint16_t)(s->nxt & 0xffff);
	if (s->nxt > 0) {
		ret->offset = (s->nxt - 1) * s->blksize;
		ret->len = s->blksize;
		if (s->tsize - ret->offset < ret->len)
			ret->len = (size_t)(s->tsize - ret->offset);
	}
	s->nxt++;
	s->deadline_ms = now_ms + s->rto_ms;
	return 1;
}
