/* test_leases.c: the address pool (pxe-server/leases.c) and the lease file (leases_file.c): the order in which
 * addresses are chosen, the checks of a DHCPREQUEST, the file round trip, damaged lines, and the atomic write
 * (a failed write leaves the old file and no temporary). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "pxe-server/leases.h"
#include "unit.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define T0 1700000000

static const uint8_t A[6] = { 0x52, 0x54, 0, 0, 0, 0xa };
static const uint8_t B[6] = { 0x52, 0x54, 0, 0, 0, 0xb };
static const uint8_t C[6] = { 0x52, 0x54, 0, 0, 0, 0xc };
static const uint8_t R[6] = { 0x52, 0x54, 0, 0, 0, 0x1 };

static struct pxe_leases *pool(uint32_t first, uint32_t last)
{
	static struct pxe_reservation res;
	struct pxe_leases *l = NULL;

	memcpy(res.mac, R, 6);
	res.ip = IP(10, 0, 0, 101); /* inside the pool: excluded from it */
	CHECK(pxe_leases_new(first, last, IP(10, 0, 0, 1), 0xffffff00u, &res, 1, &l, NULL) == 0);
	return l;
}

static void test_pick_order(void)
{
	struct pxe_leases *l = pool(IP(10, 0, 0, 100), IP(10, 0, 0, 104));
	uint32_t ip = 0;
	const char *why;

	CHECK(pxe_leases_pick(l, R, 0, T0, &ip) == 0 && ip == IP(10, 0, 0, 101));      /* reservation */
	CHECK(pxe_leases_state(l, IP(10, 0, 0, 101), T0) == PXE_LEASE_EXCLUDED);
	CHECK(pxe_leases_pick(l, A, IP(10, 0, 0, 103), T0, &ip) == 0 && ip == IP(10, 0, 0, 103)); /* option 50 */
	CHECK(pxe_leases_pick(l, A, IP(10, 0, 0, 101), T0, &ip) == 0 && ip == IP(10, 0, 0, 100)); /* lowest free */
	pxe_leases_offer(l, A, IP(10, 0, 0, 100), T0);
	CHECK(pxe_leases_state(l, IP(10, 0, 0, 100), T0) == PXE_LEASE_OFFERED);
	CHECK(pxe_leases_pick(l, B, 0, T0, &ip) == 0 && ip == IP(10, 0, 0, 102));
	CHECK(pxe_leases_check(l, B, IP(10, 0, 0, 100), T0, &why) == -EACCES && !strcmp(why, "leased to another host"));
	CHECK(pxe_leases_check(l, B, IP(10, 0, 0, 101), T0, &why) == -EACCES &&
	      !strcmp(why, "reserved for another host"));
	CHECK(pxe_leases_check(l, R, IP(10, 0, 0, 100), T0, &why) == -EACCES);
	CHECK(pxe_leases_check(l, B, IP(10, 0, 0, 99), T0, &why) == -EACCES && !strcmp(why, "not in the pool"));
	pxe_leases_bind(l, A, IP(10, 0, 0, 100), T0, 60);
	pxe_leases_bind(l, B, IP(10, 0, 0, 102), T0, 120);
	pxe_leases_bind(l, C, IP(10, 0, 0, 103), T0, 30);
	CHECK(pxe_leases_find(l, A) == IP(10, 0, 0, 100) && pxe_leases_count_bound(l, T0) == 3);
	/* .104 is the last free one; after it, the lease that ran out longest ago (C's at T0+30) */
	{
		uint8_t d[6] = { 0x52, 0x54, 0, 0, 0, 0xd }, e[6] = { 0x52, 0x54, 0, 0, 0, 0xe };

		CHECK(pxe_leases_pick(l, d, 0, T0, &ip) == 0 && ip == IP(10, 0, 0, 104));
		pxe_leases_bind(l, d, ip, T0, 1000);
		CHECK(pxe_leases_pick(l, e, 0, T0 + 10, &ip) == -ENOSPC);
		CHECK(pxe_leases_pick(l, e, 0, T0 + 200, &ip) == 0 && ip == IP(10, 0, 0, 103));
		/* but C itself still gets its remembered address back */
		CHECK(pxe_leases_pick(l, C, 0, T0 + 200, &ip) == 0 && ip == IP(10, 0, 0, 103));
	}
	pxe_leases_free(l);
}

static void test_offer_expiry_and_decline(void)
{
	struct pxe_leases *l = pool(IP(10, 0, 0, 100), IP(10, 0, 0, 110));
	uint32_t ip;

	pxe_leases_offer(l, A, IP(10, 0, 0, 100), T0);
	CHECK(pxe_leases_expire(l, T0 + PXE_LEASE_OFFER_HOLD + 1) == 1);
	CHECK(pxe_leases_state(l, IP(10, 0, 0, 100), T0 + 100) == PXE_LEASE_FREE && !pxe_leases_find(l, A));
	pxe_leases_bind(l, A, IP(10, 0, 0, 100), T0, 3600);
	CHECK(pxe_leases_decline(l, B, IP(10, 0, 0, 100), T0) == -ENOENT);
	CHECK(pxe_leases_decline(l, R, IP(10, 0, 0, 101), T0) == -EPERM);
	CHECK(pxe_leases_decline(l, A, IP(10, 0, 0, 100), T0) == 0);
	CHECK(pxe_leases_state(l, IP(10, 0, 0, 100), T0 + 1) == PXE_LEASE_DECLINED);
	CHECK(pxe_leases_pick(l, A, 0, T0 + 1, &ip) == 0 && ip == IP(10, 0, 0, 102));
	CHECK(pxe_leases_release(l, B, IP(10, 0, 0, 102), T0) == -ENOENT);
	pxe_leases_expire(l, T0 + PXE_LEASE_DECLINE_HOLD + 1);
	CHECK(pxe_leases_state(l, IP(10, 0, 0, 100), T0 + PXE_LEASE_DECLINE_HOLD + 1) == PXE_LEASE_FREE);
	pxe_leases_free(l);
}

static void test_limits(void)
{
	struct pxe_leases *l = NULL;
	struct rh_err err = { 0 };

	CHECK(pxe_leases_new(IP(10, 0, 0, 0), IP(10, 1, 0, 0), 0, 0, NULL, 0, &l, &err) == -EINVAL);
	CHECK(strstr(err.msg, "65537 addresses, at most 65536") != NULL);
	rh_err_clear(&err);
	CHECK(pxe_leases_new(IP(10, 0, 0, 9), IP(10, 0, 0, 8), 0, 0, NULL, 0, &l, &err) == -EINVAL);
	CHECK(pxe_leases_new(IP(10, 0, 0, 0), IP(10, 0, 255, 255), IP(10, 0, 0, 1), 0xffff0000u, NULL, 0, &l, NULL) == 0);
	CHECK(pxe_leases_state(l, IP(10, 0, 0, 0), T0) == PXE_LEASE_EXCLUDED);     /* network */
	CHECK(pxe_leases_state(l, IP(10, 0, 0, 1), T0) == PXE_LEASE_EXCLUDED);     /* the server */
	CHECK(pxe_leases_state(l, IP(10, 0, 255, 255), T0) == PXE_LEASE_EXCLUDED); /* broadcast */
	CHECK(pxe_leases_state(l, IP(10, 0, 0, 2), T0) == PXE_LEASE_FREE);
	pxe_leases_free(l);
}

struct warns {
	unsigned n;
	char last[512];
};

static void on_warn(void *ctx, const char *text)
{
	struct warns *w = ctx;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", text);
}

static void test_file_round_trip(void)
{
	struct pxe_leases *l = pool(IP(10, 0, 0, 100), IP(10, 0, 0, 110)), *m = pool(IP(10, 0, 0, 100), IP(10, 0, 0, 110));
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	unsigned outside = 9;

	pxe_leases_bind(l, A, IP(10, 0, 0, 100), T0, 3600);
	pxe_leases_bind(l, B, IP(10, 0, 0, 102), T0, 10);
	pxe_leases_bind(l, C, IP(10, 0, 0, 103), T0, 3600);
	CHECK(pxe_leases_decline(l, C, IP(10, 0, 0, 103), T0) == 0);
	pxe_leases_offer(l, R, IP(10, 0, 0, 105), T0); /* offers are not written */
	CHECK(pxe_leases_format(l, T0, &text, &len) == 0);
	CHECK(strstr(text, "lease 10.0.0.100 52:54:00:00:00:0a 1700003600\n") != NULL);
	CHECK(strstr(text, "lease 10.0.0.102 52:54:00:00:00:0b 1700000010\n") != NULL);
	CHECK(strstr(text, "declined 10.0.0.103 1700000600\n") != NULL);
	CHECK(pxe_leases_parse(m, "L", text, len, NULL, NULL, &outside) == 3 && outside == 0);
	CHECK(pxe_leases_format(m, T0, &again, &len2) == 0 && len == len2 && !strcmp(text, again));
	CHECK(pxe_leases_state(m, IP(10, 0, 0, 102), T0 + 20) == PXE_LEASE_EXPIRED);
	CHECK(pxe_leases_find(m, B) == IP(10, 0, 0, 102));
	free(text);
	free(again);
	pxe_leases_free(l);
	pxe_leases_free(m);
}

static void test_damaged_lines(void)
{
	static const struct {
		const char *line;
		const char *why; /* NULL: accepted or quietly outside */
	} rows[] = {
		{ "lease 10.0.0.100 52:54:00:00:00:0a 1700003600", NULL },
		{ "  # a comment", NULL },
		{ "", NULL },
		{ "lease 10.0.0.99 52:54:00:00:00:0c 1700003600", NULL },   /* outside the pool: counted */
		{ "lease 10.0.0.101 52:54:00:00:00:0c 1700003600", NULL },  /* reserved: outside */
		{ "lease 10.0.0.100 52:54:00:00:00:0b 1700003600", "address listed twice" },
		{ "lease 10.0.0.102 52:54:00:00:00:0a 1700003600", "MAC listed twice" },
		{ "lease 10.0.0.256 52:54:00:00:00:0b 1", "bad address" },
		{ "lease 10.0.0.1022 52:54:00:00:00:0b 1", "bad address" },
		{ "lease 10.0.0.103 52:54:00:00:00 1", "bad MAC address" },
		{ "lease 10.0.0.103 52:54:00:00:00:0b -1", "bad time" },
		{ "lease 10.0.0.103 52:54:00:00:00:0b 99999999999999999999999", "bad time" },
		{ "lease 10.0.0.103 52:54:00:00:00:0b", "a lease line is" },
		{ "lease 10.0.0.103 52:54:00:00:00:0b 1 extra", "a lease line is" },
		{ "declined 10.0.0.104", "a declined line is" },
		{ "bogus", "not a lease or declined line" },
		{ "lease\t10.0.0.105\t52:54:00:00:00:0d\t1700003600\r", NULL },
		{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		  "line too long" },
	};
	struct pxe_leases *l = pool(IP(10, 0, 0, 100), IP(10, 0, 0, 110));
	struct warns w = { 0 };
	unsigned outside = 0, i;
	char want[128];

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = strlen(rows[i].line);

		w.n = 0;
		/* each row is a file of its own, parsed into the same pool */
		CHECK(pxe_leases_parse(l, "/var/lib/x/leases", rows[i].line, n, on_warn, &w, &outside) >= 0);
		CHECK(w.n == (rows[i].why != NULL));
		if (rows[i].why) {
			snprintf(want, sizeof(want), "/var/lib/x/leases:1: %s", rows[i].why);
			if (strncmp(w.last, want, strlen(want)) || !strstr(w.last, "; line dropped"))
				fprintf(stderr, "  row %u: %s\n", i, w.last);
			CHECK(!strncmp(w.last, want, strlen(want)));
		}
		CHECK(outside == (i == 3 || i == 4));
	}
	CHECK(pxe_leases_find(l, A) == IP(10, 0, 0, 100));
	CHECK(pxe_leases_state(l, IP(10, 0, 0, 105), T0) == PXE_LEASE_BOUND);
	/* line numbers count from 1 across the file; a NUL byte is damage too */
	w.n = 0;
	{
		static const char f[] = "# x\n\nbogus\nlease 10.0\0.0.1 x 1\n";

		CHECK(pxe_leases_parse(l, "F", f, sizeof(f) - 1, on_warn, &w, NULL) == 0);
	}
	CHECK(w.n == 2 && !strncmp(w.last, "F:4: NUL byte", 13));
	pxe_leases_free(l);
}

static void test_atomic_save(void)
{
	struct pxe_leases *l = pool(IP(10, 0, 0, 100), IP(10, 0, 0, 199));
	struct rh_err err = { 0 };
	struct rlimit old, small;
	char dir[] = "/tmp/test_leases.XXXXXX", path[64], *buf = NULL, *before = NULL;
	size_t len = 0, blen = 0;
	uint8_t mac[6] = { 0x52, 0x54, 0, 0, 1, 0 };
	uint32_t i;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/sub/leases", dir);
	pxe_leases_bind(l, A, IP(10, 0, 0, 100), T0, 3600);
	CHECK(pxe_leases_save(l, path, T0, &err) == -ENOENT); /* no directory: an error, nothing written */
	snprintf(path, sizeof(path), "%s/leases", dir);
	CHECK(pxe_leases_save(l, path, T0, NULL) == 0 && !l->dirty);
	CHECK(rh_read_file(path, 1 << 20, &before, &blen, NULL) == 0);
	/* a write that fails half-way (file size limit): the old file stays as it was, no temporary is left */
	for (i = 0; i < 99; i++) {
		mac[5] = (uint8_t)i;
		pxe_leases_bind(l, mac, IP(10, 0, 0, 101) + i, T0, 3600);
	}
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 4096; /* the soft limit only, so that it can be raised again without privileges */
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	rh_err_clear(&err);
	CHECK(pxe_leases_save(l, path, T0, &err) < 0 && l->dirty);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	CHECK(strstr(err.msg, "cannot write") != NULL);
	CHECK(rh_read_file(path, 1 << 20, &buf, &len, NULL) == 0 && len == blen && !memcmp(buf, before, len));
	free(buf);
	CHECK(fs_dir_is_empty(dir) == 0);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) = 1", dir);
		CHECK(system(cmd) == 0);
	}
	/* and the next save succeeds with everything */
	rh_err_clear(&err);
	CHECK(pxe_leases_save(l, path, T0, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	{
		struct pxe_leases *m = pool(IP(10, 0, 0, 100), IP(10, 0, 0, 199));

		CHECK(pxe_leases_load(m, path, NULL, NULL, NULL, NULL) == 99); /* .101 is reserved */
		pxe_leases_free(m);
	}
	free(before);
	fs_rm_rf(dir, NULL);
	pxe_leases_free(l);
}

static void test_missing_file_and_copy(void)
{
	struct pxe_leases *l = pool(IP(10, 0, 0, 100), IP(10, 0, 0, 110)), *m = NULL;

	CHECK(pxe_leases_load(l, "/nonexistent/leases", NULL, NULL, NULL, NULL) == 0);
	pxe_leases_bind(l, A, IP(10, 0, 0, 100), T0, 3600);
	pxe_leases_bind(l, B, IP(10, 0, 0, 110), T0, 3600);
	CHECK(pxe_leases_new(IP(10, 0, 0, 50), IP(10, 0, 0, 105), IP(10, 0, 0, 1), 0xffffff00u, NULL, 0, &m, NULL) == 0);
	pxe_leases_copy(m, l);
	CHECK(pxe_leases_find(m, A) == IP(10, 0, 0, 100) && !pxe_leases_find(m, B));
	pxe_leases_free(l);
	pxe_leases_free(m);
}

/* A renewal soon after the last write does not rewrite the file; one at half the lease does. */
static void test_renewal_writes(void)
{
	static const char file[] = "lease 10.0.0.100 52:54:00:00:00:0a 1700003600\n";
	struct pxe_leases *l = pool(IP(10, 0, 0, 100), IP(10, 0, 0, 110));

	CHECK(pxe_leases_parse(l, "L", file, sizeof(file) - 1, NULL, NULL, NULL) == 1 && !l->dirty);
	pxe_leases_bind(l, A, IP(10, 0, 0, 100), T0 + 10, 3600);   /* iPXE's DHCP right after the ROM's */
	CHECK(!l->dirty && pxe_leases_state(l, IP(10, 0, 0, 100), T0 + 3605) == PXE_LEASE_BOUND);
	pxe_leases_bind(l, A, IP(10, 0, 0, 100), T0 + 1800, 3600); /* T1: the file's lease would end at T2 */
	CHECK(l->dirty);
	l->dirty = 0;
	pxe_leases_bind(l, B, IP(10, 0, 0, 102), T0, 3600);        /* a new binding */
	CHECK(l->dirty);
	pxe_leases_free(l);
}

int main(void)
{
	RUN(test_pick_order);
	RUN(test_offer_expiry_and_decline);
	RUN(test_limits);
	RUN(test_file_round_trip);
	RUN(test_damaged_lines);
	RUN(test_atomic_save);
	RUN(test_missing_file_and_copy);
	RUN(test_renewal_writes);
	UNIT_EXIT();
}
