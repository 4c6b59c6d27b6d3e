/* test_tftp.c: lib/tftp.c, the TFTP protocol core: requests (table), the path rule (table), negotiation with
 * clamping, the exact bytes of OACK/DATA/ERROR, and the window state machine: rollover 65535 -> 0, duplicate
 * and stale ACKs, the final empty block, a zero-length file, and the retransmission backoff. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tftp.h"
#include "unit.h"

#define PKT(s) (const uint8_t *)(s), sizeof(s) - 1

static void test_parse_request_table(void)
{
	static const struct {
		const char *pkt;
		size_t len;
		int rc;
		int opcode;
		const char *file;
		int netascii;
		unsigned asked;
		unsigned nopt;
		const char *why;   /* substring */
	} t[] = {
#define R(s) s, sizeof(s) - 1
		{ R("\0\1pxelinux.0\0octet\0"), 0, TFTP_RRQ, "pxelinux.0", 0, 0, 0, NULL },
		{ R("\0\1a/b\0NetASCII\0"), 0, TFTP_RRQ, "a/b", 1, 0, 0, NULL },
		{ R("\0\2up\0octet\0"), 0, TFTP_WRQ, "up", 0, 0, 0, NULL },
		{ R("\0\1f\0OCTET\0BlkSize\0001468\0tsize\0000\0timeout\0003\0windowsize\00016\0"), 0, TFTP_RRQ,
		  "f", 0, 15, 4, NULL },
		{ R("\0\1f\0octet\0x-vendor\0whatever\0blksize\000512\0"), 0, TFTP_RRQ, "f", 0, 1, 2, NULL },
		{ R("\0\1f\0octet\0\0\0\0"), 0, TFTP_RRQ, "f", 0, 0, 0, NULL },   /* zero padding */
		{ R("\0\1\0octet\0"), 0, TFTP_RRQ, "", 0, 0, 0, NULL },   /* the path rule refuses it */
		{ R("\0\1pxelinux.0"), -EINVAL, 0, NULL, 0, 0, 0, "file name has no NUL" },
		{ R("\0\1f\0octet"), -EINVAL, 0, NULL, 0, 0, 0, "mode has no NUL" },
		{ R("\0\1f\0mail\0"), -EINVAL, 0, NULL, 0, 0, 0, "not octet or netascii" },
		{ R("\0\1f\0binary\0"), -EINVAL, 0, NULL, 0, 0, 0, "not octet" },
		{ R("\0\3f\0octet\0"), -EINVAL, 0, NULL, 0, 0, 0, "not a read or write" },
		{ R("\0"), -EINVAL, 0, NULL, 0, 0, 0, "not a read" },
		{ R(""), -EINVAL, 0, NULL, 0, 0, 0, "not a read" },
		{ R("\1\1f\0octet\0"), -EINVAL, 0, NULL, 0, 0, 0, "not a read" },
		{ R("\0\1f\0octet\0blksize"), -EINVAL, 0, NULL, 0, 0, 0, "option name has no NUL" },
		{ R("\0\1f\0octet\0blksize\0"), -EINVAL, 0, NULL, 0, 0, 0, "has no value" },
		{ R("\0\1f\0octet\0blksize\0001024"), -EINVAL, 0, NULL, 0, 0, 0, "has no value" },
		{ R("\0\1f\0octet\0blksize\000512\0BLKSIZE\000512\0"), -EINVAL, 0, NULL, 0, 0, 0, "twice" },
		{ R("\0\1f\0octet\0x\0\1\0x\0\2\0"), -EINVAL, 0, NULL, 0, 0, 0, "twice" },
		{ R("\0\1f\0octet\0blksize\0007\0"), -ERANGE, 0, NULL, 0, 0, 0, "blksize" },
		{ R("\0\1f\0octet\0blksize\00065465\0"), -ERANGE, 0, NULL, 0, 0, 0, "blksize" },
		{ R("\0\1f\0octet\0blksize\0-1\0"), -ERANGE, 0, NULL, 0, 0, 0, "blksize" },
		{ R("\0\1f\0octet\0blksize\0\0"), -ERANGE, 0, NULL, 0, 0, 0, "blksize" },
		{ R("\0\1f\0octet\0blksize\0 512\0"), -ERANGE, 0, NULL, 0, 0, 0, "blksize" },
		{ R("\0\1f\0octet\0timeout\0000\0"), -ERANGE, 0, NULL, 0, 0, 0, "timeout" },
		{ R("\0\1f\0octet\0timeout\000256\0"), -ERANGE, 0, NULL, 0, 0, 0, "timeout" },
		{ R("\0\1f\0octet\0windowsize\0000\0"), -ERANGE, 0, NULL, 0, 0, 0, "windowsize" },
		{ R("\0\1f\0octet\0windowsize\00065536\0"), -ERANGE, 0, NULL, 0, 0, 0, "windowsize" },
		{ R("\0\1f\0octet\0tsize\00018446744073709551616\0"), -ERANGE, 0, NULL, 0, 0, 0, "tsize" },
		{ R("\0\1f\0octet\0tsize\0x\0"), -ERANGE, 0, NULL, 0, 0, 0, "tsize" },
		{ R("\0\1f\0octet\0a\0\0b\0\0c\0\0d\0\0e\0\0f\0\0g\0\0h\0\0i\0\0j\0\0k\0\0l\0\0m\0\0n\0\0o\0\0p\0\0"
		    "q\0\0"), -EINVAL, 0, NULL, 0, 0, 0, "too many" },
#undef R
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tftp_request rq;
		const char *why = NULL;
		int rc;

		memset(&rq, 0x5a, sizeof(rq));
		rc = tftp_parse_request((const uint8_t *)t[i].pkt, t[i].len, &rq, &why);
		if (rc != t[i].rc)
			fprintf(stderr, "  row %zu: rc %d (%s)\n", i, rc, why ? why : "");
		CHECK(rc == t[i].rc);
		if (rc == 0) {
			CHECK(rq.opcode == t[i].opcode);
			CHECK_STR(rq.filename, t[i].file);
			CHECK(rq.netascii == t[i].netascii);
			CHECK(rq.asked == t[i].asked);
			CHECK(rq.n_options == t[i].nopt);
		} else {
			CHECK(rq.opcode == 0x5a5a5a5a);   /* untouched on failure */
			CHECK(why && strstr(why, t[i].why));
			if (!why || !strstr(why, t[i].why))
				fprintf(stderr, "  row %zu: '%s'\n", i, why ? why : "(null)");
		}
	}
}

static void test_request_values(void)
{
	static const char pkt[] = "\0\1f\0octet\0blksize\00065464\0tsize\00018446744073709551615\0timeout\000255\0"
				  "windowsize\00065535\0x\0y\0";
	struct tftp_request rq;

	CHECK(tftp_parse_request(PKT(pkt), &rq, NULL) == 0);
	CHECK(rq.blksize == 65464 && rq.tsize == UINT64_MAX && rq.timeout == 255 && rq.windowsize == 65535);
	CHECK(rq.n_options == 5);
	CHECK_STR(rq.options[4].name, "x");
	CHECK_STR(rq.options[4].value, "y");
	CHECK(tftp_error_code(-ERANGE) == TFTP_ERR_OPTION);
	CHECK(tftp_error_code(-EINVAL) == TFTP_ERR_ILLEGAL);
	CHECK(tftp_error_code(-EACCES) == TFTP_ERR_ACCESS);
	CHECK(tftp_error_code(-EPERM) == TFTP_ERR_ACCESS);
	CHECK(tftp_error_code(-ENOENT) == TFTP_ERR_NOT_FOUND);
}

static void test_path_table(void)
{
	static char longname[TFTP_PATH_MAX + 2], maxname[TFTP_PATH_MAX + 1];
	static const struct {
		const char *name;
		const char *rel;   /* NULL: refused */
	} t[] = {
		{ "pxelinux.0", "pxelinux.0" },
		{ "/pxelinux.0", "pxelinux.0" },
		{ "pxelinux.cfg/01-52-54-00-12-34-56", "pxelinux.cfg/01-52-54-00-12-34-56" },
		{ "/efi/boot/bootx64.efi", "efi/boot/bootx64.efi" },
		{ "a..b/..c/d..", "a..b/..c/d.." },
		{ ".hidden", ".hidden" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "", NULL },
		{ "/", NULL },
		{ "//etc/passwd", NULL },
		{ "..", NULL },
		{ "../x", NULL },
		{ "a/../../x", NULL },
		{ "a/..", NULL },
		{ "/..", NULL },
		{ "./x", NULL },
		{ "a/./x", NULL },
		{ "a//b", NULL },
		{ "a/", NULL },
		{ "a\\..\\b", NULL },
		{ "a\nb", NULL },
		{ "a\tb", NULL },
		{ "a\x7f", NULL },
	};
	const char *rel, *why;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		rel = NULL;
		why = NULL;
		rc = tftp_path_check(t[i].name, &rel, &why);
		if ((rc == 0) != (t[i].rel != NULL))
			fprintf(stderr, "  row %zu: rc %d\n", i, rc);
		if (t[i].rel) {
			CHECK(rc == 0);
			CHECK_STR(rel, t[i].rel);
		} else {
			CHECK(rc == -EACCES && why != NULL && rel == NULL);
		}
	}
	memset(maxname, 'a', TFTP_PATH_MAX);
	memset(longname, 'a', TFTP_PATH_MAX + 1);
	CHECK(tftp_path_check(maxname, &rel, &why) == 0);
	CHECK(tftp_path_check(longname, &rel, &why) == -EACCES && strstr(why, "too long"));
}

static void test_negotiate(void)
{
	static const char plain[] = "\0\1pxelinux.0\0octet\0";
	static const char opts[] = "\0\1f\0octet\0blksize\0001468\0tsize\0000\0timeout\0003\0windowsize\0004\0";
	static const char big[] = "\0\1f\0octet\0blksize\00065464\0windowsize\0001000\0";
	static const char wrq[] = "\0\2f\0octet\0";
	struct tftp_request rq;
	struct tftp_limits lim;
	struct tftp_session s;
	const char *why = NULL;

	tftp_limits_default(&lim);
	CHECK(lim.max_blksize == 1468 && lim.max_window == 64);
	CHECK(tftp_parse_request(PKT(plain), &rq, NULL) == 0);
	CHECK(tftp_negotiate(&rq, &lim, 26000, &s, NULL) == 0);
	CHECK(s.blksize == 512 && s.windowsize == 1 && s.oack == 0 && !s.fixed_rto && s.nblocks == 51);

	CHECK(tftp_parse_request(PKT(opts), &rq, NULL) == 0);
	CHECK(tftp_negotiate(&rq, &lim, 1000000, &s, NULL) == 0);
	CHECK(s.blksize == 1468 && s.windowsize == 4 && s.timeout_s == 3 && s.tsize == 1000000);
	CHECK(s.oack == (TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE | TFTP_OPT_TIMEOUT | TFTP_OPT_WINDOWSIZE));
	CHECK(s.fixed_rto && s.initial_rto_ms == 3000);

	CHECK(tftp_parse_request(PKT(big), &rq, NULL) == 0);
	CHECK(tftp_negotiate(&rq, &lim, 1, &s, NULL) == 0);
	CHECK(s.blksize == 1468 && s.windowsize == 64);   /* clamped */
	CHECK(s.oack == (TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOWSIZE));
	lim.max_blksize = 1400;
	lim.max_window = 8;
	CHECK(tftp_negotiate(&rq, &lim, 1, &s, NULL) == 0);
	CHECK(s.blksize == 1400 && s.windowsize == 8);
	lim.max_blksize = 256;   /* a tiny MTU: a client asking gets 256, one not asking still 512 */
	CHECK(tftp_negotiate(&rq, &lim, 1, &s, NULL) == 0 && s.blksize == 256);
	CHECK(tftp_parse_request(PKT(plain), &rq, NULL) == 0);
	CHECK(tftp_negotiate(&rq, &lim, 1, &s, NULL) == 0 && s.blksize == 512 && s.oack == 0);
	lim.max_blksize = 7;
	CHECK(tftp_negotiate(&rq, &lim, 1, &s, &why) == -EINVAL && strstr(why, "limits"));

	tftp_limits_default(&lim);
	CHECK(tftp_parse_request(PKT(wrq), &rq, NULL) == 0);
	CHECK(rq.opcode == TFTP_WRQ);
	CHECK(tftp_negotiate(&rq, &lim, 0, &s, &why) == -EPERM && strstr(why, "read-only"));
	CHECK(tftp_error_code(-EPERM) == TFTP_ERR_ACCESS);
}

static void test_packets(void)
{
	static const char opts[] = "\0\1f\0octet\0windowsize\0004\0tsize\0000\0blksize\0001468\0timeout\0003\0";
	static const char oack[] = "\0\6blksize\0001468\0tsize\000123456\0timeout\0003\0windowsize\0004\0";
	struct tftp_request rq;
	struct tftp_limits lim;
	struct tftp_session s;
	uint8_t buf[600];
	const char *msg;
	size_t mlen;
	uint16_t v;
	int n;

	tftp_limits_default(&lim);
	CHECK(tftp_parse_request(PKT(opts), &rq, NULL) == 0);
	CHECK(tftp_negotiate(&rq, &lim, 123456, &s, NULL) == 0);
	n = tftp_build_oack(&s, buf, sizeof(buf));
	CHECK(n == (int)sizeof(oack) - 1 && !memcmp(buf, oack, sizeof(oack) - 1));
	CHECK(tftp_build_oack(&s, buf, sizeof(oack) - 2) == -ENOSPC);

	n = tftp_build_data(buf, sizeof(buf), 0x1234, (const uint8_t *)"abc", 3);
	CHECK(n == 7 && !memcmp(buf, "\0\3\x12\x34" "abc", 7));
	memcpy(buf + TFTP_HDR, "xy", 2);   /* in place */
	CHECK(tftp_build_data(buf, sizeof(buf), 65535, buf + TFTP_HDR, 2) == 6 && !memcmp(buf, "\0\3\xff\xffxy", 6));
	CHECK(tftp_build_data(buf, sizeof(buf), 7, NULL, 0) == 4 && !memcmp(buf, "\0\3\0\7", 4));
	CHECK(tftp_build_data(buf, 5, 7, (const uint8_t *)"ab", 2) == -ENOSPC);

	n = tftp_build_error(buf, sizeof(buf), TFTP_ERR_NOT_FOUND, "File not found");
	CHECK(n == 19 && !memcmp(buf, "\0\5\0\1File not found\0", 19));
	n = tftp_build_error(buf, 8, TFTP_ERR_ACCESS, "Access violation");
	CHECK(n == 8 && !memcmp(buf, "\0\5\0\2Acc\0", 8));
	CHECK(tftp_build_error(buf, 4, 0, "x") == -ENOSPC);

	CHECK(tftp_parse_ack(PKT("\0\4\xff\xfe"), &v) == 0 && v == 0xfffe);
	CHECK(tftp_parse_ack(PKT("\0\4\0\1\0\0"), &v) == 0 && v == 1);
	CHECK(tftp_parse_ack(PKT("\0\4\0"), &v) == -EINVAL);
	CHECK(tftp_parse_ack(PKT("\0\3\0\1"), &v) == -EINVAL);
	CHECK(tftp_parse_error(PKT("\0\5\0\10bad option\0"), &v, &msg, &mlen) == 0);
	CHECK(v == 8 && mlen == 10 && !memcmp(msg, "bad option", 10));
	CHECK(tftp_parse_error(PKT("\0\5\0\0no nul"), &v, &msg, &mlen) == 0 && mlen == 6);
	CHECK(tftp_parse_error(PKT("\0\5\0"), &v, &msg, &mlen) == -EINVAL);
	CHECK(tftp_opcode(PKT("\0\6")) == TFTP_OACK && tftp_opcode(PKT("\0\7")) == -EINVAL);
}

/* A session on a file of size bytes without asking the client: blksize bs, window w, no OACK. */
static void session(struct tftp_session *s, uint64_t size, unsigned bs, unsigned w, unsigned asked)
{
	struct tftp_request rq;
	struct tftp_limits lim;

	memset(&rq, 0, sizeof(rq));
	rq.opcode = TFTP_RRQ;
	rq.asked = asked;
	rq.blksize = bs;
	rq.windowsize = w;
	tftp_limits_default(&lim);
	lim.max_blksize = TFTP_BLKSIZE_MAX;
	lim.max_window = 65535;
	CHECK(tftp_negotiate(&rq, &lim, size, s, NULL) == 0);
	tftp_session_start(s, 0);
}

/* Sends everything the session allows now; returns how many packets, the last in *last. */
static int drain(struct tftp_session *s, uint64_t now, struct tftp_send *last)
{
	struct tftp_send p;
	int n = 0;

	while (tftp_session_next(s, now, &p) == 1) {
		*last = p;
		n++;
	}
	return n;
}

static void test_rollover_window4(void)
{
	struct tftp_session s;
	struct tftp_send p;
	uint64_t blocks = 65540;   /* DATA 1..65540 with 8-byte blocks, the last empty */

	session(&s, (blocks - 1) * 8, 8, 4, TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOWSIZE);
	CHECK(s.nblocks == blocks);
	CHECK(tftp_session_next(&s, 0, &p) == 1 && p.block == 0);   /* the OACK, alone */
	CHECK(tftp_session_next(&s, 0, &p) == 0);
	CHECK(tftp_session_ack(&s, 1, 0) == 0);                  /* not ACK 0: ignored */
	CHECK(tftp_session_ack(&s, 0, 0) == 1);
	/* jump close to the rollover: windows of 4 acknowledged in full */
	while (s.una + 4 <= 65533) {
		CHECK(drain(&s, 0, &p) == 4);
		CHECK(tftp_session_ack(&s, p.wire, 0) == 1);
	}
	CHECK(s.una == 65533);
	CHECK(drain(&s, 0, &p) == 4 && p.block == 65536 && p.wire == 0 && p.offset == 65535 * 8);
	CHECK(tftp_session_ack(&s, 65532, 0) == 0);   /* duplicate */
	CHECK(tftp_session_ack(&s, 1, 0) == 0);       /* not sent yet */
	CHECK(tftp_session_ack(&s, 65534, 0) == 1);   /* lost 65535: go back */
	CHECK(s.una == 65535 && s.nxt == 65535);
	CHECK(tftp_session_next(&s, 0, &p) == 1 && p.block == 65535 && p.wire == 65535);
	CHECK(drain(&s, 0, &p) == 3 && p.block == 65538 && p.wire == 2);
	CHECK(tftp_session_ack(&s, 65534, 0) == 0);   /* stale: before the wrap */
	CHECK(tftp_session_ack(&s, 0, 0) == 1 && s.una == 65537);
	CHECK(tftp_session_ack(&s, 0, 0) == 0);       /* duplicate after the wrap */
	CHECK(drain(&s, 0, &p) == 4 && p.block == 65540 && p.wire == 4 && p.len == 0);
	CHECK(tftp_session_ack(&s, 4, 0) == 1 && tftp_session_done(&s));
	CHECK(tftp_session_next(&s, 0, &p) == 0);
}

static void test_final_blocks(void)
{
	static const struct {
		uint64_t size;
		unsigned bs;
		uint64_t nblocks;
		size_t last_len;
	} t[] = {
		{ 0, 512, 1, 0 },        /* zero-length file: one empty DATA */
		{ 1024, 512, 3, 0 },     /* exact multiple: a final empty block */
		{ 1025, 512, 3, 1 },
		{ 511, 512, 1, 511 },
		{ 512, 512, 2, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tftp_session s;
		struct tftp_send p;
		uint64_t sent = 0, bytes = 0;

		session(&s, t[i].size, t[i].bs, 1, 0);
		CHECK(s.nblocks == t[i].nblocks);
		while (tftp_session_next(&s, 0, &p) == 1) {
			CHECK(p.block == sent + 1 && p.offset == bytes);
			sent++;
			bytes += p.len;
			CHECK(tftp_session_ack(&s, p.wire, 0) == 1);
		}
		CHECK(sent == t[i].nblocks && bytes == t[i].size && p.len == t[i].last_len);
		CHECK(tftp_session_done(&s));
		CHECK(tftp_session_ack(&s, p.wire, 0) == 0);
	}
}

static void test_backoff(void)
{
	struct tftp_session s;
	struct tftp_send p;

	session(&s, 2000, 512, 2, 0);   /* no options: backoff from 1 s, doubling up to 8 s, 5 retries */
	CHECK(drain(&s, 100, &p) == 1 && p.block == 1 && s.deadline_ms == 1100);   /* window 1: not asked */
	CHECK(tftp_session_next(&s, 1099, &p) == 0);
	CHECK(tftp_session_next(&s, 1100, &p) == 1 && p.block == 1 && s.deadline_ms == 3100);
	CHECK(tftp_session_next(&s, 3100, &p) == 1 && s.deadline_ms == 7100);
	CHECK(tftp_session_next(&s, 7100, &p) == 1 && s.deadline_ms == 15100);
	CHECK(tftp_session_next(&s, 15100, &p) == 1 && s.deadline_ms == 23100);   /* capped at 8 s */
	CHECK(tftp_session_ack(&s, 1, 23000) == 1 && s.deadline_ms == 24000 && s.retries == 0);   /* reset */
	CHECK(drain(&s, 23000, &p) == 1 && p.block == 2);
	CHECK(tftp_session_next(&s, 24000, &p) == 1 && s.retries == 1);
	CHECK(tftp_session_next(&s, 26000, &p) == 1 && s.retries == 2);
	CHECK(tftp_session_next(&s, 30000, &p) == 1 && s.retries == 3);
	CHECK(tftp_session_next(&s, 38000, &p) == 1 && s.retries == 4);
	CHECK(tftp_session_next(&s, 46000, &p) == 1 && s.retries == 5);
	CHECK(tftp_session_next(&s, 54000, &p) == -ETIMEDOUT);

	/* a timeout the client named is fixed, and a timeout resends the whole window */
	session(&s, 4000, 512, 3, TFTP_OPT_WINDOWSIZE | TFTP_OPT_TIMEOUT);
	s.timeout_s = 2;
	s.initial_rto_ms = s.rto_ms = 2000;
	CHECK(drain(&s, 0, &p) == 1 && p.block == 0);
	CHECK(tftp_session_ack(&s, 0, 10) == 1 && drain(&s, 10, &p) == 3 && p.block == 3);
	CHECK(s.deadline_ms == 2010);
	CHECK(drain(&s, 2010, &p) == 3 && p.block == 3 && s.deadline_ms == 4010);
	CHECK(drain(&s, 4010, &p) == 3 && s.deadline_ms == 6010);
}

int main(void)
{
	RUN(test_parse_request_table);
	RUN(test_request_values);
	RUN(test_path_table);
	RUN(test_negotiate);
	RUN(test_packets);
	RUN(test_rollover_window4);
	RUN(test_final_blocks);
	RUN(test_backoff);
	UNIT_EXIT();
}
